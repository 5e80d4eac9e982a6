package approval

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/calendar"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/rule"
	"github.com/tessera-app/tessera/engine/store"
)

// TransitionCompleter moves a record along the stage transition an
// approved instance was started for (engine/flow's Service implements it;
// this package does not import flow).
type TransitionCompleter interface {
	CompleteTransition(ctx context.Context, tx *store.Tx, a record.Actor, m *meta.Module, recordID, flowKey, transitionKey string) (store.Record, error)
}

// Service runs approval processes.
type Service struct {
	Store     *store.Store
	Meta      *meta.Service
	Records   *record.Service
	Access    *access.Service
	Calendars *calendar.Service
	Rules     *rule.Engine // approval_* triggers; nil: none fire
	// Transitions completes stage transitions that required approval (nil
	// until engine/flow is wired).
	Transitions TransitionCompleter
	Log         *slog.Logger

	mu       sync.Mutex
	versions map[string]*Process // "process id/version" → definition (immutable)
}

// New wires the approval engine: its timer jobs on runner, its record lock
// on the write path, its rule triggers and the "approval" rule action.
func New(s *store.Store, m *meta.Service, recs *record.Service, acc *access.Service, cals *calendar.Service,
	rules *rule.Engine, runner *jobs.Runner, log *slog.Logger) *Service {
	svc := &Service{Store: s, Meta: m, Records: recs, Access: acc, Calendars: cals, Rules: rules, Log: log,
		versions: map[string]*Process{}}
	// The lock is checked first, on the changes the user asked for, before
	// before-save rules add their own.
	recs.Hooks.BeforeSave = append([]func(context.Context, *store.Tx, *record.Event) error{svc.lockHook}, recs.Hooks.BeforeSave...)
	runner.Handle(jobDue, svc.dueJob)
	if rules != nil {
		rules.AddAction("approval", svc.checkRuleAction, svc.ruleAction)
	}
	return svc
}

// ---- process definitions ----

func fromRow(r *store.ApprovalProcessRow) (*Process, error) {
	var p Process
	if err := json.Unmarshal(r.Doc, &p); err != nil {
		return nil, err
	}
	p.ID, p.App, p.Key, p.Module, p.Version, p.CreatedAt, p.UpdatedAt = r.ID, r.App, r.Key, r.Module, r.Version, r.CreatedAt, r.UpdatedAt
	return &p, nil
}

// doc is the stored definition: what the admin wrote, without the
// bookkeeping fields.
func (p *Process) doc() json.RawMessage {
	c := *p
	c.ID, c.App, c.Version = "", "", 0
	c.CreatedAt, c.UpdatedAt = zeroTime, zeroTime
	b, _ := json.Marshal(c)
	return b
}

