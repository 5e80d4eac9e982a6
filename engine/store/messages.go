package store

import (
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
)

// The store implements meta.Repo.
var _ meta.Repo = (*Store)(nil)

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"store.app_exists":             {i18n.EN: "An app with key \"{key}\" already exists.", i18n.ZhCN: "标识为“{key}”的应用已存在。"},
		"store.app_not_found":          {i18n.EN: "App \"{key}\" not found.", i18n.ZhCN: "应用“{key}”不存在。"},
		"store.module_exists":          {i18n.EN: "A module with key \"{key}\" already exists in this app.", i18n.ZhCN: "此应用中已存在标识为“{key}”的模块。"},
		"store.module_not_found":       {i18n.EN: "Module \"{key}\" not found in app \"{app}\".", i18n.ZhCN: "应用“{app}”中不存在模块“{key}”。"},
		"store.module_stale":           {i18n.EN: "Module \"{key}\" was changed by someone else; reload it and try again.", i18n.ZhCN: "模块“{key}”已被他人修改，请刷新后重试。"},
		"store.sqlite_digits":          {i18n.EN: "\"{field}\" has more than {max} significant digits, more than the embedded SQLite database stores exactly (PostgreSQL stores the field's full precision).", i18n.ZhCN: "“{field}”的有效数字超过 {max} 位，内置 SQLite 数据库无法精确保存（PostgreSQL 可保存字段的完整精度）。"},
		"store.bad_value":              {i18n.EN: "This value cannot be stored in \"{field}\": it is not of the field's type.", i18n.ZhCN: "该值无法保存到“{field}”：与字段类型不符。"},
		"store.record_not_found":       {i18n.EN: "Record not found.", i18n.ZhCN: "记录不存在。"},
		"store.stale_version":          {i18n.EN: "The record was changed by someone else (your version is out of date); reload it and try again.", i18n.ZhCN: "记录已被他人修改（版本已过期），请刷新后重试。"},
		"store.duplicate":              {i18n.EN: "Another record already has this value of \"{field}\".", i18n.ZhCN: "已有其他记录使用了相同的“{field}”值。"},
		"store.duplicate_value":        {i18n.EN: "This value of \"{field}\" is already taken.", i18n.ZhCN: "“{field}”的此值已被占用。"},
		"store.bad_limit":              {i18n.EN: "limit must be between 1 and {max}.", i18n.ZhCN: "limit 必须在 1 到 {max} 之间。"},
		"store.too_many_dims":          {i18n.EN: "A query can have at most {max} dimensions.", i18n.ZhCN: "查询最多可有 {max} 个维度。"},
		"store.bad_measures":           {i18n.EN: "A query needs between 1 and {max} measures.", i18n.ZhCN: "查询需要 1 到 {max} 个度量。"},
		"store.bad_measure_field":      {i18n.EN: "Unknown or unsuitable field \"{name}\" for this measure.", i18n.ZhCN: "字段“{name}”不存在或不能用于此度量。"},
		"store.bad_measure_op":         {i18n.EN: "Unknown measure \"{op}\" (count, count_distinct, sum, avg, min, max, calc).", i18n.ZhCN: "未知的度量“{op}”（count、count_distinct、sum、avg、min、max、calc）。"},
		"store.bad_group":              {i18n.EN: "Cannot group by \"{name}\": not a visible field.", i18n.ZhCN: "无法按“{name}”分组：不是可见字段。"},
		"store.bad_sum":                {i18n.EN: "Cannot sum \"{name}\": not a visible number field.", i18n.ZhCN: "无法对“{name}”求和：不是可见的数字字段。"},
		"store.bad_sort":               {i18n.EN: "Cannot sort by \"{name}\": not a sortable field (or repeated, or more than 5 sort keys).", i18n.ZhCN: "无法按“{name}”排序：不是可排序字段（或重复，或排序键超过 5 个）。"},
		"store.notification_not_found": {i18n.EN: "Notification not found (or already read).", i18n.ZhCN: "通知不存在（或已读）。"},
		"store.bad_cursor":             {i18n.EN: "The cursor is invalid or belongs to a different sort order.", i18n.ZhCN: "游标无效或与当前排序不符。"},
	})
}
