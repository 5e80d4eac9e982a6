package flow

import (
	"context"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Board page sizes.
const (
	DefaultBoardLimit = 20
	MaxBoardLimit     = 100
)

// BoardQuery asks for a module's records grouped by the states of a
// pipeline: Flow (optional when the module has one), the list filter,
// Sum (a number field summed per column), Sort and Limit per column, and
// Expand as in lists. With State, only that column, paged by Cursor.
type BoardQuery struct {
	Flow, Filter, Sum, Sort string
	Limit                   int
	State, Cursor           string
	Expand                  []string
}

// Board is a pipeline's columns.
type Board struct {
	Flow    string   `json:"flow"`
	Field   string   `json:"field"`
	Columns []Column `json:"columns"`
}

// Column is one state's records: how many match (Count), the sum of the
// summed field over them (nil without one), the first page and the cursor
// of the next.
type Column struct {
	State       string         `json:"state"`
	Label       meta.Label     `json:"label"`
	Kind        string         `json:"kind"`
	Color       string         `json:"color,omitempty"`
	Probability float64        `json:"probability"`
	Count       int64          `json:"count"`
	Sum         any            `json:"sum"`
	Records     []store.Record `json:"records"`
	Next        string         `json:"next_cursor,omitempty"`
}

// Board returns m's records by state, inside the actor's read scope and
// field permissions: counts and sums come from one GROUP BY, each column's
// records from a keyset-paged list of its own.
func (s *Service) Board(ctx context.Context, a record.Actor, m *meta.Module, q BoardQuery) (*Board, error) {
	f, err := s.boardFlow(ctx, m, q.Flow)
	if err != nil {
		return nil, err
	}
	if q.Limit == 0 {
		q.Limit = DefaultBoardLimit
	}
	if q.Limit < 1 || q.Limit > MaxBoardLimit {
		return nil, errs.New(errs.Invalid, "flow.bad_board_limit", "max", MaxBoardLimit)
	}
	states := f.States
	switch {
	case q.State != "":
		st := f.State(q.State)
		if st == nil {
			return nil, errs.New(errs.Invalid, "flow.bad_board_state", "state", q.State)
		}
		states = []*State{st}
	case q.Cursor != "":
		return nil, errs.New(errs.Invalid, "flow.cursor_needs_state")
	}
	if q.Sort == "" {
		q.Sort = "-updated_at"
	}
	reach, err := s.Records.ReachOf(ctx, &a, m)
	if err != nil {
		return nil, err
	}
	if reach.Rights.Hidden(f.Field) {
		return nil, errs.New(errs.Forbidden, "flow.field_hidden")
	}
	groups, err := s.Records.Groups(ctx, a, m, store.GroupQuery{By: f.Field, Sum: q.Sum, Filter: q.Filter})
	if err != nil {
		return nil, err
	}
	byState := map[any]store.Group{}
	for _, g := range groups {
		byState[g.Value] = g
	}
	b := &Board{Flow: f.Key, Field: f.Field, Columns: make([]Column, 0, len(states))}
	for _, st := range states {
		page, err := s.Records.List(ctx, a, m, store.ListQuery{
			Filter: q.Filter, Sort: q.Sort, Limit: q.Limit, Cursor: q.Cursor,
			Where: []store.Cond{{SQL: store.Quote(f.Field) + ` = ?`, Args: []any{st.Key}}},
		}, q.Expand)
		if err != nil {
			return nil, err
		}
		g := byState[st.Key]
		col := Column{State: st.Key, Label: st.Label, Kind: st.Kind, Color: st.Color, Probability: st.Probability,
			Count: g.Count, Sum: g.Sum, Records: page.Records, Next: page.Next}
		if q.Sum != "" && col.Sum == nil {
			col.Sum = 0
		}
		b.Columns = append(b.Columns, col)
	}
	return b, nil
}

// boardFlow is the pipeline named key, or m's only one.
func (s *Service) boardFlow(ctx context.Context, m *meta.Module, key string) (*Flow, error) {
	flows, err := s.forModule(ctx, m.AppKey, m.Key)
	if err != nil {
		return nil, err
	}
	for _, f := range flows {
		if f.Key == key || (key == "" && len(flows) == 1) {
			return f, nil
		}
	}
	if key == "" && len(flows) > 1 {
		return nil, errs.New(errs.Invalid, "flow.board_flow_required")
	}
	return nil, errs.New(errs.NotFound, "flow.not_found", "key", key)
}
