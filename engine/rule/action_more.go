package rule

import (
	"context"
	"encoding/json"
	"fmt"
	"net/smtp"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/tessera-app/tessera/engine/access"
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
	if key, ok := strings.CutPrefix(a.To, departmentPrefix); ok {
		if !meta.ValidKey(key, access.MaxOrgKey) {
			return []errs.FieldError{errs.Field("to", "bad_recipient", "rule.bad_recipient", "to", a.To)}
		}
		return nil
	}
	if _, err := expr.Compile(a.To, m, "string"); err != nil {
		return []errs.FieldError{errs.Field("to", "expression", "rule.bad_expression", "detail", errs.Detail(err))}
	}
	return nil
}

// departmentPrefix names a department as the recipients of a notify or
// email action ("department:finance": each of its live members).
const departmentPrefix = "department:"

// recipients resolves a notify or email action's "to": a department's live
// members (a department that does not exist has none), else the one user
// recipient finds.
func (rc *runContext) recipients(ctx context.Context, to string) ([]string, error) {
	key, ok := strings.CutPrefix(to, departmentPrefix)
	if !ok {
		id, err := rc.recipient(ctx, to)
		if err != nil || id == "" {
			return nil, err
		}
		return []string{id}, nil
	}
	return rc.candidates(ctx, Action{Department: key})
}

// notify leaves an in-app notification for each recipient, in their
// language.
func notify(ctx context.Context, rc *runContext, a Action) error {
	to, err := rc.recipients(ctx, a.To)
	if err != nil || len(to) == 0 {
		rc.effects = append(rc.effects, "notify: no recipient")
		return err
	}
	msg := notifyMessage(a.Message, rc.record)
	id, _ := rc.record["id"].(string)
	for _, uid := range to {
		u, err := rc.e.Store.UserByID(ctx, uid)
		if err != nil {
			return err
		}
		title := i18n.T(u.Locale, msg) // as the recipient reads it today; kept for older readers
		rc.effects = append(rc.effects, "notify "+u.Email+": "+title)
		if rc.dryRun {
			continue
		}
		if err := rc.e.Store.Notify(ctx, rc.tx, &store.Notification{UserID: uid, Title: title, Message: &msg, App: rc.module.AppKey,
			Module: rc.module.Key, RecordID: id, Source: "rule:" + rc.rule.Key}); err != nil {
			return err
		}
	}
	return nil
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
	return append(fes, checkAssignee(a, m, "")...)
}

// checkAssignee checks an assign action's strategy and whom it names; the
// paths of an else branch are prefixed "else.".
func checkAssignee(a Action, m *meta.Module, at string) []errs.FieldError {
	var fes []errs.FieldError
	switch a.Strategy {
	case "round_robin", "least_open":
		if len(a.Users) == 0 && a.Department == "" {
			fes = append(fes, errs.Field(at+"users", "required", "rule.assignees_required"))
		}
		if a.Else != nil {
			fes = append(fes, errs.Field(at+"else", "criteria_only", "rule.else_criteria_only"))
		}
	case "criteria":
		if at != "" {
			fes = append(fes, errs.Field(at+"strategy", "unknown", "rule.bad_else_strategy"))
		}
		if len(a.Criteria) == 0 {
			fes = append(fes, errs.Field(at+"criteria", "required", "rule.assignees_required"))
		}
		for i, c := range a.Criteria {
			if _, err := expr.Compile(c.When, m, "bool"); err != nil {
				fes = append(fes, errs.Field(at+"criteria["+strconv.Itoa(i)+"].when", "expression", "rule.bad_expression", "detail", errs.Detail(err)))
			}
		}
		if a.Else != nil {
			fes = append(fes, checkAssignee(*a.Else, m, at+"else.")...)
		}
	default:
		key := "rule.bad_strategy"
		if at != "" {
			key = "rule.bad_else_strategy"
		}
		fes = append(fes, errs.Field(at+"strategy", "unknown", key))
	}
	if a.Open != "" {
		if _, err := expr.Filter(a.Open, store.Resolver(m), expr.SQLite, 0); err != nil {
			fes = append(fes, errs.Field(at+"open", "expression", "rule.bad_expression", "detail", errs.Detail(err)))
		}
	}
	return fes
}

