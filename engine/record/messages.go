package record

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"record.version_required": {i18n.EN: "Send the version you are changing (\"version\" in the body or an If-Match header).", i18n.ZhCN: "请提供要修改的版本号（请求体中的“version”或 If-Match 请求头）。"},
		"record.lookup_missing":   {i18n.EN: "\"{field}\" points to a record that does not exist: {id}.", i18n.ZhCN: "“{field}”指向的记录不存在：{id}。"},
		"record.forbidden":        {i18n.EN: "You may not {action} records of \"{module}\".", i18n.ZhCN: "你无权{action}“{module}”的记录。"},
		"record.out_of_scope":     {i18n.EN: "This record is outside what you may change.", i18n.ZhCN: "该记录不在你可修改的范围内。"},
		"record.fields_forbidden": {i18n.EN: "The request writes fields you may not change.", i18n.ZhCN: "请求修改了你无权修改的字段。"},
		"record.field_forbidden":  {i18n.EN: "You may not write \"{field}\".", i18n.ZhCN: "你无权写入“{field}”。"},
		"record.field_read_only":  {i18n.EN: "\"{field}\" is read-only for you.", i18n.ZhCN: "“{field}”对你是只读的。"},
		"record.hidden_invalid":   {i18n.EN: "A field you cannot see is missing or invalid; ask an administrator.", i18n.ZhCN: "某个你无权查看的字段缺失或无效，请联系管理员。"},
		"record.claimed":          {i18n.EN: "Someone else owns this record already.", i18n.ZhCN: "该记录已有负责人。"},
		"record.bad_owner":        {i18n.EN: "owner must be the id of an active user.", i18n.ZhCN: "owner 必须是有效用户的 ID。"},
		"record.system_field":     {i18n.EN: "{label} is set by the server and cannot be changed.", i18n.ZhCN: "{label}由系统设置，不能修改。"},
		"record.not_deleted":      {i18n.EN: "This record is not deleted, so there is nothing to restore.", i18n.ZhCN: "该记录未被删除，无需恢复。"},
		"record.sys.id":           {i18n.EN: "ID", i18n.ZhCN: "ID"},
		"record.sys.created_at":   {i18n.EN: "Created at", i18n.ZhCN: "创建时间"},
		"record.sys.updated_at":   {i18n.EN: "Updated at", i18n.ZhCN: "更新时间"},
		"record.sys.created_by":   {i18n.EN: "Created by", i18n.ZhCN: "创建人"},
		"record.sys.updated_by":   {i18n.EN: "Updated by", i18n.ZhCN: "最后修改人"},
		"record.sys.deleted_at":   {i18n.EN: "Deleted at", i18n.ZhCN: "删除时间"},
		"record.bad_expand":       {i18n.EN: "Cannot expand \"{field}\": only lookup and user fields can be expanded (at most 10).", i18n.ZhCN: "无法展开“{field}”：只能展开关联和用户字段（最多 10 个）。"},
	})
}
