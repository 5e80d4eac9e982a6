package record

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"record.version_required": {i18n.EN: "Send the version you are changing (\"version\" in the body or an If-Match header).", i18n.ZhCN: "请提供要修改的版本号（请求体中的“version”或 If-Match 请求头）。"},
		"record.lookup_missing":   {i18n.EN: "\"{field}\" points to a record that does not exist: {id}.", i18n.ZhCN: "“{field}”指向的记录不存在：{id}。"},
		"record.bad_expand":       {i18n.EN: "Cannot expand \"{field}\": only lookup and user fields can be expanded (at most 10).", i18n.ZhCN: "无法展开“{field}”：只能展开关联和用户字段（最多 10 个）。"},
	})
}
