package calendar_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/calendar"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// Due times as a person in Shanghai would count them: 8 business hours
// from Friday 17:00 before a holiday.
func TestAddWorkingHoursBeforeHolidays(t *testing.T) {
	c := calendar.Builtin()
	for _, tc := range []struct {
		from  string
		hours float64
		want  string
		why   string
	}{
		// Friday before the Spring Festival: Saturday 14 Feb is a make-up
		// workday (调休), so the 7 hours left are worked on it.
		{"2026-02-13 17:00", 8, "2026-02-14 17:00", "Saturday 14 Feb 2026 is a 调休 workday"},
		// Thursday before Labour Day (1–5 May off): the rest is counted on
		// Wednesday 6 May.
		{"2026-04-30 17:00", 8, "2026-05-06 17:00", "1–5 May 2026 are holidays"},
		// Friday before National Day: Sunday 20 Sep is a make-up workday.
		{"2026-09-18 17:00", 8, "2026-09-20 17:00", "Sunday 20 Sep 2026 is a 调休 workday"},
		// Wednesday 30 Sep 17:00: 1–7 Oct off, Thursday 8 Oct works.
		{"2026-09-30 17:00", 8, "2026-10-08 17:00", "1–7 Oct 2026 are holidays"},
		// A plain Friday: Monday.
		{"2026-03-20 17:00", 8, "2026-03-23 17:00", "weekend"},
		// 16 hours over the Spring Festival: 1 h Fri 13 Feb, 8 h Sat 14 Feb,
		// then 7 h on Tuesday 24 Feb (15–23 Feb off).
		{"2026-02-13 17:00", 16, "2026-02-24 17:00", "Spring Festival 15–23 Feb 2026"},
		// Inside the lunch break and before opening.
		{"2026-03-23 12:30", 1, "2026-03-23 14:00", "lunch break does not count"},
		{"2026-03-23 07:00", 3, "2026-03-23 12:00", "ends exactly at the span's end"},
		{"2026-03-23 18:30", 0.5, "2026-03-24 09:30", "after hours: next morning"},
		// 2027's statutory holidays are in the built-in calendar too.
		{"2027-02-04 17:00", 8, "2027-02-09 17:00", "除夕 5 Feb and 初三 8 Feb 2027 (Fri, Mon) are holidays"},
	} {
		got := c.AddWorkingHours(at(tc.from), tc.hours)
		if want := at(tc.want); !got.Equal(want) {
			t.Errorf("%s + %gh = %s, want %s (%s)", tc.from, tc.hours, got.In(shanghai).Format("2006-01-02 15:04 Mon"), tc.want, tc.why)
		}
		// The result keeps the caller's location.
		if got := c.AddWorkingHours(at(tc.from).UTC(), tc.hours); got.Location() != time.UTC || !got.Equal(at(tc.want)) {
			t.Errorf("UTC input: got %s", got)
		}
	}
}

