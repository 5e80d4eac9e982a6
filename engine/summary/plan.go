package summary

import (
	"context"

	"github.com/tessera-app/tessera/engine/report"
)

// Planned is one summary a saved widget's query is answered from.
type Planned struct {
	Module string `json:"module"`
	ID     string `json:"id"`
}

// Saved plans the summaries of a saved dashboard's widgets (the
// dashboard service calls it after a save): every records query that
// summaries can answer gets one — an existing summary of the same shape,
// or a new one with its build job. Queries they cannot answer are left to
// the GROUP BY. Shapes are planned in the default time zone without the
// dashboard's filters; a viewer's filters on the owner or on the keys, and
// ranges on bucket boundaries, are still answered from them.
func (s *Service) Saved(ctx context.Context, app string, specs []*report.Spec) ([]Planned, error) {
	if s.Off || s.Reports == nil {
		return nil, nil
	}
	var out []Planned
	for _, spec := range specs {
		if spec == nil || spec.Source != "" {
			continue
		}
		m, q, err := s.Reports.Query(ctx, app, *spec, report.Options{})
		if err != nil {
			continue // the widget's own error, shown when it runs
		}
		n, ok := shape(m, q, s.Store.D.Name() == "postgres")
		if !ok {
			continue
		}
		id, err := s.Ensure(ctx, m, n.def())
		if err != nil {
			return out, err
		}
		out = append(out, Planned{Module: m.Key, ID: id})
	}
	return out, nil
}
