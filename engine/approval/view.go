package approval

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Instance is an instance as the API shows it: its state, its steps, every
// task and the whole history.
type Instance struct {
	ID             string          `json:"id"`
	App            string          `json:"app"`
	Module         string          `json:"module"`
	RecordID       string          `json:"record_id"`
	Title          string          `json:"title"`
	Process        string          `json:"process"`
	ProcessVersion int             `json:"process_version"`
	Label          meta.Label      `json:"label"`
	Status         string          `json:"status"`
	Step           string          `json:"step,omitempty"` // the current step's key ("submitter" after a return to them)
	Submitter      string          `json:"submitter,omitempty"`
	Source         string          `json:"source"`
	Flow           string          `json:"flow,omitempty"`
	Transition     string          `json:"transition,omitempty"`
	Lock           bool            `json:"lock"`
	Error          string          `json:"error,omitempty"`
	StartedAt      time.Time       `json:"started_at"`
	FinishedAt     *time.Time      `json:"finished_at,omitempty"`
	Steps          []StepView      `json:"steps"`
	Tasks          []TaskView      `json:"tasks"`
	Decisions      []DecisionView  `json:"decisions"`
	Record         store.Record    `json:"record,omitempty"`
	Values         json.RawMessage `json:"values,omitempty"`
}

// StepView is a step of the instance's process version.
type StepView struct {
	Key   string     `json:"key"`
	Label meta.Label `json:"label"`
	Mode  string     `json:"mode"`
}

// TaskView is one task.
type TaskView struct {
	ID        string     `json:"id"`
	Step      string     `json:"step"`
	Round     int        `json:"round"`
	Kind      string     `json:"kind"`
	Assignee  string     `json:"assignee"`
	Status    string     `json:"status"`
	Reason    string     `json:"reason,omitempty"`
	DueAt     *time.Time `json:"due_at,omitempty"`
	TimedOut  bool       `json:"timed_out"`
	CreatedAt time.Time  `json:"created_at"`
	ActedAt   *time.Time `json:"acted_at,omitempty"`
}

