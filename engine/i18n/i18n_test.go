package i18n

import "testing"

func TestNegotiate(t *testing.T) {
	cases := map[string]string{
		"":                          EN,
		"zh-CN,zh;q=0.9,en;q=0.8":   ZhCN,
		"en-US,en;q=0.9":            EN,
		"zh-TW":                     ZhCN,
		"fr-FR, en;q=0.5, zh;q=0.7": ZhCN,
		"fr-FR":                     EN,
		"en;q=0.9, zh-CN;q=0.95":    ZhCN,
		"garbage;;;q=x,,":           EN,
	}
	for h, want := range cases {
		if got := Negotiate(h); got != want {
			t.Errorf("Negotiate(%q) = %s, want %s", h, got, want)
		}
	}
}

func TestRender(t *testing.T) {
	Register("test.hello", map[string]string{EN: "Hello {name}, {n} new", ZhCN: "{name}你好，有 {n} 条新消息"})
	m := M("test.hello", "name", "李雷", "n", 3)
	if got := T(ZhCN, m); got != "李雷你好，有 3 条新消息" {
		t.Errorf("zh: %q", got)
	}
	if got := T("fr", m); got != "Hello 李雷, 3 new" {
		t.Errorf("fallback: %q", got)
	}
	if got := T(EN, M("test.missing")); got != "test.missing" {
		t.Errorf("missing key: %q", got)
	}
}

// Arguments never render as Go syntax (issue 7 item 15): a label passed as
// a plain map is a label, lists are lists, nil is nothing, anything else
// composite is JSON.
func TestArgumentsNeverRenderAsGo(t *testing.T) {
	Register("test.arg", map[string]string{EN: "[{v}]", ZhCN: "【{v}】"})
	type point struct{ X, Y int }
	cases := []struct {
		v      any
		en, zh string
	}{
		{map[string]string{EN: "Amount", ZhCN: "金额"}, "[Amount]", "【金额】"},
		{map[string]string{EN: "Amount"}, "[Amount]", "【Amount】"},
		{nil, "[]", "【】"},
		{[]int{1, 2, 3}, "[1, 2, 3]", "【1, 2, 3】"},
		{[]Msg{M("test.arg", "v", "x")}, "[[x]]", "【【x】】"},
		{map[string]any{"a": 1}, `[{"a":1}]`, `【{"a":1}】`},
		{point{1, 2}, `[{"X":1,"Y":2}]`, `【{"X":1,"Y":2}】`},
		{&point{3, 4}, `[{"X":3,"Y":4}]`, `【{"X":3,"Y":4}】`},
		{[]Text{{EN: "a", ZhCN: "甲"}, {EN: "b"}}, "[a, b]", "【甲, b】"},
		{42, "[42]", "【42】"},
	}
	for _, c := range cases {
		m := M("test.arg", "v", c.v)
		if got := T(EN, m); got != c.en {
			t.Errorf("%#v in en: %q, want %q", c.v, got, c.en)
		}
		if got := T(ZhCN, m); got != c.zh {
			t.Errorf("%#v in zh-CN: %q, want %q", c.v, got, c.zh)
		}
	}
}
