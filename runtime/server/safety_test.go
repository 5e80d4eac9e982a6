package server_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// Issue 7 item 4: free-form strings that reach places which render them.

// TestOptionColors: an option's color is #rgb, #rrggbb or a palette name;
// anything else is refused with a localized message naming the option, and
// no module is created.
func TestOptionColors(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.createApp(t, "crm")
		sel := func(color string) json.RawMessage {
			c, _ := json.Marshal(color)
			return props(`"stage":{"x-field":{"type":"select","options":[{"value":"new","color":"blue"},{"value":"won","color":` + string(c) + `}]}},
				"tags":{"x-field":{"type":"multiselect","options":[{"value":"vip","color":` + string(c) + `}]}}`)
		}
		for i, good := range []string{"#fff", "#1677FF", "#a0b1c2", "red", "geekblue", "grey", ""} {
			key := "ok" + string(rune('a'+i))
			e.createModule(t, "crm", key, sel(good))
		}
		for i, bad := range []string{"red;x:url(javascript:1)", "#ffff", "#12345g", "Red", "url(x)", "expression(alert(1))", "#fff;", " red"} {
			key := "bad" + string(rune('a'+i))
			for _, loc := range []string{"en", "zh-CN"} {
				r := e.do(t, "admin", "POST", appPath("crm")+"/modules", map[string]any{"key": key, "label": label(key), "schema": sel(bad)},
					"Accept-Language", loc).want(t, 422)
				checkProblem(t, r)
				for _, field := range []string{"stage.x-field.options.1.color", "tags.x-field.options.0.color"} {
					fe := r.fieldError(field)
					if fe == nil || fe["code"] != "bad_color" {
						t.Fatalf("%q: want %s:bad_color, got %s", bad, field, r.Body)
					}
					msg, _ := fe["message"].(string)
					want := "#rrggbb"
					if loc == "zh-CN" {
						want = "颜色"
					}
					if !strings.Contains(msg, want) || !strings.Contains(msg, "geekblue") {
						t.Errorf("%s message %q", loc, msg)
					}
				}
			}
			if e.tableExists(t, "t_crm__"+key) {
				t.Errorf("refused module %s has a table", key)
			}
		}
		// Replacing a schema checks colours too.
		e.putModule(t, "crm", "oka", sel("javascript:alert(1)")).want(t, 422)
	})
}

// The regular expressions of Redocly's no-unsafe-markdown rule, which
// looks at every "description" of the document.
var unsafeMarkdown = []*regexp.Regexp{
	regexp.MustCompile(`(?i)<script\b`),
	regexp.MustCompile(`(?i)<[a-z][^>]*\bon[a-z]+\s*=`),
	regexp.MustCompile(`(?i)(?:\]\(\s*|\b(?:href|src)\s*=\s*["']?\s*)javascript:`),
}

// Stricter checks of our own: no raw HTML tag at all, no Markdown link or
// image that the user's text could have made.
var rawMarkup = []*regexp.Regexp{
	regexp.MustCompile(`<[A-Za-z/!?]`),
	regexp.MustCompile(`(^|[^\\])\]\(`),
	regexp.MustCompile(`(^|[^\\])!\[`),
}

// TestOpenAPIMarkdownIsSafe: labels, help texts and schema descriptions
// full of HTML and Markdown reach the OpenAPI document's descriptions
// escaped: the no-unsafe-markdown rule passes over the whole document, and
// the text is still there, as text.
func TestOpenAPIMarkdownIsSafe(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		hostile := []string{
			`<img src=x onerror=alert(1)>`, `[x](javascript:alert(1))`, `<script>alert(1)</script>`,
			`![i](javascript:alert(2))`, `<a href="javascript:alert(3)">a</a>`, `href=javascript:alert(4)`,
			"# heading\n- item\n    code", "*bold* _em_ `code` <javascript:alert(5)>",
		}
		lbl := func(i int) map[string]string {
			return map[string]string{"en": hostile[i%len(hostile)], "zh-CN": hostile[(i+1)%len(hostile)] + " 中文"}
		}
		e.do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": lbl(0)}).want(t, 201)
		var fields []string
		for i := range hostile {
			l, _ := json.Marshal(lbl(i))
			h, _ := json.Marshal(lbl(i + 3))
			key := "f" + string(rune('a'+i))
			own := "" // odd fields have a description of their own; even ones get label and help
			if i%2 == 1 {
				d, _ := json.Marshal(hostile[i])
				own = `"description":` + string(d) + `,`
			}
			fields = append(fields, `"`+key+`":{"type":"string",`+own+`"x-field":{"type":"text","label":`+string(l)+`,"help":`+string(h)+`}}`)
		}
		desc, _ := json.Marshal(hostile[1] + " " + hostile[0])
		title, _ := json.Marshal(hostile[2])
		sch := `{"type":"object","title":` + string(title) + `,"description":` + string(desc) + `,"properties":{` + strings.Join(fields, ",") + `}}`
		e.do(t, "admin", "POST", appPath("crm")+"/modules", map[string]any{"key": "deal", "label": lbl(1), "schema": json.RawMessage(sch)}).want(t, 201)

		r := e.do(t, "admin", "GET", "/api/openapi.json", nil).want(t, 200)
		var doc any
		if err := json.Unmarshal(r.Body, &doc); err != nil {
			t.Fatal(err)
		}
		n := 0
		walkDescriptions(doc, "", func(at, d string) {
			n++
			for _, re := range unsafeMarkdown {
				if re.MatchString(d) {
					t.Errorf("%s: description matches %s: %q", at, re, d)
				}
			}
			plain := codeSpan.ReplaceAllString(d, "$1") // our own texts show <token> in code spans
			for _, re := range rawMarkup {
				if re.MatchString(plain) {
					t.Errorf("%s: description matches %s: %q", at, re, d)
				}
			}
		})
		if n < 50 {
			t.Fatalf("only %d descriptions walked", n)
		}
		// The texts are there, escaped rather than dropped.
		schemas := r.obj("components.schemas")
		deal, _ := schemas["crm.deal"].(map[string]any)
		for key, want := range map[string][]string{
			"fb": {`\[x\](javascript&#58;alert(1))`},                                        // its own description
			"fh": {"\\*bold\\* \\_em\\_ \\`code\\` &lt;javascript&#58;alert(5)&gt;"},        // its own description
			"fa": {`\[x\](javascript&#58;alert(1)) 中文`, `\!\[i\](javascript&#58;alert(2))`}, // zh label, en help
			"fc": {"\\# heading\n\\- item\ncode 中文"},                                        // zh help, lines defused
			"fe": {`&lt;img src=x onerror=alert(1)&gt; 中文`},                                 // zh help
		} {
			got, _ := lookup(deal, "properties."+key+".description").(string)
			for _, w := range want {
				if !strings.Contains(got, w) {
					t.Errorf("%s description %q lacks %q", key, got, w)
				}
			}
		}
		// Titles are plain text (JSON Schema titles are not Markdown): as written.
		if got := lookup(deal, "properties.fa.title"); got != hostile[0] {
			t.Errorf("fa title %q, want %q", got, hostile[0])
		}
	})
}

var codeSpan = regexp.MustCompile("(^|[^\\\\])`[^`]*`")

// walkDescriptions calls fn for every "description" string in v.
func walkDescriptions(v any, at string, fn func(at, d string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, sub := range x {
			if s, ok := sub.(string); ok && k == "description" {
				fn(at, s)
				continue
			}
			walkDescriptions(sub, at+"/"+k, fn)
		}
	case []any:
		for _, sub := range x {
			walkDescriptions(sub, at+"/[]", fn)
		}
	}
}
