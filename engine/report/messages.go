package report

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"report.not_implemented":   {i18n.EN: "This part of query specs (date buckets, lookup paths, calculated measures, comparisons, sort) is not available yet.", i18n.ZhCN: "查询的这部分功能（日期分桶、关联字段路径、计算度量、同比环比、排序）尚未提供。"},
		"report.duplicate_measure": {i18n.EN: "Two measures are named \"{name}\".", i18n.ZhCN: "有两个度量都命名为“{name}”。"},
		"report.bad_source":        {i18n.EN: "Unknown query source \"{source}\".", i18n.ZhCN: "未知的查询数据源“{source}”。"},
	})
}
