package store

import "github.com/tessera-app/tessera/engine/i18n"

// Messages of the DDL sync (ddl_sync.go): schema changes refused because
// they would lose data or break a constraint.
func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"store.schema_change_refused": {
			i18n.EN:   "The module's table cannot be changed this way without losing data.",
			i18n.ZhCN: "无法按此方式修改模块的数据表，否则会丢失数据。",
		},
		"store.type_change_refused": {
			i18n.EN:   "Field \"{field}\" cannot change from {from} to {to}: {count} existing value(s) would not convert (for example: {examples}).",
			i18n.ZhCN: "字段“{field}”无法从 {from} 改为 {to}：有 {count} 个现有值无法转换（例如：{examples}）。",
		},
		"store.unique_refused": {
			i18n.EN:   "Field \"{field}\" cannot be made unique: {count} value(s) occur in more than one record (for example: {examples}).",
			i18n.ZhCN: "字段“{field}”无法设为唯一：有 {count} 个值出现在多条记录中（例如：{examples}）。",
		},
		"store.rename_conflict": {
			i18n.EN:   "Fields {fields} are all renamed from \"{from}\"; only one field can take its place.",
			i18n.ZhCN: "字段 {fields} 都声明为由“{from}”重命名而来；只能有一个字段取代它。",
		},
	})
}