func TestIsWorkdayAndDurations(t *testing.T) {
	c := calendar.Builtin()
	for day, want := range map[string]bool{
		"2026-02-14": true,  // Saturday, 调休
		"2026-02-16": false, // Monday, Spring Festival
		"2026-02-28": true,  // Saturday, 调休
		"2026-03-21": false, // plain Saturday
		"2026-03-23": true,  // plain Monday
		"2026-10-10": true,  // Saturday, 调休
		"2026-10-08": true,
		"2027-06-09": false, // 端午 2027 (Wednesday)
	} {
		d, _ := time.Parse("2006-01-02", day)
		if got := c.IsWorkday(d); got != want {
			t.Errorf("IsWorkday(%s) = %v, want %v", day, got, want)
		}
	}
	// Friday 17:00 to Monday 10:00: 1 h + 1 h.
	if got := c.WorkingDuration(at("2026-03-20 17:00"), at("2026-03-23 10:00")); got != 2*time.Hour {
		t.Errorf("WorkingDuration over a weekend = %s, want 2h", got)
	}
	if got := c.WorkingDuration(at("2026-03-23 10:00"), at("2026-03-20 17:00")); got != -2*time.Hour {
		t.Errorf("backwards = %s, want -2h", got)
	}
	// The whole Spring Festival week counts only the two Saturdays' work.
	if got := c.WorkingDuration(at("2026-02-14 00:00"), at("2026-03-01 00:00")); got != 8*time.Hour*(1+1+4) {
		// 14 Feb (Sat, 调休), 24–27 Feb (Tue–Fri), 28 Feb (Sat, 调休)
		t.Errorf("WorkingDuration 14 Feb–1 Mar = %s, want 48h", got)
	}
	d := func(s string) time.Time { x, _ := time.Parse("2006-01-02", s); return x }
	// March 2026 has 22 weekdays and no holiday; October 2026: 22
	// weekdays − 5 holiday weekdays + 1 调休 Saturday (10 Oct) = 18.
	for _, tc := range []struct {
		a, b string
		want int
	}{{"2026-03-01", "2026-04-01", 22}, {"2026-10-01", "2026-11-01", 18}, {"2026-11-01", "2026-10-01", -18}, {"2026-02-13", "2026-02-25", 3}} {
		if got := c.WorkdaysBetween(d(tc.a), d(tc.b)); got != tc.want {
			t.Errorf("WorkdaysBetween(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// AddWorkingHours and WorkingDuration agree: the working time from t to
// t + h working hours is h, for random starts and lengths, in Shanghai and
// in a zone with daylight saving time.
func TestAddAndMeasureAgree(t *testing.T) {
	ny := &calendar.Calendar{Key: "ny", TimeZone: "America/New_York", Weekdays: []int{1, 2, 3, 4, 5},
		Hours: []calendar.Span{{Start: "00:30", End: "03:30"}, {Start: "09:00", End: "17:30"}}}
	if err := ny.Compile(); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []*calendar.Calendar{calendar.Builtin(), ny} {
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i < 2000; i++ {
			from := base.Add(time.Duration(r.Int64N(int64(700 * 24 * time.Hour))))
			h := float64(r.IntN(200)) / 4
			due := c.AddWorkingHours(from, h)
			if got := c.WorkingDuration(from, due); got != time.Duration(h*float64(time.Hour)) {
				t.Fatalf("%s: from %s + %gh = %s, but WorkingDuration says %s", c.Key, from, h, due, got)
			}
		}
	}
}

func TestCompileRefusesBadCalendars(t *testing.T) {
	bad := &calendar.Calendar{Key: "x", TimeZone: "Mars/Olympus", Weekdays: []int{1, 8, 1},
		Hours:    []calendar.Span{{Start: "09:00", End: "12:00"}, {Start: "11:00", End: "13:00"}, {Start: "25:00", End: "26:00"}, {Start: "15:00", End: "14:00"}},
		Holidays: []calendar.Day{{From: "2026-02-30"}, {From: "2026-05-01", To: "2026-04-01"}, {From: "2026-10-01"}},
		Workdays: []calendar.Day{{From: "2026-10-01"}}}
	err := bad.Compile()
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Unprocessable {
		t.Fatalf("want 422, got %v", err)
	}
	got := map[string]bool{}
	for _, fe := range e.Fields {
		got[fe.Field+":"+fe.Code] = true
	}
	for _, want := range []string{"time_zone:bad_time_zone", "weekdays[1]:bad_weekday", "weekdays[2]:bad_weekday",
		"hours[1]:overlap", "hours[2]:bad_time", "hours[3]:bad_span", "holidays[0].from:bad_date",
		"holidays[1].to:bad_range", "workdays:conflict"} {
		if !got[want] {
			t.Errorf("missing error %s in %v", want, got)
		}
	}
	if !strings.Contains(err.Error(), "2026-10-01") {
		t.Errorf("the conflict names the date: %v", err)
	}
}

// The service on both dialects: the default calendar exists before anyone
// saved it, an administrator's PUT replaces it (with version checks), and
// other calendars are created by key.
func TestService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc := calendar.NewService(s)
		def, err := svc.Get(ctx, calendar.DefaultKey)
		if err != nil || def.Version != 0 || def.TimeZone != "Asia/Shanghai" {
			t.Fatalf("built-in default: %+v, %v", def, err)
		}
		if _, err := svc.Get(ctx, "east"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown calendar: %v", err)
		}
		edit := calendar.Builtin()
		edit.Holidays = append(edit.Holidays, calendar.Day{From: "2026-03-23"})
		saved, err := svc.Put(ctx, "", calendar.DefaultKey, edit)
		if err != nil || saved.Version != 1 {
			t.Fatalf("put: %+v, %v", saved, err)
		}
		d, _ := time.Parse("2006-01-02", "2026-03-23")
		if saved.IsWorkday(d) {
			t.Error("the added holiday is not a workday")
		}
		if got := svc.WorkdaysBetween(d, d.AddDate(0, 0, 1)); got != 0 {
			t.Errorf("the service (expressions' calendar) counts %d workdays on the new holiday", got)
		}
		// Saving again without the version, or with a stale one, is refused.
		again := calendar.Builtin()
		if _, err := svc.Put(ctx, "", calendar.DefaultKey, again); !errs.Is(err, errs.Unprocessable) {
			t.Errorf("put without version: %v", err)
		}
		again.Version = 5
		if _, err := svc.Put(ctx, "", calendar.DefaultKey, again); !errs.Is(err, errs.Conflict) {
			t.Errorf("stale put: %v", err)
		}
		again.Version = 1
		if saved, err = svc.Put(ctx, "", calendar.DefaultKey, again); err != nil || saved.Version != 2 || !saved.IsWorkday(d) {
			t.Errorf("put with version: %+v, %v", saved, err)
		}
		// Invalid input changes nothing.
		broken := calendar.Builtin()
		broken.Version, broken.TimeZone = 2, "nowhere"
		if _, err := svc.Put(ctx, "", calendar.DefaultKey, broken); !errs.Is(err, errs.Unprocessable) {
			t.Errorf("invalid put: %v", err)
		}
		if cur, _ := svc.Get(ctx, calendar.DefaultKey); cur.Version != 2 || cur.TimeZone != "Asia/Shanghai" {
			t.Errorf("after a refused put: %+v", cur)
		}
		east := &calendar.Calendar{TimeZone: "Asia/Shanghai", Weekdays: []int{1, 2, 3, 4, 5, 6}, Hours: []calendar.Span{{Start: "08:00", End: "20:00"}}}
		if got, err := svc.Put(ctx, "", "east", east); err != nil || got.Key != "east" || got.Version != 1 {
			t.Errorf("new calendar: %+v, %v", got, err)
		}
	})
}

// Expressions reach the calendar's working hours: addBusinessHours and
// businessHoursBetween skip nights, weekends and holidays (SLA due times).
func TestBusinessHoursInExpressions(t *testing.T) {
	c := calendar.Builtin()
	for src, want := range map[string]any{
		// Friday 17:00 Shanghai + 8 h: 1 h on Friday, 7 on Monday (09–12, 13–17).
		`addBusinessHours(datetime("2026-03-20T09:00:00Z"), 8)`: "2026-03-23T09:00:00Z",
		// Friday 17:00 + 2 h over 清明 (4–6 April): Tuesday 10:00.
		`addBusinessHours(datetime("2026-04-03T09:00:00Z"), 2)`: "2026-04-07T02:00:00Z",
		// The lunch hour does not count.
		`businessHoursBetween(datetime("2026-03-23T03:30:00Z"), datetime("2026-03-23T05:30:00Z"))`: json.Number("1"),
		`businessHoursBetween(datetime("2026-04-03T09:00:00Z"), datetime("2026-04-07T02:00:00Z"))`: json.Number("2"),
	} {
		p, err := expr.Compile(src, nil, "")
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		got, err := p.Run(expr.Vars{Calendar: c})
		if err != nil || got != want {
			t.Errorf("%s = %#v, %v; want %#v", src, got, err, want)
		}
	}
}
