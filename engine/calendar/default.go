package calendar

import "github.com/tessera-app/tessera/engine/meta"

// DefaultKey is the key of the calendar that ships with the product and
// that expressions (businessDaysBetween) and due times use unless told
// otherwise.
const DefaultKey = "default"

func l(zh, en string) meta.Label { return meta.Label{"zh-CN": zh, "en": en} }

// Builtin returns the shipped default calendar (compiled): Asia/Shanghai,
// Monday to Friday 09:00–12:00 and 13:00–18:00, with the public holidays
// and make-up workdays of mainland China.
//
// 2026 is the State Council's arrangement (国务院办公厅关于2026年部分节假日
// 安排的通知, 2025-11-04), holidays and 调休 workdays as published. For 2027
// only the statutory holidays themselves are listed (全国年节及纪念日放假办法
// as amended in 2024: 元旦 1 day, 春节 除夕 to 初三, 清明, 劳动节 2 days,
// 端午, 中秋, 国庆 3 days, on 2027's lunar dates): the State Council's 2027
// arrangement, which adds bridging days and Saturday make-up workdays, was
// not available when this was written. Administrators add it with
// PUT /api/calendars/default.
func Builtin() *Calendar {
	c := &Calendar{
		Key:      DefaultKey,
		Label:    l("中国大陆工作日历", "Mainland China business calendar"),
		TimeZone: "Asia/Shanghai",
		Weekdays: []int{1, 2, 3, 4, 5},
		Hours:    []Span{{"09:00", "12:00"}, {"13:00", "18:00"}},
		Holidays: []Day{
			// 2026 (State Council arrangement).
			{From: "2026-01-01", To: "2026-01-03", Label: l("元旦", "New Year's Day")},
			{From: "2026-02-15", To: "2026-02-23", Label: l("春节", "Spring Festival")},
			{From: "2026-04-04", To: "2026-04-06", Label: l("清明节", "Qingming Festival")},
			{From: "2026-05-01", To: "2026-05-05", Label: l("劳动节", "Labour Day")},
			{From: "2026-06-19", To: "2026-06-21", Label: l("端午节", "Dragon Boat Festival")},
			{From: "2026-09-25", To: "2026-09-27", Label: l("中秋节", "Mid-Autumn Festival")},
			{From: "2026-10-01", To: "2026-10-07", Label: l("国庆节", "National Day")},
			// 2027: statutory holidays only (the arrangement was not yet known).
			{From: "2027-01-01", Label: l("元旦（法定）", "New Year's Day (statutory)")},
			{From: "2027-02-05", To: "2027-02-08", Label: l("春节（法定：除夕至初三）", "Spring Festival (statutory: New Year's Eve to the 3rd day)")},
			{From: "2027-04-05", Label: l("清明节（法定）", "Qingming Festival (statutory)")},
			{From: "2027-05-01", To: "2027-05-02", Label: l("劳动节（法定）", "Labour Day (statutory)")},
			{From: "2027-06-09", Label: l("端午节（法定）", "Dragon Boat Festival (statutory)")},
			{From: "2027-09-15", Label: l("中秋节（法定）", "Mid-Autumn Festival (statutory)")},
			{From: "2027-10-01", To: "2027-10-03", Label: l("国庆节（法定）", "National Day (statutory)")},
		},
		Workdays: []Day{
			{From: "2026-01-04", Label: l("元旦调休上班", "New Year make-up workday")},
			{From: "2026-02-14", Label: l("春节调休上班", "Spring Festival make-up workday")},
			{From: "2026-02-28", Label: l("春节调休上班", "Spring Festival make-up workday")},
			{From: "2026-05-09", Label: l("劳动节调休上班", "Labour Day make-up workday")},
			{From: "2026-09-20", Label: l("国庆节调休上班", "National Day make-up workday")},
			{From: "2026-10-10", Label: l("国庆节调休上班", "National Day make-up workday")},
		},
		Note: "2026: State Council arrangement of 2025-11-04. 2027: statutory holidays only; add the State Council's 2027 arrangement (bridging days, make-up workdays) when it is published.",
	}
	if err := c.Compile(); err != nil {
		panic("calendar: built-in default does not compile: " + err.Error())
	}
	return c
}
