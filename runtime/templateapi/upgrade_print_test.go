package templateapi_test

import (
	"testing"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/engine/template"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// An upgrade whose new version changes a print template replaces it (it
// once failed: the installer passed no version to printtpl.Replace).
func TestUpgradeChangesPrintTemplate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		const print = `{"module": "course", "label": {"zh-CN": "课程单", "en": "Course sheet"},
			"layout": {"title": "课程 {{name}}", "blocks": [{"type": "fields", "fields": ["name", "fee"]}]}}`
		v1 := with(read(t, school), "print/course_sheet.json", []byte(print))
		if code, body := post(t, e, "admin", "/api/templates", zipOf(t, v1), ""); code != 201 {
			t.Fatalf("install: %d %s", code, body)
		}
		const app = "training_school"
		v11 := edit(t, v1, "template.json", func(o *template.Object) { o.Set("version", "1.1.0") })
		v11 = edit(t, v11, "print/course_sheet.json", func(o *template.Object) {
			o.Set("label", label("Course summary", "课程概要"))
			o.Obj("layout").Set("title", "课程概要 {{name}}")
		})
		if code, plan, body := upgrade(t, e, app, v11, "apply=true"); code != 200 || plan["applied"] != true {
			t.Fatalf("upgrade: %d %s", code, body)
		}
		got := e.Do(t, "admin", "GET", "/api/apps/"+app+"/print-templates/course_sheet", nil).Want(t, 200)
		if got.Str("label.en") != "Course summary" || got.Str("label.zh-CN") != "课程概要" || got.Str("layout.title") != "课程概要 {{name}}" {
			t.Fatalf("print template after the upgrade: %v", got.Doc)
		}
		if got.Num("version") < 2 {
			t.Fatalf("version %v: not replaced", got.Get("version"))
		}
	})
}
