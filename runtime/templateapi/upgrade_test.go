package templateapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/engine/template"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// edit returns files with document name changed by fn (parsed, ordered).
func edit(t *testing.T, files map[string][]byte, name string, fn func(o *template.Object)) map[string][]byte {
	t.Helper()
	v, err := template.ParseJSON(files[name])
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	fn(v.(*template.Object))
	return with(files, name, template.Encode(v))
}

func prop(o *template.Object, field string) *template.Object {
	return o.Obj("schema").Obj("properties").Obj(field)
}

func label(en, zh string) *template.Object {
	l := template.NewObject()
	l.Set("en", en)
	l.Set("zh-CN", zh)
	return l
}

// fieldProp is a schema property for a new field of the given type.
func fieldProp(typ, en, zh string) *template.Object {
	xf := template.NewObject()
	xf.Set("type", typ)
	xf.Set("label", label(en, zh))
	f := template.NewObject()
	f.Set("x-field", xf)
	return f
}

// changeModule changes a module of app locally, as an administrator would.
func changeModule(t *testing.T, e *apitest.Env, app, key string, fn func(o *template.Object)) {
	t.Helper()
	ctx := context.Background()
	m, err := e.Svc.Meta.Module(ctx, app, key)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := template.ParseJSON(m.Schema)
	doc := template.NewObject()
	doc.Set("schema", v)
	fn(doc)
	if _, err := e.Svc.Meta.UpdateModule(ctx, app, key, meta.ModuleInput{Key: key, Label: m.Label, Schema: template.Compact(doc.Vals["schema"])}, ""); err != nil {
		t.Fatal(err)
	}
}

func upgrade(t *testing.T, e *apitest.Env, app string, files map[string][]byte, query string) (int, map[string]any, string) {
	t.Helper()
	code, body := post(t, e, "admin", "/api/templates/"+app+"/upgrade?"+query, zipOf(t, files), "en")
	var doc map[string]any
	json.Unmarshal([]byte(body), &doc)
	return code, doc, body
}

