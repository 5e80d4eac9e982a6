package report

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"report.duplicate_measure": {i18n.EN: "Two measures are named \"{name}\".", i18n.ZhCN: "有两个度量都命名为“{name}”。"},
		"report.bad_source":        {i18n.EN: "Unknown query source \"{source}\".", i18n.ZhCN: "未知的查询数据源“{source}”。"},
		"report.bad_zone":          {i18n.EN: "Unknown time zone \"{zone}\".", i18n.ZhCN: "未知的时区“{zone}”。"},
		"report.bad_calc":          {i18n.EN: "The calculated measure \"{name}\" needs a name (as) and an expression (expr), and no field or filter.", i18n.ZhCN: "计算度量“{name}”需要名称（as）和表达式（expr），且不能有字段或筛选。"},
		"report.bad_calc_expr":     {i18n.EN: "The expression of the calculated measure \"{name}\" is not valid: {detail}", i18n.ZhCN: "计算度量“{name}”的表达式无效：{detail}"},
		"report.bad_sort":          {i18n.EN: "Cannot sort by \"{key}\": not a dimension or measure of the query.", i18n.ZhCN: "无法按“{key}”排序：它不是查询的维度或度量。"},
		"report.bad_range":         {i18n.EN: "The range's \"{name}\" (\"{value}\") is not a date (2026-01-31) or date-time (RFC 3339), or the range is empty.", i18n.ZhCN: "范围的“{name}”（“{value}”）不是日期（2026-01-31）或日期时间（RFC 3339），或范围为空。"},
		"report.bad_compare":       {i18n.EN: "Unknown comparison \"{compare}\" (previous_period, previous_year).", i18n.ZhCN: "未知的对比方式“{compare}”（previous_period、previous_year）。"},
		"report.compare_range":     {i18n.EN: "A comparison needs a range with both from and to.", i18n.ZhCN: "对比需要同时有起止的范围（range 的 from 和 to）。"},
		"report.bad_cell":          {i18n.EN: "\"{key}\" is not a dimension of the query.", i18n.ZhCN: "“{key}”不是查询的维度。"},
		"report.bad_cell_value":    {i18n.EN: "The cell's value for \"{key}\" is not a value of that dimension.", i18n.ZhCN: "单元格中“{key}”的值不是该维度的值。"},
	})
}
