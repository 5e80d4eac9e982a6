package report

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestSpecRoundTrip(t *testing.T) {
	in := Spec{
		Module: "deals", Filter: `stage != "lost"`,
		Dimensions: []Dimension{{Field: "closed_on", Bucket: "month"}, {Field: "owner"}},
		Measures: []Measure{{Op: "count", As: "count"}, {Op: "count", Filter: `stage == "won"`, As: "count_won"},
			{Op: "calc", Expr: "count_won / count", As: "rate"}},
		Sort: []Sort{{Key: "count", Desc: true}}, Limit: 10, Compare: "previous_year",
		Range: &Range{Field: "closed_on", From: "2026-01-01", To: "2026-04-01"},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Spec
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip: %+v != %+v", out, in)
	}
	res := Result{Columns: []Column{{Key: "owner", Label: "Owner", Type: "string"}}, Rows: [][]any{{"Ann", 2.0}}}
	b, _ = json.Marshal(res)
	if string(b) != `{"columns":[{"key":"owner","label":"Owner","type":"string"}],"rows":[["Ann",2]]}` {
		t.Fatalf("result JSON %s", b)
	}
}
