package flow

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/tessera-app/tessera/engine/calendar"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/rule"
	"github.com/tessera-app/tessera/engine/store"
)

// CacheTTL is how long a process trusts its cached pipelines. Pipeline
// changes bump cache_versions, so other processes drop their copies at
// once (engine/cluster); the TTL only bounds changes made behind the
// service's back.
var CacheTTL = 5 * time.Second

// ApprovalStarter starts the approval a transition requires (engine/approval
// implements it; the wiring sets it). It is called inside the transition's
// transaction; the record stays in its stage.
type ApprovalStarter interface {
	StartForTransition(ctx context.Context, tx *store.Tx, a record.Actor, m *meta.Module,
		rec store.Record, flow *Flow, tr *Transition, values map[string]any) (instanceID string, err error)
}

// ApprovalChecker is what an ApprovalStarter may also offer: whether an
// approval process exists for module m, so that a pipeline naming a
// missing one is refused when saved.
type ApprovalChecker interface {
	CheckProcess(ctx context.Context, app string, m *meta.Module, process string) error
}

// Service is the pipelines API and the stage checks on the write path.
type Service struct {
	Store   *store.Store
	Meta    *meta.Service
	Records *record.Service
	Rules   *rule.Engine
	Jobs    *jobs.Runner
	Log     *slog.Logger
	// Approvals starts the approvals transitions require; nil: transitions
	// with an approval cannot be saved.
	Approvals ApprovalStarter
	// Calendars count time in a stage in working hours; nil: the business
	// seconds of the stage history stay empty.
	Calendars *calendar.Service

	mu       sync.RWMutex
	flows    map[string][]*Flow // "app/module" → pipelines; nil = reload
	loadedAt time.Time
	gen      uint64     // invalidations: pipelines read before one are not cached
	loading  sync.Mutex // one reload at a time
}

// New wires the pipelines into the record write path (a before-save hook
// that fills in the initial state, and the in-transaction hook that checks
// every stage change, first among them so that the audit entry and the
// rules see the move), the job runner (on-enter actions), the rule engine
// (the stage_changed trigger) and the metadata service (module changes
// that would break a pipeline are refused).
func New(s *store.Store, m *meta.Service, recs *record.Service, rules *rule.Engine, runner *jobs.Runner, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	svc := &Service{Store: s, Meta: m, Records: recs, Rules: rules, Jobs: runner, Log: log}
	recs.Hooks.BeforeSave = append(recs.Hooks.BeforeSave, svc.beforeSave)
	recs.Hooks.InTx = append([]func(context.Context, *store.Tx, *record.Event) error{svc.inTx}, recs.Hooks.InTx...)
	runner.Handle(jobActions, svc.actionsJob)
	if rules != nil {
		rules.TriggerChecks["stage_changed"] = svc.checkTrigger
	}
	m.BeforeChange = append(m.BeforeChange, svc.moduleChange)
	// A deleted app takes its pipelines along: forget them at once, so an
	// app made again under the same key does not meet them in the cache.
	onChange := m.OnChange
	m.OnChange = func(ctx context.Context, c meta.Change) {
		if onChange != nil {
			onChange(ctx, c)
		}
		if c.Action == "app.delete" {
			svc.forget()
		}
	}
	return svc
}

// forget drops the cache (after any pipeline change in this process).
func (s *Service) forget() {
	s.mu.Lock()
	s.flows = nil
	s.gen++
	s.mu.Unlock()
}

// Invalidate drops the pipeline cache (another process changed pipelines;
// engine/cluster calls it).
func (s *Service) Invalidate() { s.forget() }

// forModule returns the pipelines of a module, cached per process.
func (s *Service) forModule(ctx context.Context, app, module string) ([]*Flow, error) {
	return s.forModuleIn(ctx, nil, app, module)
}

