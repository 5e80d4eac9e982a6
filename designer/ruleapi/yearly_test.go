package ruleapi_test

// Yearly triggers on both dialects: an anniversary rule three days before
// each anniversary of a contract's date (29 February firing on the 28th
// in a common year, then on the 29th again in a leap year), and a festival
// rule the day before 中秋 over the records whose condition holds.

import (
	"strings"
	"testing"
	"time"
)

func titles(t *testing.T, e *env) string {
	var out []string
	for _, x := range e.list(t, "task", "") {
		out = append(out, x.(map[string]any)["title"].(string))
	}
	return strings.Join(out, ",")
}

func TestYearlyAnniversary(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.rule(t, map[string]any{"key": "anniv", "label": label("Anniversary"), "module": "contract",
			"trigger": map[string]any{"type": "date_relative", "field": "end_date", "offset": "-3d", "repeat": "yearly"},
			"actions": []any{map[string]any{"type": "task", "module": "task", "values": map[string]string{"title": `concat("Anniv ", name)`}}}})
		e.create(t, "contract", map[string]any{"name": "leap", "end_date": "2024-02-29"})
		e.runJobs(t)
		// 2026-03-02 now: next is 2027-02-28 (no 29th) minus 3 days.
		e.set(time.Date(2027, 2, 24, 23, 59, 0, 0, time.UTC))
		e.runJobs(t)
		if got := titles(t, e); got != "" {
			t.Fatalf("fired early: %q", got)
		}
		e.set(time.Date(2027, 2, 25, 0, 0, 1, 0, time.UTC))
		e.runJobs(t)
		e.runJobs(t)
		if got := titles(t, e); got != "Anniv leap" {
			t.Fatalf("2027: %q", got)
		}
		// The run planned 2028: the 29th exists again, so 26 February.
		e.set(time.Date(2028, 2, 25, 12, 0, 0, 0, time.UTC))
		e.runJobs(t)
		if n := len(e.list(t, "task", "")); n != 1 {
			t.Fatalf("fired before 2028-02-26: %d tasks", n)
		}
		e.set(time.Date(2028, 2, 26, 0, 0, 1, 0, time.UTC))
		e.runJobs(t)
		e.runJobs(t)
		if n := len(e.list(t, "task", "")); n != 2 {
			t.Fatalf("2028: %d tasks", n)
		}
	})
}

func TestFestivalTrigger(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.create(t, "contract", map[string]any{"name": "big", "amount": 500})
		e.create(t, "contract", map[string]any{"name": "small", "amount": 5})
		e.rule(t, map[string]any{"key": "gift", "label": label("中秋礼品"), "module": "contract",
			"trigger": map[string]any{"type": "festival", "festival": "mid_autumn", "offset": "-1d"}, "condition": "amount > 100",
			"actions": []any{map[string]any{"type": "task", "module": "task", "values": map[string]string{"title": `concat("Gift ", name)`}}}})
		// 中秋 2026 is 25 September: the rule fires on the 24th.
		e.set(time.Date(2026, 9, 23, 23, 0, 0, 0, time.UTC))
		e.runJobs(t)
		if got := titles(t, e); got != "" {
			t.Fatalf("fired early: %q", got)
		}
		e.set(time.Date(2026, 9, 24, 0, 0, 1, 0, time.UTC))
		e.runJobs(t)
		e.runJobs(t)
		if got := titles(t, e); got != "Gift big" {
			t.Fatalf("中秋 2026: %q", got)
		}
		// Next: 中秋 2027 is 15 September.
		e.set(time.Date(2027, 9, 14, 0, 0, 1, 0, time.UTC))
		e.runJobs(t)
		e.runJobs(t)
		if n := len(e.list(t, "task", "")); n != 2 {
			t.Fatalf("中秋 2027: %d tasks", n)
		}
		for _, c := range []struct{ trigger map[string]any }{
			{map[string]any{"type": "festival", "festival": "xmas"}},
			{map[string]any{"type": "date_relative", "field": "end_date", "offset": "0d", "repeat": "monthly"}},
		} {
			r := e.do(t, "POST", "/api/apps/crm/rules", map[string]any{"key": "bad", "label": label("Bad"), "module": "contract", "trigger": c.trigger,
				"actions": []any{map[string]any{"type": "task", "module": "task", "values": map[string]string{"title": `"x"`}}}}).want(t, 422)
			if !strings.Contains(string(r.body), "trigger.festival") && !strings.Contains(string(r.body), "trigger.repeat") {
				t.Errorf("%v: %s", c.trigger, r.body)
			}
		}
	})
}
