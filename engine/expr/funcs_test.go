package expr

import (
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
)

// funcCase evaluates src with no module (system keys, user, now) and
// compares the JSON-form result.
func funcCases(t *testing.T, v Vars, cases map[string]any) {
	t.Helper()
	for src, want := range cases {
		eq(t, nil, v, src, want)
	}
}

func TestDateFunctions(t *testing.T) {
	v := Vars{Now: clockNow} // Wednesday 2026-03-18 15:04:05 UTC
	funcCases(t, v, map[string]any{
		// addDays over month and year ends, backwards, and fractions rounded toward zero.
		`addDays(date("2026-01-31"), 1)`:   "2026-02-01",
		`addDays(date("2025-12-31"), 1)`:   "2026-01-01",
		`addDays(date("2024-02-28"), 1)`:   "2024-02-29",
		`addDays(date("2026-02-28"), 1)`:   "2026-03-01",
		`addDays(date("2026-03-01"), -1)`:  "2026-02-28",
		`addDays(date("2026-03-01"), 1.9)`: "2026-03-02",
		`addDays(now, 1)`:                  "2026-03-19T15:04:05Z",
		// addMonths keeps the day or uses the month's last day.
		`addMonths(date("2026-01-31"), 1)`:  "2026-02-28",
		`addMonths(date("2024-01-31"), 1)`:  "2024-02-29",
		`addMonths(date("2026-03-31"), -1)`: "2026-02-28",
		`addMonths(date("2026-01-15"), 13)`: "2027-02-15",
		`addMonths(date("2026-05-31"), 1)`:  "2026-06-30",
		`addMonths(date("2026-01-31"), -2)`: "2025-11-30",
		`addYears(date("2024-02-29"), 1)`:   "2025-02-28",
		`addYears(date("2024-02-29"), 4)`:   "2028-02-29",
		`addMonths(now, 1)`:                 "2026-04-18T15:04:05Z",
		`addHours(now, 10)`:                 "2026-03-19T01:04:05Z",
		`addHours(now, 1.5)`:                "2026-03-18T16:34:05Z",
		`addMinutes(now, -65)`:              "2026-03-18T13:59:05Z",
		// daysBetween counts calendar days (UTC dates), negative backwards.
		`daysBetween(date("2026-01-01"), date("2026-01-31"))`:                             num("30"),
		`daysBetween(date("2026-01-31"), date("2026-01-01"))`:                             num("-30"),
		`daysBetween(date("2024-02-01"), date("2024-03-01"))`:                             num("29"),
		`daysBetween(date("2026-02-01"), date("2026-03-01"))`:                             num("28"),
		`daysBetween(date("2025-01-01"), date("2026-01-01"))`:                             num("365"),
		`daysBetween(date("2024-01-01"), date("2025-01-01"))`:                             num("366"),
		`daysBetween(datetime("2026-01-01T23:00:00Z"), datetime("2026-01-02T01:00:00Z"))`: num("1"),
		`daysBetween(date("1900-01-01"), date("2100-01-01"))`:                             num("73049"),
		`daysBetween(today, now)`:                                                         num("0"),
		// hoursBetween: hours to two decimals, negative backwards, across days.
		`hoursBetween(datetime("2026-01-01T09:00:00Z"), datetime("2026-01-01T10:15:00Z"))`: num("1.25"),
		`hoursBetween(datetime("2026-01-01T10:15:00Z"), datetime("2026-01-01T09:00:00Z"))`: num("-1.25"),
		`hoursBetween(datetime("2026-01-01T23:00:00Z"), datetime("2026-01-03T01:20:00Z"))`: num("26.33"),
		`hoursBetween(today, now)`: num("15.07"),
		// startOf/endOf.
		`startOfMonth(date("2026-03-18"))`: "2026-03-01",
		`startOfMonth(now)`:                "2026-03-01",
		`endOfMonth(date("2026-02-10"))`:   "2026-02-28",
		`endOfMonth(date("2024-02-10"))`:   "2024-02-29",
		`endOfMonth(date("2026-12-31"))`:   "2026-12-31",
		`endOfMonth(date("2026-04-01"))`:   "2026-04-30",
		`startOfDay(now)`:                  "2026-03-18",
		`startOfDay(now) == today`:         true,
		// Parts.
		`year(now)`:                   num("2026"),
		`month(now)`:                  num("3"),
		`day(now)`:                    num("18"),
		`hour(now)`:                   num("15"),
		`minute(now)`:                 num("4"),
		`weekday(now)`:                num("3"),
		`weekday(date("2026-03-22"))`: num("7"), // Sunday
		`weekday(date("2026-03-16"))`: num("1"), // Monday
		// Parsing and formatting.
		`date("2026-01-31")`:                       "2026-01-31",
		`date("2026-01-31T23:30:00-02:00")`:        "2026-02-01", // the UTC date
		`date(now)`:                                "2026-03-18",
		`datetime("2026-01-31T09:30:00+01:00")`:    "2026-01-31T08:30:00Z",
		`datetime("2026-01-31")`:                   "2026-01-31T00:00:00Z",
		`format(now, "2006-01-02 15:04")`:          "2026-03-18 15:04",
		`format(date("2026-01-05"), "02/01/2006")`: "05/01/2026",
		`format(now, "Monday")`:                    "Wednesday",
		// Comparisons and arithmetic with the clock.
		`date("2026-03-18") == today`:               true,
		`addDays(today, 1) > now`:                   true,
		`now - addHours(now, -2) == duration("2h")`: true,
		`now + duration("1h") > now`:                true,
	})
}

