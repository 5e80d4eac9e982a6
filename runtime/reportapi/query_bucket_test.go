package reportapi_test

// Date buckets through HTTP on both dialects, for viewers in three time
// zones (one with DST). The expected groups are computed with Go's time
// package from the inserted instants.

import (
	"fmt"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// bucketInstants are the events' instants: hand-picked boundaries, then a
// spread over more than a year.
func bucketInstants() []time.Time {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	out := []time.Time{
		at("2026-03-01T16:30:00Z"), // Monday 00:30 in Shanghai, Sunday in UTC and New York
		at("2026-03-01T15:59:59Z"), // still Sunday in Shanghai
		at("2026-03-31T16:00:00Z"), // 1 April (Q2) in Shanghai, 31 March (Q1) in UTC
		at("2025-12-31T16:00:00Z"), // 2026 in Shanghai, 2025 in UTC
		at("2026-03-09T04:30:00Z"), // 9 March 00:30 EDT in New York (8 March under EST)
		at("2026-11-01T04:30:00Z"), // 1 November 00:30 EDT, before the fall back
		at("2026-11-02T04:30:00Z"), // 1 November 23:30 EST in New York
	}
	t := at("2025-11-20T03:17:00Z")
	for range 40 {
		out = append(out, t)
		t = t.Add(11*24*time.Hour + 7*time.Hour + 13*time.Minute)
	}
	return out
}

// bucketStart is the start date of t's bucket in t's location.
func bucketStart(t time.Time, bucket string) string {
	y, m, d := t.Date()
	var s time.Time
	switch bucket {
	case "day":
		s = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	case "week":
		s = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
	case "month":
		s = time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	case "quarter":
		s = time.Date(y, ((m-1)/3)*3+1, 1, 0, 0, 0, 0, time.UTC)
	case "year":
		s = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return s.Format(time.DateOnly)
}

func bucketSetup(t *testing.T, s *store.Store) (*apitest.Env, []time.Time) {
	e := apitest.New(t, s, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	zones := map[string]string{"utc": "UTC", "ny": "America/New_York"}
	for n, z := range zones {
		e.User(t, n, access.NewUser{IsAdmin: true})
		e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs[n], map[string]any{"time_zone": z}).Want(t, 200)
	}
	label := apitest.Label
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": label("CRM")}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "ev", "label": label("Event"), "schema": map[string]any{
		"properties": map[string]any{
			"at":     map[string]any{"x-field": map[string]any{"type": "datetime"}},
			"on":     map[string]any{"x-field": map[string]any{"type": "date"}},
			"kind":   map[string]any{"x-field": map[string]any{"type": "text"}},
			"amount": map[string]any{"x-field": map[string]any{"type": "number"}},
		},
	}}).Want(t, 201)
	ins := bucketInstants()
	for i, at := range ins {
		// on is the instant's UTC date shifted by i days: a date has no zone.
		on := at.UTC().AddDate(0, 0, i%5).Format(time.DateOnly)
		e.Do(t, "admin", "POST", "/api/apps/crm/modules/ev/records", map[string]any{
			"at": at.Format(time.RFC3339), "on": on, "kind": "k", "amount": i + 1}).Want(t, 201)
	}
	return e, ins
}