// Processes lists an app's processes.
func (s *Service) Processes(ctx context.Context, app string) ([]*Process, error) {
	if _, err := s.Store.App(ctx, app); err != nil {
		return nil, err
	}
	rows, err := s.Store.ApprovalProcesses(ctx, app, "")
	if err != nil {
		return nil, err
	}
	out := make([]*Process, 0, len(rows))
	for _, r := range rows {
		p, err := fromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Process returns the current version of a process.
func (s *Service) Process(ctx context.Context, app, key string) (*Process, error) {
	r, err := s.Store.ApprovalProcess(ctx, app, key)
	if err != nil {
		return nil, err
	}
	return fromRow(r)
}

// version returns the definition an instance runs on, cached (versions
// never change once stored).
func (s *Service) version(ctx context.Context, processID string, version int) (*Process, error) {
	k := fmt.Sprintf("%s/%d", processID, version)
	s.mu.Lock()
	p, ok := s.versions[k]
	s.mu.Unlock()
	if ok {
		return p, nil
	}
	doc, err := s.Store.ApprovalProcessVersion(ctx, processID, version)
	if err != nil {
		return nil, err
	}
	p = &Process{}
	if err := json.Unmarshal(doc, p); err != nil {
		return nil, err
	}
	p.ID, p.Version = processID, version
	s.mu.Lock()
	s.versions[k] = p
	s.mu.Unlock()
	return p, nil
}

// Create validates and stores a new process.
func (s *Service) Create(ctx context.Context, app string, p *Process) (*Process, error) {
	a, err := s.Store.App(ctx, app)
	if err != nil {
		return nil, err
	}
	p.App = app
	if err := s.check(ctx, p); err != nil {
		return nil, err
	}
	row := &store.ApprovalProcessRow{AppID: a.ID, App: app, Key: p.Key, Module: p.Module, Doc: p.doc()}
	if err := s.Store.CreateApprovalProcess(ctx, row); err != nil {
		return nil, err
	}
	return fromRow(row)
}

// Replace stores a new version of process key (version: the one the caller
// read; 0 takes the current). Running instances keep their version.
func (s *Service) Replace(ctx context.Context, app, key string, p *Process, version int) (*Process, error) {
	cur, err := s.Store.ApprovalProcess(ctx, app, key)
	if err != nil {
		return nil, err
	}
	if version == 0 {
		version = cur.Version
	}
	p.App, p.Key = app, key
	if err := s.check(ctx, p); err != nil {
		return nil, err
	}
	cur.Module, cur.Doc = p.Module, p.doc()
	if err := s.Store.UpdateApprovalProcess(ctx, cur, version); err != nil {
		return nil, err
	}
	return fromRow(cur)
}

// Delete removes a process; refused while instances of it are pending.
func (s *Service) Delete(ctx context.Context, app, key string) error {
	cur, err := s.Store.ApprovalProcess(ctx, app, key)
	if err != nil {
		return err
	}
	return s.Store.DeleteApprovalProcess(ctx, cur)
}

// check validates p: its definition against the module, and the roles,
// departments, users and calendars it names.
func (s *Service) check(ctx context.Context, p *Process) error {
	m, err := s.Meta.Module(ctx, p.App, p.Module)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return err
	}
	fes := p.check(m, func(pre string, st Step) []errs.FieldError {
		out := s.checkApproverRefs(ctx, pre+"approvers.", st.Approvers)
		if st.Due != nil {
			if _, err := s.Calendars.Get(ctx, st.Due.calendar()); err != nil {
				out = append(out, errs.Field(pre+"due.calendar", "unknown_calendar", "approval.unknown_calendar", "calendar", st.Due.calendar()))
			}
		}
		return out
	})
	if len(fes) > 0 {
		e := errs.Fields(fes...)
		e.Msg = errs.New(errs.Unprocessable, "approval.invalid", "key", p.Key).Msg
		return e
	}
	return nil
}

// checkApproverRefs checks the roles, departments and users an approver
// set names (each set of a union under its own path).
func (s *Service) checkApproverRefs(ctx context.Context, pre string, a Approvers) []errs.FieldError {
	var out []errs.FieldError
	switch a.Type {
	case "role":
		if a.Role != "" {
			if _, err := s.Access.Role(ctx, a.Role); err != nil {
				out = append(out, errs.Field(pre+"role", "unknown_role", "approval.unknown_role", "role", a.Role))
			}
		}
	case "department_manager":
		if a.Department != "" {
			if _, _, _, err := s.Access.Department(ctx, a.Department); err != nil {
				out = append(out, errs.Field(pre+"department", "unknown_department", "approval.unknown_department", "department", a.Department))
			}
		}
	case "users":
		for i, id := range a.Users {
			if _, err := s.Store.UserByID(ctx, id); err != nil {
				out = append(out, errs.Field(fmt.Sprintf("%susers[%d]", pre, i), "unknown_user", "approval.unknown_user", "id", id))
			}
		}
	case "union":
		for i, set := range a.Sets {
			out = append(out, s.checkApproverRefs(ctx, fmt.Sprintf("%ssets[%d].", pre, i), set)...)
		}
	}
	return out
}
