package openapi

import (
	"regexp"
	"strings"
)

// OpenAPI "description" fields are CommonMark, which documentation tools
// render as HTML. Labels, help texts and schema descriptions are user text,
// so every piece of it that goes into a description is escaped to read as
// the text it is: HTML is entity-encoded, the punctuation that opens inline
// Markdown (links, images, emphasis, code) is backslash-escaped, and a line
// that would start a block (heading, list, quote, code) is defused. The
// result also passes the regular expressions of the common "unsafe
// Markdown" lint rules (no "<script", no "<tag on…=", no "](javascript:"
// or "href=javascript:"), which look at the raw text: "javascript:" is
// written with an entity colon.

var mdInline = strings.NewReplacer(
	`&`, `&amp;`, `<`, `&lt;`, `>`, `&gt;`,
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`!`, `\!`, `~`, `\~`, `|`, `\|`,
)

var (
	mdScheme     = regexp.MustCompile(`(?i)\b(javascript|vbscript|data)\s*:`)
	mdBlockStart = regexp.MustCompile(`^(#|\+|-|=|\d+[.)])`)
)

// mdText escapes user text for a Markdown description.
func mdText(s string) string {
	if s == "" {
		return ""
	}
	s = mdInline.Replace(s)
	s = mdScheme.ReplaceAllString(s, "$1&#58;")
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		l = strings.TrimLeft(l, " \t") // indentation would make a code block
		if loc := mdBlockStart.FindStringIndex(l); loc != nil {
			l = l[:loc[1]-1] + `\` + l[loc[1]-1:]
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}

// Keywords of a JSON Schema whose values are schemas, maps of schemas or
// lists of schemas: where mdSchema looks for descriptions. Values of
// other keywords (default, examples, enum, const) are data and stay as
// they are.
var (
	mdOneSchema  = []string{"items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames", "unevaluatedItems", "unevaluatedProperties"}
	mdMapSchemas = []string{"properties", "patternProperties", "$defs", "dependentSchemas"}
	mdSchemaList = []string{"allOf", "anyOf", "oneOf", "prefixItems"}
)

// mdSchema escapes, in place, the descriptions of a field's schema (as the
// administrator wrote them) and of the schemas nested in it.
func mdSchema(s map[string]any) {
	if d, ok := s["description"].(string); ok {
		s["description"] = mdText(d)
	}
	for _, k := range mdOneSchema {
		if sub, ok := s[k].(map[string]any); ok {
			mdSchema(sub)
		}
	}
	for _, k := range mdMapSchemas {
		if subs, ok := s[k].(map[string]any); ok {
			for _, sub := range subs {
				if sub, ok := sub.(map[string]any); ok {
					mdSchema(sub)
				}
			}
		}
	}
	for _, k := range mdSchemaList {
		if subs, ok := s[k].([]any); ok {
			for _, sub := range subs {
				if sub, ok := sub.(map[string]any); ok {
					mdSchema(sub)
				}
			}
		}
	}
}
