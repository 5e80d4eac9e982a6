package flow

// The stage checks on the write path. Every write of a record whose
// module has pipelines passes through inTx, whatever made it (a
// transition, a plain PATCH, an import, a rule action): a change of a
// stage field must be a transition the actor may fire, whose guard holds,
// and which fills in what the target state requires — or the whole write
// rolls back.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/looplab/fsm"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/rule"
	"github.com/tessera-app/tessera/engine/store"
)

// jobActions runs a transition's on-enter actions after commit.
const jobActions = "flow.actions"

// factStageChanges is the record.Event fact the in-transaction hook leaves
// for the hooks after it: the moves the write made ([]StageChange).
const factStageChanges = "stage_changes"

// StageChange is one move a write made.
type StageChange struct {
	Flow       string
	From, To   string
	Transition string
}

// StageChanges returns the moves a write made (for hooks after the flow
// engine's: the rule engine's stage_changed trigger, the approval engine).
func StageChanges(ev *record.Event) []StageChange {
	c, _ := ev.Facts[factStageChanges].([]StageChange)
	return c
}

// move is what a caller of the write path asks of one record's pipeline:
// fire this transition (instead of finding one), after an approval (roles
// are not checked again), or move without checks (an administrator
// retiring a state).
type move struct {
	app, module, id, flow string
	transition            string
	approved              bool
	migrate               bool
}

type moveKey struct{}

func withMove(ctx context.Context, mv *move) context.Context {
	return context.WithValue(ctx, moveKey{}, mv)
}

// moveFor returns the move ctx asks of record id in pipeline f, or nil.
// The record and pipeline must match: other writes made with the same ctx
// (say, in an approval's transaction) are ordinary writes.
func moveFor(ctx context.Context, f *Flow, id string) *move {
	mv, _ := ctx.Value(moveKey{}).(*move)
	if mv == nil || mv.app != f.App || mv.module != f.Module || mv.id != id || mv.flow != f.Key {
		return nil
	}
	return mv
}

// beforeSave fills in the initial state of a record created without one.
func (s *Service) beforeSave(ctx context.Context, tx *store.Tx, ev *record.Event) error {
	if ev.Op != record.OpCreate {
		return nil
	}
	flows, err := s.forModuleIn(ctx, tx, ev.Module.AppKey, ev.Module.Key)
	if err != nil {
		return err
	}
	for _, f := range flows {
		if v, _ := ev.Changes[f.Field].(string); v == "" {
			if initial := f.Initial(); len(initial) > 0 {
				ev.Changes[f.Field] = initial[0].Key
			}
		}
	}
	return nil
}

// inTx checks every stage change of the write, writes its history row and
// plans its on-enter actions, in the write's transaction.
func (s *Service) inTx(ctx context.Context, tx *store.Tx, ev *record.Event) error {
	if ev.Op != record.OpCreate && ev.Op != record.OpUpdate {
		return nil
	}
	flows, err := s.forModuleIn(ctx, tx, ev.Module.AppKey, ev.Module.Key)
	if err != nil || len(flows) == 0 {
		return err
	}
	id, _ := ev.New["id"].(string)
	var changes []StageChange
	for _, f := range flows {
		before, after := text(ev.Old, f.Field), text(ev.New, f.Field)
		mv := moveFor(ctx, f, id)
		if ev.Op == record.OpUpdate && before == after {
			if mv != nil && mv.transition != "" {
				// The record already is where the transition leads.
				return errs.Fields(errs.Field(f.Field, "bad_transition", "flow.cannot_leave", "transition", f.TransitionName(mv.transition), "state", f.StateName(before)))
			}
			continue
		}
		tr, err := s.admit(ctx, tx, ev, f, before, after, mv)
		if err != nil {
			return err
		}
		if err := s.remember(ctx, tx, ev, f, id, before, after, tr); err != nil {
			return err
		}
		if ev.Op == record.OpUpdate {
			c := StageChange{Flow: f.Key, From: before, To: after}
			if tr != nil {
				c.Transition = tr.Key
			}
			changes = append(changes, c)
		}
	}
	if len(changes) > 0 {
		ev.Fact(factStageChanges, changes)
	}
	return nil
}

