package form

import "github.com/tessera-app/tessera/engine/i18n"

// Every field message gets the arguments field (the key) and label (the
// field's label, rendered in the reader's language when the message is:
// falling back to English, then to the key), plus the limits named in its
// template.

// typeWords names JSON types in words, per locale; "form.type.<t>" and
// "form.item_type.<t>" are generated from it.
var typeWords = map[string][2]string{
	"string":  {"text", "文本"},
	"number":  {"a number", "数字"},
	"integer": {"a whole number", "整数"},
	"boolean": {"true or false", "布尔值（true 或 false）"},
	"array":   {"a list", "列表"},
	"object":  {"an object", "对象"},
	"null":    {"empty", "空值"},
}

// formatWords names the formats the module meta-schema allows;
// "form.format.<f>" is generated from it.
var formatWords = map[string][2]string{
	"email":     {"a valid email address", "有效的邮箱地址"},
	"uri":       {"a valid URL including its scheme, e.g. https://example.com", "包含协议的有效网址，例如 https://example.com"},
	"date":      {"a date in the form YYYY-MM-DD", "格式为 YYYY-MM-DD 的日期"},
	"date-time": {"a date and time in RFC 3339 form, e.g. 2026-01-31T09:30:00Z", "RFC 3339 格式的日期时间，例如 2026-01-31T09:30:00Z"},
	"time":      {"a time in RFC 3339 form, e.g. 09:30:00Z", "RFC 3339 格式的时间，例如 09:30:00Z"},
	"uuid":      {"a UUID", "UUID"},
	"hostname":  {"a valid host name", "有效的主机名"},
	"ipv4":      {"an IPv4 address", "IPv4 地址"},
	"ipv6":      {"an IPv6 address", "IPv6 地址"},
}

func init() {
	entries := map[string]map[string]string{
		"form.compile_failed": {i18n.EN: "The form definition could not be compiled.", i18n.ZhCN: "表单定义无法编译。"},
		"form.record_invalid": {i18n.EN: "The record is not valid ({code}).", i18n.ZhCN: "记录无效（{code}）。"},

		"form.unknown_field": {i18n.EN: "\"{field}\" is not a field of this form.", i18n.ZhCN: "“{field}”不是此表单的字段。"},
		"form.read_only":     {i18n.EN: "{label} is read-only and cannot be set.", i18n.ZhCN: "{label}为只读字段，不能修改。"},
		"form.required":      {i18n.EN: "{label} is required.", i18n.ZhCN: "{label}为必填项。"},
		"form.type":          {i18n.EN: "{label} has the wrong type (expected {expected}).", i18n.ZhCN: "{label}的类型不正确（应为 {expected}）。"},
		"form.enum":          {i18n.EN: "{label}: \"{value}\" is not an allowed value; allowed values: {allowed}.", i18n.ZhCN: "{label}：“{value}”不是允许的值；可选值：{allowed}。"},
		"form.const":         {i18n.EN: "{label} must be {expected}.", i18n.ZhCN: "{label}必须为 {expected}。"},

		"form.minimum":          {i18n.EN: "{label} must be at least {min}.", i18n.ZhCN: "{label}不能小于 {min}。"},
		"form.maximum":          {i18n.EN: "{label} must be at most {max}.", i18n.ZhCN: "{label}不能大于 {max}。"},
		"form.exclusiveMinimum": {i18n.EN: "{label} must be greater than {min}.", i18n.ZhCN: "{label}必须大于 {min}。"},
		"form.exclusiveMaximum": {i18n.EN: "{label} must be less than {max}.", i18n.ZhCN: "{label}必须小于 {max}。"},
		"form.multipleOf":       {i18n.EN: "{label} must be a multiple of {step}.", i18n.ZhCN: "{label}必须是 {step} 的整数倍。"},
		"form.minLength":        {i18n.EN: "{label} must be at least {min} characters.", i18n.ZhCN: "{label}至少需要 {min} 个字符。"},
		"form.maxLength":        {i18n.EN: "{label} must be at most {max} characters.", i18n.ZhCN: "{label}最多 {max} 个字符。"},
		"form.pattern":          {i18n.EN: "{label} is not in the required format.", i18n.ZhCN: "{label}的格式不符合要求。"},
		"form.format":           {i18n.EN: "{label} must be a valid {format}.", i18n.ZhCN: "{label}必须是有效的 {format}。"},
		"form.minItems":         {i18n.EN: "{label} needs at least {min} items.", i18n.ZhCN: "{label}至少需要 {min} 项。"},
		"form.maxItems":         {i18n.EN: "{label} allows at most {max} items.", i18n.ZhCN: "{label}最多 {max} 项。"},
		"form.uniqueItems":      {i18n.EN: "{label} must not contain duplicates.", i18n.ZhCN: "{label}不能包含重复项。"},

		"form.scale":            {i18n.EN: "{label} allows at most {scale} decimal places.", i18n.ZhCN: "{label}最多 {scale} 位小数。"},
		"form.precision":        {i18n.EN: "{label} allows at most {digits} digits before the decimal point.", i18n.ZhCN: "{label}整数部分最多 {digits} 位。"},
		"form.out_of_range":     {i18n.EN: "{label} must be between {min} and {max}.", i18n.ZhCN: "{label}必须在 {min} 到 {max} 之间。"},
		"form.number_too_large": {i18n.EN: "{label} contains a number that is too large or too long.", i18n.ZhCN: "{label}包含的数字过大或过长。"},
		"form.invalid_char":     {i18n.EN: "{label} must not contain NUL characters or invalid UTF-8.", i18n.ZhCN: "{label}不能包含 NUL 字符或无效的 UTF-8 字符。"},
		"form.too_deep":         {i18n.EN: "{label} is nested more than {max} levels deep.", i18n.ZhCN: "{label}的嵌套层级超过 {max} 层。"},
		"form.region":           {i18n.EN: "{label}: \"{value}\" is not a known region code at {level} level or above (see GET /api/regions).", i18n.ZhCN: "{label}：“{value}”不是有效的行政区划代码（最细到{level}一级，见 GET /api/regions）。"},
		"form.invalid":          {i18n.EN: "{label} is not valid.", i18n.ZhCN: "{label}无效。"},
		"form.invalid_at":       {i18n.EN: "{label} is not valid at {path} ({code}).", i18n.ZhCN: "{label}在 {path} 处无效（{code}）。"},
	}
	for t, w := range typeWords {
		entries["form.type."+t] = map[string]string{i18n.EN: "{label} must be " + w[0] + ".", i18n.ZhCN: "{label}必须是" + w[1] + "。"}
		entries["form.item_type."+t] = map[string]string{i18n.EN: "Every item of {label} must be " + w[0] + ".", i18n.ZhCN: "{label}的每一项都必须是" + w[1] + "。"}
	}
	for f, w := range formatWords {
		entries["form.format."+f] = map[string]string{i18n.EN: "{label} must be " + w[0] + ".", i18n.ZhCN: "{label}必须是" + w[1] + "。"}
	}
	i18n.RegisterAll(entries)
}
