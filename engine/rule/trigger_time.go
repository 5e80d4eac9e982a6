package rule

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Time triggers are durable jobs: a date-relative rule keeps one pending job
// per record, keyed by rule and record, re-planned whenever the date
// changes; a schedule keeps one pending job per rule. Pending jobs live in
// the database, so both survive restarts, and a job that comes due while
// the server is down runs when it is back.

const (
	jobDate     = "rule.date"
	jobSchedule = "rule.schedule"
	jobPlan     = "rule.plan"
)

func init() {
	RegisterTrigger("date_relative", TriggerType{Check: checkDateRelative})
	RegisterTrigger("schedule", TriggerType{Check: checkSchedule})
}

var offsetRE = regexp.MustCompile(`^([+-]?)(\d{1,5})([mhd])$`)

// parseOffset reads "-60d", "2h", "+30m".
func parseOffset(s string) (time.Duration, bool) {
	m := offsetRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	n, _ := strconv.Atoi(m[2])
	unit := map[string]time.Duration{"m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[m[3]]
	d := time.Duration(n) * unit
	if m[1] == "-" {
		d = -d
	}
	return d, true
}

func checkDateRelative(t Trigger, m *meta.Module) []errs.FieldError {
	var fes []errs.FieldError
	f := m.Field(t.Field)
	if f == nil || (f.Column().Kind != meta.ColDate && f.Column().Kind != meta.ColTime) {
		fes = append(fes, errs.Field("trigger.field", "not_date", "rule.not_date", "field", t.Field))
	}
	if _, ok := parseOffset(t.Offset); !ok {
		fes = append(fes, errs.Field("trigger.offset", "bad_offset", "rule.bad_offset", "offset", t.Offset))
	}
	return append(fes, checkRepeat(t)...)
}

func checkSchedule(t Trigger, _ *meta.Module) []errs.FieldError {
	if _, err := cron.ParseStandard(t.Cron); err != nil || t.Cron == "" {
		detail := "empty"
		if err != nil {
			detail = err.Error()
		}
		return []errs.FieldError{errs.Field("trigger.cron", "bad_cron", "rule.bad_cron", "cron", t.Cron, "detail", detail)}
	}
	return nil
}

// dueAt is when a date-relative rule fires for a record next after now
// (ok false: never, the date is empty).
func dueAt(t Trigger, rec map[string]any, now time.Time) (time.Time, bool) {
	base, ok := fieldDate(t, rec)
	if !ok {
		return time.Time{}, false
	}
	off, _ := parseOffset(t.Offset)
	if t.Repeat == RepeatYearly {
		return nextYearly(base, off, now), true
	}
	return base.Add(off).UTC(), true
}

// fieldDate is the trigger field's date or instant (ok false: empty).
func fieldDate(t Trigger, rec map[string]any) (time.Time, bool) {
	s, _ := rec[t.Field].(string)
	if s == "" {
		return time.Time{}, false
	}
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if at, err = time.Parse("2006-01-02", s); err != nil {
			return time.Time{}, false
		}
	}
	return at.UTC(), true
}

func dateKey(ruleID, recordID string) string { return "rule.date:" + ruleID + ":" + recordID }

// planDate (re)plans a record's date-relative job in the write's
// transaction: cancelled when the record is deleted or the date emptied or
// already past, replaced when the date moved.
func (e *Engine) planDate(ctx context.Context, tx *store.Tx, r *Rule, m *meta.Module, id string, rec map[string]any, deleted bool) error {
	key := dateKey(r.ID, id)
	at, ok := dueAt(r.Trigger, rec, e.Now())
	if deleted || !ok || at.Before(e.Now()) {
		return jobs.Cancel(ctx, tx, key)
	}
	body, _ := json.Marshal(payload{RuleID: r.ID, Version: r.Version, App: r.App, Module: m.Key, Record: id,
		Trigger: "date_relative", At: at.Format(time.RFC3339Nano)})
	return jobs.Enqueue(ctx, tx, jobs.Job{Kind: jobDate, Key: key, Serial: recordSerial(r.App, m.Key, id), RunAt: at, Payload: body})
}

// planDates replans the date-relative rules of a written record when its
// date field is new or changed.
func (e *Engine) planDates(ctx context.Context, tx *store.Tx, ev *record.Event, rules []*Rule) error {
	for _, r := range rules {
		if r.Trigger.Type != "date_relative" {
			continue
		}
		now := current(ev)
		if ev.Op == record.OpUpdate && same(old(ev)[r.Trigger.Field], now[r.Trigger.Field]) {
			continue
		}
		if err := e.planDate(ctx, tx, r, ev.Module, recordID(ev), now, ev.Op == record.OpDelete); err != nil {
			return err
		}
	}
	return nil
}

// dateJob runs a date-relative rule for a record, unless the record's date
// has moved since the job was planned (a newer job then exists).
func (e *Engine) dateJob(ctx context.Context, tx *store.Tx, job *jobs.Job) error {
	var p payload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return err
	}
	r, m, rec, err := e.load(ctx, tx, p)
	if err != nil || r == nil || rec == nil {
		return err
	}
	if !stillDue(r.Trigger, rec, p.At) {
		return nil // re-planned or emptied since
	}
	if r.Trigger.Repeat == RepeatYearly { // next year's, in this transaction
		if err := e.planDate(ctx, tx, r, m, p.Record, rec, false); err != nil {
			return err
		}
	}
	if r.Condition != "" {
		prog, err := expr.Compile(r.Condition, m, "bool")
		if err != nil {
			return e.logRun(ctx, tx, r, m, p.Record, p.Trigger, "failed", err, nil, 0)
		}
		ok, err := prog.Bool(ctx, e.vars(m, rec, nil, systemActor))
		if err != nil || !ok {
			outcome := "skipped"
			if err != nil {
				outcome = "failed"
			}
			return e.logRun(ctx, tx, r, m, p.Record, p.Trigger, outcome, err, nil, 0)
		}
	}
	return e.act(ctx, tx, r, m, rec, p)
}

