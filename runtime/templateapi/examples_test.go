package templateapi_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// The examples' walk-throughs (examples/*/README.md), step by step
// through the API: lint, install with sample data, then what each README
// shows a user doing.

func installExample(t *testing.T, e *apitest.Env, dir string) {
	t.Helper()
	z := zipOf(t, read(t, dir))
	if code, body := post(t, e, "admin", "/api/templates/lint?sample_data=true", z, ""); code != 200 {
		t.Fatalf("lint %s: %d %s", dir, code, body)
	}
	if code, body := post(t, e, "admin", "/api/templates?sample_data=true", z, ""); code != 201 {
		t.Fatalf("install %s: %d %s", dir, code, body)
	}
}

func one(t *testing.T, e *apitest.Env, path, filter string) map[string]any {
	t.Helper()
	r := e.Do(t, "admin", "GET", path+"?filter="+url.QueryEscape(filter), nil).Want(t, 200)
	recs := r.List("records")
	if len(recs) != 1 {
		t.Fatalf("%s %s: %s", path, filter, r.Body)
	}
	return recs[0].(map[string]any)
}

func move(t *testing.T, e *apitest.Env, path string, rec map[string]any, transition string, values map[string]any) *apitest.Response {
	t.Helper()
	return e.Do(t, "admin", "POST", fmt.Sprintf("%s/%s/transitions/%s", path, rec["id"], transition),
		map[string]any{"version": rec["version"], "values": values})
}

func TestTrainingSchoolWalkThrough(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		installExample(t, e, school)
		base := "/api/apps/training_school/modules/"
		stu := one(t, e, base+"student/records", `phone == "13800000003"`)
		course := one(t, e, base+"course/records", `name == "Python 进阶"`)
		if course["code"] != "KC-0002" {
			t.Fatalf("course code: %v", course["code"])
		}
		// A new enrolment starts in the pipeline's initial state.
		enr := e.Do(t, "admin", "POST", base+"enrolment/records", map[string]any{"title": "BM-0100", "student": stu["id"],
			"course": course["id"], "fee": 4200}).Want(t, 201)
		rec := enr.Doc.(map[string]any)
		if rec["status"] != "applied" {
			t.Fatalf("status: %v", rec["status"])
		}
		// Settling with a balance is refused by the guard, in Chinese too.
		r := e.Do(t, "admin", "POST", fmt.Sprintf("%senrolment/records/%s/transitions/settle", base, rec["id"]),
			map[string]any{"version": rec["version"]}, "Accept-Language", "zh-CN").Want(t, 422)
		if !strings.Contains(string(r.Body), "还有欠费") {
			t.Fatalf("guard: %s", r.Body)
		}
		move(t, e, base+"enrolment/records", rec, "start_paying", nil).Want(t, 200)
		for i, amount := range []float64{2000, 2200} {
			e.Do(t, "admin", "POST", base+"payment/records", map[string]any{"receipt": fmt.Sprintf("SJ-01%02d", i),
				"enrolment": rec["id"], "amount": amount, "method": "wechat"}).Want(t, 201)
		}
		rec = one(t, e, base+"enrolment/records", `title == "BM-0100"`)
		if fmt.Sprint(rec["paid"]) != "4200" && fmt.Sprint(rec["paid"]) != "4200.00" {
			t.Fatalf("paid rollup: %v", rec["paid"])
		}
		move(t, e, base+"enrolment/records", rec, "settle", nil).Want(t, 200)
		if got := one(t, e, base+"enrolment/records", `title == "BM-0100"`)["status"]; got != "paid" {
			t.Fatalf("after settle: %v", got)
		}
		// The payment rule notified the owner of each payment.
		e.RunJobs(t)
		n := e.Do(t, "admin", "GET", "/api/notifications", nil).Want(t, 200)
		if !strings.Contains(string(n.Body), "SJ-0101") {
			t.Fatalf("notifications: %s", n.Body)
		}
		// The class schedule lists the lessons of a course.
		ls := e.Do(t, "admin", "GET", base+"lesson/records?sort=starts_at", nil).Want(t, 200)
		if len(ls.List("records")) != 3 || apitest.Lookup(ls.List("records")[0], "room") != "A101" {
			t.Fatalf("schedule: %s", ls.Body)
		}
	})
}

func TestAfterSalesWalkThrough(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		installExample(t, e, "../../examples/after-sales")
		base := "/api/apps/after_sales/modules/"
		tk := one(t, e, base+"ticket/records", `title == "空调不制冷"`)
		// The SLA deadline: urgent tickets are due 4 hours after opening.
		if due := fmt.Sprint(tk["due_at"]); !strings.HasPrefix(due, "2027-03-01T12:00:00") {
			t.Fatalf("due_at: %v", tk["due_at"])
		}
		if tk["status"] != "new" || tk["article"] == nil {
			t.Fatalf("sample ticket: %v", tk)
		}
		move(t, e, base+"ticket/records", tk, "take", nil).Want(t, 200)
		tk = one(t, e, base+"ticket/records", `title == "空调不制冷"`)
		// Resolving needs the resolution.
		move(t, e, base+"ticket/records", tk, "resolve", nil).Want(t, 422)
		move(t, e, base+"ticket/records", tk, "resolve", map[string]any{"resolution": "更换压缩机电容"}).Want(t, 200)
		// Resolving creates the follow-up visit (an on-enter action).
		e.RunJobs(t)
		fu := one(t, e, base+"followup/records", fmt.Sprintf(`ticket == "%s"`, tk["id"]))
		if fu["title"] != "回访：空调不制冷" {
			t.Fatalf("follow-up: %v", fu)
		}
		e.Do(t, "admin", "PATCH", fmt.Sprintf("%sfollowup/records/%s", base, fu["id"]), map[string]any{"version": fu["version"],
			"satisfaction": "5", "visited_on": "2027-03-02"}).Want(t, 200)
		// The overview dashboard counts open tickets.
		d := e.Do(t, "admin", "GET", "/api/apps/after_sales/dashboards/service_overview/data", nil).Want(t, 200)
		if !strings.Contains(string(d.Body), "open_tickets") {
			t.Fatalf("dashboard: %s", d.Body)
		}
		// The role came from a YAML file.
		role := e.Do(t, "admin", "GET", "/api/roles/service_agent", nil).Want(t, 200)
		if !strings.Contains(string(role.Body), `"after_sales"`) || !strings.Contains(string(role.Body), "客服专员") {
			t.Fatalf("role: %s", role.Body)
		}
		// The Japanese labels came from translations/ja.json.
		m := e.Do(t, "admin", "GET", "/api/apps/after_sales/modules/ticket", nil).Want(t, 200)
		if !strings.Contains(string(m.Body), "チケット") {
			t.Fatalf("translation: %s", m.Body)
		}
	})
}
