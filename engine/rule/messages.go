package rule

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"rule.enabled_required":   {i18n.EN: "Send {\"enabled\": true} or {\"enabled\": false}.", i18n.ZhCN: "请发送 {\"enabled\": true} 或 {\"enabled\": false}。"},
		"rule.not_date":           {i18n.EN: "\"{field}\" is not a date or date-time field.", i18n.ZhCN: "“{field}”不是日期或日期时间字段。"},
		"rule.bad_offset":         {i18n.EN: "Offset \"{offset}\" must look like -60d, 2h or -30m.", i18n.ZhCN: "偏移量“{offset}”的格式应为 -60d、2h 或 -30m。"},
		"rule.bad_cron":           {i18n.EN: "\"{cron}\" is not a valid cron expression (minute hour day month weekday): {detail}.", i18n.ZhCN: "“{cron}”不是有效的 cron 表达式（分 时 日 月 周）：{detail}。"},
		"rule.assignees_required": {i18n.EN: "Name who to assign to: users, a department or criteria.", i18n.ZhCN: "请指定分配对象：用户、部门或分配规则表。"},
		"rule.bad_strategy":       {i18n.EN: "strategy must be round_robin, least_open or criteria.", i18n.ZhCN: "strategy 必须是 round_robin、least_open 或 criteria。"},
		"rule.else_criteria_only": {i18n.EN: "else only goes with strategy criteria (what to do when no criterion holds).", i18n.ZhCN: "else 只能与 criteria 策略一起使用（没有条件成立时如何分配）。"},
		"rule.bad_else_strategy":  {i18n.EN: "The else branch's strategy must be round_robin or least_open.", i18n.ZhCN: "else 分支的 strategy 必须是 round_robin 或 least_open。"},
		"rule.bad_recipient":      {i18n.EN: "\"{to}\" names no department: write department:KEY with a department's key.", i18n.ZhCN: "“{to}”没有指明部门：请写 department:部门标识。"},
		"rule.no_hook":            {i18n.EN: "No webhook at this address.", i18n.ZhCN: "此地址没有对应的 Webhook。"},
		"rule.message":            {i18n.EN: "A rule refused this change.", i18n.ZhCN: "规则拒绝了此修改。"}, // a rule's own message (Msg.Text); this only when it has none
		"rule.exists":             {i18n.EN: "A rule with key \"{key}\" already exists in this app.", i18n.ZhCN: "此应用中已存在标识为“{key}”的规则。"},
		"rule.stale":              {i18n.EN: "Rule \"{key}\" was changed by someone else; reload it and try again.", i18n.ZhCN: "规则“{key}”已被他人修改，请刷新后重试。"},
		"rule.not_found":          {i18n.EN: "Rule \"{key}\" not found.", i18n.ZhCN: "规则“{key}”不存在。"},
		"rule.invalid":            {i18n.EN: "The rule is not valid.", i18n.ZhCN: "规则无效。"},
		"rule.bad_key":            {i18n.EN: "Rule key must start with a lower-case letter and contain only a-z, 0-9 and single underscores (at most 40 characters).", i18n.ZhCN: "规则标识必须以小写字母开头，只能包含 a-z、0-9 和单个下划线（最多 40 个字符）。"},
		"rule.unknown_module":     {i18n.EN: "There is no module \"{module}\" in this app.", i18n.ZhCN: "此应用中没有模块“{module}”。"},
		"rule.unknown_trigger":    {i18n.EN: "Unknown trigger type \"{type}\"; known: {types}.", i18n.ZhCN: "未知的触发类型“{type}”；可用：{types}。"},
		"rule.unknown_action":     {i18n.EN: "Unknown action type \"{type}\"; known: {types}.", i18n.ZhCN: "未知的动作类型“{type}”；可用：{types}。"},
		"rule.unknown_field":      {i18n.EN: "\"{field}\" is not a field of the module.", i18n.ZhCN: "“{field}”不是该模块的字段。"},
		"rule.bad_expression":     {i18n.EN: "The expression is not valid: {detail}", i18n.ZhCN: "表达式无效：{detail}"},
		"rule.values_required":    {i18n.EN: "Give at least one field value.", i18n.ZhCN: "至少需要一个字段值。"},
		"rule.message_required":   {i18n.EN: "A message is required.", i18n.ZhCN: "需要提供消息。"},
		"rule.actions_required":   {i18n.EN: "A rule needs at least one action (at most 20).", i18n.ZhCN: "规则至少需要一个动作（最多 20 个）。"},
		"rule.before_save_only":   {i18n.EN: "This action only runs before save.", i18n.ZhCN: "此动作只能在保存前运行。"},
		"rule.after_save_only":    {i18n.EN: "This action only runs after save.", i18n.ZhCN: "此动作只能在保存后运行。"},
		"rule.no_before_save":     {i18n.EN: "Rules with trigger \"{type}\" cannot run before save.", i18n.ZhCN: "触发类型为“{type}”的规则不能在保存前运行。"},
		"rule.bad_url":            {i18n.EN: "The webhook URL must start with http:// or https://.", i18n.ZhCN: "Webhook 地址必须以 http:// 或 https:// 开头。"},
		"rule.before_save_failed": {i18n.EN: "Rule \"{rule}\" failed, so the record was not saved: {detail}", i18n.ZhCN: "规则“{rule}”执行失败，记录未保存：{detail}"},
	})
}