// forModuleIn is forModule for code inside transaction tx (nil: none): a
// reload reads in tx (see store.FlowsIn). One reload runs at a time; the
// others wait for it rather than all querying.
func (s *Service) forModuleIn(ctx context.Context, tx *store.Tx, app, module string) ([]*Flow, error) {
	if cache := s.cached(); cache != nil {
		return cache[app+"/"+module], nil
	}
	s.loading.Lock()
	defer s.loading.Unlock()
	if cache := s.cached(); cache != nil {
		return cache[app+"/"+module], nil
	}
	s.mu.RLock()
	gen := s.gen
	s.mu.RUnlock()
	rows, err := s.Store.FlowsIn(ctx, tx, "")
	if err != nil {
		return nil, err
	}
	cache := map[string][]*Flow{}
	for _, row := range rows {
		f, err := fromRow(row)
		if err != nil {
			s.Log.Error("pipeline not readable", "app", row.App, "flow", row.Key, "err", err)
			continue
		}
		k := f.App + "/" + f.Module
		cache[k] = append(cache[k], f)
	}
	s.mu.Lock()
	if s.gen == gen {
		s.flows, s.loadedAt = cache, time.Now()
	}
	s.mu.Unlock()
	return cache[app+"/"+module], nil
}

// cached is the cache while it is fresh, else nil.
func (s *Service) cached() map[string][]*Flow {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.flows == nil || time.Since(s.loadedAt) > CacheTTL {
		return nil
	}
	return s.flows
}

// ForModule returns the pipelines bound to fields of m (the approval
// engine and the board use it).
func (s *Service) ForModule(ctx context.Context, m *meta.Module) ([]*Flow, error) {
	return s.forModule(ctx, m.AppKey, m.Key)
}

