package publish

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	m := map[string]map[string]string{
		"publish.token_not_found":    {i18n.EN: "This link is not valid (any more).", i18n.ZhCN: "此链接无效或已失效。"},
		"publish.rate_limited":       {i18n.EN: "Too many requests from your address; try again in a minute.", i18n.ZhCN: "您的地址请求过于频繁，请一分钟后再试。"},
		"publish.bad_key":            {i18n.EN: "A key must start with a lower-case letter and contain only a-z, 0-9 and single underscores (at most 40 characters).", i18n.ZhCN: "标识必须以小写字母开头，只能包含 a-z、0-9 和单个下划线（最多 40 个字符）。"},
		"publish.label_required":     {i18n.EN: "A label is required.", i18n.ZhCN: "需要提供名称。"},
		"publish.bad_rate":           {i18n.EN: "The rate limit is a number of requests per minute from 1 to {max}.", i18n.ZhCN: "频率限制须为每分钟 1 到 {max} 次请求。"},
		"publish.bad_redirect":       {i18n.EN: "The redirect must be an http or https URL.", i18n.ZhCN: "跳转地址必须是 http 或 https 网址。"},
		"publish.fields_required":    {i18n.EN: "Name the fields (1 to {max}).", i18n.ZhCN: "请指定字段（1 到 {max} 个）。"},
		"publish.module_required":    {i18n.EN: "Name a module.", i18n.ZhCN: "请指定模块。"},
		"publish.unknown_module":     {i18n.EN: "There is no module \"{module}\" in this app.", i18n.ZhCN: "此应用中没有模块“{module}”。"},
		"publish.unknown_field":      {i18n.EN: "The module has no field \"{field}\".", i18n.ZhCN: "该模块没有字段“{field}”。"},
		"publish.duplicate_field":    {i18n.EN: "Field \"{field}\" is named twice.", i18n.ZhCN: "字段“{field}”重复出现。"},
		"publish.read_only_field":    {i18n.EN: "\"{field}\" is computed; a form cannot ask for it.", i18n.ZhCN: "“{field}”是计算字段，表单不能填写。"},
		"publish.ref_field":          {i18n.EN: "\"{field}\" refers to records or users; a public form cannot ask for it.", i18n.ZhCN: "“{field}”引用记录或用户，外链表单不能填写。"},
		"publish.required_not_asked": {i18n.EN: "\"{field}\" is required but not among the form's fields.", i18n.ZhCN: "“{field}”设为必填，但不在表单字段中。"},
		"publish.form_only":          {i18n.EN: "required, values, owner and success are for forms only.", i18n.ZhCN: "required、values、owner 和 success 仅适用于表单。"},
		"publish.view_only":          {i18n.EN: "A filter is for views only.", i18n.ZhCN: "筛选条件仅适用于公开视图。"},
		"publish.bad_filter":         {i18n.EN: "The filter is not valid: {detail}", i18n.ZhCN: "筛选条件无效：{detail}"},
		"publish.bad_sort":           {i18n.EN: "The sort is not valid: {detail}", i18n.ZhCN: "排序无效：{detail}"},
		"publish.not_in_form":        {i18n.EN: "\"{field}\" is not a field of this form.", i18n.ZhCN: "“{field}”不是此表单的字段。"},
		"publish.thanks":             {i18n.EN: "Thank you, we have received it.", i18n.ZhCN: "提交成功，谢谢！"},
		"publish.required":           {i18n.EN: "{field} is required.", i18n.ZhCN: "{field}为必填项。"},
	}
	for _, typ := range []struct{ kind, en, zh string }{{"public_form", "Public form", "外链表单"}, {"public_view", "Public view", "公开视图"}} {
		m[typ.kind+".exists"] = map[string]string{i18n.EN: typ.en + " \"{key}\" already exists in this app.", i18n.ZhCN: "此应用中已存在标识为“{key}”的" + typ.zh + "。"}
		m[typ.kind+".stale"] = map[string]string{i18n.EN: typ.en + " \"{key}\" was changed by someone else; reload it and try again.", i18n.ZhCN: typ.zh + "“{key}”已被他人修改，请刷新后重试。"}
		m[typ.kind+".not_found"] = map[string]string{i18n.EN: typ.en + " \"{key}\" not found.", i18n.ZhCN: typ.zh + "“{key}”不存在。"}
		m[typ.kind+".version_required"] = map[string]string{i18n.EN: "Send the version you read (\"version\").", i18n.ZhCN: "请提供所读取的版本号（version）。"}
		m[typ.kind+".key_fixed"] = map[string]string{i18n.EN: "The key cannot change.", i18n.ZhCN: "标识不可更改。"}
	}
	i18n.RegisterAll(m)
}
