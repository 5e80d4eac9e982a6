package rule

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// RuleCacheTTL is how long a process trusts its cached rules. Rule
// changes bump cache_versions, so other processes drop their copies at once
// (engine/cluster); the TTL only bounds changes made behind the engine's
// back.
var RuleCacheTTL = 5 * time.Second

// MaxDepth bounds rule chains: a rule whose actions write records that
// fire rules that write records … stops at this depth with a logged error.
const MaxDepth = 5

// Job kinds the engine handles.
const (
	jobRun     = "rule.run"
	jobWebhook = "rule.webhook"
)

// Engine evaluates rules on record writes and runs their actions.
type Engine struct {
	Store   *store.Store
	Meta    *meta.Service
	Records *record.Service
	Jobs    *jobs.Runner
	Access  *access.Service // managers and department members (notify, assign)
	Log     *slog.Logger
	Now     func() time.Time
	// OnRun, when set, is told the outcome of every logged run (the
	// metrics count them).
	OnRun func(outcome string)

	// TriggerChecks are checks of trigger types that need more than the
	// module to validate (the flow engine's stage_changed names a pipeline
	// and its states); the wiring sets them, as engine/rule cannot import
	// the engines that register those triggers.
	TriggerChecks map[string]func(ctx context.Context, t Trigger, m *meta.Module) []errs.FieldError

	mu       sync.RWMutex
	rules    map[string][]*Rule // "app/module" → enabled rules; nil = reload
	loadedAt time.Time
	gen      uint64 // invalidations: rules read before one are not cached

	logs sync.WaitGroup // failure logs of users' writes, written after their rollback

	extra map[string]ActionType // actions added by other engines (AddAction), under mu
}

// Flush waits until the failure logs of earlier runs are written.
func (e *Engine) Flush() { e.logs.Wait() }

// logLater records a failed run once the transaction the failure happened
// in has rolled back: written inside it, the entry would roll back too, and
// a second transaction opened meanwhile would wait forever for SQLite's one
// writer connection. Inside a job the runner does this (jobs.OnRollback);
// a user's write, whose transaction no job owns, logs from a goroutine that
// waits for the writer.
func (e *Engine) logLater(ctx context.Context, r *Rule, m *meta.Module, recID, trigger string, err error, effects []string, d time.Duration) {
	write := func(ctx context.Context) {
		e.logRun(context.WithoutCancel(ctx), nil, r, m, recID, trigger, "failed", err, effects, d)
	}
	if jobs.OnRollback(ctx, write) {
		return
	}
	e.logs.Add(1)
	go func() {
		defer e.logs.Done()
		write(ctx)
	}()
}

// New wires an engine into the record write path and the job runner.
func New(s *store.Store, m *meta.Service, recs *record.Service, runner *jobs.Runner, log *slog.Logger) *Engine {
	e := &Engine{Store: s, Meta: m, Records: recs, Jobs: runner, Log: log, Now: s.Now,
		TriggerChecks: map[string]func(context.Context, Trigger, *meta.Module) []errs.FieldError{}}
	recs.Hooks.BeforeSave = append(recs.Hooks.BeforeSave, e.beforeSave)
	recs.Hooks.InTx = append(recs.Hooks.InTx, e.enqueue)
	runner.Handle(jobRun, e.runJob)
	runner.HandleExternal(jobWebhook, e.webhookJob)
	runner.HandleExternal(jobEmail, e.emailJob)
	runner.Handle(jobDate, e.dateJob)
	runner.Handle(jobSchedule, e.scheduleJob)
	runner.Handle(jobFestival, e.festivalJob)
	runner.Handle(jobPlan, e.planJob)
	return e
}

// forget drops the rule cache (after any rule change in this process).
func (e *Engine) forget() {
	e.mu.Lock()
	e.rules = nil
	e.gen++
	e.mu.Unlock()
}

// Invalidate drops the rule cache (another process changed rules;
// engine/cluster calls it).
func (e *Engine) Invalidate() { e.forget() }