// armSchedule (re)plans a schedule rule's next run; a disabled or deleted
// rule's pending run is cancelled.
func (e *Engine) armSchedule(ctx context.Context, tx *store.Tx, r *Rule) error {
	key := "rule.schedule:" + r.ID
	if !r.Enabled || r.Trigger.Type != "schedule" {
		return jobs.Cancel(ctx, tx, key)
	}
	sched, err := cron.ParseStandard(r.Trigger.Cron)
	if err != nil {
		return err
	}
	next := sched.Next(e.Now())
	body, _ := json.Marshal(payload{RuleID: r.ID, Version: r.Version, App: r.App, Module: r.Module, Trigger: "schedule"})
	return jobs.Enqueue(ctx, tx, jobs.Job{Kind: jobSchedule, Key: key, RunAt: next, Payload: body})
}

// scheduleJob fires a schedule rule: every live record of the module whose
// condition holds gets a rule.run job; then the next run is armed.
func (e *Engine) scheduleJob(ctx context.Context, tx *store.Tx, job *jobs.Job) error {
	r, matched, err := e.fireOverRecords(ctx, tx, job, "schedule")
	if err != nil || r == nil {
		return err
	}
	e.Log.Info("rule schedule fired", "rule", r.Key, "records", matched)
	return e.armSchedule(ctx, tx, r)
}

// fireOverRecords is a timed trigger's run (a schedule, a festival): the
// job's rule, if it still stands, gets a rule.run job for every live record
// of its module whose condition holds. A nil rule means it is gone.
func (e *Engine) fireOverRecords(ctx context.Context, tx *store.Tx, job *jobs.Job, trigger string) (*Rule, int, error) {
	var p payload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return nil, 0, err
	}
	r, m, _, err := e.load(ctx, tx, p)
	if err != nil || r == nil {
		return nil, 0, err
	}
	matched, err := e.eachRecord(ctx, tx, r, m, func(id string) error {
		return enqueueRun(ctx, tx, payload{RuleID: r.ID, Version: r.Version, App: r.App, Module: m.Key, Record: id, Trigger: trigger, Depth: 1})
	})
	return r, matched, err
}

// planJob plans a date-relative rule for every existing record (after the
// rule is created, changed or enabled).
func (e *Engine) planJob(ctx context.Context, tx *store.Tx, job *jobs.Job) error {
	var p payload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return err
	}
	r, m, _, err := e.load(ctx, tx, p)
	if err != nil || r == nil {
		return err
	}
	_, err = e.eachRecord(ctx, tx, r, m, func(id string) error {
		rec, err := e.Store.RecordInTx(ctx, tx, m, id)
		if err != nil {
			return err
		}
		vals := record.Values(m, rec)
		return e.planDate(ctx, tx, r, m, id, vals, false)
	})
	return err
}

// eachRecord calls fn for every live record of m (for schedules: those
// whose condition holds), a page of 500 at a time.
func (e *Engine) eachRecord(ctx context.Context, tx *store.Tx, r *Rule, m *meta.Module, fn func(id string) error) (int, error) {
	var cond *expr.Program
	if r.Condition != "" && (r.Trigger.Type == "schedule" || r.Trigger.Type == "festival") {
		var err error
		if cond, err = expr.Compile(r.Condition, m, "bool"); err != nil {
			return 0, err
		}
	}
	n, cursor := 0, ""
	for {
		page, err := e.Store.ListRecords(ctx, m, store.ListQuery{Limit: 500, Cursor: cursor, Sort: "id"})
		if err != nil {
			return n, err
		}
		for _, rec := range page.Records {
			if cond != nil {
				vals := record.Values(m, rec)
				addSystem(vals, rec)
				ok, err := cond.Bool(ctx, e.vars(m, vals, nil, systemActor))
				if err != nil || !ok {
					continue
				}
			}
			if err := fn(rec["id"].(string)); err != nil {
				return n, err
			}
			n++
		}
		if page.Next == "" {
			return n, nil
		}
		cursor = page.Next
	}
}

// afterRuleChange arms schedules and plans date-relative rules when a rule
// is created, replaced, enabled or disabled.
func (e *Engine) afterRuleChange(ctx context.Context, r *Rule) error {
	return e.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := e.armSchedule(ctx, tx, r); err != nil {
			return err
		}
		if err := e.armFestival(ctx, tx, r); err != nil {
			return err
		}
		if r.Trigger.Type == "date_relative" && r.Enabled {
			body, _ := json.Marshal(payload{RuleID: r.ID, Version: r.Version, App: r.App, Module: r.Module, Trigger: "plan"})
			return jobs.Enqueue(ctx, tx, jobs.Job{Kind: jobPlan, Key: "rule.plan:" + r.ID, Payload: body})
		}
		return nil
	})
}
