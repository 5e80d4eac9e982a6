// Package report runs query specs: a module, a filter, dimensions and
// measures, compiled to one SQL GROUP BY per spec on both dialects and
// always run inside the caller's record scope and field permissions
// (record.Service). Nothing is aggregated in Go.
package report

import (
	"context"
	"sync"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/record"
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
// Type is string, number, date, datetime, bool. A dimension's cells are
// raw values (an option value, a record or user id, a bucket's start
// date); Labels maps those that have a label to it, in the caller's
// locale: a select's option label, a lookup's target title (only of
// records the caller may read), a user's name, a bucket's name ("2026-03",
// "2026-Q1").
type Column struct {
	Key    string            `json:"key"`
	Label  string            `json:"label"`
	Type   string            `json:"type"`
	Labels map[string]string `json:"labels,omitempty"`
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
	spec = s.absolute(spec, o) // sources read the range's bounds themselves
	if spec.Source != "" {
		src, ok := s.source(spec.Source)
		if !ok {
			return nil, errs.New(errs.Invalid, "report.bad_source", "source", spec.Source)
		}
		return src.Run(ctx, a, app, spec, o)
	}
	return s.runRecords(ctx, a, app, spec, o)
}