func TestQueryBuckets(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, ins := bucketSetup(t, s)
		zones := map[string]string{"admin": "Asia/Shanghai", "utc": "UTC", "ny": "America/New_York"}
		for who, zone := range zones {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			for _, field := range []string{"at", "on"} {
				for _, bucket := range []string{"day", "week", "month", "quarter", "year"} {
					want := map[string][2]int{} // start → count, sum of amount
					for i, at := range ins {
						var start string
						if field == "at" {
							start = bucketStart(at.In(loc), bucket)
						} else {
							d := at.UTC().AddDate(0, 0, i%5)
							start = bucketStart(d, bucket)
						}
						w := want[start]
						want[start] = [2]int{w[0] + 1, w[1] + i + 1}
					}
					r := e.Do(t, who, "POST", "/api/apps/crm/query", map[string]any{"module": "ev",
						"dimensions": []any{map[string]any{"field": field, "bucket": bucket}},
						"measures":   []any{map[string]any{"op": "count"}, map[string]any{"op": "sum", "field": "amount"}}}).Want(t, 200)
					if r.Str("columns.0.type") != "date" {
						t.Fatalf("%s %s %s: columns %v", who, field, bucket, r.Get("columns"))
					}
					rows := r.List("rows")
					if len(rows) != len(want) {
						t.Fatalf("%s %s %s: %d groups, want %d: %v\nwant %v", who, field, bucket, len(rows), len(want), rows, want)
					}
					prev := ""
					for _, row := range rows {
						row := row.([]any)
						start, _ := row[0].(string)
						w, ok := want[start]
						if !ok || qnum(row[1]) != float64(w[0]) || qnum(row[2]) != float64(w[1]) {
							t.Errorf("%s %s %s: group %v, want %v", who, field, bucket, row, want)
						}
						if start <= prev {
							t.Errorf("%s %s %s: groups out of order: %v", who, field, bucket, rows)
						}
						prev = start
					}
				}
			}
		}
		// The boundary cases, spelled out.
		one := func(who, bucket string, at string) []any {
			r := e.Do(t, who, "POST", "/api/apps/crm/query", map[string]any{"module": "ev", "filter": fmt.Sprintf("at == %q", at),
				"dimensions": []any{map[string]any{"field": "at", "bucket": bucket}}, "measures": []any{map[string]any{"op": "count"}}}).Want(t, 200)
			rows := r.List("rows")
			if len(rows) != 1 {
				t.Fatalf("%s %s %s: %v", who, bucket, at, rows)
			}
			return rows[0].([]any)
		}
		checks := []struct{ who, bucket, at, want string }{
			{"admin", "day", "2026-03-01T16:30:00Z", "2026-03-02"},
			{"utc", "day", "2026-03-01T16:30:00Z", "2026-03-01"},
			{"admin", "week", "2026-03-01T16:30:00Z", "2026-03-02"}, // a Monday starts its week
			{"utc", "week", "2026-03-01T16:30:00Z", "2026-02-23"},   // a Sunday ends its week
			{"admin", "week", "2026-03-01T15:59:59Z", "2026-02-23"},
			{"admin", "quarter", "2026-03-31T16:00:00Z", "2026-04-01"},
			{"utc", "quarter", "2026-03-31T16:00:00Z", "2026-01-01"},
			{"admin", "year", "2025-12-31T16:00:00Z", "2026-01-01"},
			{"utc", "year", "2025-12-31T16:00:00Z", "2025-01-01"},
			{"ny", "day", "2026-03-09T04:30:00Z", "2026-03-09"}, // EDT, not EST
			{"ny", "day", "2026-11-01T04:30:00Z", "2026-11-01"},
			{"ny", "day", "2026-11-02T04:30:00Z", "2026-11-01"}, // EST again
		}
		for _, c := range checks {
			if row := one(c.who, c.bucket, c.at); row[0] != c.want {
				t.Errorf("%s %s of %s: %v, want %s", c.who, c.bucket, c.at, row[0], c.want)
			}
		}
		// Labels name the buckets.
		r := e.Do(t, "admin", "POST", "/api/apps/crm/query", map[string]any{"module": "ev", "filter": `at == "2026-03-31T16:00:00Z"`,
			"dimensions": []any{map[string]any{"field": "at", "bucket": "quarter"}}, "measures": []any{map[string]any{"op": "count"}}}).Want(t, 200)
		if l := r.Str("columns.0.labels.2026-04-01"); l != "2026-Q2" {
			t.Errorf("quarter label %q: %s", l, r.Body)
		}
		// A bucket on a text field, or an unknown bucket, is refused.
		for _, d := range []map[string]any{{"field": "kind", "bucket": "month"}, {"field": "at", "bucket": "fortnight"}} {
			r := e.Do(t, "admin", "POST", "/api/apps/crm/query", map[string]any{"module": "ev",
				"dimensions": []any{d}, "measures": []any{map[string]any{"op": "count"}}}).Want(t, 400)
			r.Contains(t, "Cannot bucket")
			e.Do(t, "admin", "POST", "/api/apps/crm/query", map[string]any{"module": "ev",
				"dimensions": []any{d}, "measures": []any{map[string]any{"op": "count"}}}, "Accept-Language", "zh-CN").Want(t, 400).Contains(t, "分桶")
		}
	})
}
