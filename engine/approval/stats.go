package approval

import (
	"context"
	"slices"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
)

// StepStats are one step's figures over the tasks created in a period.
type StepStats struct {
	Step    string     `json:"step"`
	Label   meta.Label `json:"label,omitempty"`
	Tasks   int        `json:"tasks"`   // tasks created
	Decided int        `json:"decided"` // approved, rejected or returned
	Pending int        `json:"pending"`
	// Hours from assignment to decision, over decided tasks.
	AvgHours    float64 `json:"avg_hours"`
	MedianHours float64 `json:"median_hours"`
	// OverdueShare is the share of decided tasks with a due time that were
	// decided after it (or timed out).
	OverdueShare float64 `json:"overdue_share"`
	Approvals    int     `json:"approvals"`
	Returns      int     `json:"returns"`
	Rejections   int     `json:"rejections"`
}

// Stats computes per-step figures of a process over the tasks created in
// [from, to) (zero from: the beginning; zero to: now), in the order of the
// current version's steps (steps of older versions follow).
func (s *Service) Stats(ctx context.Context, app, key string, from, to time.Time) ([]StepStats, error) {
	p, err := s.Process(ctx, app, key)
	if err != nil {
		return nil, err
	}
	if to.IsZero() {
		to = s.Store.Now().Add(time.Second)
	}
	if !to.After(from) {
		return nil, errs.New(errs.Invalid, "approval.bad_period")
	}
	tasks, err := s.Store.ApprovalTasksOfProcess(ctx, p.ID, from, to)
	if err != nil {
		return nil, err
	}
	byStep := map[string]*StepStats{}
	var order []string
	for _, st := range p.Steps {
		byStep[st.Key] = &StepStats{Step: st.Key, Label: st.Label}
		order = append(order, st.Key)
	}
	hours := map[string][]float64{}
	withDue, overdue := map[string]int{}, map[string]int{}
	for _, t := range tasks {
		if t.Kind != kindApprove {
			continue
		}
		st := byStep[t.StepKey]
		if st == nil {
			st = &StepStats{Step: t.StepKey}
			byStep[t.StepKey] = st
			order = append(order, t.StepKey)
		}
		st.Tasks++
		switch t.Status {
		case taskApproved:
			st.Approvals++
		case taskRejected:
			st.Rejections++
		case taskReturned:
			st.Returns++
		case taskPending, taskWaiting, taskQueued:
			st.Pending++
			continue
		default:
			continue // cancelled: nobody decided
		}
		st.Decided++
		hours[t.StepKey] = append(hours[t.StepKey], t.ActedAt.Sub(t.CreatedAt).Hours())
		if !t.DueAt.IsZero() {
			withDue[t.StepKey]++
			if t.TimedOut || t.ActedAt.After(t.DueAt) {
				overdue[t.StepKey]++
			}
		}
	}
	out := make([]StepStats, 0, len(order))
	for _, k := range order {
		st := byStep[k]
		if hs := hours[k]; len(hs) > 0 {
			sum := 0.0
			for _, h := range hs {
				sum += h
			}
			st.AvgHours = sum / float64(len(hs))
			slices.Sort(hs)
			st.MedianHours = hs[len(hs)/2]
			if len(hs)%2 == 0 {
				st.MedianHours = (hs[len(hs)/2-1] + hs[len(hs)/2]) / 2
			}
		}
		if withDue[k] > 0 {
			st.OverdueShare = float64(overdue[k]) / float64(withDue[k])
		}
		out = append(out, *st)
	}
	return out, nil
}
