package report

import (
	"testing"
	"time"
)

// Relative bounds name the start of the unit holding now in the viewer's
// zone, shifted by whole units; anything else passes through.
func TestAbsoluteBound(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	// Tuesday 2027-04-06 01:30 in Shanghai is still Monday 5 April in UTC:
	// the zone decides the day, the week and (below) the quarter.
	now := time.Date(2027, 4, 5, 17, 30, 0, 0, time.UTC)
	for in, want := range map[string]string{
		"day": "2027-04-06", "day+1": "2027-04-07", "day-30": "2027-03-07",
		"week": "2027-04-05", "week-1": "2027-03-29", "week+2": "2027-04-19",
		"month": "2027-04-01", "month-1": "2027-03-01", "month+6": "2027-10-01", "month-4": "2026-12-01",
		"quarter": "2027-04-01", "quarter-1": "2027-01-01", "quarter-2": "2026-10-01", "quarter+3": "2028-01-01",
		"year": "2027-01-01", "year-1": "2026-01-01",
		"2027-01-15": "2027-01-15", "": "", "quarter*2": "quarter*2", "Month": "Month", "month-12345": "month-12345",
	} {
		if got := absoluteBound(in, now, sh); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	// In UTC the same instant is Monday 5 April; the first quarter ends
	// for both zones on 1 April.
	if got := absoluteBound("day", now, time.UTC); got != "2027-04-05" {
		t.Errorf("day in UTC: %s", got)
	}
	if got := absoluteBound("quarter", time.Date(2027, 3, 31, 17, 0, 0, 0, time.UTC), sh); got != "2027-04-01" {
		t.Errorf("31 March 17:00 UTC is 1 April in Shanghai: quarter %s", got)
	}
	if got := absoluteBound("quarter", time.Date(2027, 3, 31, 17, 0, 0, 0, time.UTC), time.UTC); got != "2027-01-01" {
		t.Errorf("quarter in UTC: %s", got)
	}
	r := &Range{Field: "closed_on", From: "quarter-1", To: "quarter"}
	if a := absoluteRange(r, now, sh); a.From != "2027-01-01" || a.To != "2027-04-01" || a.Field != "closed_on" || r.From != "quarter-1" {
		t.Errorf("range: %+v (input %+v)", a, r)
	}
}