func TestUpgradeMergesKeepsDataAndLocalChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		ctx := context.Background()
		v1 := read(t, school)
		if code, body := post(t, e, "admin", "/api/templates?sample_data=true", zipOf(t, v1), ""); code != 201 {
			t.Fatalf("install: %d %s", code, body)
		}
		const app = "training_school"
		// Local changes since the install: a field added, a label changed,
		// a rule switched off.
		changeModule(t, e, app, "course", func(o *template.Object) {
			notes := fieldProp("text", "Notes", "备注")
			o.Obj("schema").Obj("properties").Set("notes", notes)
			prop(o, "fee").Obj("x-field").Obj("label").Set("en", "Tuition")
		})
		if _, err := e.Svc.Rules.SetEnabled(ctx, app, "payment_receipt", false); err != nil {
			t.Fatal(err)
		}
		// Version 1.1: a new field, the same label changed otherwise (a
		// conflict), a field renamed with renamedFrom, a field dropped, a
		// rule relabelled, a new rule.
		v11 := edit(t, v1, "template.json", func(o *template.Object) { o.Set("version", "1.1.0") })
		v11 = edit(t, v11, "modules/course.json", func(o *template.Object) {
			c := fieldProp("integer", "Capacity", "名额")
			o.Obj("schema").Obj("properties").Set("capacity", c)
			prop(o, "fee").Obj("x-field").Obj("label").Set("en", "Price")
		})
		v11 = edit(t, v11, "modules/student.json", func(o *template.Object) {
			props := o.Obj("schema").Obj("properties")
			props.Rename("email", "contact_email")
			props.Obj("contact_email").Obj("x-field").Set("renamedFrom", "email")
		})
		v11 = edit(t, v11, "modules/lesson.json", func(o *template.Object) { o.Obj("schema").Obj("properties").Delete("teacher") })
		v11 = edit(t, v11, "rules/payment_receipt.json", func(o *template.Object) { o.Set("label", label("Payment received", "已收款提醒")) })
		v11 = with(v11, "rules/welcome.json", []byte(`{"label": {"zh-CN": "欢迎", "en": "Welcome"}, "module": "student", "enabled": true,
			"trigger": {"type": "created"}, "actions": [{"type": "notify", "to": "owner", "message": {"zh-CN": "新学员 {name}", "en": "New student {name}"}}]}`))

		// The plan alone changes nothing and lists the conflict.
		code, plan, body := upgrade(t, e, app, v11, "")
		if code != 200 || plan["applied"] != false {
			t.Fatalf("plan: %d %s", code, body)
		}
		conflicts := plan["conflicts"].([]any)
		if len(conflicts) != 1 {
			t.Fatalf("conflicts: %s", body)
		}
		c := conflicts[0].(map[string]any)
		const id = "modules/course.json#/schema/properties/fee/x-field/label/en"
		if c["id"] != id || c["base"] != "Fee" || c["ours"] != "Tuition" || c["theirs"] != "Price" {
			t.Fatalf("conflict: %v", c)
		}
		for _, want := range []string{`"action":"archive"`, `field \"teacher\" removed by the new version: archived`,
			`"action":"rename"`, `field \"email\" renamed to \"contact_email\"`, `"file":"rules/welcome.json","action":"add"`} {
			if !strings.Contains(body, want) {
				t.Fatalf("plan lacks %s: %s", want, body)
			}
		}
		if a := e.Do(t, "admin", "GET", "/api/apps/"+app, nil).Want(t, 200); a.Str("template.version") != "1.0.0" {
			t.Fatalf("plan applied something: %s", a.Body)
		}
		// Applying with the conflict undecided is refused.
		if code, _, body := upgrade(t, e, app, v11, "apply=true"); code != 409 || !strings.Contains(body, "1 unresolved conflict") {
			t.Fatalf("undecided: %d %s", code, body)
		}
		// With a choice it applies.
		code, plan, body = upgrade(t, e, app, v11, "apply=true&choose="+url.QueryEscape(id+"=theirs"))
		if code != 200 || plan["applied"] != true {
			t.Fatalf("apply: %d %s", code, body)
		}
		course := e.Do(t, "admin", "GET", "/api/apps/"+app+"/modules/course", nil).Want(t, 200)
		cs := string(course.Body)
		if !strings.Contains(cs, `"notes"`) || !strings.Contains(cs, `"capacity"`) || !strings.Contains(cs, `"Price"`) || strings.Contains(cs, `"Tuition"`) {
			t.Fatalf("course after upgrade: %s", cs)
		}
		r, err := e.Svc.Rules.Rule(ctx, app, "payment_receipt")
		if err != nil || r.Enabled || r.Label["en"] != "Payment received" {
			t.Fatalf("rule: %+v %v", r, err)
		}
		if _, err := e.Svc.Rules.Rule(ctx, app, "welcome"); err != nil {
			t.Fatalf("new rule: %v", err)
		}
		// The renamed field kept its values.
		st := e.Do(t, "admin", "GET", "/api/apps/"+app+"/modules/student/records?filter="+url.QueryEscape(`phone == "13800000002"`), nil).Want(t, 200)
		if got := apitest.Lookup(st.List("records")[0], "contact_email"); got != "lihua@example.com" {
			t.Fatalf("renamed field: %v (%s)", got, st.Body)
		}
		// The dropped field is archived: hidden from every reader, even an
		// administrator, its values still in the table.
		ls := e.Do(t, "admin", "GET", "/api/apps/"+app+"/modules/lesson/records", nil).Want(t, 200)
		if strings.Contains(string(ls.Body), "teacher") || strings.Contains(string(ls.Body), "陈老师") || len(ls.List("records")) != 3 {
			t.Fatalf("archived field shown: %s", ls.Body)
		}
		var kept int
		if err := s.R.QueryRowContext(ctx, `SELECT count(*) FROM "t_training_school__lesson" WHERE "teacher" = '陈老师'`).Scan(&kept); err != nil || kept != 2 {
			t.Fatalf("archived values: %d %v", kept, err)
		}
		if a := e.Do(t, "admin", "GET", "/api/apps/"+app, nil).Want(t, 200); a.Str("template.version") != "1.1.0" {
			t.Fatalf("version: %s", a.Body)
		}
		// A registrar (the package's role) reads the schedule: the archived
		// field is not in the module they are shown either.
		e.Do(t, "admin", "POST", "/api/users", map[string]any{"email": "reg@example.com", "password": apitest.Password,
			"name": "reg", "roles": []string{"registrar"}}).Want(t, 201)
		e.Tokens["reg"] = e.Do(t, "", "POST", "/api/auth/login", map[string]string{"email": "reg@example.com", "password": apitest.Password}).Want(t, 200).Str("token")
		if mv := e.Do(t, "reg", "GET", "/api/apps/"+app+"/modules/lesson", nil).Want(t, 200); strings.Contains(string(mv.Body), "teacher") || !strings.Contains(string(mv.Body), "room") {
			t.Fatalf("registrar's lesson module: %s", mv.Body)
		}
		if rs := e.Do(t, "reg", "GET", "/api/apps/"+app+"/modules/lesson/records", nil).Want(t, 200); strings.Contains(string(rs.Body), "陈老师") || len(rs.List("records")) != 3 {
			t.Fatalf("registrar's lessons: %s", rs.Body)
		}

		// 1.2 renames phone to mobile without renamedFrom: the plan says
		// archive + add and flags the likely rename.
		v12 := edit(t, v11, "template.json", func(o *template.Object) { o.Set("version", "1.2.0") })
		v12 = edit(t, v12, "modules/student.json", func(o *template.Object) {
			o.Obj("schema").Obj("properties").Rename("phone", "mobile")
			o.Obj("schema").Set("required", []any{"name", "mobile"})
		})
		_, _, body = upgrade(t, e, app, v12, "")
		for _, want := range []string{`field \"phone\" removed by the new version: archived`, `"action":"maybe_rename"`,
			`without renamedFrom this is archive + add`} {
			if !strings.Contains(body, want) {
				t.Fatalf("1.2 plan lacks %s: %s", want, body)
			}
		}
		// 1.3 turns the student's name into an integer: the store refuses
		// (the values would not convert) and the upgrade changes nothing.
		v13 := edit(t, v11, "template.json", func(o *template.Object) { o.Set("version", "1.3.0") })
		v13 = edit(t, v13, "modules/student.json", func(o *template.Object) {
			x := prop(o, "name")
			x.Delete("maxLength")
			x.Obj("x-field").Set("type", "integer")
		})
		code, _, body = upgrade(t, e, app, v13, "apply=true&prefer=ours")
		if code < 400 || !strings.Contains(body, "modules/student.json#/schema/properties/name") || !strings.Contains(body, "王小明") {
			t.Fatalf("type change: %d %s", code, body)
		}
		if a := e.Do(t, "admin", "GET", "/api/apps/"+app, nil).Want(t, 200); a.Str("template.version") != "1.1.0" {
			t.Fatalf("refused upgrade changed the version: %s", a.Body)
		}
		// An older version is refused.
		if code, _, body := upgrade(t, e, app, v1, ""); code != 409 || !strings.Contains(body, "not newer") {
			t.Fatalf("downgrade: %d %s", code, body)
		}
	})
}
