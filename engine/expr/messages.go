package expr

import "github.com/tessera-app/tessera/engine/i18n"

// Messages name the offending part of the filter ({part}, as printed from
// the parse tree) and its 1-based character position ({pos}).
func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"expr.too_long": {
			i18n.EN:   "The filter is too long ({len} bytes; at most {max} are allowed).",
			i18n.ZhCN: "筛选条件过长（{len} 字节；最多允许 {max} 字节）。",
		},
		"expr.too_deep": {
			i18n.EN:   "The filter nests parentheses or brackets too deeply (at most {max} levels).",
			i18n.ZhCN: "筛选条件中括号嵌套过深（最多 {max} 层）。",
		},
		"expr.too_complex": {
			i18n.EN:   "The filter is too complex (at most {max} parts).",
			i18n.ZhCN: "筛选条件过于复杂（最多 {max} 个组成部分）。",
		},
		"expr.syntax": {
			i18n.EN:   "The filter has a syntax error at position {pos}: {detail}.",
			i18n.ZhCN: "筛选条件在第 {pos} 个字符处有语法错误：{detail}。",
		},
		"expr.unknown_field": {
			i18n.EN:   "Filter: unknown field \"{name}\" at position {pos}.",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的字段“{name}”不存在。",
		},
		"expr.unsupported": {
			i18n.EN:   "Filter: cannot translate `{part}` at position {pos}: this is not supported in filters.",
			i18n.ZhCN: "筛选条件：无法转换第 {pos} 个字符处的 `{part}`：筛选条件不支持此写法。",
		},
		"expr.arithmetic": {
			i18n.EN:   "Filter: cannot translate `{part}` at position {pos}: arithmetic is not supported in filters.",
			i18n.ZhCN: "筛选条件：无法转换第 {pos} 个字符处的 `{part}`：筛选条件不支持算术运算。",
		},
		"expr.regex": {
			i18n.EN:   "Filter: cannot translate `{part}` at position {pos}: regular expressions (matches) are not supported in filters; use contains, startsWith or endsWith.",
			i18n.ZhCN: "筛选条件：无法转换第 {pos} 个字符处的 `{part}`：筛选条件不支持正则表达式（matches），请使用 contains、startsWith 或 endsWith。",
		},
		"expr.member": {
			i18n.EN:   "Filter: cannot translate `{part}` at position {pos}: member access (a.b, a[i]) is not supported in filters.",
			i18n.ZhCN: "筛选条件：无法转换第 {pos} 个字符处的 `{part}`：筛选条件不支持成员访问（a.b、a[i]）。",
		},
		"expr.function": {
			i18n.EN:   "Filter: cannot translate `{part}` at position {pos}: function {name} is not supported in filters; only now(), today() and under(field, value) are.",
			i18n.ZhCN: "筛选条件：无法转换第 {pos} 个字符处的 `{part}`：筛选条件不支持函数 {name}，只支持 now()、today() 和 under(字段, 值)。",
		},
		"expr.under_args": {
			i18n.EN:   "Filter: `{part}` at position {pos}: under takes a field and a text value, e.g. under(industry, \"mfg\").",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}`：under 需要一个字段和一个文本值，例如 under(industry, \"mfg\")。",
		},
		"expr.not_tree": {
			i18n.EN:   "Filter: `{part}` at position {pos}: field \"{field}\" is not a tree select or region field, so under does not apply.",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}`：字段“{field}”不是树形选择或地区字段，不能使用 under。",
		},
		"expr.unknown_node": {
			i18n.EN:   "Filter: `{part}` at position {pos}: \"{value}\" is not a value of field \"{field}\".",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}`：“{value}”不是字段“{field}”的可选值。",
		},
		"expr.not_condition": {
			i18n.EN:   "Filter: `{part}` at position {pos} is not a condition; compare it with a value.",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}` 不是条件，请将其与某个值比较。",
		},
		"expr.not_value": {
			i18n.EN:   "Filter: `{part}` at position {pos} is a condition and cannot be compared or used as a value.",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}` 是条件，不能再作比较或当作值使用。",
		},
		"expr.no_field": {
			i18n.EN:   "Filter: `{part}` at position {pos} does not involve a field; one side must be a field.",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}` 没有涉及字段，其中一侧必须是字段。",
		},
		"expr.lookup_compare": {
			i18n.EN:   "Filter: `{part}` at position {pos} compares a field read through a lookup with another field; compare it with a value.",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}` 将通过关联读取的字段与另一个字段比较；请与具体值比较。",
		},
		"expr.mismatched_fields": {
			i18n.EN:   "Filter: `{part}` at position {pos} compares fields \"{left}\" and \"{right}\", which hold different kinds of values.",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}` 比较的字段“{left}”和“{right}”类型不同。",
		},
		"expr.operator": {
			i18n.EN:   "Filter: `{part}` at position {pos}: operator {op} cannot be used with field \"{field}\".",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}`：运算符 {op} 不能用于字段“{field}”。",
		},
		"expr.nil_operator": {
			i18n.EN:   "Filter: `{part}` at position {pos}: nil can only be compared with == or !=.",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}`：nil 只能用 == 或 != 比较。",
		},
		"expr.want_text": {
			i18n.EN:   "Filter: `{part}` at position {pos}: field \"{field}\" holds text, so compare it with a quoted string.",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}`：字段“{field}”是文本，请与带引号的字符串比较。",
		},
		"expr.want_number": {
			i18n.EN:   "Filter: `{part}` at position {pos}: field \"{field}\" holds numbers, so compare it with a number.",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}`：字段“{field}”是数字，请与数字比较。",
		},
		"expr.want_bool": {
			i18n.EN:   "Filter: `{part}` at position {pos}: field \"{field}\" holds true/false, so compare it with true or false.",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}`：字段“{field}”是布尔值，请与 true 或 false 比较。",
		},
		"expr.want_date": {
			i18n.EN:   "Filter: `{part}` at position {pos}: field \"{field}\" holds dates, so compare it with a date such as \"2026-01-31\" or today().",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}`：字段“{field}”是日期，请与 \"2026-01-31\" 这样的日期或 today() 比较。",
		},
		"expr.want_time": {
			i18n.EN:   "Filter: `{part}` at position {pos}: field \"{field}\" holds date-times, so compare it with \"2026-01-31\", \"2026-01-31T09:30:00Z\", now() or today().",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}`：字段“{field}”是日期时间，请与 \"2026-01-31\"、\"2026-01-31T09:30:00Z\"、now() 或 today() 比较。",
		},
		"expr.want_ref": {
			i18n.EN:   "Filter: `{part}` at position {pos}: field \"{field}\" holds record ids, so compare it with an id in quotes.",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}`：字段“{field}”是记录 ID，请与带引号的 ID 比较。",
		},
		"expr.want_label": {
			i18n.EN:   "Filter: `{part}` at position {pos}: to test multi-select field \"{field}\", write \"option\" in {field}.",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}`：判断多选字段“{field}”请写成 \"选项\" in {field}。",
		},
		"expr.in_list": {
			i18n.EN:   "Filter: `{part}` at position {pos}: in needs a list such as [\"a\", \"b\"] or a multi-select field on its right.",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}`：in 的右侧必须是 [\"a\", \"b\"] 这样的列表或多选字段。",
		},
		"expr.list_item": {
			i18n.EN:   "Filter: `{part}` at position {pos}: list items must be values, not fields or nil.",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}`：列表项必须是值，不能是字段或 nil。",
		},
		"expr.list_place": {
			i18n.EN:   "Filter: `{part}` at position {pos}: a list can only appear on the right of in.",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}`：列表只能出现在 in 的右侧。",
		},
		"expr.like": {
			i18n.EN:   "Filter: `{part}` at position {pos}: {op} needs a text field on its left and a quoted string on its right.",
			i18n.ZhCN: "筛选条件：第 {pos} 个字符处的 `{part}`：{op} 的左侧必须是文本字段，右侧必须是带引号的字符串。",
		},
	})
}
