package export

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"export.bad_format":             {i18n.EN: "Export format \"{format}\" is not one of {formats}.", i18n.ZhCN: "导出格式“{format}”无效，可选：{formats}。"},
		"export.bad_field":              {i18n.EN: "Field \"{field}\" cannot be exported: there is no such field you can see.", i18n.ZhCN: "无法导出字段“{field}”：没有您可见的该字段。"},
		"export.duplicate_field":        {i18n.EN: "Field \"{field}\" is named twice in the export's fields.", i18n.ZhCN: "导出字段中“{field}”重复出现。"},
		"export.pdf_too_many":           {i18n.EN: "A PDF export holds at most {max} rows; this list has {rows}. Narrow the filter or export to Excel.", i18n.ZhCN: "PDF 导出最多 {max} 行，当前列表有 {rows} 行。请缩小筛选范围或导出为 Excel。"},
		"export.not_found":              {i18n.EN: "Export {id} does not exist.", i18n.ZhCN: "导出 {id} 不存在。"},
		"export.not_ready":              {i18n.EN: "The export is not finished yet (status: {status}).", i18n.ZhCN: "导出尚未完成（状态：{status}）。"},
		"export.expired":                {i18n.EN: "This download link has expired; export the list again.", i18n.ZhCN: "下载链接已过期，请重新导出。"},
		"export.failed":                 {i18n.EN: "The export failed; try again, or ask an administrator to look at the server's log.", i18n.ZhCN: "导出失败，请重试，或请管理员查看服务器日志。"},
		"export.total":                  {i18n.EN: "Total", i18n.ZhCN: "合计"},
		"export.empty":                  {i18n.EN: "(empty)", i18n.ZhCN: "（空）"},
		"export.measure.count":          {i18n.EN: "Count", i18n.ZhCN: "计数"},
		"export.measure.count_distinct": {i18n.EN: "Distinct {field}", i18n.ZhCN: "{field}（去重计数）"},
		"export.measure.sum":            {i18n.EN: "Sum of {field}", i18n.ZhCN: "{field}（合计）"},
		"export.measure.avg":            {i18n.EN: "Average {field}", i18n.ZhCN: "{field}（平均值）"},
		"export.measure.min":            {i18n.EN: "Minimum {field}", i18n.ZhCN: "{field}（最小值）"},
		"export.measure.max":            {i18n.EN: "Maximum {field}", i18n.ZhCN: "{field}（最大值）"},
		"export.column.id":              {i18n.EN: "ID", i18n.ZhCN: "ID"},
		"export.column.created_at":      {i18n.EN: "Created at", i18n.ZhCN: "创建时间"},
		"export.column.updated_at":      {i18n.EN: "Updated at", i18n.ZhCN: "更新时间"},
		"export.column.owner":           {i18n.EN: "Owner", i18n.ZhCN: "负责人"},
		"export.column.created_by":      {i18n.EN: "Created by", i18n.ZhCN: "创建人"},
		"export.column.updated_by":      {i18n.EN: "Updated by", i18n.ZhCN: "更新人"},
	})
}