// rulesFor returns the enabled rules on a module, cached per process.
func (e *Engine) rulesFor(ctx context.Context, app, module string) ([]*Rule, error) {
	e.mu.RLock()
	cache, age, gen := e.rules, time.Since(e.loadedAt), e.gen
	e.mu.RUnlock()
	// Changes here and (through engine/cluster) in other processes drop
	// the cache at once; the TTL bounds any other change.
	if cache == nil || age > RuleCacheTTL {
		rows, err := e.Store.Rules(ctx, "")
		if err != nil {
			return nil, err
		}
		cache = map[string][]*Rule{}
		for _, row := range rows {
			r, err := fromRow(row)
			if err != nil || !r.Enabled {
				continue
			}
			k := r.App + "/" + r.Module
			cache[k] = append(cache[k], r)
		}
		e.mu.Lock()
		if e.gen == gen {
			e.rules, e.loadedAt = cache, time.Now()
		}
		e.mu.Unlock()
	}
	return cache[app+"/"+module], nil
}

// systemActor is who rule conditions are evaluated as: the rule engine
// itself, with every right. Actions write as the rule's own user
// (actorFor).
var systemActor = record.Actor{User: &access.User{Name: "rule", IsAdmin: true}, Via: "rule", System: true}

// actorFor is who r's actions write as: the system user named "rule:<key>"
// (or r.Actor), created in tx on first use, with every right, on channel
// "rule". Records it creates name it as created_by and the history shows
// it; it owns nothing (record.Actor.System).
func (e *Engine) actorFor(ctx context.Context, tx *store.Tx, r *Rule) (record.Actor, error) {
	name := r.Actor
	if name == "" {
		name = "rule:" + r.Key
	}
	id, err := e.Store.SystemUser(ctx, tx, r.App+"/"+name, name)
	if err != nil {
		return record.Actor{}, err
	}
	return record.Actor{User: &access.User{ID: id, Name: name, IsAdmin: true}, Via: "rule", System: true}, nil
}

type depthKey struct{}

func depthOf(ctx context.Context) int {
	d, _ := ctx.Value(depthKey{}).(int)
	return d
}

// Depth is the rule-chain depth of the write ctx belongs to: 0 for a
// user's write, n inside the actions of a rule n deep. Engines that run
// rule actions from jobs of their own carry it on (see RunActions).
func Depth(ctx context.Context) int { return depthOf(ctx) }

// RunActions runs src's actions on record id of m inside tx (a job's
// transaction) as if rule src had fired there, depth deep in a chain, and
// logs the run under src's ID and key. The flow engine runs the on-enter
// actions of transitions this way; src need not be a stored rule. A record
// that is gone since is nothing to act on.
func (e *Engine) RunActions(ctx context.Context, tx *store.Tx, src *Rule, m *meta.Module, id, trigger string, depth int) error {
	stored, err := e.Store.RecordInTx(ctx, tx, m, id)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	rec := record.Values(m, stored)
	addSystem(rec, stored)
	return e.act(ctx, tx, src, m, rec, payload{Record: id, Trigger: trigger, Depth: depth})
}

// vars builds what a condition or value expression sees.
func (e *Engine) vars(m *meta.Module, now, old map[string]any, a record.Actor) expr.Vars {
	v := expr.Vars{Record: now, Old: old, Now: e.Now(), Calendar: e.Records.Calendar}
	if a.User != nil {
		v.User.ID = a.User.ID
	}
	if p := a.Principal; p != nil {
		v.User.Departments = p.Departments
		for _, r := range p.Roles {
			v.User.Roles = append(v.User.Roles, r.Key)
		}
	}
	return v
}

// current is the record as a write leaves it: the stored values with the
// write's changes laid over (before save), or the written row (after).
func current(ev *record.Event) map[string]any {
	if ev.New != nil {
		out := record.Values(ev.Module, ev.New)
		addSystem(out, ev.New)
		return out
	}
	out := map[string]any{}
	if ev.Old != nil {
		out = record.Values(ev.Module, ev.Old)
		addSystem(out, ev.Old)
	}
	for k, v := range ev.Changes {
		out[k] = v
	}
	return out
}

func addSystem(dst map[string]any, rec store.Record) {
	for _, k := range []string{"id", "owner", "created_at", "updated_at", "created_by", "updated_by", "version"} {
		if v, ok := rec[k]; ok {
			dst[k] = v
		}
	}
}

func old(ev *record.Event) map[string]any {
	if ev.Old == nil {
		return nil
	}
	out := record.Values(ev.Module, ev.Old)
	addSystem(out, ev.Old)
	return out
}

