package meta

import (
	"strings"
	"testing"

	"github.com/tessera-app/tessera/engine/errs"
)

func TestModuleOptions(t *testing.T) {
	ok := `{"x-duplicates": [{"key": "name", "field": "name", "normalize": "company"}, {"key": "tel", "field": "phone", "normalize": "phone"}],
		"x-timeline": {"date_field": "at"},
		"properties": {"name": {"x-field": {"type": "text"}}, "phone": {"x-field": {"type": "phone"}}, "at": {"x-field": {"type": "datetime"}}}}`
	p, err := ParseSchema([]byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Options.MatchKeys) != 2 || p.Options.MatchKeys[1].Normalize != "phone" || p.Options.Timeline.DateField != "at" {
		t.Fatalf("options = %+v", p.Options)
	}
	// The normalized document keeps them, so the stored module parses to the same.
	again, err := ParseSchema(p.Doc)
	if err != nil || len(again.Options.MatchKeys) != 2 || again.Options.Timeline == nil {
		t.Fatalf("stored document lost the options: %s (%v)", p.Doc, err)
	}
	// Hidden fields take their options with them.
	shown := string(WithoutFields(p.Doc, map[string]bool{"phone": true, "at": true}))
	if strings.Contains(shown, `"tel"`) || strings.Contains(shown, "x-timeline") || !strings.Contains(shown, `"company"`) {
		t.Errorf("document without phone and at = %s", shown)
	}
	bad := `{"x-duplicates": [{"key": "name", "field": "nope"}, {"key": "name", "field": "name", "normalize": "soundex"}, {"key": "n", "field": "at"}],
		"x-timeline": {"date_field": "name"},
		"properties": {"name": {"x-field": {"type": "text"}}, "at": {"x-field": {"type": "datetime"}}}}`
	_, err = ParseSchema([]byte(bad))
	e, _ := errs.As(err)
	if e == nil {
		t.Fatal("bad options accepted")
	}
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Field+":"+f.Code)
	}
	want := "x-duplicates.0.field:bad_match_field x-duplicates.1.key:bad_match_key x-duplicates.2.field:bad_match_field x-timeline.date_field:bad_timeline_field"
	if strings.Join(got, " ") != want {
		t.Errorf("problems = %v\nwant %s", got, want)
	}
}