func TestBusinessDaysBetween(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(dateLayout, s); return t }
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"2026-03-16", "2026-03-16", 0},  // Mon → same day
		{"2026-03-16", "2026-03-17", 1},  // Mon → Tue
		{"2026-03-16", "2026-03-20", 4},  // Mon → Fri
		{"2026-03-16", "2026-03-21", 5},  // Mon → Sat
		{"2026-03-16", "2026-03-23", 5},  // Mon → next Mon
		{"2026-03-20", "2026-03-23", 1},  // Fri → Mon across the weekend
		{"2026-03-21", "2026-03-23", 0},  // Sat → Mon
		{"2026-03-22", "2026-03-23", 0},  // Sun → Mon
		{"2026-03-21", "2026-03-24", 1},  // Sat → Tue
		{"2026-03-19", "2026-03-26", 5},  // Thu → Thu
		{"2026-03-01", "2026-04-01", 22}, // March 2026
		{"2026-01-01", "2027-01-01", 261},
		{"2024-01-01", "2025-01-01", 262}, // leap year
		{"2026-03-23", "2026-03-20", -1},  // backwards: Fri → Mon is one day
		{"2026-04-01", "2026-03-01", -22},
		{"1969-12-26", "1970-01-05", 6}, // across the epoch (Fri → Mon)
	} {
		if got := businessDaysBetween(d(c.a), d(c.b)); got != c.want {
			t.Errorf("businessDaysBetween(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	// A brute-force cross-check over many spans.
	start := d("2025-12-01")
	for i := 0; i < 60; i++ {
		for j := 0; j < 60; j++ {
			a, b := start.AddDate(0, 0, i), start.AddDate(0, 0, j)
			want := 0
			for x := a; x.Before(b); x = x.AddDate(0, 0, 1) {
				if wd := x.Weekday(); wd != time.Saturday && wd != time.Sunday {
					want++
				}
			}
			for x := b; x.Before(a); x = x.AddDate(0, 0, 1) {
				if wd := x.Weekday(); wd != time.Saturday && wd != time.Sunday {
					want--
				}
			}
			if got := businessDaysBetween(a, b); got != want {
				t.Fatalf("businessDaysBetween(%s, %s) = %d, want %d", a.Format(dateLayout), b.Format(dateLayout), got, want)
			}
		}
	}
	eq(t, nil, Vars{Now: clockNow}, `businessDaysBetween(date("2026-03-20"), date("2026-03-23"))`, num("1"))
	eq(t, nil, Vars{Now: clockNow}, `businessDaysBetween(datetime("2026-03-20T23:59:00Z"), datetime("2026-03-23T00:01:00Z"))`, num("1"))
}

func TestTextFunctions(t *testing.T) {
	m := testModule(t)
	v := sampleVars() // name "Ann Lee", notes "  ", tags [a vip]
	for src, want := range map[string]any{
		`upper(name)`:       "ANN LEE",
		`lower(name)`:       "ann lee",
		`upper("straße ü")`: "STRAßE Ü",
		`trim("  a b  ")`:   "a b",
		`trim(notes) == ""`: true,
		`len("héllo")`:      num("5"),
		`len(tags)`:         num("2"),
		`len(extra.list)`:   num("3"),
		`concat(name, " / ", qty, " / ", due, " / ", closed)`: "Ann Lee / 3 / 2026-01-31 / false",
		`concat("at ", at)`:          "at 2026-03-18T09:30:00Z",
		`concat(tags)`:               "a, vip",
		`concat(amount)`:             "1500.5",
		`name + " (" + stage + ")"`:  "Ann Lee (won)",
		`name contains "Lee"`:        true,
		`name startsWith "Ann"`:      true,
		`name endsWith "Lee"`:        true,
		`name matches "^A.n"`:        true,
		`left(name, 3)`:              "Ann",
		`left("héllo", 2)`:           "hé",
		`left(name, 0)`:              "",
		`left(name, -2)`:             "",
		`left(name, 100)`:            "Ann Lee",
		`right(name, 3)`:             "Lee",
		`right("héllo", 4)`:          "éllo",
		`right(name, 100)`:           "Ann Lee",
		`right(name, 0)`:             "",
		`replace(name, "Lee", "Li")`: "Ann Li",
		`replace("a-b-c", "-", "")`:  "abc",
		`replace("ab", "", "-")`:     "-a-b-",
		`split("a,b,,c", ",")`:       []any{"a", "b", "", "c"},
		`split("", ",")`:             []any{},
		`join(tags, "|")`:            "a|vip",
		`join(tags)`:                 "a, vip",
		`join([1, 2.5, true], "-")`:  "1-2.5-true",
		`string(qty)`:                "3",
		`string(amount)`:             "1500.5",
		`string(due)`:                "2026-01-31",
		`string(closed)`:             "false",
		`trimPrefix(seq, "S-")`:      "007",
		`indexOf(name, "Lee")`:       num("4"),
		`hasSuffix(mail, ".com")`:    true,
	} {
		eq(t, m, v, src, want)
	}
	if _, err := run(t, m, `string(tags)`, v); !errs.Is(err, errs.Invalid) {
		t.Errorf("string of a list: %v", err)
	}
}

func TestNumberFunctions(t *testing.T) {
	m := testModule(t)
	v := sampleVars() // amount 1500.50, qty 3
	for src, want := range map[string]any{
		`round(2.5)`:             num("3"),
		`round(-2.5)`:            num("-3"),
		`round(1.005, 2)`:        num("1.01"),
		`round(2.675, 2)`:        num("2.68"),
		`round(1.2345, 3)`:       num("1.235"),
		`round(-1.005, 2)`:       num("-1.01"),
		`round(9.995, 2)`:        num("10"),
		`round(1234.5, -2)`:      num("1200"),
		`round(0.1 + 0.2, 10)`:   num("0.3"),
		`round(amount * 1.1, 2)`: num("1650.55"),
		`round(amount)`:          num("1501"),
		`round(3, 2)`:            num("3"),
		`floor(2.7)`:             num("2"),
		`floor(-2.2)`:            num("-3"),
		`ceil(2.1)`:              num("3"),
		`ceil(-2.7)`:             num("-2"),
		`abs(-4.5)`:              num("4.5"),
		`abs(qty - 10)`:          num("7"),
		`min(qty, 2, 5)`:         num("2"),
		`max(amount, 2000)`:      num("2000"),
		`sum([1, 2, 3.5])`:       num("6.5"),
		`mean([1, 2, 3])`:        num("2"),
		`median([3, 1, 2])`:      num("2"),
		`qty % 2`:                num("1"),
		`7 % 3`:                  num("1"),
		`-7 % 3`:                 num("-1"),
		`amount / 4`:             num("375.125"),
		`2 ** 10`:                num("1024"),
		`qty ** 2`:               num("9"),
		`int("42") + 1`:          num("43"),
		`float("2.5") * 2`:       num("5"),
		`0.1 + 0.2`:              num("0.30000000000000004"),
		`1e21 * 10`:              num("1e+22"),
	} {
		eq(t, m, v, src, want)
	}
	for _, bad := range []string{`round(1.5, 0.5)`, `round(1.5, 99)`, `qty % 0`} {
		if _, err := run(t, m, bad, v); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestValueFunctions(t *testing.T) {
	m := testModule(t)
	v := sampleVars()
	v.Record["region"] = ""
	for src, want := range map[string]any{
		`coalesce(score, 0)`:             num("7.5"),
		`coalesce(rate, amount)`:         num("0.15"),
		`coalesce(nil, region, stage)`:   "won",
		`coalesce(region, "none")`:       "none",
		`coalesce(nil, nil)`:             nil,
		`coalesce(due, today)`:           "2026-01-31",
		`coalesce([], tags)`:             []any{"a", "vip"},
		`coalesce(extra.missing, 5) + 1`: num("6"),
		`isBlank(region)`:                true,
		`isBlank(notes)`:                 true, // spaces only
		`isBlank(name)`:                  false,
		`isBlank(extra.missing)`:         true,
		`isBlank([])`:                    true,
		`isBlank(tags)`:                  false,
		`isBlank(0)`:                     false,
		`isBlank(closed)`:                false,
		`amount ?? 0`:                    num("1500.5"),
	} {
		eq(t, m, v, src, want)
	}
}

func TestListBuiltins(t *testing.T) {
	m := testModule(t)
	v := sampleVars()
	for src, want := range map[string]any{
		`any(tags, # == "vip")`:           true,
		`all(tags, len(#) > 0)`:           true,
		`none(tags, # == "b")`:            true,
		`one(tags, # startsWith "v")`:     true,
		`filter(tags, # != "a")`:          []any{"vip"},
		`map(tags, upper(#))`:             []any{"A", "VIP"},
		`count(tags, true)`:               num("2"),
		`find(tags, # startsWith "v")`:    "vip",
		`findIndex(tags, # == "vip")`:     num("1"),
		`first(tags)`:                     "a",
		`last(tags)`:                      "vip",
		`sum(extra.list, # * 2)`:          num("12"),
		`filter(extra.list, # > 1)`:       []any{num("2"), num("3")},
		`sort([3, 1, 2])`:                 []any{num("1"), num("2"), num("3")},
		`reverse(tags)`:                   []any{"vip", "a"},
		`take(tags, 1)`:                   []any{"a"},
		`map(1..3, # * qty)`:              []any{num("3"), num("6"), num("9")},
		`tags | filter(# != "a") | len()`: num("1"),
		`keys({"a": 1})`:                  []any{"a"},
	} {
		eq(t, m, v, src, want)
	}
}

// Without a calendar, business hours are all of Monday to Friday (UTC):
// Friday 20:00 + 10 h is 4 h on Friday and 6 on Monday.
func TestBusinessHoursWithoutCalendar(t *testing.T) {
	v := Vars{Now: clockNow}
	eq(t, nil, v, `addBusinessHours(datetime("2026-03-20T20:00:00Z"), 10)`, "2026-03-23T06:00:00Z")
	eq(t, nil, v, `addBusinessHours(datetime("2026-03-21T10:00:00Z"), 1.5)`, "2026-03-23T01:30:00Z") // Saturday counts nothing
	eq(t, nil, v, `addBusinessHours(datetime("2026-03-20T20:00:00Z"), 0)`, "2026-03-20T20:00:00Z")
	eq(t, nil, v, `businessHoursBetween(datetime("2026-03-20T20:00:00Z"), datetime("2026-03-23T06:00:00Z"))`, num("10"))
	eq(t, nil, v, `businessHoursBetween(datetime("2026-03-23T06:00:00Z"), datetime("2026-03-20T20:00:00Z"))`, num("-10"))
	eq(t, nil, v, `businessHoursBetween(datetime("2026-03-21T01:00:00Z"), datetime("2026-03-22T23:00:00Z"))`, num("0"))
	if _, err := run(t, nil, `addBusinessHours(datetime("2026-03-20T20:00:00Z"), 10000000)`, v); err == nil {
		t.Error("a century of hours is refused")
	}
	// The two agree for random starts and lengths.
	for i := 0; i < 200; i++ {
		from := clockNow.Add(time.Duration(i*7919) * time.Minute)
		h := float64(i%97) + 0.5
		w := weekdayHours{}
		to := w.AddWorkingHours(from, h)
		if got := w.WorkingDuration(from, to).Hours(); got != h {
			t.Fatalf("from %s + %vh = %s, back %vh", from, h, to, got)
		}
	}
}
