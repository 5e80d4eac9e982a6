package meta

import (
	"slices"
	"testing"

	"github.com/tessera-app/tessera/engine/errs"
)

const industrySchema = `{"properties": {"industry": {"x-field": {"type": "tree", "options": [
	{"value": "mfg_auto", "parent": "mfg", "label": {"zh-CN": "汽车零部件", "en": "Auto parts"}},
	{"value": "mfg", "label": {"zh-CN": "制造业", "en": "Manufacturing"}},
	{"value": "mfg_auto_ev", "parent": "mfg_auto", "label": {"zh-CN": "新能源"}},
	{"value": "it", "label": {"zh-CN": "信息技术"}}
]}}, "province": {"x-field": {"type": "region", "level": "province"}}}}`

func TestTreeField(t *testing.T) {
	p, err := ParseSchema([]byte(industrySchema))
	if err != nil {
		t.Fatal(err)
	}
	f := p.Fields[0]
	if enum, _ := f.Schema["enum"].([]any); len(enum) != 4 {
		t.Fatalf("enum %v", f.Schema["enum"])
	}
	sub, ok := f.Type.(Hierarchy).Subtree(f, "mfg")
	if !ok || !slices.Equal(sub, []string{"mfg_auto", "mfg", "mfg_auto_ev"}) {
		t.Fatalf("subtree %v", sub)
	}
	if _, ok := f.Type.(Hierarchy).Subtree(f, "nope"); ok {
		t.Fatal("unknown node has a subtree")
	}
	if l, _ := f.ValueLabel("mfg_auto_ev", "zh-CN"); l != "制造业 › 汽车零部件 › 新能源" {
		t.Fatalf("zh label %q", l)
	}
	// No English label: the node falls back to its other label.
	if l, _ := f.ValueLabel("mfg_auto_ev", "en"); l != "Manufacturing › Auto parts › 新能源" {
		t.Fatalf("en label %q", l)
	}
	r := p.Fields[1]
	if l, _ := r.ValueLabel("310000", "zh-CN"); l != "上海市" {
		t.Fatalf("region label %q", l)
	}
	if key, _ := r.Type.(ValueChecker).CheckValue(r, "310100"); key != "form.region" {
		t.Fatal("a city passes a province-level region field")
	}
	if key, _ := r.Type.(ValueChecker).CheckValue(r, "310000"); key != "" {
		t.Fatal("a province fails a province-level region field")
	}
}

func TestTreeFieldRejects(t *testing.T) {
	for name, c := range map[string]struct{ doc, field, code string }{
		"unknown parent": {`{"properties": {"a": {"x-field": {"type": "tree", "options": [{"value": "x", "parent": "y"}]}}}}`, "a.x-field.options.0.parent", "bad_parent"},
		"cycle":          {`{"properties": {"a": {"x-field": {"type": "tree", "options": [{"value": "x", "parent": "y"}, {"value": "y", "parent": "x"}]}}}}`, "a.x-field.options.0.parent", "tree_cycle"},
		"own parent":     {`{"properties": {"a": {"x-field": {"type": "tree", "options": [{"value": "x", "parent": "x"}]}}}}`, "a.x-field.options.0.parent", "tree_cycle"},
		"select parent":  {`{"properties": {"a": {"x-field": {"type": "select", "options": [{"value": "x"}, {"value": "y", "parent": "x"}]}}}}`, "a.x-field.options.1.parent", "not_tree"},
		"bad level":      {`{"properties": {"a": {"x-field": {"type": "region", "level": "street"}}}}`, "a.x-field.level", "schema"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseSchema([]byte(c.doc))
			e, ok := errs.As(err)
			if !ok {
				t.Fatalf("want *errs.Error, got %v", err)
			}
			for _, fe := range e.Fields {
				if fe.Field == c.field && fe.Code == c.code {
					return
				}
			}
			t.Fatalf("want field error %s/%s, got %v", c.field, c.code, e)
		})
	}
}
