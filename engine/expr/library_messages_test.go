package expr

import (
	"regexp"
	"testing"

	"github.com/tessera-app/tessera/engine/i18n"
)

// The library's messages a designer meets most are said in their language
// (issue 7 item 15).
func TestLibraryMessagesInBothLanguages(t *testing.T) {
	m := testModule(t)
	english := regexp.MustCompile(`unexpected|mismatched|invalid operation|literal|unrecognized|non-bool|callable|float64|string\b|interface`)
	cases := []struct{ src, want, en, zh string }{
		{"amount +", "any", "Line 1, column 8: Syntax error: the expression ends too early.", "第 1 行第 8 列：语法错误：表达式不完整。"},
		{"amount + * 2", "any", "Line 1, column 10: Syntax error: `*` is not expected here.", "第 1 行第 10 列：语法错误：此处不应出现 `*`。"},
		{`amount + "x"`, "any", "Line 1, column 8: `+` cannot be used between a number and text.", "第 1 行第 8 列：类型错误：`+` 不能用于数字与文本之间。"},
		{`"abc`, "any", "Line 1, column 5: Syntax error: a quoted text is not closed.", "第 1 行第 5 列：语法错误：引号中的文本没有闭合。"},
		{"amount # 2", "any", "Line 1, column 8: Syntax error: `#` is not expected here.", "第 1 行第 8 列：语法错误：此处不应出现 `#`。"},
		{"amount § 2", "any", "Line 1, column 8: Syntax error: the character § is not allowed here.", "第 1 行第 8 列：语法错误：此处不允许使用字符 §。"},
		{"amount ? 1 : 2", "any", "Line 1, column 1: the condition gives a number, not true or false.", "第 1 行第 1 列：类型错误：条件的结果是数字，而不是布尔值。"},
		{"amount", "bool", "Line 1, column 1: The expression gives a number, but true or false is needed here.", "第 1 行第 1 列：表达式的结果是数字，但此处需要布尔值。"},
	}
	for _, c := range cases {
		for _, loc := range []string{i18n.EN, i18n.ZhCN} {
			res := CheckLocale(c.src, m, c.want, loc)
			if len(res.Errors) != 1 {
				t.Errorf("%s (%s): %+v, want one problem", c.src, loc, res)
				continue
			}
			p := res.Errors[0]
			got := "Line " + itoa(p.Line) + ", column " + itoa(p.Column) + ": " + p.Message
			want := c.en
			if loc == i18n.ZhCN {
				got = "第 " + itoa(p.Line) + " 行第 " + itoa(p.Column) + " 列：" + p.Message
				want = c.zh
				if english.MatchString(p.Message) {
					t.Errorf("%s: the library's English in %q", c.src, p.Message)
				}
			}
			if got != want {
				t.Errorf("%s (%s): %q\n\twant %q", c.src, loc, got, want)
			}
		}
	}
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}
