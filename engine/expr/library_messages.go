package expr

import (
	"regexp"
	"strconv"

	"github.com/tessera-app/tessera/engine/i18n"
)

// The expression library's own messages are English ("unexpected token
// EOF", "invalid operation: > (mismatched types float64 and string)").
// The ones a designer meets most are said here in both languages;
// anything else keeps the library's words, humanized (Go type names become
// kinds).

// kindWords name the kinds of values expressions work with, per locale
// ("expr.kind.<kind>").
var kindWords = map[string][2]string{
	"number":   {"a number", "数字"},
	"string":   {"text", "文本"},
	"text":     {"text", "文本"},
	"bool":     {"true or false", "布尔值"},
	"boolean":  {"true or false", "布尔值"},
	"date":     {"a date", "日期"},
	"datetime": {"a date-time", "日期时间"},
	"duration": {"a duration", "时长"},
	"list":     {"a list", "列表"},
	"object":   {"an object", "对象"},
	"any":      {"any value", "任意值"},
}

func init() {
	entries := map[string]map[string]string{
		"expr.lib.eof":            {i18n.EN: "the expression ends too early", i18n.ZhCN: "表达式不完整"},
		"expr.lib.unexpected":     {i18n.EN: "`{token}` is not expected here", i18n.ZhCN: "此处不应出现 `{token}`"},
		"expr.lib.mismatched":     {i18n.EN: "`{op}` cannot be used between {left} and {right}", i18n.ZhCN: "`{op}` 不能用于{left}与{right}之间"},
		"expr.lib.mismatched_one": {i18n.EN: "`{op}` cannot be used with {kind}", i18n.ZhCN: "`{op}` 不能用于{kind}"},
		"expr.lib.unterminated":   {i18n.EN: "a quoted text is not closed", i18n.ZhCN: "引号中的文本没有闭合"},
		"expr.lib.bad_char":       {i18n.EN: "the character {char} is not allowed here", i18n.ZhCN: "此处不允许使用字符 {char}"},
		"expr.lib.condition":      {i18n.EN: "the condition gives {kind}, not true or false", i18n.ZhCN: "条件的结果是{kind}，而不是布尔值"},
		"expr.lib.not_callable":   {i18n.EN: "{name} cannot be called", i18n.ZhCN: "{name} 不能被调用"},
	}
	for k, w := range kindWords {
		entries["expr.kind."+k] = map[string]string{i18n.EN: w[0], i18n.ZhCN: w[1]}
	}
	i18n.RegisterAll(entries)
}

// kindName is kind k in the reader's words (k itself when unknown).
func kindName(k string) any {
	if _, ok := kindWords[k]; ok {
		return i18n.M("expr.kind." + k)
	}
	return k
}

var (
	libEOF          = regexp.MustCompile(`^(unexpected token EOF|unexpected end of expression)$`)
	libUnexpected   = regexp.MustCompile(`^unexpected token \w+\((.*)\)$`)
	libMismatched   = regexp.MustCompile(`^invalid operation: (\S+) \(mismatched types (\S+) and (\S+)\)$`)
	libMismatchOne  = regexp.MustCompile(`^invalid operation: (\S+) \(mismatched type (\S+)\)$`)
	libUnterminated = regexp.MustCompile(`^literal not terminated$`)
	libBadChar      = regexp.MustCompile(`^unrecognized character: U\+[0-9A-F]+ '(.+)'$`)
	libCondition    = regexp.MustCompile(`^non-bool(?:ean)? expression \(type (\S+)\) used as condition$`)
	libNotCallable  = regexp.MustCompile(`^(\S+) is not callable$`)
)

// libraryDetail is one of the library's messages as a message argument:
// in the reader's words when it is one Tessera knows, else humanized.
func libraryDetail(msg string) any {
	h := humanize(msg)
	switch {
	case libEOF.MatchString(h):
		return i18n.M("expr.lib.eof")
	case libUnexpected.MatchString(h):
		tok := libUnexpected.FindStringSubmatch(h)[1]
		if s, err := strconv.Unquote(tok); err == nil {
			tok = s
		}
		return i18n.M("expr.lib.unexpected", "token", tok)
	case libMismatched.MatchString(h):
		m := libMismatched.FindStringSubmatch(h)
		return i18n.M("expr.lib.mismatched", "op", m[1], "left", kindName(m[2]), "right", kindName(m[3]))
	case libMismatchOne.MatchString(h):
		m := libMismatchOne.FindStringSubmatch(h)
		return i18n.M("expr.lib.mismatched_one", "op", m[1], "kind", kindName(m[2]))
	case libUnterminated.MatchString(h):
		return i18n.M("expr.lib.unterminated")
	case libBadChar.MatchString(h):
		return i18n.M("expr.lib.bad_char", "char", libBadChar.FindStringSubmatch(h)[1])
	case libCondition.MatchString(h):
		return i18n.M("expr.lib.condition", "kind", kindName(libCondition.FindStringSubmatch(h)[1]))
	case libNotCallable.MatchString(h):
		return i18n.M("expr.lib.not_callable", "name", libNotCallable.FindStringSubmatch(h)[1])
	}
	return h
}
