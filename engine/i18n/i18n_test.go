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