// DecisionView is one history entry: who did what when, with the comment
// and the field changes the approver made.
type DecisionView struct {
	ID      string          `json:"id"`
	Task    string          `json:"task,omitempty"`
	Step    string          `json:"step,omitempty"`
	Actor   string          `json:"actor,omitempty"` // empty: the system (a timer, a rule)
	Action  string          `json:"action"`
	Comment string          `json:"comment,omitempty"`
	Changes json.RawMessage `json:"changes,omitempty"`
	Detail  json.RawMessage `json:"detail,omitempty"`
	// Reason says why (a reassignment, an escalation), in the reader's
	// language.
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

type localeKey struct{}

// WithLocale makes the instances read with ctx show reasons in locale.
func WithLocale(ctx context.Context, locale string) context.Context {
	return context.WithValue(ctx, localeKey{}, locale)
}

func localeOf(ctx context.Context) string {
	if l, ok := ctx.Value(localeKey{}).(string); ok {
		return l
	}
	return "en"
}

func ptime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func taskView(t *store.ApprovalTask, locale string) TaskView {
	return TaskView{ID: t.ID, Step: t.StepKey, Round: t.Round, Kind: t.Kind, Assignee: t.AssigneeID, Status: t.Status, Reason: renderReason(locale, t.Reason),
		DueAt: ptime(t.DueAt), TimedOut: t.TimedOut, CreatedAt: t.CreatedAt, ActedAt: ptime(t.ActedAt)}
}

// Instance returns an instance with its tasks and history (no access
// check: callers check).
func (s *Service) Instance(ctx context.Context, id string) (*Instance, error) {
	inst, err := s.Store.ApprovalInstance(ctx, nil, id)
	if err != nil {
		return nil, err
	}
	return s.view(ctx, inst)
}

func (s *Service) view(ctx context.Context, inst *store.ApprovalInstance) (*Instance, error) {
	proc, err := s.version(ctx, inst.ProcessID, inst.ProcessVersion)
	if err != nil {
		return nil, err
	}
	tasks, err := s.Store.ApprovalTasks(ctx, nil, inst.ID)
	if err != nil {
		return nil, err
	}
	ds, err := s.Store.ApprovalDecisions(ctx, nil, inst.ID)
	if err != nil {
		return nil, err
	}
	out := &Instance{ID: inst.ID, App: inst.App, Module: inst.Module, RecordID: inst.RecordID, Title: inst.Title, Process: inst.ProcessKey,
		ProcessVersion: inst.ProcessVersion, Label: proc.Label, Status: inst.Status, Submitter: inst.SubmitterID, Source: inst.Source,
		Flow: inst.FlowKey, Transition: inst.TransitionKey, Lock: inst.Lock, Error: inst.Error, StartedAt: inst.StartedAt,
		FinishedAt: ptime(inst.FinishedAt), Values: inst.Values, Steps: []StepView{}, Tasks: []TaskView{}, Decisions: []DecisionView{}}
	if inst.Status == Pending {
		out.Step = "submitter"
		if inst.Step >= 0 && inst.Step < len(proc.Steps) {
			out.Step = proc.Steps[inst.Step].Key
		}
	}
	for _, st := range proc.Steps {
		out.Steps = append(out.Steps, StepView{Key: st.Key, Label: st.Label, Mode: st.Mode})
	}
	loc := localeOf(ctx)
	for _, t := range tasks {
		out.Tasks = append(out.Tasks, taskView(t, loc))
	}
	for _, d := range ds {
		var det struct {
			Reason string `json:"reason"`
		}
		json.Unmarshal(d.Detail, &det)
		out.Decisions = append(out.Decisions, DecisionView{ID: d.ID, Task: d.TaskID, Step: d.StepKey, Actor: d.ActorID, Action: d.Action,
			Comment: d.Comment, Changes: d.Changes, Detail: d.Detail, Reason: renderReason(loc, det.Reason), At: d.At})
	}
	return out, nil
}

// hideTitle replaces the record's title by its id when u's roles hide
// the field it comes from.
func (s *Service) hideTitle(ctx context.Context, u *access.User, v *Instance) error {
	if u == nil || u.IsAdmin {
		return nil
	}
	p, err := s.Access.Principal(ctx, u)
	if err != nil {
		return err
	}
	v.Title, err = s.visibleTitle(ctx, p, &store.ApprovalInstance{App: v.App, Module: v.Module, RecordID: v.RecordID, Title: v.Title})
	return err
}

// instanceFor is Instance for a user who just acted on it.
func (s *Service) instanceFor(ctx context.Context, u *access.User, id string) (*Instance, error) {
	v, err := s.Instance(ctx, id)
	if err != nil {
		return nil, err
	}
	return v, s.hideTitle(ctx, u, v)
}

// participant reports whether u takes part in an instance: its submitter,
// an assignee of any of its tasks, or the author of any history entry.
func (v *Instance) participant(u *access.User) bool {
	if u.ID == v.Submitter {
		return true
	}
	for _, t := range v.Tasks {
		if t.Assignee == u.ID {
			return true
		}
	}
	return slices.ContainsFunc(v.Decisions, func(d DecisionView) bool { return d.Actor == u.ID })
}

// InstanceFor returns an instance to user u with the record it is about.
//
// Who sees what: the instance's participants (submitter, anyone who ever
// had one of its tasks or wrote in its history) and administrators see it
// together with the record — approvers must see what they approve, so the
// record scope of their roles does not apply here; the fields their roles
// hide stay hidden. Anyone else who may read the record (within their
// scope) sees the instance without the record; others get "not found".
func (s *Service) InstanceFor(ctx context.Context, u *access.User, id string) (*Instance, error) {
	v, err := s.Instance(ctx, id)
	if err != nil {
		return nil, err
	}
	m, err := s.Meta.Module(ctx, v.App, v.Module)
	if err != nil {
		return nil, err
	}
	if err := s.hideTitle(ctx, u, v); err != nil {
		return nil, err
	}
	if u.IsAdmin || v.participant(u) {
		rec, err := s.Store.Record(ctx, m, v.RecordID)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return nil, err
		}
		if rec != nil {
			if err := s.strip(ctx, u, m, rec); err != nil {
				return nil, err
			}
			v.Record = rec
		}
		return v, nil
	}
	if _, err := s.Records.Get(ctx, record.Actor{User: u, Via: "api"}, m, v.RecordID, nil); err != nil {
		return nil, errs.New(errs.NotFound, "store.approval_not_found", "id", id)
	}
	return v, nil
}

// strip removes the fields u's roles hide from rec.
func (s *Service) strip(ctx context.Context, u *access.User, m *meta.Module, rec store.Record) error {
	if u.IsAdmin {
		return nil
	}
	p, err := s.Access.Principal(ctx, u)
	if err != nil {
		return err
	}
	r := p.Rights(m.AppKey, m.Key)
	for _, f := range m.Fields {
		if r.Hidden(f.Key) {
			delete(rec, f.Key)
		}
	}
	return nil
}

// RecordInstances lists a record's instances, newest first: for those who
// may read the record, and for participants (only the instances they take
// part in).
func (s *Service) RecordInstances(ctx context.Context, u *access.User, app, module, id string) ([]*Instance, error) {
	m, err := s.Meta.Module(ctx, app, module)
	if err != nil {
		return nil, err
	}
	_, readErr := s.Records.Get(ctx, record.Actor{User: u, Via: "api"}, m, id, nil)
	if readErr != nil && !errs.Is(readErr, errs.NotFound) && !errs.Is(readErr, errs.Forbidden) {
		return nil, readErr
	}
	insts, err := s.Store.ApprovalInstancesOfRecord(ctx, app, module, id)
	if err != nil {
		return nil, err
	}
	out := []*Instance{}
	for _, inst := range insts {
		v, err := s.view(ctx, inst)
		if err != nil {
			return nil, err
		}
		if readErr == nil || v.participant(u) {
			if err := s.hideTitle(ctx, u, v); err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
	if readErr != nil && len(out) == 0 {
		return nil, readErr
	}
	return out, nil
}
