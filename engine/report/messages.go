package report

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"report.not_implemented": {i18n.EN: "Queries are not available yet.", i18n.ZhCN: "查询功能尚未提供。"},
		"report.bad_source":      {i18n.EN: "Unknown query source \"{source}\".", i18n.ZhCN: "未知的查询数据源“{source}”。"},
	})
}
