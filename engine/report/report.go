// Package report runs query specs: a module, a filter, dimensions and
// measures, compiled to one SQL GROUP BY per spec on both dialects and
// always run inside the caller's record scope and field permissions
// (record.Service). Nothing is aggregated in Go.
package report

import (
	"context"
	"strings"
	"sync"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Dimension groups rows by a field; a date or datetime field may be
// bucketed by day, week (starting Monday), month, quarter or year in the
// viewer's time zone. Field may go one lookup deep ("account.province").
type Dimension struct {
	Field  string `json:"field"`
	Bucket string `json:"bucket,omitempty"`
}

// Measure is one aggregate: count, count_distinct, sum, avg, min, max of
// a field (count needs none), optionally over the rows matching Filter
// only (conditional aggregates such as count_won); or calc, an expression
// (Expr) over the other measures' names (As).
type Measure struct {
	Op     string `json:"op"`
	Field  string `json:"field,omitempty"`
	As     string `json:"as,omitempty"`
	Filter string `json:"filter,omitempty"`
	Expr   string `json:"expr,omitempty"`
}

// Range limits the rows to From <= Field < To (dates or datetimes, in the
// viewer's time zone); the comparison period is derived from it.
type Range struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Sort orders result rows by a column key (a dimension's field or a
// measure's name).
type Sort struct {
	Key  string `json:"key"`
	Desc bool   `json:"desc,omitempty"`
}

// Spec is one query.
type Spec struct {
	Module     string      `json:"module"`
	Filter     string      `json:"filter,omitempty"`
	Dimensions []Dimension `json:"dimensions,omitempty"`
	Measures   []Measure   `json:"measures"`
	Sort       []Sort      `json:"sort,omitempty"`
	Limit      int         `json:"limit,omitempty"`
	// Compare is previous_period or previous_year; it needs Range.
	Compare string `json:"compare,omitempty"`
	Range   *Range `json:"range,omitempty"`
	// Source is "" for records; other sources are registered (Register).
	Source string `json:"source,omitempty"`
	// Params are a registered source's own arguments.
	Params map[string]any `json:"params,omitempty"`
}

// Column describes one result column; Label is in the caller's locale.
// Type is string, number, date, datetime, bool.
type Column struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Type  string `json:"type"`
}

// Result is a table: dimension columns first, then measures.
type Result struct {
	Columns     []Column `json:"columns"`
	Rows        [][]any  `json:"rows"`
	CompareRows [][]any  `json:"compare_rows,omitempty"`
}

// Options are the viewer's settings for one run.
type Options struct {
	Locale   string
	TimeZone string // IANA name; "" = Asia/Shanghai
	// Filter is ANDed to the spec's filter (dashboard-level filters), in
	// the same expression language.
	Filter string
}

// Source runs specs of a registered kind (pipeline analytics, …).
type Source interface {
	Run(ctx context.Context, a record.Actor, app string, spec Spec, o Options) (*Result, error)
}

// Service runs specs over the records service.
type Service struct {
	Records *record.Service

	mu      sync.RWMutex
	sources map[string]Source
}

// New returns a service over records.
func New(records *record.Service) *Service { return &Service{Records: records} }

// Register adds a spec source by name.
func (s *Service) Register(name string, src Source) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sources == nil {
		s.sources = map[string]Source{}
	}
	s.sources[name] = src
}

func (s *Service) source(name string) (Source, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	src, ok := s.sources[name]
	return src, ok
}

// Run compiles and runs spec as actor a: one GROUP BY per spec (plus one
// for the comparison period).
func (s *Service) Run(ctx context.Context, a record.Actor, app string, spec Spec, o Options) (*Result, error) {
	if spec.Source != "" {
		src, ok := s.source(spec.Source)
		if !ok {
			return nil, errs.New(errs.Invalid, "report.bad_source", "source", spec.Source)
		}
		return src.Run(ctx, a, app, spec, o)
	}
	return s.runRecords(ctx, a, app, spec, o)
}

// runRecords runs a spec over a module's records. This first version
// groups by plain fields and system keys only: date buckets, lookup paths,
// calculated measures and comparison periods are refused with a 400
// (report.not_implemented) rather than answered wrongly.
func (s *Service) runRecords(ctx context.Context, a record.Actor, app string, spec Spec, o Options) (*Result, error) {
	m, err := s.Records.Modules.Module(ctx, app, spec.Module)
	if err != nil {
		return nil, err
	}
	if spec.Compare != "" || spec.Range != nil || len(spec.Sort) > 0 {
		return nil, errs.New(errs.Invalid, "report.not_implemented")
	}
	q := store.AggQuery{Filter: joinFilters(spec.Filter, o.Filter), Limit: spec.Limit}
	res := &Result{Columns: []Column{}}
	for _, d := range spec.Dimensions {
		if d.Bucket != "" || strings.Contains(d.Field, ".") {
			return nil, errs.New(errs.Invalid, "report.not_implemented")
		}
		q.Dims = append(q.Dims, d.Field)
		res.Columns = append(res.Columns, Column{Key: d.Field, Label: fieldLabel(m, d.Field, o.Locale), Type: fieldType(m, d.Field)})
	}
	seen := map[string]bool{}
	for _, ms := range spec.Measures {
		if ms.Op == "calc" {
			return nil, errs.New(errs.Invalid, "report.not_implemented")
		}
		key := ms.As
		if key == "" {
			key = ms.Op
			if ms.Field != "" {
				key += "_" + ms.Field
			}
		}
		if seen[key] {
			return nil, errs.New(errs.Invalid, "report.duplicate_measure", "name", key)
		}
		seen[key] = true
		q.Measures = append(q.Measures, store.AggMeasure{Op: ms.Op, Field: ms.Field, Filter: ms.Filter})
		res.Columns = append(res.Columns, Column{Key: key, Label: key, Type: "number"})
	}
	if res.Rows, err = s.Records.Aggregate(ctx, a, m, q); err != nil {
		return nil, err
	}
	return res, nil
}

func joinFilters(a, b string) string {
	switch {
	case strings.TrimSpace(a) == "":
		return b
	case strings.TrimSpace(b) == "":
		return a
	}
	return "(" + a + ") && (" + b + ")"
}

// fieldLabel is a field's label in locale; system keys are labelled by
// their key.
func fieldLabel(m *meta.Module, key, locale string) string {
	if f := m.Field(key); f != nil {
		if l := f.Label.In(locale); l != "" {
			return l
		}
	}
	return key
}

// fieldType is the result column type of a dimension.
func fieldType(m *meta.Module, key string) string {
	f := m.Field(key)
	if f == nil {
		return "string"
	}
	switch f.Column().Kind {
	case meta.ColInteger, meta.ColFloat, meta.ColDecimal:
		return "number"
	case meta.ColBool:
		return "bool"
	case meta.ColDate:
		return "date"
	}
	return "string"
}

// Drill returns the list filter selecting the records behind one cell,
// and the first page of them (as a).
func (s *Service) Drill(ctx context.Context, a record.Actor, app string, spec Spec, cell map[string]any, o Options) (string, *store.Page, error) {
	return "", nil, errs.New(errs.Invalid, "report.not_implemented")
}
