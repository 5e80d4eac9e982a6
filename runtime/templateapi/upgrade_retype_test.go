package templateapi_test

import (
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/engine/template"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// An upgrade that changes a field's type finishes (it once hung for good:
// the store gathered the rebuilt table's statistics on another connection
// while the upgrade's transaction held the writer).
func TestUpgradeRetypesField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		level := func(typ string) func(o *template.Object) {
			return func(o *template.Object) {
				f := template.NewObject()
				xf := template.NewObject()
				xf.Set("type", typ)
				xf.Set("label", label("Level", "级别"))
				f.Set("x-field", xf)
				o.Obj("schema").Obj("properties").Set("level", f)
			}
		}
		v1 := edit(t, read(t, school), "modules/course.json", level("text"))
		if code, body := post(t, e, "admin", "/api/templates", zipOf(t, v1), ""); code != 201 {
			t.Fatalf("install: %d %s", code, body)
		}
		v11 := edit(t, v1, "template.json", func(o *template.Object) { o.Set("version", "1.1.0") })
		v11 = edit(t, v11, "modules/course.json", level("integer"))
		done := make(chan string, 1)
		go func() {
			code, plan, body := upgrade(t, e, "training_school", v11, "apply=true")
			if code != 200 || plan["applied"] != true {
				done <- body
				return
			}
			done <- ""
		}()
		select {
		case failed := <-done:
			if failed != "" {
				t.Fatalf("upgrade: %s", failed)
			}
		case <-time.After(time.Minute):
			t.Fatal("the upgrade retyping a field did not finish")
		}
		m := e.Do(t, "admin", "GET", "/api/apps/training_school/modules/course", nil).Want(t, 200)
		if m.Str("schema.properties.level.x-field.type") != "integer" {
			t.Fatalf("course after the upgrade: %s", m.Body)
		}
	})
}