// applies reports whether rule r fires for the write and its condition holds.
func (e *Engine) applies(ctx context.Context, r *Rule, ev *record.Event, now, before map[string]any) (bool, error) {
	t, ok := triggers[r.Trigger.Type]
	if !ok || t.Matches == nil || !t.Matches(r.Trigger, ev, now) {
		return false, nil
	}
	if r.Condition == "" {
		return true, nil
	}
	p, err := expr.Compile(r.Condition, ev.Module, "bool")
	if err != nil {
		return false, err
	}
	// Conditions run on every write of the module, inside its transaction:
	// evaluated directly (no pool hand-off), still bounded by the
	// expression budgets (steps, memory, text), which make every
	// evaluation finish.
	v, err := p.Run(e.vars(ev.Module, now, before, ev.Actor))
	return v == true, err
}

// beforeSave runs the before-save rules inside the write's transaction:
// they may set fields (ev.Changes) or reject the write.
func (e *Engine) beforeSave(ctx context.Context, tx *store.Tx, ev *record.Event) error {
	rules, err := e.rulesFor(ctx, ev.Module.AppKey, ev.Module.Key)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if !r.BeforeSave {
			continue
		}
		now, before := current(ev), old(ev)
		ok, err := e.applies(ctx, r, ev, now, before)
		if err != nil {
			return e.failed(ctx, r, ev, err)
		}
		if !ok {
			continue
		}
		rc := &runContext{e: e, rule: r, module: ev.Module, record: now, old: before, actor: ev.Actor, changes: ev.Changes}
		for _, a := range r.Actions {
			if err := e.mustAction(a.Type).Before(ctx, rc, a); err != nil {
				if errs.CodeOf(err) == errs.Internal {
					return e.failed(ctx, r, ev, err)
				}
				return err // a rejection is the rule's answer, not a failure
			}
		}
	}
	return nil
}

// failed logs a before-save rule's failure (outside the write, which rolls
// back) and refuses the write with a message naming the rule.
func (e *Engine) failed(ctx context.Context, r *Rule, ev *record.Event, err error) error {
	e.logLater(ctx, r, ev.Module, recordID(ev), string(ev.Op), err, nil, 0)
	return errs.Wrap(err, errs.Unprocessable, "rule.before_save_failed", "rule", r.Key, "detail", err.Error())
}

// payload is what a rule.run job carries: which rule, on which record,
// fired by what, and how deep in a chain.
type payload struct {
	RuleID  string `json:"rule_id"`
	Version int    `json:"version"`
	App     string `json:"app"`
	Module  string `json:"module"`
	Record  string `json:"record"`
	Trigger string `json:"trigger"`
	Depth   int    `json:"depth"`
	At      string `json:"at,omitempty"` // date_relative: the planned moment
}

// enqueue evaluates the after-save rules inside the write's transaction and
// leaves one job per rule that applies: the outbox. The job commits with
// the write, or neither does.
func (e *Engine) enqueue(ctx context.Context, tx *store.Tx, ev *record.Event) error {
	rules, err := e.rulesFor(ctx, ev.Module.AppKey, ev.Module.Key)
	if err != nil {
		return err
	}
	if err := e.planDates(ctx, tx, ev, rules); err != nil {
		return err
	}
	depth := depthOf(ctx)
	var now, before map[string]any // built once per write, for every rule
	for _, r := range rules {
		if r.BeforeSave {
			continue
		}
		if now == nil {
			now, before = current(ev), old(ev)
		}
		ok, err := e.applies(ctx, r, ev, now, before)
		if err != nil {
			// A broken condition must not block users' writes: log it
			// with the write.
			if err := e.logRun(ctx, tx, r, ev.Module, recordID(ev), string(ev.Op), "failed", err, nil, 0); err != nil {
				return err
			}
			continue
		}
		if !ok {
			continue
		}
		if depth >= MaxDepth {
			if err := e.logRun(ctx, tx, r, ev.Module, recordID(ev), string(ev.Op), "failed",
				fmt.Errorf("rule chain depth limit %d reached; not run", MaxDepth), nil, 0); err != nil {
				return err
			}
			e.Log.Error("rule chain depth limit reached", "rule", r.Key, "record", recordID(ev))
			continue
		}
		if err := enqueueRun(ctx, tx, payload{RuleID: r.ID, Version: r.Version, App: r.App, Module: r.Module,
			Record: recordID(ev), Trigger: string(ev.Op), Depth: depth + 1}); err != nil {
			return err
		}
	}
	return nil
}

// enqueueRun leaves a rule.run job for p in tx, in its record's serial.
func enqueueRun(ctx context.Context, tx *store.Tx, p payload) error {
	body, _ := json.Marshal(p)
	return jobs.Enqueue(ctx, tx, jobs.Job{Kind: jobRun, Serial: recordSerial(p.App, p.Module, p.Record), Payload: body})
}

