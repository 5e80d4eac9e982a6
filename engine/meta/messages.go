package meta

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"meta.schema_rejected":      {i18n.EN: "The module schema is not valid.", i18n.ZhCN: "模块结构无效。"},
		"meta.schema_malformed":     {i18n.EN: "The schema is not a JSON object.", i18n.ZhCN: "结构不是有效的 JSON 对象。"},
		"meta.schema_too_large":     {i18n.EN: "The schema is larger than {max} bytes.", i18n.ZhCN: "结构超过 {max} 字节。"},
		"meta.bad_field_key":        {i18n.EN: "Field key \"{field}\" must start with a lower-case letter and contain only a-z, 0-9 and single underscores (at most {max} characters).", i18n.ZhCN: "字段标识“{field}”必须以小写字母开头，只能包含 a-z、0-9 和单个下划线（最多 {max} 个字符）。"},
		"meta.reserved_field":       {i18n.EN: "\"{field}\" is a reserved name and cannot be used as a field key.", i18n.ZhCN: "“{field}”是保留名称，不能用作字段标识。"},
		"meta.field_not_object":     {i18n.EN: "Field \"{field}\" must be a JSON object.", i18n.ZhCN: "字段“{field}”必须是 JSON 对象。"},
		"meta.x_field_required":     {i18n.EN: "Field \"{field}\" needs an \"x-field\" object with its type.", i18n.ZhCN: "字段“{field}”缺少包含类型的“x-field”对象。"},
		"meta.unknown_type":         {i18n.EN: "Field \"{field}\" has unknown type \"{type}\"; known types: {types}.", i18n.ZhCN: "字段“{field}”的类型“{type}”未知；可用类型：{types}。"},
		"meta.type_mismatch":        {i18n.EN: "Field \"{field}\": JSON type \"{type}\" does not fit field type {fieldtype} (expected \"{want}\").", i18n.ZhCN: "字段“{field}”：JSON 类型“{type}”与字段类型 {fieldtype} 不符（应为“{want}”）。"},
		"meta.unknown_required":     {i18n.EN: "\"required\" names \"{name}\", which is not a field.", i18n.ZhCN: "“required”中的“{name}”不是字段。"},
		"meta.options_required":     {i18n.EN: "Field \"{field}\" needs at least one option.", i18n.ZhCN: "字段“{field}”至少需要一个选项。"},
		"meta.bad_enum":             {i18n.EN: "Field \"{field}\": enum value \"{value}\" must be a non-empty text, given once, to be an option.", i18n.ZhCN: "字段“{field}”：enum 中的值“{value}”必须是不重复的非空文本，才能作为选项。"},
		"meta.enum_mismatch":        {i18n.EN: "Field \"{field}\": enum ({enum}) and x-field.options ({options}) name different values; give one of them, or the same values in both.", i18n.ZhCN: "字段“{field}”：enum（{enum}）与 x-field.options（{options}）的取值不一致；请只提供其一，或使两者取值相同。"},
		"meta.bad_title":            {i18n.EN: "x-title \"{name}\" must be the key of a text-like field of the module (text, textarea, email, phone, url, select, autonumber or a text formula).", i18n.ZhCN: "x-title“{name}”必须是本模块中文本类字段的标识（text、textarea、email、phone、url、select、autonumber 或结果为文本的公式）。"},
		"meta.bad_color":            {i18n.EN: "Field \"{field}\": option \"{value}\" has colour \"{color}\"; use #rgb, #rrggbb or one of {palette}.", i18n.ZhCN: "字段“{field}”：选项“{value}”的颜色“{color}”无效；请使用 #rgb、#rrggbb 或以下颜色之一：{palette}。"},
		"meta.tree_bad_parent":      {i18n.EN: "Field \"{field}\": option \"{value}\" lies under \"{parent}\", which is not an option of the field.", i18n.ZhCN: "字段“{field}”：选项“{value}”的上级“{parent}”不是该字段的选项。"},
		"meta.tree_cycle":           {i18n.EN: "Field \"{field}\": option \"{value}\" lies under itself (its parents form a loop).", i18n.ZhCN: "字段“{field}”：选项“{value}”的上级形成了循环。"},
		"meta.option_parent":        {i18n.EN: "Field \"{field}\": option \"{value}\" has a parent, but only a tree field has nested options.", i18n.ZhCN: "字段“{field}”：选项“{value}”设置了上级，但只有树形选择字段才有层级选项。"},
		"meta.bad_option":           {i18n.EN: "Field \"{field}\": option \"{value}\" is empty or repeated.", i18n.ZhCN: "字段“{field}”：选项“{value}”为空或重复。"},
		"meta.bad_precision":        {i18n.EN: "Field \"{field}\": scale must not exceed precision (at most 38).", i18n.ZhCN: "字段“{field}”：小数位数不能超过精度（最大 38）。"},
		"meta.lookup_target":        {i18n.EN: "Field \"{field}\": lookup target module \"{module}\" is missing or not a valid key.", i18n.ZhCN: "字段“{field}”：关联目标模块“{module}”缺失或标识无效。"},
		"meta.bad_on_delete":        {i18n.EN: "Field \"{field}\": on_delete \"{value}\" is not known; use one of {allowed}.", i18n.ZhCN: "字段“{field}”：on_delete 的值“{value}”无效；请使用以下之一：{allowed}。"},
		"meta.on_delete_not_lookup": {i18n.EN: "Field \"{field}\": on_delete applies only to lookup fields.", i18n.ZhCN: "字段“{field}”：on_delete 只适用于关联字段。"},
		"meta.on_delete_required":   {i18n.EN: "Field \"{field}\": on_delete clear would empty a required lookup; use restrict or cascade, or make the field optional.", i18n.ZhCN: "字段“{field}”：on_delete 为 clear 会清空必填的关联字段；请改用 restrict 或 cascade，或将该字段设为非必填。"},
		"meta.bad_autonumber":       {i18n.EN: "Field \"{field}\": autonumber prefix or digits out of range.", i18n.ZhCN: "字段“{field}”：自动编号前缀或位数超出范围。"},
		"meta.not_indexable":        {i18n.EN: "Field \"{field}\": a field of this type cannot be unique or indexed.", i18n.ZhCN: "字段“{field}”：此类型字段不能设为唯一或索引。"},
		"meta.duplicate_field":      {i18n.EN: "Field \"{field}\" is declared twice.", i18n.ZhCN: "字段“{field}”重复声明。"},
	})
}

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"meta.bad_app_key":       {i18n.EN: "App key must start with a lower-case letter and contain only a-z, 0-9 and single underscores (at most {max} characters).", i18n.ZhCN: "应用标识必须以小写字母开头，只能包含 a-z、0-9 和单个下划线（最多 {max} 个字符）。"},
		"meta.bad_module_key":    {i18n.EN: "Module key must start with a lower-case letter and contain only a-z, 0-9 and single underscores (at most {max} characters).", i18n.ZhCN: "模块标识必须以小写字母开头，只能包含 a-z、0-9 和单个下划线（最多 {max} 个字符）。"},
		"meta.label_required":    {i18n.EN: "A label is required, e.g. {\"zh-CN\": \"商机\", \"en\": \"Opportunity\"}.", i18n.ZhCN: "需要名称，例如 {\"zh-CN\": \"商机\", \"en\": \"Opportunity\"}。"},
		"meta.label_too_long":    {i18n.EN: "Label is too long (at most 200 characters per language).", i18n.ZhCN: "名称过长（每种语言最多 200 个字符）。"},
		"meta.schema_required":   {i18n.EN: "A schema is required.", i18n.ZhCN: "需要提供模块结构。"},
		"meta.lookup_missing":    {i18n.EN: "Field \"{field}\" looks up module \"{module}\", which does not exist in this app.", i18n.ZhCN: "字段“{field}”关联的模块“{module}”在此应用中不存在。"},
		"meta.module_referenced": {i18n.EN: "Module \"{module}\" is still looked up by {refs}; remove those fields first.", i18n.ZhCN: "模块“{module}”仍被 {refs} 关联；请先删除这些字段。"},
		"meta.rename_on_create":  {i18n.EN: "Field \"{field}\": renamedFrom only applies when changing an existing module.", i18n.ZhCN: "字段“{field}”：renamedFrom 只能在修改已有模块时使用。"},
		"meta.archived_required": {i18n.EN: "An archived field cannot be required.", i18n.ZhCN: "已归档的字段不能是必填字段。"},
		"meta.bad_rename":        {i18n.EN: "Field \"{field}\": renamedFrom \"{from}\" must name a field of the current version that the new version no longer has.", i18n.ZhCN: "字段“{field}”：renamedFrom“{from}”必须是当前版本中存在、而新版本中不再保留的字段。"},
	})
}

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"meta.bad_formula_result": {i18n.EN: "Field \"{field}\": a formula needs a result: number, integer, decimal, text, boolean, date or datetime.", i18n.ZhCN: "字段“{field}”：公式需要结果类型：number、integer、decimal、text、boolean、date 或 datetime。"},
		"meta.formula_required":   {i18n.EN: "Field \"{field}\": the formula is empty.", i18n.ZhCN: "字段“{field}”：公式为空。"},
		"meta.bad_formula":        {i18n.EN: "Field \"{field}\": the formula is not valid: {detail}", i18n.ZhCN: "字段“{field}”：公式无效：{detail}"},
		"meta.formula_cycle":      {i18n.EN: "Field \"{field}\": the formula depends on itself (directly or through other formulas).", i18n.ZhCN: "字段“{field}”：公式直接或通过其他公式引用了自身。"},
		"meta.bad_default_expr":   {i18n.EN: "Field \"{field}\": the default expression is not valid: {detail}", i18n.ZhCN: "字段“{field}”：默认值表达式无效：{detail}"},
		"meta.bad_rule":           {i18n.EN: "{path}: the validation rule is not a valid condition: {detail}", i18n.ZhCN: "{path}：校验规则不是有效的条件：{detail}"},
		"meta.unknown_rule_field": {i18n.EN: "{path}: \"{name}\" is not a field.", i18n.ZhCN: "{path}：“{name}”不是字段。"},
		"meta.bad_rollup_op":      {i18n.EN: "Field \"{field}\": a rollup needs op sum, count, min, max or avg.", i18n.ZhCN: "字段“{field}”：汇总需要 op：sum、count、min、max 或 avg。"},
		"meta.bad_rollup_via":     {i18n.EN: "Field \"{field}\": \"{via}\" must be a lookup field of module \"{module}\" pointing to this module.", i18n.ZhCN: "字段“{field}”：“{via}”必须是模块“{module}”中指向本模块的关联字段。"},
		"meta.bad_rollup_field":   {i18n.EN: "Field \"{field}\": \"{of}\" must be a number field of module \"{module}\".", i18n.ZhCN: "字段“{field}”：“{of}”必须是模块“{module}”中的数字字段。"},
		"meta.bad_rollup_filter":  {i18n.EN: "Field \"{field}\": the rollup filter is not valid: {detail}", i18n.ZhCN: "字段“{field}”：汇总筛选条件无效：{detail}"},
	})
}
