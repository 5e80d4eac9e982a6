package meta

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/tessera-app/tessera/engine/i18n"
)

// Meta-schema violations in the designer's language. The library's own
// messages are English and name JSON Schema's terms ("missing properties:
// 'type'"); each failing keyword is said here instead, with its limit read
// from the meta-schema document, never from the library's text.

var (
	metaDocOnce sync.Once
	metaDoc     map[string]any
)

func metaDocument() map[string]any {
	metaDocOnce.Do(func() {
		if err := json.Unmarshal(MetaSchema(), &metaDoc); err != nil {
			panic(err)
		}
	})
	return metaDoc
}

// metaTypeWords name JSON types per locale ("meta.schema.t.<type>").
var metaTypeWords = map[string][2]string{
	"string":  {"text", "文本"},
	"number":  {"a number", "数字"},
	"integer": {"a whole number", "整数"},
	"boolean": {"true or false", "布尔值（true 或 false）"},
	"array":   {"a list", "列表"},
	"object":  {"an object", "对象"},
	"null":    {"null", "空值（null）"},
}

func init() {
	entries := map[string]map[string]string{
		"meta.schema.root": {i18n.EN: "The schema", i18n.ZhCN: "模块结构"},
		"meta.schema.at":   {i18n.EN: "Schema entry \"{path}\"", i18n.ZhCN: "结构中的“{path}”"},

		"meta.schema.type":             {i18n.EN: "{at} must be {expected}.", i18n.ZhCN: "{at}必须是{expected}。"},
		"meta.schema.enum":             {i18n.EN: "{at} must be one of {allowed}.", i18n.ZhCN: "{at}必须是以下之一：{allowed}。"},
		"meta.schema.const":            {i18n.EN: "{at} can only be {expected}.", i18n.ZhCN: "{at}只能是 {expected}。"},
		"meta.schema.required":         {i18n.EN: "{at} needs {names}.", i18n.ZhCN: "{at}缺少 {names}。"},
		"meta.schema.unknown":          {i18n.EN: "{at} has keys that are not allowed here: {names}.", i18n.ZhCN: "{at}包含此处不允许的键：{names}。"},
		"meta.schema.name_pattern":     {i18n.EN: "{at}: key \"{name}\" is not allowed here (keys must match {pattern}).", i18n.ZhCN: "{at}：不允许使用键“{name}”（键必须符合 {pattern}）。"},
		"meta.schema.minLength":        {i18n.EN: "{at} needs at least {min} characters.", i18n.ZhCN: "{at}至少需要 {min} 个字符。"},
		"meta.schema.maxLength":        {i18n.EN: "{at} allows at most {max} characters.", i18n.ZhCN: "{at}最多 {max} 个字符。"},
		"meta.schema.minimum":          {i18n.EN: "{at} must be at least {min}.", i18n.ZhCN: "{at}不能小于 {min}。"},
		"meta.schema.maximum":          {i18n.EN: "{at} must be at most {max}.", i18n.ZhCN: "{at}不能大于 {max}。"},
		"meta.schema.exclusiveMinimum": {i18n.EN: "{at} must be greater than {min}.", i18n.ZhCN: "{at}必须大于 {min}。"},
		"meta.schema.exclusiveMaximum": {i18n.EN: "{at} must be less than {max}.", i18n.ZhCN: "{at}必须小于 {max}。"},
		"meta.schema.minItems":         {i18n.EN: "{at} needs at least {min} items.", i18n.ZhCN: "{at}至少需要 {min} 项。"},
		"meta.schema.maxItems":         {i18n.EN: "{at} allows at most {max} items.", i18n.ZhCN: "{at}最多 {max} 项。"},
		"meta.schema.minProperties":    {i18n.EN: "{at} needs at least {min} entries.", i18n.ZhCN: "{at}至少需要 {min} 个条目。"},
		"meta.schema.maxProperties":    {i18n.EN: "{at} allows at most {max} entries.", i18n.ZhCN: "{at}最多 {max} 个条目。"},
		"meta.schema.pattern":          {i18n.EN: "{at} must match {pattern}.", i18n.ZhCN: "{at}必须符合 {pattern}。"},
		"meta.schema.uniqueItems":      {i18n.EN: "{at} must not contain duplicates.", i18n.ZhCN: "{at}不能包含重复项。"},
		"meta.schema.format.regex":     {i18n.EN: "{at} is not a valid regular expression.", i18n.ZhCN: "{at}不是有效的正则表达式。"},
		"meta.schema.format":           {i18n.EN: "{at} is not a valid {format}.", i18n.ZhCN: "{at}不是有效的 {format}。"},
		"meta.schema.invalid":          {i18n.EN: "{at} is not valid here.", i18n.ZhCN: "{at}在此处无效。"},
		"meta.schema_uncompilable":     {i18n.EN: "The schema cannot be used to check records: a keyword's value does not fit it (an enum or default of the wrong type, say).", i18n.ZhCN: "该结构无法用于校验记录：某个关键字的取值不合适（例如类型不符的 enum 或 default）。"},
	}
	for t, w := range metaTypeWords {
		entries["meta.schema.t."+t] = map[string]string{i18n.EN: w[0], i18n.ZhCN: w[1]}
	}
	i18n.RegisterAll(entries)
}

