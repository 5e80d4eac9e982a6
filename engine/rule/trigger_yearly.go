package rule

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// Yearly triggers. A date_relative trigger with "repeat": "yearly" fires
// on every anniversary of its date field's month and day (birthdays,
// contract anniversaries), offset as usual ("-3d": three days before); a
// 29 February fires on 28 February in years without one. Each run plans
// the next year's in its own transaction. A "festival" trigger fires on a
// festival's date every year — fixed ones (元旦, 妇女节, 劳动节, 国庆) and the
// lunar ones from a table of their Gregorian dates (春节, 元宵, 端午, 中秋,
// 2024–2035; past the table the rule stops firing and its check says so)
// — over the module's records whose condition holds, like a schedule.
// Dates are days at 00:00 UTC plus the offset, as a date field's are.

const jobFestival = "rule.festival"

// Repeat values of a date_relative trigger.
const RepeatYearly = "yearly"

// lunar are the Gregorian dates of the lunar festivals' first day.
var lunar = map[string][]string{
	"spring_festival": {"2024-02-10", "2025-01-29", "2026-02-17", "2027-02-06", "2028-01-26", "2029-02-13", "2030-02-03", "2031-01-23", "2032-02-11", "2033-01-31", "2034-02-19", "2035-02-08"},
	"dragon_boat":     {"2024-06-10", "2025-05-31", "2026-06-19", "2027-06-09", "2028-05-28", "2029-06-16", "2030-06-05", "2031-06-24", "2032-06-12", "2033-06-01", "2034-06-20", "2035-06-10"},
	"mid_autumn":      {"2024-09-17", "2025-10-06", "2026-09-25", "2027-09-15", "2028-10-03", "2029-09-22", "2030-09-12", "2031-10-01", "2032-09-19", "2033-09-08", "2034-09-27", "2035-09-16"},
}

// fixed are the festivals on a Gregorian month and day.
var fixed = map[string][2]int{"new_year": {1, 1}, "womens_day": {3, 8}, "labour_day": {5, 1}, "national_day": {10, 1}}

