package rule

import (
	"context"
	"encoding/json"
	"fmt"
	"net/smtp"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

const jobEmail = "rule.email"

func init() {
	after := func(a Action, _ *meta.Module, beforeSave bool) []errs.FieldError {
		if beforeSave {
			return []errs.FieldError{errs.Field("type", "after_save_only", "rule.after_save_only")}
		}
		return nil
	}
	RegisterAction("notify", ActionType{Check: checkNotify, After: notify})
	RegisterAction("assign", ActionType{Check: checkAssign, After: assign})
	RegisterAction("pool", ActionType{Check: after, After: release})
	RegisterAction("update_related", ActionType{Check: after, After: updateRelated})
	RegisterAction("email", ActionType{Check: checkNotify, After: email})
}

// recipient resolves "owner", "creator", "manager" (the owner's manager) or
// an expression giving a user id.
func (rc *runContext) recipient(ctx context.Context, to string) (string, error) {
	owner, _ := rc.record["owner"].(string)
	switch to {
	case "", "owner":
		return owner, nil
	case "creator":
		id, _ := rc.record["created_by"].(string)
		return id, nil
	case "manager":
		if owner == "" || rc.e.Access == nil {
			return "", nil
		}
		m, err := rc.e.Access.ManagerOf(ctx, owner, 1)
		if errs.Is(err, errs.NotFound) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		return m.ID, nil
	}
	p, err := expr.Compile(to, rc.module, "string")
	if err != nil {
		return "", err
	}
	v, err := p.Eval(ctx, rc.e.vars(rc.module, rc.record, rc.old, rc.actor))
	id, _ := v.(string)
	return id, err
}

func checkNotify(a Action, m *meta.Module, beforeSave bool) []errs.FieldError {
	if beforeSave {
		return []errs.FieldError{errs.Field("type", "after_save_only", "rule.after_save_only")}
	}
	if len(a.Message) == 0 {
		return []errs.FieldError{errs.Field("message", "required", "rule.message_required")}
	}
	switch a.To {
	case "", "owner", "creator", "manager":
		return nil
	}
	if _, err := expr.Compile(a.To, m, "string"); err != nil {
		return []errs.FieldError{errs.Field("to", "expression", "rule.bad_expression", "detail", errs.Detail(err))}
	}
	return nil
}

// notify leaves an in-app notification, in the recipient's language.
func notify(ctx context.Context, rc *runContext, a Action) error {
	to, err := rc.recipient(ctx, a.To)
	if err != nil || to == "" {
		rc.effects = append(rc.effects, "notify: no recipient")
		return err
	}
	u, err := rc.e.Store.UserByID(ctx, to)
	if err != nil {
		return err
	}
	msg := notifyMessage(a.Message, rc.record)
	title := i18n.T(u.Locale, msg) // as the recipient reads it today; kept for older readers
	rc.effects = append(rc.effects, "notify "+u.Email+": "+title)
	if rc.dryRun {
		return nil
	}
	id, _ := rc.record["id"].(string)
	return rc.e.Store.Notify(ctx, rc.tx, &store.Notification{UserID: to, Title: title, Message: &msg, App: rc.module.AppKey,
		Module: rc.module.Key, RecordID: id, Source: "rule:" + rc.rule.Key})
}

// notifyMessage is a notify action's message with the record values its
// texts name ({field}, in any language), as they are now: stored with the
// notification, it is rendered in the reader's language when read.
func notifyMessage(text meta.Label, rec map[string]any) i18n.Msg {
	m := i18n.Msg{Key: "rule.notify", Text: i18n.Text(text), Args: map[string]any{}}
	for k, v := range rec {
		if v == nil {
			continue
		}
		for _, s := range text {
			if strings.Contains(s, "{"+k+"}") {
				m.Args[k] = fmt.Sprint(v)
				break
			}
		}
	}
	return m
}

func checkAssign(a Action, m *meta.Module, beforeSave bool) []errs.FieldError {
	var fes []errs.FieldError
	if beforeSave {
		fes = append(fes, errs.Field("type", "after_save_only", "rule.after_save_only"))
	}
	switch a.Strategy {
	case "round_robin", "least_open":
		if len(a.Users) == 0 && a.Department == "" {
			fes = append(fes, errs.Field("users", "required", "rule.assignees_required"))
		}
	case "criteria":
		if len(a.Criteria) == 0 {
			fes = append(fes, errs.Field("criteria", "required", "rule.assignees_required"))
		}
		for i, c := range a.Criteria {
			if _, err := expr.Compile(c.When, m, "bool"); err != nil {
				fes = append(fes, errs.Field("criteria["+strconv.Itoa(i)+"].when", "expression", "rule.bad_expression", "detail", errs.Detail(err)))
			}
		}
	default:
		fes = append(fes, errs.Field("strategy", "unknown", "rule.bad_strategy"))
	}
	if a.Open != "" {
		if _, err := expr.Filter(a.Open, store.Resolver(m), expr.SQLite, 0); err != nil {
			fes = append(fes, errs.Field("open", "expression", "rule.bad_expression", "detail", errs.Detail(err)))
		}
	}
	return fes
}

// candidates are the assignees: the given users, or a department's
// members, sorted so round robin is stable.
func (rc *runContext) candidates(ctx context.Context, a Action) ([]string, error) {
	users := append([]string{}, a.Users...)
	if a.Department != "" && rc.e.Access != nil {
		_, _, members, err := rc.e.Access.Department(ctx, a.Department)
		if err != nil {
			return nil, err
		}
		for _, u := range members {
			if !u.Disabled {
				users = append(users, u.ID)
			}
		}
	}
	sort.Strings(users)
	return users, nil
}

// assign sets the record's owner by round robin (a position kept per rule,
// in the job's transaction), least open records, or an assignment table.
func assign(ctx context.Context, rc *runContext, a Action) error {
	var owner string
	switch a.Strategy {
	case "criteria":
		owner = a.Users0()
		for _, c := range a.Criteria {
			p, err := expr.Compile(c.When, rc.module, "bool")
			if err != nil {
				return err
			}
			ok, err := p.Bool(ctx, rc.e.vars(rc.module, rc.record, rc.old, rc.actor))
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			owner = c.User
			if c.Department != "" {
				users, err := rc.candidates(ctx, Action{Department: c.Department})
				if err != nil {
					return err
				}
				if owner, err = rc.roundRobin(ctx, "criteria:"+c.Department, users); err != nil {
					return err
				}
			}
			break
		}
	case "round_robin":
		users, err := rc.candidates(ctx, a)
		if err != nil {
			return err
		}
		if owner, err = rc.roundRobin(ctx, "round_robin", users); err != nil {
			return err
		}
	case "least_open":
		users, err := rc.candidates(ctx, a)
		if err != nil || len(users) == 0 {
			return err
		}
		best := int64(-1)
		for _, u := range users {
			page, err := rc.e.Store.ListRecords(ctx, rc.module, store.ListQuery{Filter: a.Open, Limit: 1, Total: true,
				Where: []store.Cond{{SQL: `"owner_id" = ?`, Args: []any{u}}}})
			if err != nil {
				return err
			}
			if best < 0 || *page.Total < best {
				best, owner = *page.Total, u
			}
		}
	}
	if owner == "" {
		rc.effects = append(rc.effects, "assign: nobody")
		return nil
	}
	rc.effects = append(rc.effects, "assign to "+owner)
	return rc.setOwner(ctx, owner)
}

// roundRobin picks the next of users, keeping the position per rule (and
// name) in the job's transaction.
func (rc *runContext) roundRobin(ctx context.Context, name string, users []string) (string, error) {
	if len(users) == 0 {
		return "", nil
	}
	pos := 0
	if !rc.dryRun {
		cur, err := rc.e.Store.RuleState(ctx, rc.tx, rc.rule.ID, name)
		if err != nil {
			return "", err
		}
		pos, _ = strconv.Atoi(cur)
		if err := rc.e.Store.SetRuleState(ctx, rc.tx, rc.rule.ID, name, strconv.Itoa(pos+1)); err != nil {
			return "", err
		}
	}
	return users[pos%len(users)], nil
}

// Users0 is the fallback assignee of an assignment table.
func (a Action) Users0() string {
	if len(a.Users) > 0 {
		return a.Users[0]
	}
	return ""
}

// release moves the record to the public pool: it loses its owner, and
// users with the claim permission may take it.
func release(ctx context.Context, rc *runContext, a Action) error {
	rc.effects = append(rc.effects, "release to the pool")
	return rc.setOwner(ctx, nil)
}

func (rc *runContext) setOwner(ctx context.Context, owner any) error {
	if rc.dryRun || rc.record == nil {
		return nil
	}
	version, _ := rc.record["version"].(int64)
	rec, err := rc.e.Records.Update(ctx, rc.actor, rc.module, rc.record["id"].(string), version, map[string]any{"owner": owner})
	if err != nil {
		return err
	}
	rc.record = record.Values(rc.module, rec)
	addSystem(rc.record, rec)
	return nil
}

// updateRelated writes the values to the children of this record (module
// Module, lookup Via) or to the record this one looks up (Field).
func updateRelated(ctx context.Context, rc *runContext, a Action) error {
	var target *meta.Module
	var ids []string
	var err error
	switch {
	case a.Field != "":
		f := rc.module.Field(a.Field)
		if f == nil || f.Column().RefModule == "" {
			return fmt.Errorf("update_related: %q is not a lookup field", a.Field)
		}
		if target, err = rc.e.Meta.Module(ctx, rc.module.AppKey, f.Column().RefModule); err != nil {
			return err
		}
		if id, ok := rc.record[a.Field].(string); ok {
			ids = []string{id}
		}
	default:
		if target, err = rc.e.Meta.Module(ctx, rc.module.AppKey, a.Module); err != nil {
			return err
		}
		page, err := rc.e.Store.ListRecords(ctx, target, store.ListQuery{Limit: store.MaxLimit, Sort: "id",
			Where: []store.Cond{{SQL: store.Quote(a.Via) + ` = ?`, Args: []any{rc.record["id"]}}}})
		if err != nil {
			return err
		}
		for _, r := range page.Records {
			ids = append(ids, r["id"].(string))
		}
	}
	vals, err := rc.values(ctx, rc.module, a.Values)
	if err != nil {
		return err
	}
	rc.effects = append(rc.effects, fmt.Sprintf("update %d %s record(s): %s", len(ids), target.Key, keysOf(vals)))
	if rc.dryRun {
		return nil
	}
	for _, id := range ids {
		cur, err := rc.e.Store.RecordInTx(ctx, rc.tx, target, id)
		if err != nil {
			return err
		}
		if _, err := rc.e.Records.Update(ctx, rc.actor, target, id, cur["version"].(int64), vals); err != nil {
			return err
		}
	}
	return nil
}

type emailPayload struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// email queues a message to the recipient through the configured SMTP
// server (TESSERA_SMTP_URL=smtp://user:pass@host:port, TESSERA_SMTP_FROM);
// without one the delivery is skipped with a logged reason.
func email(ctx context.Context, rc *runContext, a Action) error {
	to, err := rc.recipient(ctx, a.To)
	if err != nil || to == "" {
		rc.effects = append(rc.effects, "email: no recipient")
		return err
	}
	u, err := rc.e.Store.UserByID(ctx, to)
	if err != nil {
		return err
	}
	p := emailPayload{To: u.Email, Subject: fillIn(a.Subject.In(u.Locale), rc.record), Body: fillIn(a.Message.In(u.Locale), rc.record)}
	rc.effects = append(rc.effects, "email "+u.Email+": "+p.Subject)
	if rc.dryRun {
		return nil
	}
	body, _ := json.Marshal(p)
	return jobs.Enqueue(ctx, rc.tx, jobs.Job{Kind: jobEmail, Payload: body})
}

func (e *Engine) emailJob(ctx context.Context, job *jobs.Job) error {
	var p emailPayload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return err
	}
	raw := os.Getenv("TESSERA_SMTP_URL")
	if raw == "" {
		e.Log.Warn("email skipped: no SMTP server configured (TESSERA_SMTP_URL)", "to", p.To, "subject", p.Subject)
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("TESSERA_SMTP_URL: %w", err)
	}
	from := os.Getenv("TESSERA_SMTP_FROM")
	var auth smtp.Auth
	if pw, ok := u.User.Password(); ok {
		auth = smtp.PlainAuth("", u.User.Username(), pw, u.Hostname())
	}
	// Subjects come from record data: no line breaks may reach the headers.
	oneLine := strings.NewReplacer("\r", " ", "\n", " ")
	msg := "From: " + oneLine.Replace(from) + "\r\nTo: " + oneLine.Replace(p.To) + "\r\nSubject: " + oneLine.Replace(p.Subject) +
		"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + p.Body
	return smtp.SendMail(u.Host, auth, from, []string{p.To}, []byte(msg))
}
