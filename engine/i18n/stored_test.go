package i18n

import "testing"

type label map[string]string

func (l label) In(locale string) string { return Text(l).In(locale) }

func TestStoredMessageRendersLikeTheOriginal(t *testing.T) {
	Register("test.stored", map[string]string{EN: "{who} asks: {inner} ({n}, {list})", ZhCN: "{who} 请求：{inner}（{n}，{list}）"})
	Register("test.inner", map[string]string{EN: "approve {process}", ZhCN: "审批{process}"})
	m := M("test.stored", "who", "Ada", "n", 1000000,
		"inner", M("test.inner", "process", label{EN: "Quote", ZhCN: "报价"}),
		"list", []any{Text{EN: "one", ZhCN: "一"}, "two"})
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range Locales {
		if got, want := T(loc, back), T(loc, m); got != want {
			t.Errorf("%s: stored renders %q, original %q (stored %s)", loc, got, want, b)
		}
	}
	own := Msg{Key: "rule.notify", Text: Text{EN: "Lead {name}", ZhCN: "线索 {name}"}, Args: map[string]any{"name": "Acme"}}
	b, _ = Encode(own)
	back, _ = Decode(b)
	if got := T(ZhCN, back); got != "线索 Acme" {
		t.Errorf("own text renders %q", got)
	}
}
