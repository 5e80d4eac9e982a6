package template

import (
	"strings"
	"testing"

	"github.com/tessera-app/tessera/engine/errs"
)

func parse(t *testing.T, s string) any {
	t.Helper()
	v, err := ParseJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOrderedRoundTrip(t *testing.T) {
	src := "{\n  \"z\": 1,\n  \"a\": {\n    \"y\": [\n      true,\n      null,\n      \"<b>\"\n    ],\n    \"b\": 1.50\n  },\n  \"e\": {},\n  \"l\": []\n}\n"
	if got := string(Encode(parse(t, src))); got != src {
		t.Fatalf("encode changed the document:\n%s", got)
	}
	y, err := ParseYAML([]byte("z: 1\na:\n  y: [true, null, \"<b>\"]\n  b: 1.50\ne: {}\nl: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(y, parse(t, src)) {
		t.Fatalf("yaml: %s", Compact(y))
	}
	if _, err := ParseJSON([]byte(`{"a": 1, "a": 2}`)); err == nil {
		t.Fatal("duplicate key accepted")
	}
	if _, err := ParseYAML([]byte("a: &x 1\nb: *x\n")); err == nil {
		t.Fatal("alias accepted")
	}
}

func TestMerge(t *testing.T) {
	m := &merger{file: "rules/r.json", used: map[string]bool{}}
	b := parse(t, `{"label": {"en": "A"}, "enabled": true, "roles": ["x", "y"], "states": [{"key": "s1", "p": 1}, {"key": "s2", "p": 2}]}`)
	o := parse(t, `{"label": {"en": "A"}, "enabled": false, "roles": ["x", "y", "mine"], "states": [{"key": "s1", "p": 1}, {"key": "s2", "p": 5}]}`)
	th := parse(t, `{"label": {"en": "B"}, "enabled": true, "roles": ["x"], "states": [{"key": "s1", "p": 9}, {"key": "s2", "p": 2}, {"key": "s3", "p": 3}], "new": 1}`)
	got := m.merge(nil, b, o, th)
	want := parse(t, `{"label": {"en": "B"}, "enabled": false, "roles": ["x", "mine"], "states": [{"key": "s1", "p": 9}, {"key": "s2", "p": 5}, {"key": "s3", "p": 3}], "new": 1}`)
	if !Equal(got, want) || len(m.conflicts) != 0 {
		t.Fatalf("merge: %s %v", Compact(got), m.conflicts)
	}
	// Both sides changed one value: a conflict, ours until chosen.
	m = &merger{file: "rules/r.json", used: map[string]bool{}}
	got = m.merge(nil, parse(t, `{"a": 1}`), parse(t, `{"a": 2}`), parse(t, `{"a": 3}`))
	if len(m.conflicts) != 1 || m.conflicts[0].ID != "rules/r.json#/a" || !Equal(got, parse(t, `{"a": 2}`)) {
		t.Fatalf("conflict: %s %+v", Compact(got), m.conflicts)
	}
	m = &merger{file: "rules/r.json", used: map[string]bool{}, choices: map[string]string{"rules/r.json#/a": "theirs"}}
	if got = m.merge(nil, parse(t, `{"a": 1}`), parse(t, `{"a": 2}`), parse(t, `{"a": 3}`)); !Equal(got, parse(t, `{"a": 3}`)) {
		t.Fatalf("choice: %s", Compact(got))
	}
	// Ours deleted what theirs changed: a conflict; deleted unless theirs
	// is chosen.
	m = &merger{file: "rules/r.json", used: map[string]bool{}}
	got = m.merge(nil, parse(t, `{"a": 1, "b": 1}`), parse(t, `{"b": 1}`), parse(t, `{"a": 2, "b": 1}`))
	if len(m.conflicts) != 1 || m.conflicts[0].Ours != nil || !Equal(got, parse(t, `{"b": 1}`)) {
		t.Fatalf("deleted here: %s %+v", Compact(got), m.conflicts)
	}
	m = &merger{file: "rules/r.json", used: map[string]bool{}, choices: map[string]string{"rules/r.json#/a": "theirs"}}
	if got = m.merge(nil, parse(t, `{"a": 1, "b": 1}`), parse(t, `{"b": 1}`), parse(t, `{"a": 2, "b": 1}`)); !Equal(got, parse(t, `{"a": 2, "b": 1}`)) {
		t.Fatalf("deleted here, theirs chosen: %s", Compact(got))
	}
	// A module field the new version drops is archived, even where only
	// the new version changed the module.
	m = &merger{file: "modules/m.json", module: true, used: map[string]bool{}}
	mb := parse(t, `{"schema": {"properties": {"a": {"x-field": {"type": "text"}}, "gone": {"x-field": {"type": "text"}}}}}`)
	mt := parse(t, `{"schema": {"properties": {"a": {"x-field": {"type": "text"}}}}}`)
	got = m.merge(nil, mb, Clone(mb), mt)
	if !Equal(got, parse(t, `{"schema": {"properties": {"a": {"x-field": {"type": "text"}}, "gone": {"x-field": {"type": "text", "archived": true}}}}}`)) {
		t.Fatalf("archive: %s", Compact(got))
	}
}

func TestParseRefusals(t *testing.T) {
	manifest := `{"key": "demo", "version": "1.0.0", "name": {"zh-CN": "演示", "en": "Demo"}, "description": {"zh-CN": "演示", "en": "Demo"}}`
	files := map[string][]byte{
		"template.json":        []byte(manifest),
		"modules/a.json":       []byte(`{"label": {"en": "A"}, "schema": {"properties": {"b": {"x-field": {"type": "lookup", "module": "nope"}}}}}`),
		"modules/b.yaml":       []byte("key: other\nlabel: {en: B}\n"),
		"rules/r.json":         []byte(`{"module": "ghost"}`),
		"data/zzz.csv":         []byte("a\n1\n"),
		"bin/tool.exe":         {0, 1, 2},
		"translations/ja.json": []byte(`{"modules/a.json": {"/schema": "x"}}`),
	}
	_, err := Parse(files)
	e, ok := errs.As(err)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	var got []string
	for _, fe := range e.Fields {
		got = append(got, fe.Field+" "+fe.Msg.Key)
	}
	joined := strings.Join(got, "\n")
	for _, want := range []string{
		"modules/a.json#/schema/properties/b/x-field/module template.dangling",
		"modules/b.yaml#/key template.key_mismatch",
		"rules/r.json#/module template.dangling",
		"data/zzz.csv template.data_module",
		"bin/tool.exe template.unknown_file",
		"translations/ja.json#/modules~1a.json/~1schema template.translation_target",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %q in\n%s", want, joined)
		}
	}
	for _, p := range []string{"../x", "/x", "a/../../x", `a\..\x`, "C:/x", "a//b"} {
		if safePath(p) {
			t.Errorf("%q passed as safe", p)
		}
	}
	if !safePath("modules/a.json") || !safePath("data/") {
		t.Error("a plain path refused")
	}
}