// candidates are the assignees: the given users, or a department's live
// members (with Subtree, those of the departments below it too), sorted so
// round robin is stable. A department that does not exist (not set up
// yet, or renamed) has no members: the run says so in its effects and the
// assignment falls through to whatever comes next, rather than failing
// every record that reaches it.
func (rc *runContext) candidates(ctx context.Context, a Action) ([]string, error) {
	users := append([]string{}, a.Users...)
	if a.Department != "" && rc.e.Access != nil {
		queue, seen := []string{a.Department}, map[string]bool{}
		for len(queue) > 0 {
			key := queue[0]
			queue = queue[1:]
			if seen[key] {
				continue
			}
			seen[key] = true
			_, children, members, err := rc.e.Access.Department(ctx, key)
			if errs.Is(err, errs.NotFound) {
				rc.effects = append(rc.effects, "assign: no department "+key)
				continue
			}
			if err != nil {
				return nil, err
			}
			for _, u := range members {
				if !u.Disabled && !slices.Contains(users, u.ID) {
					users = append(users, u.ID)
				}
			}
			if a.Subtree {
				for _, c := range children {
					queue = append(queue, c.Key)
				}
			}
		}
	}
	sort.Strings(users)
	return users, nil
}

// assign sets the record's owner by round robin (a position kept per rule,
// in the job's transaction), least open records, or an assignment table.
func assign(ctx context.Context, rc *runContext, a Action) error {
	owner, err := rc.assignee(ctx, a, "")
	if err != nil {
		return err
	}
	if owner == "" {
		rc.effects = append(rc.effects, "assign: nobody")
		return nil
	}
	rc.effects = append(rc.effects, "assign to "+owner)
	return rc.setOwner(ctx, owner)
}

// assignee is whom a's strategy picks ("": nobody). state prefixes the
// names of round-robin positions, so an else branch keeps its own.
func (rc *runContext) assignee(ctx context.Context, a Action, state string) (string, error) {
	switch a.Strategy {
	case "criteria":
		for _, c := range a.Criteria {
			p, err := expr.Compile(c.When, rc.module, "bool")
			if err != nil {
				return "", err
			}
			ok, err := p.Bool(ctx, rc.e.vars(rc.module, rc.record, rc.old, rc.actor))
			if err != nil {
				return "", err
			}
			if !ok {
				continue
			}
			if c.Department == "" {
				return c.User, nil
			}
			users, err := rc.candidates(ctx, Action{Department: c.Department})
			if err != nil {
				return "", err
			}
			if len(users) == 0 {
				continue // nobody there to take it: the next criterion, or the else branch
			}
			return rc.roundRobin(ctx, state+"criteria:"+c.Department, users)
		}
		if a.Else != nil {
			return rc.assignee(ctx, *a.Else, state+"else:")
		}
		return a.Users0(), nil
	case "round_robin":
		users, err := rc.candidates(ctx, a)
		if err != nil {
			return "", err
		}
		return rc.roundRobin(ctx, state+"round_robin", users)
	case "least_open":
		users, err := rc.candidates(ctx, a)
		if err != nil {
			return "", err
		}
		owner, best := "", int64(-1)
		for _, u := range users {
			page, err := rc.e.Store.ListRecords(ctx, rc.module, store.ListQuery{Filter: a.Open, Limit: 1, Total: true,
				Where: []store.Cond{{SQL: `"owner_id" = ?`, Args: []any{u}}}})
			if err != nil {
				return "", err
			}
			if best < 0 || *page.Total < best {
				best, owner = *page.Total, u
			}
		}
		return owner, nil
	}
	return "", nil
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
	to, err := rc.recipients(ctx, a.To)
	if err != nil || len(to) == 0 {
		rc.effects = append(rc.effects, "email: no recipient")
		return err
	}
	for _, uid := range to {
		u, err := rc.e.Store.UserByID(ctx, uid)
		if err != nil {
			return err
		}
		p := emailPayload{To: u.Email, Subject: fillIn(a.Subject.In(u.Locale), rc.record), Body: fillIn(a.Message.In(u.Locale), rc.record)}
		rc.effects = append(rc.effects, "email "+u.Email+": "+p.Subject)
		if rc.dryRun {
			continue
		}
		body, _ := json.Marshal(p)
		if err := jobs.Enqueue(ctx, rc.tx, jobs.Job{Kind: jobEmail, Payload: body}); err != nil {
			return err
		}
	}
	return nil
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
