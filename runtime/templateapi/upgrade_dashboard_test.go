package templateapi_test

import (
	"testing"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/engine/template"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// An upgrade whose new version changes a dashboard replaces it (it once
// failed with 409: the installer passed version 0, which dashboard.Replace
// takes as a stale version).
func TestUpgradeChangesDashboard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		const dash = `{"label": {"zh-CN": "课程", "en": "Courses"}, "widgets": [
			{"key": "courses", "type": "kpi", "x": 0, "y": 0, "w": 3, "h": 2, "query": {"module": "course", "measures": [{"op": "count"}]}}]}`
		v1 := with(read(t, school), "dashboards/courses.json", []byte(dash))
		if code, body := post(t, e, "admin", "/api/templates", zipOf(t, v1), ""); code != 201 {
			t.Fatalf("install: %d %s", code, body)
		}
		const app = "training_school"
		v11 := edit(t, v1, "template.json", func(o *template.Object) { o.Set("version", "1.1.0") })
		v11 = edit(t, v11, "dashboards/courses.json", func(o *template.Object) { o.Set("label", label("Course figures", "课程数据")) })
		if code, plan, body := upgrade(t, e, app, v11, "apply=true"); code != 200 || plan["applied"] != true {
			t.Fatalf("upgrade: %d %s", code, body)
		}
		got := e.Do(t, "admin", "GET", "/api/apps/"+app+"/dashboards/courses", nil).Want(t, 200)
		if got.Str("label.en") != "Course figures" || got.Str("label.zh-CN") != "课程数据" || got.Num("version") < 2 {
			t.Fatalf("dashboard after the upgrade: %s", got.Body)
		}
	})
}
