package server_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"
	"time"
)

// Issue 7 item 16: the filters users need — through a lookup (inside the
// caller's scope and field permissions on the target), "my records",
// today and now without parentheses — sorting by a lookup (the target's
// title), and expanding users.
func TestFiltersUsersNeed(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.createApp(t, "school")
		e.createModule(t, "school", "course", json.RawMessage(`{"type":"object","properties":{
			"name":     {"x-field":{"type":"text"}},
			"category": {"x-field":{"type":"select","options":[{"value":"lang"},{"value":"math"}]}},
			"fee":      {"x-field":{"type":"currency"}},
			"tags":     {"x-field":{"type":"multiselect","options":[{"value":"evening"},{"value":"online"}]}},
			"secret":   {"x-field":{"type":"text"}}
		},"required":["name"]}`))
		e.createModule(t, "school", "enrolment", json.RawMessage(`{"type":"object","properties":{
			"student": {"x-field":{"type":"text"}},
			"course":  {"x-field":{"type":"lookup","module":"course"}},
			"due":     {"x-field":{"type":"date"}},
			"advisor": {"x-field":{"type":"user"}}
		},"required":["student"]}`))
		perm := func(mod string, actions []string, scope string, fields map[string]string) map[string]any {
			p := map[string]any{"app": "school", "module": mod, "actions": actions, "scope": map[string]string{"read": scope, "update": scope}}
			if fields != nil {
				p["fields"] = fields
			}
			return p
		}
		e.do(t, "admin", "POST", "/api/roles", map[string]any{"key": "teacher", "label": label("Teacher"), "permissions": []map[string]any{
			perm("enrolment", []string{"create", "read", "update"}, "all", nil),
			perm("course", []string{"read"}, `category == "lang"`, map[string]string{"secret": "hidden"}),
		}}).want(t, 201)
		e.do(t, "admin", "PATCH", "/api/users/"+e.ids["user"], map[string]any{"roles": []string{"teacher"}}).want(t, 200)

		day := func(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format("2006-01-02") }
		course := map[string]string{}
		for _, c := range []map[string]any{
			{"name": "German", "category": "lang", "fee": 300, "tags": []string{"evening"}, "secret": "g"},
			{"name": "Algebra", "category": "math", "fee": 100, "secret": "a"},
			{"name": "French", "category": "lang", "fee": 50, "tags": []string{"online", "evening"}, "secret": "f"},
		} {
			course[c["name"].(string)] = e.create(t, "school", "course", c).str("id")
		}
		id := map[string]string{}
		name := map[string]string{}
		for _, en := range []struct {
			who, student, course string
			due                  int
		}{
			{"admin", "e1", "German", -10}, {"admin", "e2", "Algebra", 10}, {"user", "e3", "French", 20}, {"admin", "e4", "", -20},
		} {
			body := map[string]any{"student": en.student, "due": day(en.due), "advisor": e.ids["admin"]}
			if en.course != "" {
				body["course"] = course[en.course]
			}
			r := e.do(t, en.who, "POST", recPath("school", "enrolment"), body).want(t, 201)
			id[en.student], name[r.str("id")] = r.str("id"), en.student
		}

		list := func(who, query string) []string {
			t.Helper()
			r := e.do(t, who, "GET", recPath("school", "enrolment")+"?total=true&"+query, nil).want(t, 200)
			out := []string{}
			for _, rec := range r.list("records") {
				out = append(out, name[rec.(map[string]any)["id"].(string)])
			}
			if int(r.num("total")) != len(out) {
				t.Errorf("%s %s: total %v for %d records", who, query, r.get("total"), len(out))
			}
			return out
		}
		f := func(expr string) string { return "sort=student&filter=" + url.QueryEscape(expr) }
		for _, c := range []struct {
			who, query string
			want       []string
		}{
			// Through a lookup.
			{"admin", f(`course.category == "lang"`), []string{"e1", "e3"}},
			{"admin", f(`course.category != "lang"`), []string{"e2", "e4"}},
			{"admin", f(`!(course.category == "lang")`), []string{"e2", "e4"}},
			{"admin", f(`course.category == nil`), []string{"e4"}},
			{"admin", f(`course.category != nil && course.fee >= 100`), []string{"e1", "e2"}},
			{"admin", f(`course.name startsWith "Fr" || course.name endsWith "bra"`), []string{"e2", "e3"}},
			{"admin", f(`course.category in ["math"] || "online" in course.tags`), []string{"e2", "e3"}},
			{"admin", f(`course.category not in ["lang"]`), []string{"e2", "e4"}},
			{"admin", f(`course.id == "` + course["German"] + `"`), []string{"e1"}},
			// Within the teacher's scope on courses: math is out of it, so an
			// enrolment in Algebra reads as having no course.
			{"user", f(`course.category == "math"`), []string{}},
			{"user", f(`course.category == "lang"`), []string{"e1", "e3"}},
			{"user", f(`course.category == nil`), []string{"e2", "e4"}},
			{"user", f(`course.fee > 10`), []string{"e1", "e3"}},
			// My records; today and now without parentheses.
			{"user", f(`owner == user.id`), []string{"e3"}},
			{"user", f(`created_by == user.id || advisor == user.id`), []string{"e3"}},
			{"admin", f(`owner == user.id`), []string{"e1", "e2", "e4"}},
			{"admin", f(`owner != user.id`), []string{"e3"}},
			{"admin", f(`advisor == user.id && created_by != user.id`), []string{"e3"}},
			{"admin", f(`due < today`), []string{"e1", "e4"}},
			{"admin", f(`due >= today && created_at <= now`), []string{"e2", "e3"}},
			{"admin", f(`due >= today()`), []string{"e2", "e3"}},
			// Sorting by a lookup sorts by the course's title (its name).
			{"admin", "sort=course", []string{"e2", "e3", "e1", "e4"}},
			{"admin", "sort=-course", []string{"e4", "e1", "e3", "e2"}},
			{"admin", "sort=course,-student&filter=" + url.QueryEscape(`due < today || course.category == "lang"`), []string{"e3", "e1", "e4"}},
			// …as the teacher sees it: Algebra is out of their scope (empty, last).
			{"user", "sort=course,student", []string{"e3", "e1", "e2", "e4"}},
		} {
			if got := list(c.who, c.query); !slices.Equal(got, c.want) {
				t.Errorf("%s %s: %v, want %v", c.who, c.query, got, c.want)
			}
		}
		// Paging a lookup sort with the cursor gives the same order.
		for _, who := range []string{"admin", "user"} {
			for _, sort := range []string{"course", "-course", "course,-student"} {
				var paged []string
				cursor := ""
				for range 6 {
					r := e.do(t, who, "GET", recPath("school", "enrolment")+"?limit=1&sort="+sort+"&cursor="+url.QueryEscape(cursor), nil).want(t, 200)
					for _, rec := range r.list("records") {
						paged = append(paged, name[rec.(map[string]any)["id"].(string)])
					}
					if cursor = r.str("next_cursor"); cursor == "" {
						break
					}
				}
				if want := list(who, "sort="+sort); !slices.Equal(paged, want) {
					t.Errorf("%s sort=%s paged %v, want %v", who, sort, paged, want)
				}
			}
		}
		// Unknown through a lookup: hidden fields, fields the target lacks,
		// lookups the caller cannot read, member access on a plain field.
		for _, c := range []struct{ who, filter string }{
			{"user", `course.secret == "g"`},
			{"user", `course.secret != nil`},
			{"admin", `course.nosuch == 1`},
			{"admin", `student.length > 1`},
			{"admin", `course.name == student`},
			{"admin", `course.category.x == 1`},
		} {
			r := e.do(t, c.who, "GET", recPath("school", "enrolment")+"?filter="+url.QueryEscape(c.filter), nil).want(t, 400)
			checkProblem(t, r)
		}

		// A user who may not read courses reads nothing through the lookup,
		// and sorts by it by id.
		e.do(t, "admin", "POST", "/api/roles", map[string]any{"key": "clerk", "label": label("Clerk"), "permissions": []map[string]any{
			perm("enrolment", []string{"read"}, "due >= today", nil), // today without parentheses in a scope
		}}).want(t, 201)
		e.do(t, "admin", "PATCH", "/api/users/"+e.ids["user"], map[string]any{"roles": []string{"clerk"}}).want(t, 200)
		e.do(t, "user", "GET", recPath("school", "enrolment")+"?filter="+url.QueryEscape(`course.category == "lang"`), nil).want(t, 400)
		if got := list("user", "sort=student"); !slices.Equal(got, []string{"e2", "e3"}) {
			t.Errorf("clerk's scope due >= today: %v", got)
		}
		if got := list("user", "sort=course"); !slices.Equal(got, []string{"e2", "e3"}) { // by course id: Algebra was created first
			t.Errorf("clerk's sort by course %v", got)
		}

		// Expanding users: id, name and _title; the email only for admins.
		for _, who := range []string{"admin", "user"} {
			r := e.do(t, who, "GET", recIDPath("school", "enrolment", id["e3"])+"?expand=owner,created_by,updated_by,advisor", nil).want(t, 200)
			for _, k := range []string{"owner", "created_by", "updated_by", "advisor"} {
				u := r.obj("expand." + k)
				if u == nil || u["id"] != r.get(k) || u["name"] == "" || u["_title"] != u["name"] {
					t.Errorf("%s: expand.%s = %v (record %s)", who, k, u, r.Body)
				}
				if _, has := u["email"]; has != (who == "admin") {
					t.Errorf("%s: expand.%s email shown %v", who, k, has)
				}
			}
			if r.str("expand.advisor.name") != "Ada Admin" || r.str("expand.owner.name") != "Uma User" {
				t.Errorf("names: %s", r.Body)
			}
		}
		l := e.do(t, "admin", "GET", recPath("school", "enrolment")+"?expand=owner,course", nil).want(t, 200)
		for _, rec := range l.list("records") {
			m := rec.(map[string]any)
			if lookup(m, "expand.owner.email") == nil {
				t.Errorf("admin list expand.owner: %v", m["expand"])
			}
			if c, _ := lookup(m, "expand.course").(map[string]any); m["course"] != nil && (c == nil || c["_title"] != c["name"]) {
				t.Errorf("expand.course: %v", m["expand"])
			}
		}
		e.do(t, "admin", "GET", recPath("school", "enrolment")+"?expand=deleted_at", nil).want(t, 400)
	})
}
