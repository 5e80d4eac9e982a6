// Package calendar is Tessera's business calendars: which days are working
// days and which hours of them are working hours, in a time zone, with
// holidays and make-up workdays (China's 调休, where a Saturday can be a
// working day). Due times of approval steps are counted in working hours of
// a calendar (AddWorkingHours), time spent in a stage is measured in them
// (WorkingDuration), and the expression function businessDaysBetween counts
// the working days of the default calendar.
//
// A Calendar is a plain value: Compile checks it and builds the lookup
// tables its methods use; after that it is immutable and safe for
// concurrent use. The Service stores calendars and ships the default one.
package calendar

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
)

// Limits of one calendar.
const (
	MaxSpans   = 8     // working-hour spans a day
	MaxEntries = 1000  // holiday and workday entries
	MaxDays    = 10000 // days the entries cover in total
	// searchDays bounds how far AddWorkingHours and WorkingDuration walk
	// (about 30 years): a calendar always has working days, so this only
	// stops absurd inputs.
	searchDays = 11000
)

// Span is one stretch of working hours of a working day, "09:00" to
// "12:00" in the calendar's time zone. End "24:00" is midnight.
type Span struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Day is a holiday or a make-up workday: one date, or the dates From to To
// (inclusive), with an optional label ("国庆节", "国庆节调休").
type Day struct {
	From  string     `json:"from"`
	To    string     `json:"to,omitempty"`
	Label meta.Label `json:"label,omitempty"`
}

// Calendar is one business calendar.
type Calendar struct {
	Key      string     `json:"key"`
	Label    meta.Label `json:"label"`
	TimeZone string     `json:"time_zone"`
	// Weekdays are the regular working days, ISO numbers (1 Monday … 7
	// Sunday).
	Weekdays []int `json:"weekdays"`
	// Hours are the working hours of every working day, in order.
	Hours []Span `json:"hours"`
	// Holidays are days off that would otherwise be working days (a
	// holiday on a weekend changes nothing).
	Holidays []Day `json:"holidays"`
	// Workdays are make-up working days (调休) that would otherwise be
	// days off; they have the regular hours.
	Workdays []Day `json:"workdays"`
	// Version counts saved changes (0: the built-in calendar, never saved).
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// Note says where the built-in holiday data comes from and what it
	// lacks.
	Note string `json:"note,omitempty"`

	loc     *time.Location
	spans   [][2]int // minutes after midnight, in order, not overlapping
	weekday [8]bool  // by ISO weekday
	off     map[civil]bool
	on      map[civil]bool
}

// civil is a calendar date without a zone.
type civil struct {
	y int
	m time.Month
	d int
}

func civilOf(t time.Time) civil {
	y, m, d := t.Date()
	return civil{y, m, d}
}

func (c civil) String() string { return fmt.Sprintf("%04d-%02d-%02d", c.y, c.m, c.d) }

// next is the following date.
func (c civil) next() civil {
	return civilOf(time.Date(c.y, c.m, c.d+1, 0, 0, 0, 0, time.UTC))
}

// at is the moment minutes after midnight of the date in loc (time.Date
// normalizes, so 24:00 is the next midnight; across a DST change the
// wall-clock time is what counts).
func (c civil) at(minutes int, loc *time.Location) time.Time {
	return time.Date(c.y, c.m, c.d, 0, minutes, 0, 0, loc)
}

func parseDate(s string) (civil, bool) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return civil{}, false
	}
	return civilOf(t), true
}

