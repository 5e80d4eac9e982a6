package store

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/meta"
)

// Every column kind, with each driver type it arrives as (SQLite: int64,
// float64, string, []byte; PostgreSQL through pgx: time.Time, [16]byte,
// bool, NUMERIC as text), writes byte for byte what encoding/json writes
// for Decode's value — the map form the record API answered with before.
func TestAppendValueMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 30, 0, 120000000, time.FixedZone("CST", 8*3600))
	strs := []any{"plain", "", `quote " and \ back`, "<b>&amp;</b>", "tab\tline\nret\r\b\f\x01\x1f", "全部类型 ✓",
		"bad \xff utf8 \xc3", "sep \u2028 \u2029 end", "emoji 😀", []byte("bytes <&>")}
	cases := map[meta.ColumnKind][]any{
		meta.ColText:    strs,
		meta.ColInteger: {int64(0), int64(-42), int64(math.MaxInt64), float64(7), float64(-3.9), "12", "x", []byte("99")},
		meta.ColFloat: {float64(1.5), float64(0), float64(-0.000001), float64(1e-7), float64(1e21), float64(123456789.125),
			int64(3), "2.50", "1e5", "-0.0", math.NaN(), math.Inf(1), ""},
		meta.ColDecimal: {"12.500", "100", "0.000", "-7.25", []byte("3.140"), int64(10), float64(0.1), "abc"},
		meta.ColBool:    {true, false, int64(1), int64(0), "true"},
		meta.ColDate:    {"2026-03-01", "2026-03-01T00:00:00Z", []byte("2024-02-29"), at, "bad<date>"},
		meta.ColTime: {"2026-03-01T08:30:00.000000Z", "2026-03-01T08:30:00.120000Z", "2026-03-01T08:30:00.000001Z",
			"2024-02-29T23:59:59.999999Z", "2024-02-30T00:00:00.000000Z", "2024-13-01T00:00:00.000000Z",
			"2026-03-01T08:30:00Z", "2026-03-01T08:30:00+08:00", "not a time", []byte("2026-01-31T12:00:00.500000Z"), at,
			time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		meta.ColRef:  {"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, []byte("abc")},
		meta.ColJSON: {`{"k": [1, "two", null], "h": "<&>"}`, `["a","c"]`, []byte(` {"x":1} `), `not json`},
	}
	for kind, vals := range cases {
		c := meta.Column{Kind: kind}
		for _, v := range append(vals, nil) {
			want, wantErr := json.Marshal(Decode(c, v))
			got, err := appendValue([]byte("prefix"), c, v)
			if (err != nil) != (wantErr != nil) {
				t.Errorf("kind %v, %#v: error %v, encoding/json's %v", kind, v, err, wantErr)
				continue
			}
			if err == nil && string(got) != "prefix"+string(want) {
				t.Errorf("kind %v, %#v:\n got %s\nwant %s", kind, v, got[len("prefix"):], want)
			}
		}
	}
}

// A page written by RowPage.AppendJSON decodes to what encoding/json
// makes of the same page in the map form: records with omitted, hidden
// and projected keys, expansions, cursor and totals.
func TestRowPageJSON(t *testing.T) {
	typ := func(name string) meta.FieldType { ft, _ := meta.LookupType(name); return ft }
	m := &meta.Module{ID: "m1", Version: 1, Fields: []*meta.Field{
		{Key: "name", Type: typ("text")}, {Key: "amount", Type: typ("integer")}, {Key: "secret", Type: typ("text")},
	}}
	rows := newRows(m)
	now := "2026-03-01T08:30:00.500000Z"
	for _, vals := range [][]any{
		{"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", int64(1), now, now, nil, nil, "u1", nil, "a <b>", int64(5), "s"},
		{"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", int64(2), now, now, "u1", "u1", nil, now, nil, nil, nil},
	} {
		rows.vals = append(rows.vals, vals...)
		rows.n++
	}
	rows.Omit("secret")
	rows.SetExpand(0, "owner", Record{"id": "u1", "_title": "Ada"})
	rows.SetExpand(1, "owner", nil)
	total, exact := int64(2), true
	page := &RowPage{Page: Page{Next: "abc", Total: &total, TotalExact: &exact}, Rows: rows}
	check := func(what string) {
		t.Helper()
		got, err := page.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(Page{Records: rows.Records(), Next: page.Next, Total: page.Total, TotalExact: page.TotalExact})
		if !json.Valid(got) {
			t.Fatalf("%s: invalid JSON %s", what, got)
		}
		if string(mustRemarshal(got)) != string(mustRemarshal(want)) {
			t.Errorf("%s:\n got %s\nwant %s", what, got, want)
		}
	}
	check("all")
	if rec := rows.Record(0); rec["secret"] != nil || rec["deleted_at"] != nil || rec["expand"] == nil {
		t.Errorf("record 0 = %v, want no secret, no deleted_at, an expansion", rec)
	}
	if rec := rows.Record(1); rec["deleted_at"] == nil {
		t.Errorf("record 1 = %v, want its deleted_at", rec)
	}
	rows.Only([]string{"name"})
	check("fields=name")
	if rec := rows.Record(0); len(rec) != 3 {
		t.Errorf("fields=name keeps %v, want id, version, name", rec)
	}
	rows.Only([]string{"owner"})
	check("fields=owner")
}

func mustRemarshal(b []byte) []byte {
	var v any
	json.Unmarshal(b, &v)
	out, _ := json.Marshal(v)
	return out
}

// The encoding alone, 50 records of the bench's shape: the map form
// (decoded values in a map per record, encoding/json) against
// RowPage.AppendJSON into a reused buffer. `go test ./engine/store -run -
// -bench PageJSON -benchmem`.
func BenchmarkPageJSON(b *testing.B) {
	typ := func(name string) meta.FieldType { ft, _ := meta.LookupType(name); return ft }
	m := &meta.Module{ID: "bench", Version: 1}
	for _, f := range [][2]string{{"name", "text"}, {"amount", "currency"}, {"stage", "select"}, {"region", "select"},
		{"close_date", "date"}, {"score", "integer"}, {"active", "boolean"}, {"email", "email"}} {
		m.Fields = append(m.Fields, &meta.Field{Key: f[0], Type: typ(f[1])})
	}
	rows := newRows(m)
	for i := range 50 {
		now := "2026-03-01T08:30:00.123456Z"
		rows.vals = append(rows.vals, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", int64(1), now, now,
			"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", nil,
			"Deal 004242 north", float64(1234.5+float64(i)), "won", "east", "2026-05-01", int64(42), int64(1), "buyer42@example.com")
		rows.n++
	}
	page := &RowPage{Rows: rows}
	b.Run("map+encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(Page{Records: rows.Records()}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = page.AppendJSON(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
