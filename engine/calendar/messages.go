package calendar

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"calendar.invalid":           {i18n.EN: "Calendar \"{key}\" is not valid.", i18n.ZhCN: "日历“{key}”无效。"},
		"calendar.bad_key":           {i18n.EN: "The key must start with a lowercase letter and contain only a–z, 0–9 and _.", i18n.ZhCN: "键必须以小写字母开头，只能包含 a–z、0–9 和 _。"},
		"calendar.bad_time_zone":     {i18n.EN: "\"{zone}\" is not a known time zone (use an IANA name such as Asia/Shanghai).", i18n.ZhCN: "“{zone}”不是已知的时区（请使用 IANA 名称，如 Asia/Shanghai）。"},
		"calendar.bad_weekday":       {i18n.EN: "Weekday {day} is not valid: use 1 (Monday) to 7 (Sunday), each once.", i18n.ZhCN: "星期 {day} 无效：请使用 1（周一）到 7（周日），且不重复。"},
		"calendar.weekdays_required": {i18n.EN: "A calendar needs working days: weekdays or make-up workdays.", i18n.ZhCN: "日历必须有工作日：每周工作日或调休上班日。"},
		"calendar.hours_required":    {i18n.EN: "Give the working hours of a day: 1 to {max} spans such as {\"start\": \"09:00\", \"end\": \"12:00\"}.", i18n.ZhCN: "请填写每天的工作时间：1 到 {max} 段，如 {\"start\": \"09:00\", \"end\": \"12:00\"}。"},
		"calendar.bad_time":          {i18n.EN: "Working hours {start}–{end} are not valid times (HH:MM, 00:00 to 24:00).", i18n.ZhCN: "工作时间 {start}–{end} 不是有效时间（HH:MM，00:00 到 24:00）。"},
		"calendar.bad_span":          {i18n.EN: "Working hours {start}–{end} end before they start.", i18n.ZhCN: "工作时间 {start}–{end} 的结束早于开始。"},
		"calendar.span_order":        {i18n.EN: "Working hours starting {start} overlap or come before the previous span; list them in order.", i18n.ZhCN: "从 {start} 开始的工作时间与上一段重叠或顺序颠倒，请按时间顺序填写。"},
		"calendar.bad_date":          {i18n.EN: "\"{date}\" is not a date (YYYY-MM-DD).", i18n.ZhCN: "“{date}”不是日期（YYYY-MM-DD）。"},
		"calendar.bad_range":         {i18n.EN: "{from} to {to} is not a range of at most a year.", i18n.ZhCN: "{from} 至 {to} 不是不超过一年的日期范围。"},
		"calendar.too_many":          {i18n.EN: "A calendar holds at most {max} holiday and workday entries covering {days} days.", i18n.ZhCN: "一个日历最多包含 {max} 条节假日与调休记录，共 {days} 天。"},
		"calendar.both":              {i18n.EN: "These dates are both holidays and make-up workdays: {dates}.", i18n.ZhCN: "以下日期同时是节假日和调休上班日：{dates}。"},
		"calendar.version_required":  {i18n.EN: "Send the version of the calendar you are replacing.", i18n.ZhCN: "请提供要替换的日历版本号。"},
	})
}
