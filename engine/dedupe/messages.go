package dedupe

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"dedupe.duplicate":           {i18n.EN: "This looks like a duplicate: {count} existing {module} record(s) match. Send confirm_duplicate to save anyway.", i18n.ZhCN: "疑似重复：已有 {count} 条{module}记录与之匹配。如仍要保存，请提交 confirm_duplicate。"},
		"dedupe.no_key":              {i18n.EN: "{module} has no match key \"{key}\" (or you may not see its field).", i18n.ZhCN: "{module}没有查重键“{key}”（或您无权查看其字段）。"},
		"dedupe.no_match_keys":       {i18n.EN: "{module} declares no match keys (x-duplicates).", i18n.ZhCN: "{module}未声明查重键（x-duplicates）。"},
		"dedupe.merge_count":         {i18n.EN: "Name between 1 and {max} records to merge in \"others\".", i18n.ZhCN: "请在“others”中指定 1 到 {max} 条要合并的记录。"},
		"dedupe.merge_repeated":      {i18n.EN: "This record is the survivor or named twice.", i18n.ZhCN: "该记录是保留记录或被重复指定。"},
		"dedupe.merge_unknown_field": {i18n.EN: "\"{field}\" is not a field of the module.", i18n.ZhCN: "“{field}”不是该模块的字段。"},
		"dedupe.merge_bad_source":    {i18n.EN: "{field}: the value must come from the survivor or one of the merged records.", i18n.ZhCN: "{field}：取值必须来自保留记录或被合并的记录之一。"},
	})
}