// parseClock reads "HH:MM" (00:00 … 24:00) as minutes after midnight.
func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// Compile checks c and builds its lookup tables, returning one field error
// per problem (nothing is half-built on error).
func (c *Calendar) Compile() error {
	var fes []errs.FieldError
	add := func(field, code, key string, kv ...any) { fes = append(fes, errs.Field(field, code, key, kv...)) }
	if !meta.ValidKey(c.Key, meta.MaxFieldKey) {
		add("key", "bad_key", "calendar.bad_key")
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if c.TimeZone == "" || err != nil {
		add("time_zone", "bad_time_zone", "calendar.bad_time_zone", "zone", c.TimeZone)
	}
	var weekday [8]bool
	for i, d := range c.Weekdays {
		if d < 1 || d > 7 || weekday[d] {
			add("weekdays["+strconv.Itoa(i)+"]", "bad_weekday", "calendar.bad_weekday", "day", d)
			continue
		}
		weekday[d] = true
	}
	var spans [][2]int
	if len(c.Hours) == 0 || len(c.Hours) > MaxSpans {
		add("hours", "required", "calendar.hours_required", "max", MaxSpans)
	}
	for i, h := range c.Hours {
		f := "hours[" + strconv.Itoa(i) + "]"
		s, ok1 := parseClock(h.Start)
		e, ok2 := parseClock(h.End)
		switch {
		case !ok1 || !ok2:
			add(f, "bad_time", "calendar.bad_time", "start", h.Start, "end", h.End)
		case s >= e:
			add(f, "bad_span", "calendar.bad_span", "start", h.Start, "end", h.End)
		case len(spans) > 0 && s < spans[len(spans)-1][1]:
			add(f, "overlap", "calendar.span_order", "start", h.Start)
		default:
			spans = append(spans, [2]int{s, e})
		}
	}
	off, fs1, n1 := expand("holidays", c.Holidays)
	on, fs2, n2 := expand("workdays", c.Workdays)
	fes = append(append(fes, fs1...), fs2...)
	if len(c.Holidays)+len(c.Workdays) > MaxEntries || n1+n2 > MaxDays {
		add("holidays", "too_many", "calendar.too_many", "max", MaxEntries, "days", MaxDays)
	}
	var both []string
	for d := range on {
		if off[d] {
			both = append(both, d.String())
		}
	}
	if len(both) > 0 {
		slices.Sort(both)
		add("workdays", "conflict", "calendar.both", "dates", strings.Join(both, ", "))
	}
	if len(c.Weekdays) == 0 && len(on) == 0 {
		add("weekdays", "required", "calendar.weekdays_required")
	}
	if len(fes) > 0 {
		e := errs.Fields(fes...)
		e.Msg = errs.New(errs.Unprocessable, "calendar.invalid", "key", c.Key).Msg
		return e
	}
	c.loc, c.spans, c.weekday, c.off, c.on = loc, spans, weekday, off, on
	return nil
}

// expand turns day entries into a set of dates, with field errors for bad
// entries and the number of days covered.
func expand(field string, days []Day) (map[civil]bool, []errs.FieldError, int) {
	set := map[civil]bool{}
	var fes []errs.FieldError
	n := 0
	for i, d := range days {
		f := field + "[" + strconv.Itoa(i) + "]"
		from, ok := parseDate(d.From)
		if !ok {
			fes = append(fes, errs.Field(f+".from", "bad_date", "calendar.bad_date", "date", d.From))
			continue
		}
		to := from
		if d.To != "" {
			if to, ok = parseDate(d.To); !ok {
				fes = append(fes, errs.Field(f+".to", "bad_date", "calendar.bad_date", "date", d.To))
				continue
			}
		}
		if to.at(0, time.UTC).Before(from.at(0, time.UTC)) || to.at(0, time.UTC).Sub(from.at(0, time.UTC)) > 366*24*time.Hour {
			fes = append(fes, errs.Field(f+".to", "bad_range", "calendar.bad_range", "from", d.From, "to", d.To))
			continue
		}
		for x := from; ; x = x.next() {
			set[x] = true
			n++
			if x == to || n > MaxDays {
				break
			}
		}
	}
	return set, fes, n
}

// Location is the calendar's time zone (Compile must have succeeded).
func (c *Calendar) Location() *time.Location { return c.loc }

// IsWorkday reports whether the date of day — its year, month and day in
// day's own location — is a working day: a make-up workday, or a regular
// weekday that is no holiday. Pass t.In(c.Location()) to ask about the day
// an instant falls on in the calendar's zone; a date value (midnight UTC,
// as expressions hold dates) is asked about as is.
func (c *Calendar) IsWorkday(day time.Time) bool { return c.workday(civilOf(day)) }

func (c *Calendar) workday(d civil) bool {
	if c.on[d] {
		return true
	}
	if c.off[d] {
		return false
	}
	wd := int(d.at(0, time.UTC).Weekday())
	if wd == 0 {
		wd = 7
	}
	return c.weekday[wd]
}

// AddWorkingHours returns the moment hours working hours after t: the
// time of a due date "in 8 business hours". Time outside working hours does
// not count, so from Friday 17:00 with working hours ending at 18:00, 8
// hours are one on Friday and seven on the next working day. A result that
// falls exactly at the end of a span stays there (due by end of day), not
// at the next span's start. hours <= 0 returns t.
func (c *Calendar) AddWorkingHours(t time.Time, hours float64) time.Time {
	left := time.Duration(hours * float64(time.Hour)).Round(time.Second)
	if left <= 0 {
		return t
	}
	local := t.In(c.loc)
	day := civilOf(local)
	for i := 0; i < searchDays; i, day = i+1, day.next() {
		if !c.workday(day) {
			continue
		}
		for _, sp := range c.spans {
			start, end := day.at(sp[0], c.loc), day.at(sp[1], c.loc)
			if !end.After(local) {
				continue
			}
			if start.Before(local) {
				start = local
			}
			avail := end.Sub(start)
			if left <= avail {
				return start.Add(left).In(t.Location())
			}
			left -= avail
		}
	}
	return t.Add(time.Duration(searchDays) * 24 * time.Hour) // unreachable for a compiled calendar with working time
}

// WorkingDuration is the working time between from and to: the part of
// [from, to) that lies in working hours. It is negative when to is before
// from.
func (c *Calendar) WorkingDuration(from, to time.Time) time.Duration {
	if to.Before(from) {
		return -c.WorkingDuration(to, from)
	}
	a, b := from.In(c.loc), to.In(c.loc)
	var total time.Duration
	day := civilOf(a)
	for i := 0; i < searchDays; i, day = i+1, day.next() {
		if day.at(0, c.loc).After(b) {
			break
		}
		if !c.workday(day) {
			continue
		}
		for _, sp := range c.spans {
			start, end := day.at(sp[0], c.loc), day.at(sp[1], c.loc)
			if start.Before(a) {
				start = a
			}
			if end.After(b) {
				end = b
			}
			if end.After(start) {
				total += end.Sub(start)
			}
		}
	}
	return total
}

// WorkingHoursPerDay is the length of a working day.
func (c *Calendar) WorkingHoursPerDay() time.Duration {
	var d time.Duration
	for _, sp := range c.spans {
		d += time.Duration(sp[1]-sp[0]) * time.Minute
	}
	return d
}

// WorkdaysBetween counts the working days from a's date (included) to b's
// date (excluded), negative when b is before a; dates are read as
// IsWorkday reads them.
func (c *Calendar) WorkdaysBetween(a, b time.Time) int {
	from, to := civilOf(a), civilOf(b)
	sign := 1
	if to.at(0, time.UTC).Before(from.at(0, time.UTC)) {
		from, to, sign = to, from, -1
	}
	n := 0
	for d, i := from, 0; d != to && i < 400*366; d, i = d.next(), i+1 {
		if c.workday(d) {
			n++
		}
	}
	return sign * n
}
