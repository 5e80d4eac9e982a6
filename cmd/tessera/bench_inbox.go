package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
)

// The inbox bench: 100,000 pending approval tasks spread over 1,000 users
// (one instance each, the way a busy deployment's backlog looks), and one
// of those users reads the first page of their pending box — through the
// API, the approval service, and the hand-written join the store should
// run. The target is an absolute one: p50 under 5 ms through the API.
const (
	inboxUsers  = 1000
	inboxTasks  = 100000
	inboxTarget = 5 * time.Millisecond
)

func benchInbox(ctx context.Context, env *benchEnv, rep *report, progress func(string, ...any)) error {
	m, err := env.createModule(ctx, "inbox")
	if err != nil {
		return err
	}
	proc, _ := json.Marshal(map[string]any{"key": "inbox_bench", "label": map[string]string{"en": "Inbox bench"}, "module": m.Key,
		"steps": []any{map[string]any{"key": "one", "label": map[string]string{"en": "One"}, "mode": "any",
			"approvers": map[string]any{"type": "users", "users": []string{env.userID}}, "due": map[string]any{"hours": 8}}}})
	if err := env.do(ctx, http.MethodPost, "/api/apps/"+benchApp+"/approvals", proc, http.StatusCreated, nil); err != nil {
		return fmt.Errorf("create process: %w", err)
	}
	p, err := env.s.ApprovalProcess(ctx, benchApp, "inbox_bench")
	if err != nil {
		return err
	}
	// The measured user signs in; the other 999 exist only as rows.
	const email, password = "inbox@example.com", "bench-inbox-password"
	me, err := access.NewService(env.s).CreateUser(ctx, access.NewUser{Email: email, Password: password, Name: "Inbox"})
	if err != nil {
		return err
	}
	users := []string{me.ID}
	err = env.s.InTx(ctx, func(tx *store.Tx) error {
		for i := 1; i < inboxUsers; i++ {
			id := store.NewID()
			now := store.TimeArg(tx.D, tx.Now)
			if _, err := tx.ExecContext(ctx, store.Rebind(tx.D, `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, ?, ?, 'x', ?, ?)`),
				id, fmt.Sprintf("inbox%04d@example.com", i), fmt.Sprintf("User %d", i), now, now); err != nil {
				return err
			}
			users = append(users, id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	progress("loading %d pending approval tasks for %d users", inboxTasks, inboxUsers)
	const batch = 2000
	for start := 0; start < inboxTasks; start += batch {
		err := env.s.InTx(ctx, func(tx *store.Tx) error {
			for i := start; i < start+batch && i < inboxTasks; i++ {
				inst := &store.ApprovalInstance{App: benchApp, Module: m.Key, RecordID: store.NewID(), Title: fmt.Sprintf("Quote %d", i),
					ProcessID: p.ID, ProcessKey: p.Key, ProcessVersion: p.Version, Status: "pending", Round: 1,
					SubmitterID: users[(i+1)%len(users)], Source: "user", Lock: true}
				if err := env.s.InsertApprovalInstance(ctx, tx, inst); err != nil {
					return err
				}
				t := &store.ApprovalTask{InstanceID: inst.ID, StepKey: "one", Round: 1, Kind: "approve", AssigneeID: users[i%len(users)],
					Status: "pending", DueAt: tx.Now.Add(8 * time.Hour)}
				if err := env.s.InsertApprovalTask(ctx, tx, t); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("tasks: %w", err)
		}
	}
	for _, table := range []string{"approval_tasks", "approval_instances"} {
		if err := analyze(ctx, env.s, table); err != nil {
			return err
		}
	}
	var login struct {
		Token string `json:"token"`
	}
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	if err := env.doAs(ctx, "", http.MethodPost, "/api/auth/login", body, http.StatusOK, &login); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	var page struct {
		Items []map[string]any `json:"items"`
	}
	if err := env.doAs(ctx, login.Token, http.MethodGet, "/api/approvals?box=pending&limit=50", nil, http.StatusOK, &page); err != nil {
		return err
	}
	if len(page.Items) != 50 || page.Items[0]["title"] == "" {
		return fmt.Errorf("inbox page has %d items", len(page.Items))
	}
	hand := store.Rebind(env.s.D, `SELECT t.id, t.instance_id, t.step, t.due_at, t.created_at, i.app, i.module, i.record_id, i.title, i.process_key, i.status
		FROM approval_tasks t JOIN approval_instances i ON i.id = t.instance_id
		WHERE t.assignee_id = ? AND t.status = 'pending' ORDER BY t.created_at, t.id LIMIT 51`)
	steps := []func() error{
		func() error {
			return env.doAs(ctx, login.Token, http.MethodGet, "/api/approvals?box=pending&limit=50", nil, http.StatusOK, nil)
		},
		func() error {
			_, _, err := env.svc.Approvals.Inbox(ctx, me, "pending", "", 50)
			return err
		},
		func() error {
			rows, err := env.s.R.QueryContext(ctx, hand, me.ID)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id, inst, app, mod, rec, title, key, status string
				var step int
				var due, created any
				if err := rows.Scan(&id, &inst, &step, &due, &created, &app, &mod, &rec, &title, &key, &status); err != nil {
					return err
				}
			}
			return rows.Err()
		},
	}
	times, err := timeRounds(steps)
	if err != nil {
		return err
	}
	a, e, s := summarize(times[0]), summarize(times[1]), summarize(times[2])
	name := fmt.Sprintf("inbox: pending page of 50 (%s tasks, %s users)", groupDigits(inboxTasks), groupDigits(inboxUsers))
	rep.add(reportRow{name: name, metric: "mean", api: fmtDur(a.mean), engine: fmtDur(e.mean), sql: fmtDur(s.mean), ratio: ratio(a.mean, s.mean)})
	rep.add(reportRow{name: "", metric: "p50", api: fmtDur(a.p50), engine: fmtDur(e.p50), sql: fmtDur(s.p50), ratio: ratio(a.p50, s.p50)})
	verdict := "OK"
	if a.p50 >= inboxTarget {
		verdict = "ABOVE TARGET"
	}
	rep.note("  inbox API p50 (target < "+fmtDur(inboxTarget)+")", "p50", fmtDur(a.p50)+" "+verdict)
	return nil
}
