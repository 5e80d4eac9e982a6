package meta

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tessera-app/tessera/engine/i18n"
)

// Module-level options beyond fields, declared in the module document so
// that a template carries them with the module:
//
//	"x-duplicates": [{"key": "name", "field": "name", "normalize": "company"}]
//	"x-timeline":   {"date_field": "at"}
//
// x-duplicates are the match keys of the duplicate check (engine/dedupe):
// a record whose normalized value of Field equals another live record's is
// a duplicate. x-timeline makes the module activity-like: its records
// appear, dated by DateField, on the timeline of every record they look up
// (engine/related).

// MatchKey is one x-duplicates entry.
type MatchKey struct {
	Key       string `json:"key"`
	Field     string `json:"field"`
	Normalize string `json:"normalize,omitempty"` // "" (text), company, phone, email
}

// Normalizers are the x-duplicates normalize values.
var Normalizers = []string{"text", "company", "phone", "email"}

// Timeline is the x-timeline option.
type Timeline struct {
	DateField string `json:"date_field"`
}

// Options are a module's module-level options.
type Options struct {
	MatchKeys []MatchKey
	Timeline  *Timeline
}

// parseModuleOptions reads x-duplicates and x-timeline (their shape was checked
// by the meta-schema) and checks them against the fields.
func parseModuleOptions(doc map[string]any, fields []*Field) (Options, []Problem) {
	var o Options
	var probs []Problem
	m := &Module{Fields: fields}
	seen := map[string]bool{}
	list, _ := doc["x-duplicates"].([]any)
	for i, item := range list {
		obj, _ := item.(map[string]any)
		var k MatchKey
		k.Key, _ = obj["key"].(string)
		k.Field, _ = obj["field"].(string)
		k.Normalize, _ = obj["normalize"].(string)
		path := fmt.Sprintf("x-duplicates.%d", i)
		switch {
		case !ValidKey(k.Key, MaxFieldKey) || seen[k.Key]:
			probs = append(probs, Problem{Path: path + ".key", Code: "bad_match_key", Key: "meta.bad_match_key", Args: []any{"name", k.Key}})
		case k.Normalize != "" && !slices.Contains(Normalizers, k.Normalize):
			probs = append(probs, Problem{Path: path + ".normalize", Code: "bad_normalize", Key: "meta.bad_normalize",
				Args: []any{"name", k.Normalize, "allowed", strings.Join(Normalizers, ", ")}})
		}
		seen[k.Key] = true
		if f := m.Field(k.Field); f == nil || f.Column().Kind != ColText {
			probs = append(probs, Problem{Path: path + ".field", Code: "bad_match_field", Key: "meta.bad_match_field", Args: []any{"name", k.Field}})
		}
		o.MatchKeys = append(o.MatchKeys, k)
	}
	if tl, ok := doc["x-timeline"].(map[string]any); ok {
		t := &Timeline{}
		t.DateField, _ = tl["date_field"].(string)
		f := m.Field(t.DateField)
		if f == nil || (f.Column().Kind != ColDate && f.Column().Kind != ColTime) {
			probs = append(probs, Problem{Path: "x-timeline.date_field", Code: "bad_timeline_field", Key: "meta.bad_timeline_field", Args: []any{"name", t.DateField}})
		}
		o.Timeline = t
	}
	return o, probs
}

// withoutHiddenOptions drops from a document the options that name a
// hidden field (a reader must not learn the field through them).
func withoutHiddenOptions(full map[string]any, hide map[string]bool) {
	if list, ok := full["x-duplicates"].([]any); ok {
		var shown []any
		for _, item := range list {
			if obj, _ := item.(map[string]any); obj != nil {
				if f, _ := obj["field"].(string); !hide[f] {
					shown = append(shown, item)
				}
			}
		}
		if len(shown) == 0 {
			delete(full, "x-duplicates")
		} else {
			full["x-duplicates"] = shown
		}
	}
	if tl, ok := full["x-timeline"].(map[string]any); ok {
		if f, _ := tl["date_field"].(string); hide[f] {
			delete(full, "x-timeline")
		}
	}
}

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"meta.bad_match_key":      {i18n.EN: "{path}: \"{name}\" must be a key (a-z, 0-9, single underscores) not used by another match key.", i18n.ZhCN: "{path}：“{name}”必须是未被其他查重键使用的标识（a-z、0-9、单个下划线）。"},
		"meta.bad_normalize":      {i18n.EN: "{path}: normalize \"{name}\" is not known; use one of {allowed}.", i18n.ZhCN: "{path}：归一化方式“{name}”未知；请使用以下之一：{allowed}。"},
		"meta.bad_match_field":    {i18n.EN: "{path}: \"{name}\" must be a text-like field of the module.", i18n.ZhCN: "{path}：“{name}”必须是本模块的文本类字段。"},
		"meta.bad_timeline_field": {i18n.EN: "{path}: \"{name}\" must be a date or date-time field of the module.", i18n.ZhCN: "{path}：“{name}”必须是本模块的日期或日期时间字段。"},
	})
}
