package report

import (
	"regexp"
	"strconv"
	"time"
)

// A range bound may be relative to the clock: a unit — day, week (starting
// Monday), month, quarter, year — naming the start of the one that holds
// now in the viewer's time zone, shifted by a signed count of such units:
// "quarter" to "quarter+1" is this quarter, "month-1" to "month" last
// month, "day-30" to "day+1" the last 30 days and today. A dashboard saved
// with such a range shows the current period whenever it is opened, which
// a package (a template) can only say this way; compare previous_period
// then gives the period before it.
var relativeBound = regexp.MustCompile(`^(day|week|month|quarter|year)(?:([+-])([0-9]{1,4}))?$`)

// absoluteRange returns r with relative bounds replaced by the dates they
// name at now in loc (midnights, written as dates, which parseRange and
// every source read as midnight in the viewer's zone); r itself is not
// changed. Other bounds pass through for the parsers to judge.
func absoluteRange(r *Range, now time.Time, loc *time.Location) *Range {
	if r == nil {
		return nil
	}
	out := *r
	out.From, out.To = absoluteBound(r.From, now, loc), absoluteBound(r.To, now, loc)
	return &out
}

func absoluteBound(v string, now time.Time, loc *time.Location) string {
	m := relativeBound.FindStringSubmatch(v)
	if m == nil {
		return v
	}
	n := 0
	if m[3] != "" {
		n, _ = strconv.Atoi(m[3]) // at most four digits
		if m[2] == "-" {
			n = -n
		}
	}
	t := now.In(loc)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	var start time.Time
	switch m[1] {
	case "day":
		start = day.AddDate(0, 0, n)
	case "week":
		back := (int(day.Weekday()) + 6) % 7 // days since Monday
		start = day.AddDate(0, 0, 7*n-back)
	case "month":
		start = time.Date(t.Year(), t.Month()+time.Month(n), 1, 0, 0, 0, 0, loc)
	case "quarter":
		q := (int(t.Month()) - 1) / 3 * 3
		start = time.Date(t.Year(), time.Month(q+1+3*n), 1, 0, 0, 0, 0, loc)
	case "year":
		start = time.Date(t.Year()+n, 1, 1, 0, 0, 0, 0, loc)
	}
	return start.Format(time.DateOnly)
}

// now is the clock of the records' store (tests set it), else the wall
// clock.
func (s *Service) now() time.Time {
	if s.Records != nil && s.Records.Store != nil && s.Records.Store.Now != nil {
		return s.Records.Store.Now()
	}
	return time.Now()
}

// absolute is spec with its range made absolute for the viewer's zone
// (an unknown zone is left for compile to report).
func (s *Service) absolute(spec Spec, o Options) Spec {
	if spec.Range == nil {
		return spec
	}
	loc, err := zone(o.TimeZone)
	if err != nil {
		return spec
	}
	spec.Range = absoluteRange(spec.Range, s.now(), loc)
	return spec
}