// admit decides whether the write may move the record from before to
// after in f, and returns the transition it makes (nil when a record
// enters an initial state: on create, or a record from before the
// pipeline existed).
func (s *Service) admit(ctx context.Context, tx *store.Tx, ev *record.Event, f *Flow, before, after string, mv *move) (*Transition, error) {
	if mv != nil && mv.migrate {
		return nil, nil
	}
	if after == "" {
		return nil, errs.Fields(errs.Field(f.Field, "required", "flow.stage_required", "flow", f.Named()))
	}
	st := f.State(after)
	if st == nil {
		return nil, errs.Fields(errs.Field(f.Field, "unknown_state", "flow.not_a_state", "state", after, "flow", f.Named()))
	}
	now := values(ev.Module, ev.New)
	if before == "" {
		if !isInitial(f, after) {
			return nil, errs.Fields(errs.Field(f.Field, "not_initial", "flow.not_initial", "state", f.StateName(after), "initial", namesOf(f.Initial())))
		}
		if missing := missingFields(st, now); len(missing) > 0 {
			v := verdict{missing: missing}
			return nil, v.err(ev.Module, f, &Transition{Key: after, Label: st.Label, To: after})
		}
		return nil, nil
	}
	var cands []*Transition
	approvalOnly := []string{}
	if mv != nil && mv.transition != "" {
		tr := f.Transition(mv.transition)
		if tr == nil || tr.To != after {
			return nil, errs.Fields(errs.Field(f.Field, "bad_transition", "flow.not_this_move", "transition", f.TransitionName(mv.transition), "state", f.StateName(after)))
		}
		cands = append(cands, tr)
	} else {
		for _, t := range f.Transitions {
			if t.To != after || !t.Leaves(before) {
				continue
			}
			if t.Approval != "" && (mv == nil || !mv.approved) {
				approvalOnly = append(approvalOnly, t.Key)
				continue
			}
			cands = append(cands, t)
		}
	}
	if len(cands) == 0 {
		if len(approvalOnly) > 0 {
			return nil, errs.Fields(errs.Field(f.Field, "needs_approval", "flow.needs_approval", "transitions", strings.Join(approvalOnly, ", ")))
		}
		return nil, errs.Fields(errs.Field(f.Field, "no_transition", "flow.no_transition", "from", f.StateName(before), "to", f.StateName(after), "flow", f.Named()))
	}
	var first error
	for _, tr := range cands {
		err := s.fire(ctx, tx, ev, f, tr, before, now, mv)
		if err == nil {
			return tr, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// fire runs transition tr on a state machine built from f in state before:
// its before-event callback judges the move against the record as the
// write leaves it and cancels it when refused.
func (s *Service) fire(ctx context.Context, tx *store.Tx, ev *record.Event, f *Flow, tr *Transition, before string, now map[string]any, mv *move) error {
	approved := mv != nil && mv.approved
	m := machine(f, before, func(ctx context.Context, e *fsm.Event) {
		v := s.judge(ctx, tx, ev.Module, f, tr, ev.Actor, now, values(ev.Module, ev.Old), ev.Changes, approved)
		if err := v.err(ev.Module, f, tr); err != nil {
			e.Cancel(err)
		}
	})
	err := m.Event(ctx, tr.Key)
	var cancelled fsm.CanceledError
	switch {
	case errors.As(err, &cancelled) && cancelled.Err != nil:
		return cancelled.Err
	case err != nil:
		return errs.Fields(errs.Field(f.Field, "bad_transition", "flow.cannot_leave", "transition", f.TransitionName(tr.Key), "state", f.StateName(before)))
	case m.Current() != tr.To:
		return fmt.Errorf("flow %s: transition %s ended in %q, not %q", f.Key, tr.Key, m.Current(), tr.To)
	}
	return nil
}

// machine builds the looplab/fsm machine of f in state current; check is
// its before-event callback. Built per call: metadata and state come from
// the database, so a machine is never shared or kept.
func machine(f *Flow, current string, check fsm.Callback) *fsm.FSM {
	events := make(fsm.Events, 0, len(f.Transitions))
	for _, t := range f.Transitions {
		events = append(events, fsm.EventDesc{Name: t.Key, Src: sources(f, t), Dst: t.To})
	}
	callbacks := fsm.Callbacks{}
	if check != nil {
		callbacks["before_event"] = check
	}
	return fsm.NewFSM(current, events, callbacks)
}

// sources lists the states t leaves ("*" expanded).
func sources(f *Flow, t *Transition) []string {
	if !t.From.All() {
		return t.From
	}
	out := make([]string, 0, len(f.States))
	for _, st := range f.States {
		if st.Key != t.To {
			out = append(out, st.Key)
		}
	}
	return out
}

// verdict is why a transition may not be fired.
type verdict struct {
	roles   []string   // the roles that may fire it, none of which the actor has
	reasons []i18n.Msg // guard messages
	missing []string   // fields the target state requires, empty
	reason  string     // the reason field, not given with the move
	failed  error      // the guard failed at run time
}

func (v verdict) ok() bool {
	return len(v.roles) == 0 && len(v.reasons) == 0 && len(v.missing) == 0 && v.reason == "" && v.failed == nil
}

// judge checks transition tr against the record as the move leaves it
// (now; before is the record before the move): roles (unless skipRoles or
// the actor is an administrator), the fields the target state requires,
// the reason field (when changes — what the move writes — is given) and
// the guard.
func (s *Service) judge(ctx context.Context, tx *store.Tx, m *meta.Module, f *Flow, tr *Transition, a record.Actor, now, before, changes map[string]any, skipRoles bool) verdict {
	var v verdict
	if len(tr.Roles) > 0 && !skipRoles && !hasRole(a, tr.Roles) {
		v.roles = tr.Roles
	}
	if st := f.State(tr.To); st != nil {
		v.missing = missingFields(st, now)
	}
	// The reason must be there when the move is made (with it, or
	// before); a listing (changes nil) names the field instead.
	if changes != nil && tr.ReasonRequired != "" && blank(now[tr.ReasonRequired]) {
		v.reason = tr.ReasonRequired
	}
	if tr.Guard != "" {
		ok, err := s.guard(ctx, tx, m, tr, a, now, before)
		switch {
		case err != nil:
			v.failed = err
		case !ok:
			v.reasons = append(v.reasons, guardMessage(tr))
		}
	}
	return v
}

// guard evaluates tr's guard, reading through lookups in tx (nil: outside
// a transaction). Guards run inside write transactions: evaluated directly
// (no pool hand-off), bounded by the expression budgets.
func (s *Service) guard(ctx context.Context, tx *store.Tx, m *meta.Module, tr *Transition, a record.Actor, now, before map[string]any) (bool, error) {
	p, rec, err := s.Records.Through(ctx, tx, m, tr.Guard, "bool", now)
	if err != nil {
		return false, err
	}
	out, err := p.Run(expr.Vars{Record: rec, Old: before, User: userVars(a), Now: s.Store.Now(), Calendar: s.Records.Calendar})
	if err != nil {
		return false, err
	}
	return out == true, nil
}

// err is the refusal a verdict stands for (nil when the move may go on):
// a 403 when the actor's roles may not fire it, a 422 naming the guard's
// message, the missing fields and the reason field otherwise.
func (v verdict) err(m *meta.Module, f *Flow, tr *Transition) error {
	label := labelArgs(tr.Label, tr.Key)
	switch {
	case v.ok():
		return nil
	case v.failed != nil:
		msg := i18n.M("flow.guard_error", append(label, "detail", errs.Detail(v.failed))...)
		return &errs.Error{Code: errs.Unprocessable, Msg: msg, Fields: []errs.FieldError{{Field: f.Field, Code: "guard_error", Msg: msg}}, Err: v.failed}
	case len(v.roles) > 0:
		return errs.New(errs.Forbidden, "flow.role_required", append(label, "roles", strings.Join(v.roles, ", "))...)
	}
	var fes []errs.FieldError
	for _, r := range v.reasons {
		fes = append(fes, errs.FieldError{Field: f.Field, Code: "guard", Msg: r})
	}
	for _, k := range v.missing {
		fes = append(fes, errs.Field(k, "required", "flow.required_to_enter", "field", m.NameOf(k), "state", f.StateName(tr.To)))
	}
	if v.reason != "" {
		fes = append(fes, errs.Field(v.reason, "reason_required", "flow.reason_required", append(label, "field", m.NameOf(v.reason))...))
	}
	return &errs.Error{Code: errs.Unprocessable, Msg: i18n.M("flow.refused", label...), Fields: fes}
}

// remember writes the history row of a move (with the time spent in the
// previous state) and plans the transition's on-enter actions.
func (s *Service) remember(ctx context.Context, tx *store.Tx, ev *record.Event, f *Flow, id, before, after string, tr *Transition) error {
	e := &store.StageEntry{App: f.App, Module: f.Module, RecordID: id, Flow: f.Key, From: before, To: after, At: tx.Now}
	if ev.Actor.User != nil {
		e.ActorID = ev.Actor.User.ID
	}
	if tr != nil {
		e.Transition = tr.Key
	}
	if ev.Op == record.OpUpdate {
		since := instant(ev.Old["created_at"])
		last, err := s.Store.LastStageEntry(ctx, tx, f.App, f.Module, f.Key, id)
		if err != nil {
			return err
		}
		if last != nil {
			since = last.At
		}
		if !since.IsZero() && tx.Now.After(since) {
			e.SecondsInPrev = int64(tx.Now.Sub(since) / time.Second)
			if s.Calendars != nil {
				c, err := s.Calendars.Get(ctx, f.CalendarKey())
				if err != nil {
					s.Log.Warn("business time not counted", "flow", f.Key, "calendar", f.CalendarKey(), "err", err)
				} else {
					secs := int64(c.WorkingDuration(since, tx.Now) / time.Second)
					e.BusinessSecondsInPrev = &secs
				}
			}
		}
	}
	if err := s.Store.InsertStageEntry(ctx, tx, e); err != nil {
		return err
	}
	if tr == nil || len(tr.Actions) == 0 {
		return nil
	}
	depth := rule.Depth(ctx)
	if depth >= rule.MaxDepth {
		s.Log.Error("rule chain depth limit reached; on-enter actions not run", "flow", f.Key, "transition", tr.Key, "record", id)
		return nil
	}
	body, _ := json.Marshal(actionsPayload{App: f.App, Module: f.Module, Record: id, Flow: f.Key, Transition: tr.Key, Depth: depth + 1})
	return jobs.Enqueue(ctx, tx, jobs.Job{Kind: jobActions, Payload: body})
}

// actionsPayload is what a flow.actions job carries.
type actionsPayload struct {
	App        string `json:"app"`
	Module     string `json:"module"`
	Record     string `json:"record"`
	Flow       string `json:"flow"`
	Transition string `json:"transition"`
	Depth      int    `json:"depth"`
}

// actionsJob runs a transition's on-enter actions through the rule engine,
// inside the job's transaction (so they take effect exactly once), logged
// in the rule-run log as "<flow>.<transition>". The pipeline's current
// definition counts (as cached: a change reaches jobs within CacheTTL): a
// transition removed since runs nothing.
func (s *Service) actionsJob(ctx context.Context, tx *store.Tx, job *jobs.Job) error {
	var p actionsPayload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return err
	}
	flows, err := s.forModuleIn(ctx, tx, p.App, p.Module)
	if err != nil {
		return err
	}
	var f *Flow
	for _, g := range flows {
		if g.Key == p.Flow {
			f = g
		}
	}
	if f == nil {
		return nil // the pipeline is gone
	}
	tr := f.Transition(p.Transition)
	if tr == nil || len(tr.Actions) == 0 || s.Rules == nil {
		return nil
	}
	m, err := s.Meta.Module(ctx, p.App, p.Module)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	src := &rule.Rule{ID: f.ID, App: f.App, Key: f.Key + "." + tr.Key, Label: tr.Label, Module: f.Module, Enabled: true, Actions: tr.Actions,
		Actor: "flow:" + f.Key + "." + tr.Key}
	return s.Rules.RunActions(ctx, tx, src, m, p.Record, "stage_changed", p.Depth)
}

// values is a stored record as expressions see it: fields and system keys.
func values(m *meta.Module, rec store.Record) map[string]any {
	if rec == nil {
		return nil
	}
	out := record.Values(m, rec)
	for _, k := range []string{"id", "owner", "created_at", "updated_at", "created_by", "updated_by", "version"} {
		if v, ok := rec[k]; ok {
			out[k] = v
		}
	}
	return out
}

func userVars(a record.Actor) expr.UserVars {
	var u expr.UserVars
	if a.User != nil {
		u.ID = a.User.ID
	}
	if p := a.Principal; p != nil {
		u.Departments = p.Departments
		for _, r := range p.Roles {
			u.Roles = append(u.Roles, r.Key)
		}
	}
	return u
}

// hasRole reports whether the actor is an administrator or has one of roles.
func hasRole(a record.Actor, roles []string) bool {
	if a.User != nil && a.User.IsAdmin {
		return true
	}
	if a.Principal == nil {
		return false
	}
	for _, r := range a.Principal.Roles {
		for _, want := range roles {
			if r.Key == want {
				return true
			}
		}
	}
	return false
}

// missingFields lists the fields st requires that rec leaves empty.
func missingFields(st *State, rec map[string]any) []string {
	var out []string
	for _, k := range st.Required {
		if blank(rec[k]) {
			out = append(out, k)
		}
	}
	return out
}

// blank reports whether a value counts as not filled in: null, blank
// text, an empty list.
func blank(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		return len(x) == 0
	case []string:
		return len(x) == 0
	case json.RawMessage:
		s := strings.TrimSpace(string(x))
		return s == "" || s == "null" || s == "[]"
	}
	return false
}

func isInitial(f *Flow, state string) bool {
	for _, st := range f.Initial() {
		if st.Key == state {
			return true
		}
	}
	return false
}

// namesOf names states as messages do, each by its label.
func namesOf(states []*State) []any {
	names := make([]any, len(states))
	for i, st := range states {
		names[i] = meta.Named{Key: st.Key, Label: st.Label}
	}
	return names
}

func text(rec store.Record, key string) string {
	s, _ := rec[key].(string)
	return s
}

func instant(v any) time.Time {
	s, _ := v.(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// guardMessage is a transition's own message for a guard that does not
// hold, or a generic one.
func guardMessage(tr *Transition) i18n.Msg {
	if len(tr.Message) == 0 {
		return i18n.M("flow.guard_default", labelArgs(tr.Label, tr.Key)...)
	}
	return i18n.Msg{Key: "flow.message", Text: i18n.Text(tr.Message)}
}

// labelArgs are the message arguments naming a transition ({name}): its
// label in the reader's language, else its key.
func labelArgs(l meta.Label, key string) []any {
	return []any{"name", meta.Named{Key: key, Label: l}}
}
