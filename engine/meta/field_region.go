package meta

import "github.com/tessera-app/tessera/engine/region"

func init() { Register(regionType{}) }

// regionType is a China administrative division (province › city ›
// district) from the shipped list in engine/region, stored as its
// six-digit code ("310000", "310100", "310115"). x-field.level is the
// deepest level it takes (city by default); a coarser code is allowed, so
// a lead known only by province can say so. The ~3,300 codes are not an
// enum in the schema: they are checked on the write path (CheckValue)
// and served to pickers by GET /api/regions.
type regionType struct{}

func (regionType) Name() string         { return "region" }
func (regionType) JSONType() string     { return "string" }
func (regionType) Column(*Field) Column { return Column{Kind: ColText} }

// RegionLevel is f's deepest level (region.Province, City or District).
func RegionLevel(f *Field) int {
	if l, ok := region.LevelNames[f.Level]; ok {
		return l
	}
	return region.City
}

// NormalizeValue reads a name or a path of names (上海, 广东 深圳) as its
// code, so web forms, webhooks and imports may send what people write; a
// value that names nothing (or several divisions) stays as sent, for
// CheckValue to refuse.
func (regionType) NormalizeValue(_ *Field, v any) any {
	if s, ok := v.(string); ok {
		if code, found := region.Find(s); found {
			return code
		}
	}
	return v
}

func (regionType) CheckValue(f *Field, v any) (string, []any) {
	s, _ := v.(string)
	if region.Valid(s, RegionLevel(f)) {
		return "", nil
	}
	return "form.region", []any{"value", s, "level", levelWords[RegionLevel(f)]}
}

// levelWords name the levels in messages, per locale.
var levelWords = map[int]Label{
	region.Province: {"en": "province", "zh-CN": "省"},
	region.City:     {"en": "city", "zh-CN": "市"},
	region.District: {"en": "district", "zh-CN": "区县"},
}

// Subtree is the code and the codes inside it down to f's level.
func (regionType) Subtree(f *Field, value string) ([]string, bool) {
	all := region.Subtree(value)
	if all == nil {
		return nil, false
	}
	max := RegionLevel(f)
	out := all[:0:0]
	for _, c := range all {
		if d, _ := region.Lookup(c); d.Level <= max {
			out = append(out, c)
		}
	}
	return out, true
}

func (regionType) ValueLabel(_ *Field, value, _ string) (string, bool) {
	l := region.Label(value)
	return l, l != ""
}
