package main

// The real binary keeps an approval step's due time across a crash: a
// serve process is killed (SIGKILL) while the step's timer is pending;
// after a restart the step escalates on time, once — on PostgreSQL with two
// serve processes sharing the database.

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

func TestApprovalTimerSurvivesKill(t *testing.T) {
	bin := buildBinary(t)
	base := os.Getenv(storetest.EnvURL)
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			data, url := t.TempDir(), ""
			if dialect == "postgres" {
				if base == "" {
					t.Skip(storetest.EnvURL + " not set")
				}
				url, _ = storetest.SchemaURL(t, base)
			}
			env := processEnv("TESSERA_DATA="+data, "TESSERA_DATABASE_URL="+url, "TESSERA_JOBS_LEASE=2s", "TESSERA_JOBS_POLL=50ms")
			runBinary(t, bin, env, "migrate")
			runBinary(t, bin, env, "user", "create", "--email", "admin@example.com", "--password", apitest.Password, "--admin")
			first := startServe(t, bin, env)
			c := client(t, first)
			c.Tokens["admin"] = c.Do(t, "", "POST", "/api/auth/login", map[string]string{"email": "admin@example.com", "password": apitest.Password}).Want(t, 200).Str("token")
			ids := map[string]string{}
			for _, who := range []string{"dir", "mgr", "rep"} {
				ids[who] = c.Do(t, "admin", "POST", "/api/users", map[string]any{"email": who + "@example.com", "password": apitest.Password, "name": who}).Want(t, 201).Str("id")
				c.Tokens[who] = c.Do(t, "", "POST", "/api/auth/login", map[string]string{"email": who + "@example.com", "password": apitest.Password}).Want(t, 200).Str("token")
			}
			c.Do(t, "admin", "POST", "/api/departments", map[string]any{"key": "corp", "label": apitest.Label("Corp"), "manager": ids["dir"]}).Want(t, 201)
			c.Do(t, "admin", "POST", "/api/departments", map[string]any{"key": "sales", "label": apitest.Label("Sales"), "parent": "corp", "manager": ids["mgr"]}).Want(t, 201)
			c.Do(t, "admin", "PATCH", "/api/users/"+ids["mgr"], map[string]any{"departments": []string{"sales"}}).Want(t, 200)
			c.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": apitest.Label("CRM")}).Want(t, 201)
			c.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "quote", "label": apitest.Label("Quote"),
				"schema": map[string]any{"properties": map[string]any{"name": map[string]any{"x-field": map[string]any{"type": "text"}}}}}).Want(t, 201)
			// A calendar that always works, so the due time is seconds away.
			c.Do(t, "admin", "PUT", "/api/calendars/always", map[string]any{"time_zone": "UTC", "weekdays": []int{1, 2, 3, 4, 5, 6, 7},
				"hours": []any{map[string]any{"start": "00:00", "end": "24:00"}}}).Want(t, 200)
			const dueHours = 0.003 // 10.8 s
			c.Do(t, "admin", "POST", "/api/apps/crm/approvals", map[string]any{"key": "fast", "label": apitest.Label("Fast"), "module": "quote",
				"steps": []any{map[string]any{"key": "one", "label": apitest.Label("One"), "mode": "any",
					"approvers": map[string]any{"type": "users", "users": []string{ids["mgr"]}},
					"due":       map[string]any{"hours": dueHours, "calendar": "always"}, "on_timeout": "escalate"}}}).Want(t, 201)
			q := c.Do(t, "admin", "POST", "/api/apps/crm/modules/quote/records", map[string]any{"name": "Q"}).Want(t, 201).Str("id")
			inst := c.Do(t, "admin", "POST", "/api/apps/crm/modules/quote/records/"+q+"/approvals", map[string]any{"process": "fast"}).Want(t, 201)
			id := inst.Str("id")
			due, err := time.Parse(time.RFC3339Nano, inst.Str("tasks.0.due_at"))
			if err != nil {
				t.Fatalf("due time: %s", inst.Body)
			}

			// Killed with the timer pending.
			if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			first.exit(t, 10*time.Second)
			if time.Now().After(due) {
				t.Fatalf("setup took too long: the due time %s passed before the kill", due)
			}

			second := startServe(t, bin, env)
			if dialect == "postgres" {
				// Two processes share the timer: it still acts once.
				third := startServe(t, bin, env)
				defer func() { third.cmd.Process.Signal(syscall.SIGTERM); third.exit(t, 20*time.Second) }()
			}
			c = client(t, second)
			c.Tokens["admin"] = c.Do(t, "", "POST", "/api/auth/login", map[string]string{"email": "admin@example.com", "password": apitest.Password}).Want(t, 200).Str("token")
			var escalatedAt time.Time
			for deadline := due.Add(15 * time.Second); time.Now().Before(deadline) && escalatedAt.IsZero(); time.Sleep(100 * time.Millisecond) {
				for _, d := range c.Do(t, "admin", "GET", "/api/approvals/"+id, nil).Want(t, 200).List("decisions") {
					if dm := d.(map[string]any); dm["action"] == "escalate" {
						escalatedAt, _ = time.Parse(time.RFC3339Nano, dm["at"].(string))
					}
				}
			}
			if escalatedAt.IsZero() {
				t.Fatalf("no escalation within 15 s of the due time %s", due)
			}
			if escalatedAt.Before(due) || escalatedAt.After(due.Add(5*time.Second)) {
				t.Errorf("escalated at %s, due %s: not on time", escalatedAt, due)
			}
			// Once: a little later there is still one escalation, the task
			// is dir's, and a new timer (dir's due time) is planned.
			time.Sleep(time.Second)
			v := c.Do(t, "admin", "GET", "/api/approvals/"+id, nil).Want(t, 200)
			n := 0
			for _, d := range v.List("decisions") {
				if d.(map[string]any)["action"] == "escalate" {
					n++
				}
			}
			if n != 1 || v.Str("tasks.0.assignee") != ids["dir"] || v.Str("status") != "pending" {
				t.Errorf("after the restart: %d escalations, task %s: %s", n, v.Str("tasks.0.assignee"), v.Body)
			}
			second.cmd.Process.Signal(syscall.SIGTERM)
			second.exit(t, 20*time.Second)
		})
	}
}

// client talks HTTP to a running serve process.
func client(t *testing.T, p *serveProc) *apitest.Env {
	t.Helper()
	m := urlRE.FindStringSubmatch(p.out.String())
	if m == nil {
		t.Fatalf("no URL in the output:\n%s", p.out)
	}
	return &apitest.Env{URL: m[1], Tokens: map[string]string{}, IDs: map[string]string{}}
}