// recordSerial is the job serial of the rule jobs acting on one record
// (see store.Job.Serial): they run one at a time, in the order their
// writes enqueued them. Run concurrently (PostgreSQL runs 4 workers per
// process), two rules' actions on one record would read the same version
// and the second's write would fail its version check, to be retried
// after a backoff — or, for actions that read and add, act on a stale
// record. A rule with no record (none today) gets no serial.
func recordSerial(app, module, id string) string {
	if id == "" {
		return ""
	}
	return "record:" + app + "/" + module + "/" + id
}

func recordID(ev *record.Event) string {
	for _, rec := range []store.Record{ev.New, ev.Old} {
		if id, ok := rec["id"].(string); ok {
			return id
		}
	}
	return ""
}

// runJob runs a rule's actions for one record inside the job's
// transaction, so their writes and the job's completion commit together.
func (e *Engine) runJob(ctx context.Context, tx *store.Tx, job *jobs.Job) error {
	var p payload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return err
	}
	r, m, rec, err := e.load(ctx, tx, p)
	if err != nil || r == nil {
		return err // nil: the rule or record is gone, nothing to do
	}
	return e.act(ctx, tx, r, m, rec, p)
}

// act runs r's actions on rec in tx, with the chain depth of the job.
func (e *Engine) act(ctx context.Context, tx *store.Tx, r *Rule, m *meta.Module, rec map[string]any, p payload) error {
	start := time.Now()
	ctx = context.WithValue(record.WithTx(ctx, tx), depthKey{}, p.Depth)
	actor, err := e.actorFor(ctx, tx, r)
	if err != nil {
		return err
	}
	rc := &runContext{e: e, rule: r, module: m, record: rec, actor: actor, tx: tx}
	for _, a := range r.Actions {
		if err := e.mustAction(a.Type).After(ctx, rc, a); err != nil {
			e.logLater(ctx, r, m, p.Record, p.Trigger, err, rc.effects, time.Since(start))
			return err
		}
	}
	return e.logRun(ctx, tx, r, m, p.Record, p.Trigger, "ok", nil, rc.effects, time.Since(start))
}

// load finds the rule (by id, still enabled) and the record of a job.
func (e *Engine) load(ctx context.Context, tx *store.Tx, p payload) (*Rule, *meta.Module, map[string]any, error) {
	rows, err := e.Store.Rules(ctx, p.App)
	if err != nil {
		return nil, nil, nil, err
	}
	var r *Rule
	for _, row := range rows {
		if row.ID == p.RuleID {
			if r, err = fromRow(row); err != nil {
				return nil, nil, nil, err
			}
		}
	}
	if r == nil || !r.Enabled {
		return nil, nil, nil, nil
	}
	m, err := e.Meta.Module(ctx, p.App, p.Module)
	if errs.Is(err, errs.NotFound) {
		return nil, nil, nil, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	var rec map[string]any
	if p.Record != "" {
		read := e.Store.RecordInTx
		if p.Trigger == string(record.OpDelete) {
			read = e.Store.DeletedRecordInTx // a deleted trigger acts on what was deleted
		}
		stored, err := read(ctx, tx, m, p.Record)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return nil, nil, nil, err
		}
		if stored != nil {
			rec = record.Values(m, stored)
			addSystem(rec, stored)
		} else if p.Trigger != string(record.OpDelete) {
			return nil, nil, nil, nil // deleted since: nothing to act on
		}
	}
	return r, m, rec, nil
}

// logRun records one run in the rule's log.
func (e *Engine) logRun(ctx context.Context, tx *store.Tx, r *Rule, m *meta.Module, recID, trigger, outcome string, err error, effects []string, d time.Duration) error {
	run := &store.RuleRun{RuleID: r.ID, App: r.App, RuleKey: r.Key, Module: m.Key, RecordID: recID,
		Trigger: trigger, Outcome: outcome, Duration: d}
	if err != nil {
		run.Error = err.Error()
	}
	if len(effects) > 0 {
		run.Detail, _ = json.Marshal(map[string]any{"effects": effects})
	}
	if lerr := e.Store.LogRuleRun(ctx, tx, run); lerr != nil {
		e.Log.Error("rule run not logged", "rule", r.Key, "err", lerr)
		if tx != nil {
			return lerr
		}
	}
	if e.OnRun != nil {
		e.OnRun(outcome)
	}
	return nil
}