// Festivals lists the festival keys a trigger may name.
func Festivals() []string {
	out := []string{"lantern"}
	for k := range lunar {
		out = append(out, k)
	}
	for k := range fixed {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// festivalDates are the festival's dates (00:00 UTC) in the table's years.
func festivalDates(name string) []time.Time {
	var out []time.Time
	if md, ok := fixed[name]; ok {
		for y := 2024; y <= 2035; y++ {
			out = append(out, time.Date(y, time.Month(md[0]), md[1], 0, 0, 0, 0, time.UTC))
		}
		return out
	}
	src, shift := name, 0
	if name == "lantern" { // 正月十五: the 15th day of the first month
		src, shift = "spring_festival", 14
	}
	for _, s := range lunar[src] {
		d, _ := time.Parse("2006-01-02", s)
		out = append(out, d.AddDate(0, 0, shift))
	}
	return out
}

// nextFestival is the first festival date plus off after now (ok false:
// past the table).
func nextFestival(name string, off time.Duration, now time.Time) (time.Time, bool) {
	for _, d := range festivalDates(name) {
		if at := d.Add(off); at.After(now) {
			return at, true
		}
	}
	return time.Time{}, false
}

// anniversary is base's month and day (and time of day) in year y; 29
// February is 28 February in a year without it.
func anniversary(base time.Time, y int) time.Time {
	m, d := base.Month(), base.Day()
	if m == time.February && d == 29 && !leap(y) {
		d = 28
	}
	return time.Date(y, m, d, base.Hour(), base.Minute(), base.Second(), base.Nanosecond(), time.UTC)
}

func leap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// nextYearly is the first anniversary of base plus off after now (never
// before base itself).
func nextYearly(base time.Time, off time.Duration, now time.Time) time.Time {
	for y := max(base.Year(), now.Year()-1); ; y++ {
		if at := anniversary(base, y).Add(off); at.After(now) && !anniversary(base, y).Before(base) {
			return at
		}
	}
}

// isYearly reports whether at is an anniversary of base plus off (a
// planned job still true to the record's date).
func isYearly(base time.Time, off time.Duration, at time.Time) bool {
	y := at.Add(-off).Year()
	for _, yy := range []int{y - 1, y, y + 1} {
		if anniversary(base, yy).Add(off).Equal(at) {
			return true
		}
	}
	return false
}

func checkRepeat(t Trigger) []errs.FieldError {
	if t.Repeat != "" && t.Repeat != RepeatYearly {
		return []errs.FieldError{errs.Field("trigger.repeat", "invalid", "rule.bad_repeat", "repeat", t.Repeat)}
	}
	return nil
}

func checkFestival(t Trigger, _ *meta.Module) []errs.FieldError {
	var fes []errs.FieldError
	if !slices.Contains(Festivals(), t.Festival) {
		fes = append(fes, errs.Field("trigger.festival", "invalid", "rule.bad_festival", "festival", t.Festival, "festivals", Festivals()))
	}
	if t.Offset != "" {
		if _, ok := parseOffset(t.Offset); !ok {
			fes = append(fes, errs.Field("trigger.offset", "bad_offset", "rule.bad_offset", "offset", t.Offset))
		}
	}
	return fes
}

// armFestival (re)plans a festival rule's next run; a disabled or deleted
// rule, or one past the table, has none.
func (e *Engine) armFestival(ctx context.Context, tx *store.Tx, r *Rule) error {
	key := jobFestival + ":" + r.ID
	if !r.Enabled || r.Trigger.Type != "festival" {
		return jobs.Cancel(ctx, tx, key)
	}
	off, _ := parseOffset(r.Trigger.Offset)
	next, ok := nextFestival(r.Trigger.Festival, off, e.Now())
	if !ok {
		return jobs.Cancel(ctx, tx, key)
	}
	body, _ := json.Marshal(payload{RuleID: r.ID, Version: r.Version, App: r.App, Module: r.Module, Trigger: "festival"})
	return jobs.Enqueue(ctx, tx, jobs.Job{Kind: jobFestival, Key: key, RunAt: next, Payload: body})
}

// festivalJob fires a festival rule over the records whose condition
// holds (as a schedule does), then plans the next festival.
func (e *Engine) festivalJob(ctx context.Context, tx *store.Tx, job *jobs.Job) error {
	r, matched, err := e.fireOverRecords(ctx, tx, job, "festival")
	if err != nil || r == nil {
		return err
	}
	e.Log.Info("rule festival fired", "rule", r.Key, "festival", r.Trigger.Festival, "records", matched)
	return e.armFestival(ctx, tx, r)
}

func init() {
	RegisterTrigger("festival", TriggerType{Check: checkFestival})
	i18n.RegisterAll(map[string]map[string]string{
		"rule.bad_repeat":   {i18n.EN: "repeat \"{repeat}\" is not \"yearly\".", i18n.ZhCN: "repeat“{repeat}”无效，只能是 yearly。"},
		"rule.bad_festival": {i18n.EN: "\"{festival}\" is not a festival; one of {festivals}.", i18n.ZhCN: "“{festival}”不是可选节日，可选：{festivals}。"},
	})
}

// stillDue reports whether a date job planned for at still stands: the
// record's date (plus the offset; for a yearly trigger, one of its
// anniversaries) is at.
func stillDue(t Trigger, rec map[string]any, at string) bool {
	base, ok := fieldDate(t, rec)
	if !ok {
		return false
	}
	off, _ := parseOffset(t.Offset)
	if t.Repeat != RepeatYearly {
		return base.Add(off).UTC().Format(time.RFC3339Nano) == at
	}
	want, err := time.Parse(time.RFC3339Nano, at)
	return err == nil && isYearly(base, off, want)
}
