package store

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"store.bad_bucket":      {i18n.EN: "Cannot bucket \"{name}\" by \"{bucket}\": buckets (day, week, month, quarter, year) are for date and date-time fields.", i18n.ZhCN: "无法将“{name}”按“{bucket}”分桶：分桶（day、week、month、quarter、year）只适用于日期和日期时间字段。"},
		"store.bad_range_field": {i18n.EN: "The range field \"{name}\" is not a visible date or date-time field.", i18n.ZhCN: "范围字段“{name}”不是可见的日期或日期时间字段。"},
	})
}
