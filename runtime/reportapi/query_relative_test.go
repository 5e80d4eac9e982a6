package reportapi_test

import (
	"fmt"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// figure reads a number cell (nil: 0, an empty aggregate).
func figure(t *testing.T, v any) float64 {
	t.Helper()
	if v == nil {
		return 0
	}
	f, err := strconv.ParseFloat(fmt.Sprint(v), 64)
	if err != nil {
		t.Fatalf("not a number: %#v", v)
	}
	return f
}

// Relative range bounds and today in filters follow the store's clock
// (the test's, years away from the wall clock): "quarter" to "quarter+1"
// with compare previous_period is this quarter against the last, and
// `on < today` counts the days before the test's today, in a query and
// in a record list. (The CRM's dashboard test covers a pipeline source's
// relative range: its forecast.)
func TestQueryRelativeRangeAndClock(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		// 4 May 2031, 17:00 in Shanghai.
		e := apitest.New(t, s, time.Date(2031, 5, 4, 9, 0, 0, 0, time.UTC))
		label := apitest.Label
		e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": label("CRM")}).Want(t, 201)
		e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "ev", "label": label("Event"), "schema": map[string]any{
			"properties": map[string]any{
				"on":     map[string]any{"x-field": map[string]any{"type": "date"}},
				"amount": map[string]any{"x-field": map[string]any{"type": "number"}},
			},
		}}).Want(t, 201)
		// Amounts by date: this quarter (Q2 2031) 1 + 2 + 4 (two before
		// today, one after); last quarter 8 + 16; the one before 32; next
		// quarter 64.
		for on, amount := range map[string]int{"2031-04-01": 1, "2031-05-04": 2, "2031-06-30": 4, "2031-01-01": 8, "2031-03-31": 16,
			"2030-12-31": 32, "2031-07-01": 64} {
			e.Do(t, "admin", "POST", "/api/apps/crm/modules/ev/records", map[string]any{"on": on, "amount": amount}).Want(t, 201)
		}
		sum := func(rng map[string]any, filter string) (float64, float64) {
			t.Helper()
			spec := map[string]any{"module": "ev", "measures": []any{map[string]any{"op": "sum", "field": "amount"}}, "range": rng}
			if filter != "" {
				spec["filter"] = filter
			}
			if rng["from"] != nil && rng["to"] != nil {
				spec["compare"] = "previous_period"
			}
			r := e.Do(t, "admin", "POST", "/api/apps/crm/query", spec).Want(t, 200)
			return figure(t, r.Get("rows.0.0")), figure(t, r.Get("compare_rows.0.0"))
		}
		for _, c := range []struct {
			from, to   string
			this, prev float64
		}{
			{"quarter", "quarter+1", 7, 24},
			{"quarter-1", "quarter", 24, 32},
			{"year", "year+1", 1 + 2 + 4 + 8 + 16 + 64, 32},
			{"month", "month+1", 2, 1}, // May against April
			{"day-33", "day+1", 1 + 2, 16},
		} {
			if this, prev := sum(map[string]any{"field": "on", "from": c.from, "to": c.to}, ""); this != c.this || prev != c.prev {
				t.Errorf("%s … %s: %v against %v, want %v against %v", c.from, c.to, this, prev, c.this, c.prev)
			}
		}
		// An open end and today in the filter: from this quarter on, up to
		// the test's today.
		if this, _ := sum(map[string]any{"field": "on", "from": "quarter"}, "on <= today"); this != 1+2 {
			t.Errorf("this quarter before today: %v", this)
		}
		r := e.Do(t, "admin", "GET", "/api/apps/crm/modules/ev/records?filter="+url.QueryEscape("on < today && on >= \"2031-01-01\""), nil).Want(t, 200)
		if n := len(r.List("records")); n != 3 {
			t.Errorf("records before today this year: %d (%s)", n, r.Body)
		}
		// A bound that is neither a date nor a relative one is refused.
		e.Do(t, "admin", "POST", "/api/apps/crm/query", map[string]any{"module": "ev", "measures": []any{map[string]any{"op": "count"}},
			"range": map[string]any{"field": "on", "from": "quarter*2"}}).Want(t, 400)
	})
}