// metaProblem says what one failing meta-schema keyword means, in both
// languages.
func metaProblem(doc map[string]any, leaf *jsonschema.ValidationError) Problem {
	inst := PointerTokens(leaf.InstanceLocation)
	kwPath := PointerTokens(leaf.KeywordLocation)
	kw := ""
	if len(kwPath) > 0 {
		kw = kwPath[len(kwPath)-1]
	}
	// The schema object holding the keyword, in the meta-schema document.
	var parent map[string]any
	if i := strings.IndexByte(leaf.AbsoluteKeywordLocation, '#'); i >= 0 {
		if toks := PointerTokens(leaf.AbsoluteKeywordLocation[i+1:]); len(toks) > 0 {
			parent, _ = Navigate(metaDocument(), toks[:len(toks)-1]).(map[string]any)
		}
	}
	value := Navigate(doc, inst)
	// A key that propertyNames refuses: the problem is the object's.
	if len(kwPath) >= 2 && kwPath[len(kwPath)-2] == "propertyNames" && len(inst) > 0 {
		name := inst[len(inst)-1]
		inst = inst[:len(inst)-1]
		p := problemAt(inst, "meta.schema.name_pattern", "name", name, "pattern", fmt.Sprint(parent[kw]))
		return p
	}
	switch kw {
	case "type":
		return problemAt(inst, "meta.schema.type", "expected", typeWordsOf(parent["type"]))
	case "enum":
		if vals, ok := parent["enum"].([]any); ok {
			return problemAt(inst, "meta.schema.enum", "allowed", jsonList(vals))
		}
	case "const":
		if c, ok := parent["const"]; ok {
			return problemAt(inst, "meta.schema.const", "expected", jsonText(c))
		}
	case "required":
		req, _ := parent["required"].([]any)
		obj, _ := value.(map[string]any)
		var missing []string
		for _, r := range req {
			if s, ok := r.(string); ok {
				if _, has := obj[s]; !has {
					missing = append(missing, strconv.Quote(s))
				}
			}
		}
		if len(missing) > 0 {
			return problemAt(inst, "meta.schema.required", "names", missing)
		}
	case "additionalProperties":
		props, _ := parent["properties"].(map[string]any)
		obj, _ := value.(map[string]any)
		var extra []string
		for k := range obj {
			if _, ok := props[k]; !ok {
				extra = append(extra, strconv.Quote(k))
			}
		}
		sort.Strings(extra)
		if len(extra) > 10 {
			extra = append(extra[:10], "…")
		}
		if len(extra) > 0 {
			return problemAt(inst, "meta.schema.unknown", "names", extra)
		}
	case "minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties":
		if lim, ok := parent[kw]; ok {
			return problemAt(inst, "meta.schema."+kw, "min", jsonText(lim))
		}
	case "maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties":
		if lim, ok := parent[kw]; ok {
			return problemAt(inst, "meta.schema."+kw, "max", jsonText(lim))
		}
	case "pattern":
		if p, ok := parent["pattern"]; ok {
			return problemAt(inst, "meta.schema.pattern", "pattern", fmt.Sprint(p))
		}
	case "uniqueItems":
		return problemAt(inst, "meta.schema.uniqueItems")
	case "format":
		f, _ := parent["format"].(string)
		if f == "regex" {
			return problemAt(inst, "meta.schema.format.regex")
		}
		if f != "" {
			return problemAt(inst, "meta.schema.format", "format", f)
		}
	}
	return problemAt(inst, "meta.schema.invalid")
}

// problemAt is a meta-schema problem at instance tokens inst: a field's
// (properties/<key>/…) or the document's. Its message says where as
// {at}.
func problemAt(inst []string, key string, kv ...any) Problem {
	var field, path string
	if len(inst) >= 2 && inst[0] == "properties" {
		field, path = inst[1], strings.Join(inst[2:], ".")
	} else {
		path = strings.Join(inst, ".")
	}
	var at i18n.Msg
	switch full := strings.Trim(field+"."+path, "."); full {
	case "":
		at = i18n.M("meta.schema.root")
	default:
		at = i18n.M("meta.schema.at", "path", full)
	}
	return Problem{Field: field, Path: path, Code: "schema", Key: key, Args: append([]any{"at", at}, kv...)}
}

// PointerTokens splits a JSON pointer as the library writes it (each
// token ~-escaped, then URL-escaped) into raw tokens.
func PointerTokens(p string) []string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil
	}
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
		s = strings.ReplaceAll(s, "~1", "/")
		parts[i] = strings.ReplaceAll(s, "~0", "~")
	}
	return parts
}

// Navigate follows tokens through a JSON document (a schema or an
// instance); nil when they lead nowhere.
func Navigate(v any, toks []string) any {
	cur := v
	for _, tok := range toks {
		switch x := cur.(type) {
		case map[string]any:
			cur = x[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			cur = x[i]
		default:
			return nil
		}
	}
	return cur
}

// typeWordsOf names the JSON type(s) t in words of the reader's language.
func typeWordsOf(t any) any {
	var names []string
	switch x := t.(type) {
	case string:
		names = []string{x}
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok {
				names = append(names, s)
			}
		}
	}
	words := make([]any, 0, len(names))
	for _, n := range names {
		if _, ok := metaTypeWords[n]; ok {
			words = append(words, i18n.M("meta.schema.t."+n))
		} else {
			words = append(words, n)
		}
	}
	if len(words) == 1 {
		return words[0]
	}
	return words
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func jsonList(vals []any) []string {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		out = append(out, jsonText(v))
	}
	return out
}
