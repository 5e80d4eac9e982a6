package export

import (
	"fmt"
	"testing"

	"github.com/tessera-app/tessera/engine/dashboard"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/report"
)

// pivotData is a pivot widget's data with n distinct column values: one
// row "a" with count i+1 in column i, as the dashboard's tasks return it.
func pivotData(n int) *dashboard.WidgetData {
	spec := report.Spec{Module: "deal", Dimensions: []report.Dimension{{Field: "stage"}, {Field: "code"}},
		Measures: []report.Measure{{Op: "count"}}}
	cols := []report.Column{{Key: "stage", Label: "Stage", Type: "string", Labels: map[string]string{"a": "A"}},
		{Key: "code", Label: "Code", Type: "string"}, {Key: "count", Label: "count", Type: "number"}}
	wd := &dashboard.WidgetData{Widget: &dashboard.Widget{Key: "p", Type: "pivot"}, Spec: spec, Columns: cols}
	var colRows [][]any
	var sum int64
	for i := range n {
		c := fmt.Sprintf("c%03d", i)
		wd.Rows = append(wd.Rows, []any{"a", c, int64(i + 1)})
		colRows = append(colRows, []any{c, int64(i + 1)})
		sum += int64(i + 1)
	}
	wd.Result = map[string]any{
		"row_totals":    &report.Result{Rows: [][]any{{"a", sum}}},
		"column_totals": &report.Result{Rows: colRows},
		"total":         &report.Result{Rows: [][]any{{sum}}},
	}
	return wd
}

func TestPivotShapeOrFlat(t *testing.T) {
	s := &Service{}
	plan := func() *Plan {
		return &Plan{Request: Request{Format: "csv"}, Options: Options{Locale: "en"}, Module: &meta.Module{Key: "deal"}, loc: dashboard.Zone("")}
	}
	// Within MaxPivotColumns: the cross table, with totals.
	p := plan()
	if !s.pivot(p, pivotData(3)) {
		t.Fatal("a 3-column pivot was not pivoted")
	}
	var header []string
	for _, c := range p.cols {
		header = append(header, c.label)
	}
	if fmt.Sprint(header) != "[Stage c000 c001 c002 Total]" {
		t.Errorf("header %v", header)
	}
	if fmt.Sprint(p.table) != "[[A 1 2 3 6] [Total 1 2 3 6]]" {
		t.Errorf("table %v", p.table)
	}
	if p.cols[1].kind != kindInteger {
		t.Errorf("a count's cells are of kind %v, want integers", p.cols[1].kind)
	}
	// Past it: flat rows (stage, code, count), as the widget's result.
	p = plan()
	wd := pivotData(MaxPivotColumns + 1)
	if s.pivot(p, wd) {
		t.Fatalf("a pivot of %d columns was pivoted", MaxPivotColumns+1)
	}
	s.flat(p, wd)
	if len(p.cols) != 3 || len(p.table) != MaxPivotColumns+1 {
		t.Fatalf("flat: %d columns, %d rows", len(p.cols), len(p.table))
	}
	if fmt.Sprint(p.table[0]) != "[A c000 1]" || p.cols[2].label != "Count" {
		t.Errorf("flat first row %v, measure header %q", p.table[0], p.cols[2].label)
	}
	// Not of the shape (a registered source): flat.
	wd = pivotData(2)
	wd.Spec.Source = "pipeline.funnel"
	if s.pivot(plan(), wd) {
		t.Error("a source's pivot was pivoted")
	}
}
