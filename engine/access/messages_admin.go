package access

import "github.com/tessera-app/tessera/engine/i18n"

// What an administrator-only route refuses, one key per route group and
// direction, so a non-administrator is told what was refused rather than
// one sentence for everything (httpx.AdminOnly names the key).
func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"access.admin_only.apps":             {i18n.EN: "Only administrators may create, rename or delete apps.", i18n.ZhCN: "只有管理员可以创建、重命名或删除应用。"},
		"access.admin_only.departments_read": {i18n.EN: "Only administrators may list or view departments.", i18n.ZhCN: "只有管理员可以查看部门列表或部门详情。"},
		"access.admin_only.departments":      {i18n.EN: "Only administrators may create, change or delete departments.", i18n.ZhCN: "只有管理员可以创建、修改或删除部门。"},
		"access.admin_only.users_read":       {i18n.EN: "Only administrators may list users or view other users' accounts.", i18n.ZhCN: "只有管理员可以查看用户列表或其他用户的账号。"},
		"access.admin_only.users":            {i18n.EN: "Only administrators may create or change user accounts.", i18n.ZhCN: "只有管理员可以创建或修改用户账号。"},
		"access.admin_only.roles_read":       {i18n.EN: "Only administrators may list or view roles.", i18n.ZhCN: "只有管理员可以查看角色列表或角色详情。"},
		"access.admin_only.roles":            {i18n.EN: "Only administrators may create, change or delete roles.", i18n.ZhCN: "只有管理员可以创建、修改或删除角色。"},
		"access.admin_only.rules_read":       {i18n.EN: "Only administrators may view automation rules and their runs.", i18n.ZhCN: "只有管理员可以查看自动化规则及其执行记录。"},
		"access.admin_only.rules":            {i18n.EN: "Only administrators may create, change, delete or try out automation rules.", i18n.ZhCN: "只有管理员可以创建、修改、删除或试运行自动化规则。"},
		"access.admin_only.flows":            {i18n.EN: "Only administrators may create, change or delete stage flows.", i18n.ZhCN: "只有管理员可以创建、修改或删除阶段流程。"},
		"access.admin_only.approvals":        {i18n.EN: "Only administrators may create, change or delete approval processes.", i18n.ZhCN: "只有管理员可以创建、修改或删除审批流程。"},
		"access.admin_only.calendars":        {i18n.EN: "Only administrators may change working calendars.", i18n.ZhCN: "只有管理员可以修改工作日历。"},
		"access.admin_only.metrics":          {i18n.EN: "Only administrators may read the server's metrics.", i18n.ZhCN: "只有管理员可以查看服务器监控指标。"},
		"access.admin_only.recompute":        {i18n.EN: "Only administrators may view the recomputation of computed fields.", i18n.ZhCN: "只有管理员可以查看计算字段的重新计算进度。"},

		// Actions as refusals name them ("You may not {action} records of …").
		"access.action.create":   {i18n.EN: "create", i18n.ZhCN: "新建"},
		"access.action.read":     {i18n.EN: "read", i18n.ZhCN: "查看"},
		"access.action.update":   {i18n.EN: "update", i18n.ZhCN: "修改"},
		"access.action.delete":   {i18n.EN: "delete", i18n.ZhCN: "删除"},
		"access.action.export":   {i18n.EN: "export", i18n.ZhCN: "导出"},
		"access.action.import":   {i18n.EN: "import", i18n.ZhCN: "导入"},
		"access.action.transfer": {i18n.EN: "transfer", i18n.ZhCN: "转移"},
		"access.action.manage":   {i18n.EN: "manage", i18n.ZhCN: "管理"},
		"access.action.claim":    {i18n.EN: "claim", i18n.ZhCN: "领取"},
	})
}

// ActionName is action as a message argument, rendered in the reader's
// language (an unknown action renders as itself).
func ActionName(action string) i18n.Msg {
	if i18n.Has("access.action." + action) {
		return i18n.M("access.action." + action)
	}
	return i18n.Msg{Key: action}
}
