package expr

import "github.com/tessera-app/tessera/engine/i18n"

// Messages of the expression language (program.go, check.go). Problem
// messages (expr.x.*) are registered twice: as they are, for the
// designer's list of problems that shows positions beside them, and with
// the suffix ".at" prefixed by the position, for errors that carry one
// message.
func init() {
	problems := map[string]map[string]string{
		"expr.x.too_long": {
			i18n.EN:   "The expression is too long ({len} bytes; at most {max} are allowed).",
			i18n.ZhCN: "表达式过长（{len} 字节；最多允许 {max} 字节）。",
		},
		"expr.x.empty": {
			i18n.EN:   "The expression is empty.",
			i18n.ZhCN: "表达式为空。",
		},
		"expr.x.too_deep": {
			i18n.EN:   "The expression nests parentheses or brackets too deeply (at most {max} levels).",
			i18n.ZhCN: "表达式中括号嵌套过深（最多 {max} 层）。",
		},
		"expr.x.too_complex": {
			i18n.EN:   "The expression is too complex (at most {max} parts).",
			i18n.ZhCN: "表达式过于复杂（最多 {max} 个组成部分）。",
		},
		"expr.x.syntax": {
			i18n.EN:   "Syntax error: {detail}.",
			i18n.ZhCN: "语法错误：{detail}。",
		},
		"expr.x.type": {
			i18n.EN:   "{detail}.",
			i18n.ZhCN: "类型错误：{detail}。",
		},
		"expr.x.internal": {
			i18n.EN:   "The expression cannot be compiled ({detail}).",
			i18n.ZhCN: "表达式无法编译（{detail}）。",
		},
		"expr.x.unknown_name": {
			i18n.EN:   "Unknown field or variable \"{name}\".",
			i18n.ZhCN: "字段或变量“{name}”不存在。",
		},
		"expr.x.unknown_function": {
			i18n.EN:   "Unknown function \"{name}\".",
			i18n.ZhCN: "函数“{name}”不存在。",
		},
		"expr.x.disabled": {
			i18n.EN:   "{name} is not available in expressions.",
			i18n.ZhCN: "表达式中不能使用 {name}。",
		},
		"expr.x.not_function": {
			i18n.EN:   "\"{name}\" is a field, not a function.",
			i18n.ZhCN: "“{name}”是字段，不是函数。",
		},
		"expr.x.not_called": {
			i18n.EN:   "{name} is a function: call it, as in {name}(…).",
			i18n.ZhCN: "{name} 是函数，请这样调用：{name}(…)。",
		},
		"expr.x.arity": {
			i18n.EN:   "{name} takes {want} argument(s), not {got}.",
			i18n.ZhCN: "{name} 需要 {want} 个参数，而不是 {got} 个。",
		},
		"expr.x.reserved": {
			i18n.EN:   "\"{name}\": names starting with $ are reserved.",
			i18n.ZhCN: "“{name}”：以 $ 开头的名称为系统保留。",
		},
		"expr.x.old_dynamic": {
			i18n.EN:   "Fields of old must be named, as in old.amount.",
			i18n.ZhCN: "old 的字段必须直接写出名称，例如 old.amount。",
		},
		"expr.x.lookup_dynamic": {
			i18n.EN:   "Fields of the record {name} points to must be named, as in {name}.name.",
			i18n.ZhCN: "{name} 所关联记录的字段必须直接写出名称，例如 {name}.name。",
		},
		"expr.x.user_member": {
			i18n.EN:   "user has id, departments and roles; \"{name}\" is not one of them.",
			i18n.ZhCN: "user 只有 id、departments 和 roles；没有“{name}”。",
		},
		"expr.x.user_bare": {
			i18n.EN:   "Use user.id, user.departments or user.roles.",
			i18n.ZhCN: "请使用 user.id、user.departments 或 user.roles。",
		},
		"expr.x.method": {
			i18n.EN:   "Method calls are not supported; use a function instead.",
			i18n.ZhCN: "不支持方法调用，请改用函数。",
		},
		"expr.x.unsupported": {
			i18n.EN:   "`{part}` is not supported in expressions.",
			i18n.ZhCN: "表达式不支持 `{part}`。",
		},
		"expr.x.changed_arg": {
			i18n.EN:   "changed needs the key of a field of this module in quotes, as in changed(\"amount\").",
			i18n.ZhCN: "changed 的参数必须是本模块字段的键并加引号，例如 changed(\"amount\")。",
		},
		"expr.x.bad_date": {
			i18n.EN:   "\"{value}\" is not a date such as \"2026-01-31\".",
			i18n.ZhCN: "“{value}”不是有效日期，格式如 \"2026-01-31\"。",
		},
		"expr.x.bad_datetime": {
			i18n.EN:   "\"{value}\" is not a date-time such as \"2026-01-31T09:30:00Z\".",
			i18n.ZhCN: "“{value}”不是有效的日期时间，格式如 \"2026-01-31T09:30:00Z\"。",
		},
		"expr.x.result": {
			i18n.EN:   "The expression gives {got}, but {want} is needed here.",
			i18n.ZhCN: "表达式的结果是{got}，但此处需要{want}。",
		},
	}
	at := map[string]string{
		i18n.EN:   "Line {line}, column {column}: ",
		i18n.ZhCN: "第 {line} 行第 {column} 列：",
	}
	all := map[string]map[string]string{}
	for key, texts := range problems {
		all[key] = texts
		withPos := map[string]string{}
		for loc, t := range texts {
			withPos[loc] = at[loc] + t
		}
		all[key+".at"] = withPos
	}
	i18n.RegisterAll(all)

	i18n.RegisterAll(map[string]map[string]string{
		"expr.eval.failed": {
			i18n.EN:   "The expression failed at line {line}, column {column}: {detail}.",
			i18n.ZhCN: "表达式在第 {line} 行第 {column} 列计算失败：{detail}。",
		},
		"expr.eval.memory": {
			i18n.EN:   "The expression builds too many values (ranges and lists are limited to {max} items in all).",
			i18n.ZhCN: "表达式生成的值过多（范围和列表合计最多 {max} 项）。",
		},
		"expr.eval.steps": {
			i18n.EN:   "The expression does too much work (at most {max} loop steps).",
			i18n.ZhCN: "表达式计算量过大（最多 {max} 次循环）。",
		},
		"expr.eval.text": {
			i18n.EN:   "The expression builds too much text (at most {max} bytes).",
			i18n.ZhCN: "表达式生成的文本过多（最多 {max} 字节）。",
		},
		"expr.eval.timeout": {
			i18n.EN:   "The expression took too long to evaluate (the limit is {ms} ms).",
			i18n.ZhCN: "表达式计算超时（上限 {ms} 毫秒）。",
		},
		"expr.eval.result": {
			i18n.EN:   "The expression gave {got}, but {want} is needed.",
			i18n.ZhCN: "表达式的结果是 {got}，但需要 {want}。",
		},
		"expr.eval.not_finite": {
			i18n.EN:   "The expression gave a number that is not finite (such as a division by zero).",
			i18n.ZhCN: "表达式的结果不是有限数值（例如除以零）。",
		},
		"expr.eval.bad_value": {
			i18n.EN:   "Field \"{field}\" holds a value that is not a valid {type}.",
			i18n.ZhCN: "字段“{field}”的值不是有效的 {type}。",
		},
	})
}
