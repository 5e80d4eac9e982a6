package pool

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"pool.exists":             {i18n.EN: "A pool with key \"{key}\" already exists in this app.", i18n.ZhCN: "此应用中已存在标识为“{key}”的公海。"},
		"pool.stale":              {i18n.EN: "Pool \"{key}\" was changed by someone else; reload it and try again.", i18n.ZhCN: "公海“{key}”已被他人修改，请刷新后重试。"},
		"pool.not_found":          {i18n.EN: "Pool \"{key}\" not found.", i18n.ZhCN: "公海“{key}”不存在。"},
		"pool.bad_key":            {i18n.EN: "A pool key must start with a lower-case letter and contain only a-z, 0-9 and single underscores (at most 40 characters).", i18n.ZhCN: "公海标识必须以小写字母开头，只能包含 a-z、0-9 和单个下划线（最多 40 个字符）。"},
		"pool.label_required":     {i18n.EN: "A label is required.", i18n.ZhCN: "需要提供名称。"},
		"pool.version_required":   {i18n.EN: "Send the version of the pool you read (\"version\").", i18n.ZhCN: "请提供所读取公海的版本号（version）。"},
		"pool.key_fixed":          {i18n.EN: "A pool's key cannot change.", i18n.ZhCN: "公海标识不可更改。"},
		"pool.module_required":    {i18n.EN: "Name a module.", i18n.ZhCN: "请指定模块。"},
		"pool.unknown_module":     {i18n.EN: "There is no module \"{module}\" in this app.", i18n.ZhCN: "此应用中没有模块“{module}”。"},
		"pool.bad_zone":           {i18n.EN: "\"{zone}\" is not a time zone (use an IANA name such as Asia/Shanghai).", i18n.ZhCN: "“{zone}”不是有效时区（请使用 IANA 名称，如 Asia/Shanghai）。"},
		"pool.too_many_names":     {i18n.EN: "At most {max} roles and {max} departments per permission.", i18n.ZhCN: "每项权限最多 {max} 个角色和 {max} 个部门。"},
		"pool.bad_count":          {i18n.EN: "The claim limit is a number from 1 to {max}.", i18n.ZhCN: "领取上限须为 1 到 {max} 之间的数字。"},
		"pool.bad_period":         {i18n.EN: "The period \"{period}\" is not one of day, week, month.", i18n.ZhCN: "周期“{period}”无效，可选：day、week、month。"},
		"pool.bad_filter":         {i18n.EN: "The pool's filter is not valid: {detail}", i18n.ZhCN: "公海筛选条件无效：{detail}"},
		"pool.not_date":           {i18n.EN: "\"{field}\" is not a date or date-time field of the module.", i18n.ZhCN: "“{field}”不是该模块的日期或日期时间字段。"},
		"pool.not_select":         {i18n.EN: "\"{field}\" is not a select or text field of the module.", i18n.ZhCN: "“{field}”不是该模块的选项或文本字段。"},
		"pool.statuses_required":  {i18n.EN: "Name the statuses that may be reclaimed (1 to {max}).", i18n.ZhCN: "请指定可回收的状态（1 到 {max} 个）。"},
		"pool.days_required":      {i18n.EN: "Give the days without follow-up per tier (1 to {max} entries; \"*\" for any other tier).", i18n.ZhCN: "请按等级给出未跟进天数（1 到 {max} 项；“*”表示其他等级）。"},
		"pool.bad_days":           {i18n.EN: "Days are a number from 1 to {max}.", i18n.ZhCN: "天数须为 1 到 {max} 之间的数字。"},
		"pool.tier_without_field": {i18n.EN: "Thresholds per tier need a tier field (tier_field); use \"*\" alone without one.", i18n.ZhCN: "按等级设置阈值需要等级字段（tier_field）；没有等级字段时只能使用“*”。"},
		"pool.forbidden":          {i18n.EN: "You may not {action} in pool \"{pool}\".", i18n.ZhCN: "您无权在公海“{pool}”中{action}。"},
		"pool.act.view":           {i18n.EN: "view records", i18n.ZhCN: "查看记录"},
		"pool.act.claim":          {i18n.EN: "claim records", i18n.ZhCN: "领取记录"},
		"pool.act.assign":         {i18n.EN: "assign records", i18n.ZhCN: "分配记录"},
		"pool.claim_limit":        {i18n.EN: "You have claimed {count} records from pool \"{pool}\" this {period}, the limit.", i18n.ZhCN: "您本{period}已从公海“{pool}”领取 {count} 条记录，已达上限。"},
		"pool.period.day":         {i18n.EN: "day", i18n.ZhCN: "日"},
		"pool.period.week":        {i18n.EN: "week", i18n.ZhCN: "周"},
		"pool.period.month":       {i18n.EN: "month", i18n.ZhCN: "月"},
		"pool.bad_mode":           {i18n.EN: "The mode \"{mode}\" is not one of even, random.", i18n.ZhCN: "分配方式“{mode}”无效，可选：even、random。"},
		"pool.users_required":     {i18n.EN: "Name the users to assign to (1 to {max}).", i18n.ZhCN: "请指定分配对象（1 到 {max} 个用户）。"},
		"pool.duplicate_user":     {i18n.EN: "User {user} is named twice.", i18n.ZhCN: "用户 {user} 重复出现。"},
		"pool.too_many_records":   {i18n.EN: "At most {max} records per assignment.", i18n.ZhCN: "每次最多分配 {max} 条记录。"},
		"pool.no_reclaim":         {i18n.EN: "Pool \"{pool}\" has no reclaim thresholds.", i18n.ZhCN: "公海“{pool}”未设置回收规则。"},
	})
}