func fromRow(r *store.FlowRow) (*Flow, error) {
	f := &Flow{ID: r.ID, App: r.App, Key: r.Key, Module: r.Module, Field: r.Field, Version: r.Version,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if err := json.Unmarshal(r.Label, &f.Label); err != nil {
		return nil, err
	}
	var d definition
	if err := json.Unmarshal(r.Definition, &d); err != nil {
		return nil, err
	}
	f.Calendar, f.States, f.Transitions = d.Calendar, d.States, d.Transitions
	for _, st := range f.States {
		if st.Kind == "" {
			st.Kind = KindOpen
		}
	}
	return f, nil
}

func (f *Flow) row(appID string) *store.FlowRow {
	label, _ := json.Marshal(f.Label)
	def, _ := json.Marshal(definition{Calendar: f.Calendar, States: f.States, Transitions: f.Transitions})
	return &store.FlowRow{ID: f.ID, AppID: appID, App: f.App, Key: f.Key, Label: label, Module: f.Module, Field: f.Field,
		Definition: def, Version: f.Version}
}

// Flows lists an app's pipelines.
func (s *Service) Flows(ctx context.Context, app string) ([]*Flow, error) {
	if _, err := s.Store.App(ctx, app); err != nil {
		return nil, err
	}
	rows, err := s.Store.Flows(ctx, app)
	if err != nil {
		return nil, err
	}
	out := []*Flow{}
	for _, row := range rows {
		f, err := fromRow(row)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// Flow returns one pipeline.
func (s *Service) Flow(ctx context.Context, app, key string) (*Flow, error) {
	row, err := s.Store.Flow(ctx, app, key)
	if err != nil {
		return nil, err
	}
	return fromRow(row)
}

// Visible lists the pipelines of an app the actor may see: all of them
// for administrators; for others those on modules they may read, without
// guards and actions (which may name fields hidden from them).
func (s *Service) Visible(ctx context.Context, a record.Actor, app string) ([]*Flow, error) {
	all, err := s.Flows(ctx, app)
	if err != nil || a.User.IsAdmin {
		return all, err
	}
	out := []*Flow{}
	for _, f := range all {
		if v, err := s.view(ctx, a, f); err == nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// VisibleFlow returns one pipeline as Visible shows it; one the actor may
// not see is not found.
func (s *Service) VisibleFlow(ctx context.Context, a record.Actor, app, key string) (*Flow, error) {
	f, err := s.Flow(ctx, app, key)
	if err != nil || a.User.IsAdmin {
		return f, err
	}
	v, err := s.view(ctx, a, f)
	if err != nil {
		return nil, errs.New(errs.NotFound, "flow.not_found", "key", key)
	}
	return v, nil
}

// view is f as a non-administrator sees it, or an error when they may not
// read its module or its field.
func (s *Service) view(ctx context.Context, a record.Actor, f *Flow) (*Flow, error) {
	m, err := s.Meta.Module(ctx, f.App, f.Module)
	if err != nil {
		return nil, err
	}
	reach, err := s.Records.ReachOf(ctx, &a, m)
	if err != nil {
		return nil, err
	}
	if reach.Rights.Hidden(f.Field) {
		return nil, errs.New(errs.Forbidden, "flow.field_hidden")
	}
	v := *f
	v.Transitions = make([]*Transition, len(f.Transitions))
	for i, t := range f.Transitions {
		c := *t
		c.Guard, c.Actions = "", nil
		v.Transitions[i] = &c
	}
	return &v, nil
}

// Create validates and stores a new pipeline.
func (s *Service) Create(ctx context.Context, app string, f *Flow) (*Flow, error) {
	a, err := s.Store.App(ctx, app)
	if err != nil {
		return nil, err
	}
	f.App = app
	if _, err := s.check(ctx, f, nil); err != nil {
		return nil, err
	}
	if err := s.fieldFree(ctx, f); err != nil {
		return nil, err
	}
	row := f.row(a.ID)
	if err := s.Store.InTx(ctx, func(tx *store.Tx) error { return s.Store.CreateFlow(ctx, tx, row) }); err != nil {
		return nil, err
	}
	s.forget()
	return s.Flow(ctx, app, f.Key)
}

// fieldFree refuses a second pipeline on the same field.
func (s *Service) fieldFree(ctx context.Context, f *Flow) error {
	rows, err := s.Store.Flows(ctx, f.App)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.Module == f.Module && r.Field == f.Field && r.Key != f.Key {
			return errs.New(errs.Conflict, "flow.field_taken", "module", f.Module, "field", f.Field, "flow", r.Key)
		}
	}
	return nil
}

// Replace validates and stores a new definition of pipeline key; version
// (when not 0) must be the current one. A state the new definition drops
// must be empty, or moveTo names the state its records move to (through
// the write path, audited, in the same transaction as the new definition).
// The module and the field cannot change.
func (s *Service) Replace(ctx context.Context, a record.Actor, app, key string, f *Flow, version int, moveTo map[string]string) (*Flow, error) {
	cur, err := s.Store.Flow(ctx, app, key)
	if err != nil {
		return nil, err
	}
	prev, err := fromRow(cur)
	if err != nil {
		return nil, err
	}
	if version == 0 {
		version = cur.Version
	}
	if (f.Module != "" && f.Module != prev.Module) || (f.Field != "" && f.Field != prev.Field) {
		return nil, errs.Fields(errs.Field("module", "immutable", "flow.binding_fixed"))
	}
	f.ID, f.App, f.Key, f.Module, f.Field = prev.ID, app, key, prev.Module, prev.Field
	m, err := s.check(ctx, f, prev)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, st := range prev.States {
		if f.State(st.Key) == nil {
			removed = append(removed, st.Key)
		}
	}
	if err := checkMoves(f, removed, moveTo); err != nil {
		return nil, err
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		var fes []errs.FieldError
		for _, st := range removed {
			n, err := s.Store.CountWhere(ctx, tx, m, f.Field, []string{st})
			if err != nil {
				return err
			}
			if n > 0 && moveTo[st] == "" {
				fes = append(fes, errs.Field("states", "in_use", "flow.state_in_use", "state", st, "count", n))
			}
		}
		if len(fes) > 0 {
			return &errs.Error{Code: errs.Conflict, Msg: errs.New(errs.Conflict, "flow.states_in_use").Msg, Fields: fes}
		}
		for _, st := range removed {
			if to := moveTo[st]; to != "" {
				if err := s.moveAll(ctx, tx, a, m, prev, st, to); err != nil {
					return err
				}
			}
		}
		return s.Store.UpdateFlow(ctx, tx, f.row(cur.AppID), version)
	})
	if err != nil {
		return nil, err
	}
	s.forget()
	return s.Flow(ctx, app, key)
}

// checkMoves makes sure moveTo maps dropped states to states that remain.
func checkMoves(f *Flow, removed []string, moveTo map[string]string) error {
	dropped := map[string]bool{}
	for _, st := range removed {
		dropped[st] = true
	}
	var fes []errs.FieldError
	for from, to := range moveTo {
		switch {
		case !dropped[from]:
			fes = append(fes, errs.Field("move_to."+from, "not_removed", "flow.move_not_removed", "state", from))
		case f.State(to) == nil:
			fes = append(fes, errs.Field("move_to."+from, "unknown_state", "flow.unknown_state", "state", to))
		}
	}
	if len(fes) > 0 {
		return invalid(fes)
	}
	return nil
}

// Delete removes a pipeline. When records are in its states it is refused
// with their number, unless moveTo names the state they all move to first
// (the select keeps its options; only the pipeline goes).
func (s *Service) Delete(ctx context.Context, a record.Actor, app, key, moveTo string) error {
	f, err := s.Flow(ctx, app, key)
	if err != nil {
		return err
	}
	if moveTo != "" && f.State(moveTo) == nil {
		return invalid([]errs.FieldError{errs.Field("move_to", "unknown_state", "flow.unknown_state", "state", moveTo)})
	}
	m, err := s.Meta.Module(ctx, app, f.Module)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return err
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if m != nil {
			var others []string
			for _, st := range f.States {
				if st.Key != moveTo {
					others = append(others, st.Key)
				}
			}
			n, err := s.Store.CountWhere(ctx, tx, m, f.Field, others)
			if err != nil {
				return err
			}
			if n > 0 && moveTo == "" {
				return errs.New(errs.Conflict, "flow.in_use", "key", key, "count", n)
			}
			for _, st := range others {
				if err := s.moveAll(ctx, tx, a, m, f, st, moveTo); err != nil {
					return err
				}
			}
		}
		return s.Store.DeleteFlow(ctx, tx, f.ID)
	})
	if err != nil {
		return err
	}
	s.forget()
	return nil
}

// moveAll moves every live record of m in state from to state to, each
// through the write path (audited, with its history row), inside tx. The
// stage checks do not apply: an administrator is retiring a state.
func (s *Service) moveAll(ctx context.Context, tx *store.Tx, a record.Actor, m *meta.Module, f *Flow, from, to string) error {
	ctx = record.WithTx(ctx, tx)
	after := ""
	for {
		ids, err := s.Store.IDsWhere(ctx, tx, m, f.Field, from, after, 500)
		if err != nil {
			return err
		}
		for _, id := range ids {
			rec, err := s.Store.RecordInTx(ctx, tx, m, id)
			if err != nil {
				return err
			}
			mctx := withMove(ctx, &move{app: m.AppKey, module: m.Key, id: id, flow: f.Key, migrate: true})
			if _, err := s.Records.Update(mctx, a, m, id, rec["version"].(int64), map[string]any{f.Field: to}); err != nil {
				return err
			}
		}
		if len(ids) < 500 {
			return nil
		}
		after = ids[len(ids)-1]
	}
}

// moduleChange refuses module changes that would break a pipeline: the
// module or its stage field going away, the field renamed or no longer a
// select, or an option that is a state removed (remove the state from the
// pipeline first; adding options is fine — a state for them comes next).
func (s *Service) moduleChange(ctx context.Context, old, next *meta.Module) error {
	flows, err := s.forModule(ctx, old.AppKey, old.Key)
	if err != nil || len(flows) == 0 {
		return err
	}
	// Read the definitions afresh: the cache may be a few seconds old.
	s.forget()
	if flows, err = s.forModule(ctx, old.AppKey, old.Key); err != nil {
		return err
	}
	var fes []errs.FieldError
	for _, f := range flows {
		if next == nil {
			return errs.New(errs.Conflict, "flow.module_has_flows", "module", old.Key, "flows", f.Key)
		}
		field := next.Field(f.Field)
		if field == nil || field.Type.Name() != "select" || field.RenamedFrom != "" {
			fes = append(fes, errs.Field(f.Field, "stage_field", "flow.stage_field_fixed", "field", f.Field, "flow", f.Key))
			continue
		}
		options := map[string]bool{}
		for _, o := range field.Options {
			options[o.Value] = true
		}
		var gone []string
		for _, st := range f.States {
			if !options[st.Key] {
				gone = append(gone, st.Key)
			}
		}
		if len(gone) > 0 {
			fes = append(fes, errs.Field(f.Field+".x-field.options", "state_option", "flow.option_is_state",
				"field", f.Field, "flow", f.Key, "states", strings.Join(gone, ", ")))
		}
	}
	if len(fes) > 0 {
		return errs.Fields(fes...)
	}
	return nil
}
