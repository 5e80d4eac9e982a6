package rule

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"rule.input_field_taken":     {i18n.EN: "The module has a field \"input\", which a button's expressions use for its inputs; rename the field first.", i18n.ZhCN: "模块中已有字段“input”，而按钮的表达式用它读取输入项；请先重命名该字段。"},
		"rule.bad_inputs":            {i18n.EN: "The inputs are not valid: {detail}", i18n.ZhCN: "输入项定义无效：{detail}"},
		"rule.no_button":             {i18n.EN: "There is no button \"{key}\" on this module.", i18n.ZhCN: "此模块没有按钮“{key}”。"},
		"rule.button_not_applicable": {i18n.EN: "\"{rule}\" does not apply to this record now.", i18n.ZhCN: "“{rule}”目前不适用于此记录。"},
		"rule.press_batch":           {i18n.EN: "Send between 1 and {max} record ids in \"ids\".", i18n.ZhCN: "请在“ids”中提供 1 到 {max} 个记录 ID。"},
		"rule.convert_targets":       {i18n.EN: "A conversion needs between 1 and {max} targets.", i18n.ZhCN: "转换需要 1 到 {max} 个目标。"},
		"rule.convert_bad_as":        {i18n.EN: "\"{name}\" must be a key (a-z, 0-9, single underscores) no other target uses.", i18n.ZhCN: "“{name}”必须是其他目标未使用的标识（a-z、0-9、单个下划线）。"},
		"rule.convert_bad_link":      {i18n.EN: "\"{name}\" is not the name (as) of a target created before this one.", i18n.ZhCN: "“{name}”不是此前已创建目标的名称（as）。"},
		"rule.convert_not_lookup":    {i18n.EN: "{field} is not a lookup to {module}.", i18n.ZhCN: "{field}不是关联到{module}的字段。"},
	})
}
