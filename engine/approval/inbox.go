package approval

import (
	"context"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// InboxItem is one line of a user's approval inbox.
type InboxItem struct {
	Instance  string     `json:"instance"`
	Task      string     `json:"task,omitempty"`
	App       string     `json:"app"`
	Module    string     `json:"module"`
	Record    string     `json:"record"`
	Title     string     `json:"title"`
	Process   string     `json:"process"`
	Label     meta.Label `json:"label"`
	Status    string     `json:"status"`
	Step      string     `json:"step,omitempty"`
	StepLabel meta.Label `json:"step_label,omitempty"`
	Kind      string     `json:"kind,omitempty"`   // pending: approve, or resubmit after a return
	DueAt     *time.Time `json:"due_at,omitempty"` // pending
	Overdue   bool       `json:"overdue,omitempty"`
	Submitter string     `json:"submitter,omitempty"`
	StartedAt time.Time  `json:"started_at"`
	Action    string     `json:"action,omitempty"` // done: what the caller did
	At        *time.Time `json:"at,omitempty"`     // pending: assigned; done: when
}

// Inbox boxes.
const (
	BoxPending   = "pending"   // tasks waiting for the caller
	BoxSubmitted = "submitted" // instances the caller submitted
	BoxDone      = "done"      // the caller's decisions
)

// Inbox lists one box of u's approvals across apps, a page at a time.
func (s *Service) Inbox(ctx context.Context, u *access.User, box, cursor string, limit int) ([]InboxItem, string, error) {
	if limit <= 0 {
		limit = 50
	}
	if limit > store.MaxLimit {
		return nil, "", errs.New(errs.Invalid, "store.bad_limit", "max", store.MaxLimit)
	}
	var rows []store.InboxItem
	var next string
	var err error
	switch box {
	case "", BoxPending:
		rows, next, err = s.Store.PendingInbox(ctx, u.ID, cursor, limit)
	case BoxSubmitted:
		rows, next, err = s.Store.SubmittedInbox(ctx, u.ID, cursor, limit)
	case BoxDone:
		rows, next, err = s.Store.DoneInbox(ctx, u.ID, cursor, limit)
	default:
		return nil, "", errs.New(errs.Invalid, "approval.bad_box", "box", box)
	}
	if err != nil {
		return nil, "", err
	}
	now := s.Store.Now()
	var principal *access.Principal
	if !u.IsAdmin {
		if principal, err = s.Access.Principal(ctx, u); err != nil {
			return nil, "", err
		}
	}
	out := make([]InboxItem, 0, len(rows))
	for _, row := range rows {
		i := row.Instance
		proc, err := s.version(ctx, i.ProcessID, i.ProcessVersion)
		if err != nil {
			return nil, "", err
		}
		title, err := s.visibleTitle(ctx, principal, i)
		if err != nil {
			return nil, "", err
		}
		it := InboxItem{Instance: i.ID, App: i.App, Module: i.Module, Record: i.RecordID, Title: title, Process: i.ProcessKey,
			Label: proc.Label, Status: i.Status, Submitter: i.SubmitterID, StartedAt: i.StartedAt}
		step := i.Step
		if t := row.Task; t != nil {
			it.Task, it.Kind, it.DueAt, it.At, step = t.ID, t.Kind, ptime(t.DueAt), ptime(t.CreatedAt), t.Step
			it.Overdue = t.TimedOut || (!t.DueAt.IsZero() && now.After(t.DueAt))
		}
		if d := row.Decision; d != nil {
			it.Task, it.Action, it.At, it.Step = d.TaskID, d.Action, ptime(d.At), d.StepKey
		}
		if it.Step == "" && step >= 0 && step < len(proc.Steps) && (row.Task != nil || i.Status == Pending) {
			it.Step = proc.Steps[step].Key
		} else if it.Step == "" && step == submitterStep && i.Status == Pending {
			it.Step = "submitter"
		}
		if k := proc.step(it.Step); k >= 0 {
			it.StepLabel = proc.Steps[k].Label
		}
		out = append(out, it)
	}
	return out, next, nil
}

// visibleTitle is an instance's record title as p may see it: the
// record's id instead when p's roles hide the module's title field (nil p:
// an administrator).
func (s *Service) visibleTitle(ctx context.Context, p *access.Principal, i *store.ApprovalInstance) (string, error) {
	if p == nil {
		return i.Title, nil
	}
	m, err := s.Meta.Module(ctx, i.App, i.Module)
	if errs.Is(err, errs.NotFound) {
		return i.RecordID, nil
	}
	if err != nil {
		return "", err
	}
	if f := m.TitleField(); f != nil && p.Rights(i.App, i.Module).Hidden(f.Key) {
		return i.RecordID, nil
	}
	return i.Title, nil
}
