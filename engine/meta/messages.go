package meta

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"meta.schema_rejected":  {i18n.EN: "The module schema is not valid.", i18n.ZhCN: "模块结构无效。"},
		"meta.schema_malformed": {i18n.EN: "The schema is not a JSON object.", i18n.ZhCN: "结构不是有效的 JSON 对象。"},
		"meta.schema_too_large": {i18n.EN: "The schema is larger than {max} bytes.", i18n.ZhCN: "结构超过 {max} 字节。"},
		"meta.schema_invalid":   {i18n.EN: "{path}: {detail}", i18n.ZhCN: "{path}：{detail}"},
		"meta.bad_field_key":    {i18n.EN: "Field key \"{field}\" must start with a lower-case letter and contain only a-z, 0-9 and single underscores (at most {max} characters).", i18n.ZhCN: "字段标识“{field}”必须以小写字母开头，只能包含 a-z、0-9 和单个下划线（最多 {max} 个字符）。"},
		"meta.reserved_field":   {i18n.EN: "\"{field}\" is a reserved name and cannot be used as a field key.", i18n.ZhCN: "“{field}”是保留名称，不能用作字段标识。"},
		"meta.field_not_object": {i18n.EN: "Field \"{field}\" must be a JSON object.", i18n.ZhCN: "字段“{field}”必须是 JSON 对象。"},
		"meta.x_field_required": {i18n.EN: "Field \"{field}\" needs an \"x-field\" object with its type.", i18n.ZhCN: "字段“{field}”缺少包含类型的“x-field”对象。"},
		"meta.unknown_type":     {i18n.EN: "Field \"{field}\" has unknown type \"{type}\"; known types: {types}.", i18n.ZhCN: "字段“{field}”的类型“{type}”未知；可用类型：{types}。"},
		"meta.type_mismatch":    {i18n.EN: "Field \"{field}\": JSON type \"{type}\" does not fit field type {fieldtype} (expected \"{want}\").", i18n.ZhCN: "字段“{field}”：JSON 类型“{type}”与字段类型 {fieldtype} 不符（应为“{want}”）。"},
		"meta.unknown_required": {i18n.EN: "\"required\" names \"{name}\", which is not a field.", i18n.ZhCN: "“required”中的“{name}”不是字段。"},
		"meta.options_required": {i18n.EN: "Field \"{field}\" needs at least one option.", i18n.ZhCN: "字段“{field}”至少需要一个选项。"},
		"meta.bad_option":       {i18n.EN: "Field \"{field}\": option \"{value}\" is empty or repeated.", i18n.ZhCN: "字段“{field}”：选项“{value}”为空或重复。"},
		"meta.bad_precision":    {i18n.EN: "Field \"{field}\": scale must not exceed precision (at most 38).", i18n.ZhCN: "字段“{field}”：小数位数不能超过精度（最大 38）。"},
		"meta.lookup_target":    {i18n.EN: "Field \"{field}\": lookup target module \"{module}\" is missing or not a valid key.", i18n.ZhCN: "字段“{field}”：关联目标模块“{module}”缺失或标识无效。"},
		"meta.bad_autonumber":   {i18n.EN: "Field \"{field}\": autonumber prefix or digits out of range.", i18n.ZhCN: "字段“{field}”：自动编号前缀或位数超出范围。"},
		"meta.not_indexable":    {i18n.EN: "Field \"{field}\": a field of this type cannot be unique or indexed.", i18n.ZhCN: "字段“{field}”：此类型字段不能设为唯一或索引。"},
		"meta.duplicate_field":  {i18n.EN: "Field \"{field}\" is declared twice.", i18n.ZhCN: "字段“{field}”重复声明。"},
	})
}
