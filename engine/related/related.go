// Package related reads what surrounds a record — the 360° view: the
// records of other modules that look it up (Related), and its timeline
// (Timeline): its history, stage moves, approvals, and the records of
// activity-like modules (x-timeline) that look it up, newest first. Every
// read goes through the record service as the caller, so scopes and field
// levels apply as on any list: a module the caller cannot read is left
// out, hidden fields never show.
package related

import (
	"context"

	"github.com/tessera-app/tessera/engine/approval"
	"github.com/tessera-app/tessera/engine/audit"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/flow"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Service reads related records and timelines.
type Service struct {
	Meta      *meta.Service
	Records   *record.Service
	Audit     *audit.Log        // nil: no history on timelines
	Flows     *flow.Service     // nil: no stage moves
	Approvals *approval.Service // nil: no approvals
}

// DefaultLimit is the first page's size of each related module.
const DefaultLimit = 5

// Relation is one module looking the record up through one lookup field:
// how many of its records do (that the caller may see) and the first page.
type Relation struct {
	Module string      `json:"module"`
	Label  meta.Label  `json:"label"`
	Field  string      `json:"field"`
	Named  meta.Label  `json:"field_label"`
	Count  int64       `json:"count"`
	Exact  bool        `json:"count_exact"`
	Page   *store.Page `json:"page"`
	Title  string      `json:"title_field,omitempty"`
}

// CountCap bounds each relation's count (as total=true bounds a list's).
const CountCap = 10000

// referrers are the (module, lookup field) pairs of m's app pointing at m.
func (s *Service) referrers(ctx context.Context, m *meta.Module) ([]*meta.Module, [][]*meta.Field, error) {
	mods, err := s.Meta.AppModules(ctx, m.AppKey)
	if err != nil {
		return nil, nil, err
	}
	var outM []*meta.Module
	var outF [][]*meta.Field
	for _, other := range mods {
		var fs []*meta.Field
		for _, f := range other.Fields {
			if c := f.Column(); c.Kind == meta.ColRef && !c.RefUsers && c.RefModule == m.Key {
				fs = append(fs, f)
			}
		}
		if len(fs) > 0 {
			outM, outF = append(outM, other), append(outF, fs)
		}
	}
	return outM, outF, nil
}

// Related lists, for each module with a lookup pointing at m, the records
// looking up record id through it: count and first page (limit records,
// newest first), as the caller may see them. The record itself must be
// readable (else not found).
func (s *Service) Related(ctx context.Context, a record.Actor, m *meta.Module, id string, limit int) ([]Relation, error) {
	if _, err := s.Records.Readable(ctx, a, m, id); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	mods, fields, err := s.referrers(ctx, m)
	if err != nil {
		return nil, err
	}
	out := []Relation{}
	for i, other := range mods {
		for _, f := range fields[i] {
			page, ok, err := s.page(ctx, a, other, f, []string{id}, store.ListQuery{Limit: limit, Total: true, TotalCap: CountCap})
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			rel := Relation{Module: other.Key, Label: other.Label, Field: f.Key, Named: f.Label, Page: page, Title: other.TitleKey}
			if page.Total != nil {
				rel.Count = *page.Total
			}
			rel.Exact = page.TotalExact == nil || *page.TotalExact
			page.Total, page.TotalExact, page.TotalEstimate = nil, nil, nil
			out = append(out, rel)
		}
	}
	return out, nil
}

// Page lists the records of other looking up ids through field (the next
// pages of a relation; q's cursor and limit apply).
func (s *Service) Page(ctx context.Context, a record.Actor, m *meta.Module, id string, other *meta.Module, field string, q store.ListQuery) (*store.Page, error) {
	if _, err := s.Records.Readable(ctx, a, m, id); err != nil {
		return nil, err
	}
	f := other.Field(field)
	if f == nil || f.Column().RefModule != m.Key || f.Column().RefUsers {
		return nil, errs.New(errs.NotFound, "related.no_relation", "module", other.Label, "field", field)
	}
	page, ok, err := s.page(ctx, a, other, f, []string{id}, q)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.New(errs.NotFound, "related.no_relation", "module", other.Label, "field", field)
	}
	return page, nil
}

// page lists other's records whose lookup f is one of ids, as a sees them;
// ok is false when a may not read other or f is hidden from them (the
// relation is then not theirs to know).
func (s *Service) page(ctx context.Context, a record.Actor, other *meta.Module, f *meta.Field, ids []string, q store.ListQuery) (*store.Page, bool, error) {
	reach, err := s.Records.ReachOf(ctx, &a, other)
	if errs.Is(err, errs.Forbidden) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if reach.Rights.Hidden(f.Key) {
		return nil, false, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	q.Where = append(q.Where, store.Cond{SQL: store.Quote(f.Key) + ` IN (` + store.Marks(len(ids)) + `)`, Args: args})
	page, err := s.Records.List(ctx, a, other, q, nil)
	if err != nil {
		return nil, false, err
	}
	return page, true, nil
}
