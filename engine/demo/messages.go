package demo

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"demo.invalid":            {i18n.EN: "The demo spec {file} has {count} problem(s); nothing was generated.", i18n.ZhCN: "演示数据规格 {file} 有 {count} 处问题，未生成任何数据。"},
		"demo.bad_syntax":         {i18n.EN: "{file} cannot be read: {error}", i18n.ZhCN: "无法读取 {file}：{error}"},
		"demo.bad_months":         {i18n.EN: "months must be between 1 and 120.", i18n.ZhCN: "months 必须在 1 到 120 之间。"},
		"demo.bad_key":            {i18n.EN: "\"{key}\" is not a valid key (lowercase letters, digits and _, starting with a letter).", i18n.ZhCN: "“{key}”不是有效的键（小写字母、数字和下划线，以字母开头）。"},
		"demo.duplicate":          {i18n.EN: "\"{key}\" is defined twice.", i18n.ZhCN: "“{key}”重复定义。"},
		"demo.user_fields":        {i18n.EN: "A user needs an email, a password and a name.", i18n.ZhCN: "用户需要邮箱、密码和姓名。"},
		"demo.unknown_department": {i18n.EN: "No department \"{key}\" is defined before this point.", i18n.ZhCN: "此处之前没有定义部门“{key}”。"},
		"demo.unknown_user":       {i18n.EN: "No user \"{key}\" in the spec.", i18n.ZhCN: "规格中没有用户“{key}”。"},
		"demo.unknown_entry":      {i18n.EN: "No earlier records entry \"{key}\".", i18n.ZhCN: "前面没有记录条目“{key}”。"},
		"demo.required":           {i18n.EN: "\"{what}\" is required (an expression).", i18n.ZhCN: "“{what}”必填（一个表达式）。"},
		"demo.bad_share":          {i18n.EN: "A share must be between 0 and 1.", i18n.ZhCN: "比例必须在 0 到 1 之间。"},
		"demo.bad_days":           {i18n.EN: "days must be [min, max] with 0 ≤ min ≤ max.", i18n.ZhCN: "days 必须为 [最小, 最大]，且 0 ≤ 最小 ≤ 最大。"},
		"demo.bad_create":         {i18n.EN: "create names \"{key}\", which must be an entry with \"per\": \"{entry}\".", i18n.ZhCN: "create 指向“{key}”，它必须是 \"per\": \"{entry}\" 的条目。"},
		"demo.to_and_fire":        {i18n.EN: "A step has either \"to\" or \"fire\", not both.", i18n.ZhCN: "一个步骤只能有 \"to\" 或 \"fire\" 之一。"},
		"demo.unknown_role":       {i18n.EN: "Role \"{role}\" of user \"{user}\" does not exist (is the template installed?).", i18n.ZhCN: "用户“{user}”的角色“{role}”不存在（模板是否已安装？）。"},
		"demo.unknown_module":     {i18n.EN: "App \"{app}\" has no module \"{module}\".", i18n.ZhCN: "应用“{app}”中没有模块“{module}”。"},
		"demo.unknown_field":      {i18n.EN: "Module \"{module}\" has no field \"{field}\".", i18n.ZhCN: "模块“{module}”中没有字段“{field}”。"},
		"demo.read_only_field":    {i18n.EN: "Field \"{field}\" of module \"{module}\" is computed or archived; it cannot be generated.", i18n.ZhCN: "模块“{module}”的字段“{field}”是计算字段或已归档，不能生成。"},
		"demo.unique_field":       {i18n.EN: "unique names \"{field}\", which has no value expression.", i18n.ZhCN: "unique 中的“{field}”没有取值表达式。"},
		"demo.bad_expr":           {i18n.EN: "The expression does not compile: {error}", i18n.ZhCN: "表达式无法编译：{error}"},
		"demo.bad_target":         {i18n.EN: "Field \"{field}\" of module \"{module}\" is not a lookup to \"{entry}\".", i18n.ZhCN: "模块“{module}”的字段“{field}”不是指向“{entry}”的关联字段。"},
		"demo.no_flow":            {i18n.EN: "Module \"{module}\" has no pipeline to move records through.", i18n.ZhCN: "模块“{module}”没有可推进记录的流程。"},
		"demo.unknown_state":      {i18n.EN: "Pipeline \"{flow}\" has no state \"{state}\".", i18n.ZhCN: "流程“{flow}”中没有状态“{state}”。"},
		"demo.two_transitions":    {i18n.EN: "Pipeline \"{flow}\" has more than one transition from \"{from}\" to \"{to}\": name one with \"fire\".", i18n.ZhCN: "流程“{flow}”从“{from}”到“{to}”有多个转换：请用 \"fire\" 指定。"},
		"demo.no_transition":      {i18n.EN: "Pipeline \"{flow}\" has no transition from \"{from}\" to \"{to}\".", i18n.ZhCN: "流程“{flow}”中没有从“{from}”到“{to}”的转换。"},
		"demo.unknown_transition": {i18n.EN: "Pipeline \"{flow}\" has no transition \"{transition}\".", i18n.ZhCN: "流程“{flow}”中没有转换“{transition}”。"},
		"demo.no_app":             {i18n.EN: "App \"{app}\" is not installed: install its template first (tessera template install).", i18n.ZhCN: "应用“{app}”尚未安装：请先安装其模板（tessera template install）。"},
		"demo.app_has_data":       {i18n.EN: "App \"{app}\" has data already (module \"{module}\" has records): demo data goes into an app without records only. Nothing was generated.", i18n.ZhCN: "应用“{app}”中已有数据（模块“{module}”有记录）：演示数据只能生成到没有记录的应用中。未生成任何数据。"},
		"demo.not_unique":         {i18n.EN: "Entry \"{entry}\" cannot make another record with new values of {fields}: add words to its lists or lower its count.", i18n.ZhCN: "条目“{entry}”无法再生成 {fields} 不重复的记录：请扩充词表或减少数量。"},
		"demo.forward_ref":        {i18n.EN: "Entry \"{entry}\": field \"{field}\" points to a record not written yet (a later entry); put the target's entry first.", i18n.ZhCN: "条目“{entry}”：字段“{field}”指向尚未写入的记录（后面的条目）；请把目标条目放在前面。"},
		"demo.expr_failed":        {i18n.EN: "{where}: record {n} of entry \"{entry}\": {error}", i18n.ZhCN: "{where}：条目“{entry}”的第 {n} 条记录：{error}"},
		"demo.write_failed":       {i18n.EN: "{where}: record {n} of entry \"{entry}\" (module {module}) was refused: {error}", i18n.ZhCN: "{where}：条目“{entry}”（模块 {module}）的第 {n} 条记录被拒绝：{error}"},
		"demo.approval_ended":     {i18n.EN: "The approval ended as {status} instead of approved. {error}", i18n.ZhCN: "审批以 {status} 结束，而不是通过。{error}"},
		"demo.approval_stuck":     {i18n.EN: "The approval waits at step \"{step}\" with no pending task to approve.", i18n.ZhCN: "审批停在步骤“{step}”，没有可处理的待办任务。"},
	})
}
