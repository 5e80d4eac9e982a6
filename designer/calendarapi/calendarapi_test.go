package calendarapi_test

// Business calendars through the real HTTP stack on both dialects.

import (
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

func TestCalendarAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
		e.User(t, "uma", access.NewUser{})

		// Everyone signed in reads the shipped default; nobody anonymous.
		e.Do(t, "", "GET", "/api/calendars/default", nil).Want(t, 401)
		def := e.Do(t, "uma", "GET", "/api/calendars/default", nil).Want(t, 200)
		if def.Str("time_zone") != "Asia/Shanghai" || def.Num("version") != 0 || len(def.List("workdays")) != 6 {
			t.Fatalf("default calendar: %s", def.Body)
		}
		e.Do(t, "uma", "GET", "/api/calendars/nope", nil).Want(t, 404)

		// businessDaysBetween uses it: 13 → 25 Feb 2026 has Fri 13, Sat 14
		// (调休) and Tue 24 as working days.
		e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": apitest.Label("CRM")}).Want(t, 201)
		e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "deal", "label": apitest.Label("Deal"),
			"schema": map[string]any{"properties": map[string]any{"name": map[string]any{"x-field": map[string]any{"type": "text"}}}}}).Want(t, 201)
		eval := func() float64 {
			return e.Do(t, "admin", "POST", "/api/apps/crm/expr/eval", map[string]any{"module": "deal",
				"expr": `businessDaysBetween(date("2026-02-13"), date("2026-02-25"))`}).Want(t, 200).Num("value")
		}
		if got := eval(); got != 3 {
			t.Fatalf("businessDaysBetween over the Spring Festival = %v, want 3", got)
		}

		// Only administrators edit; the edit (a company holiday on Tue 24
		// Feb) takes effect in expressions at once.
		doc := def.Doc.(map[string]any)
		doc["holidays"] = append(doc["holidays"].([]any), map[string]any{"from": "2026-02-24", "label": apitest.Label("Company day")})
		e.Do(t, "uma", "PUT", "/api/calendars/default", doc).Want(t, 403)
		saved := e.Do(t, "admin", "PUT", "/api/calendars/default", doc).Want(t, 200)
		if saved.Num("version") != 1 {
			t.Fatalf("saved: %s", saved.Body)
		}
		if got := eval(); got != 2 {
			t.Fatalf("after the edit businessDaysBetween = %v, want 2", got)
		}
		// A stale version is a conflict; an invalid calendar is refused
		// with a field error each, in the caller's language, and changes
		// nothing.
		e.Do(t, "admin", "PUT", "/api/calendars/default", doc).Want(t, 422).Contains(t, `"field":"version"`)
		doc["version"] = 7
		e.Do(t, "admin", "PUT", "/api/calendars/default", doc).Want(t, 409)
		doc["version"] = 1
		doc["time_zone"] = "Mars/Base"
		doc["hours"] = []any{map[string]any{"start": "18:00", "end": "09:00"}}
		bad := e.Do(t, "admin", "PUT", "/api/calendars/default", doc, "Accept-Language", "zh-CN").Want(t, 422)
		bad.Contains(t, "Mars/Base", "不是已知的时区", `"hours[0]"`)
		if got := e.Do(t, "uma", "GET", "/api/calendars/default", nil).Want(t, 200); got.Num("version") != 1 || got.Str("time_zone") != "Asia/Shanghai" {
			t.Fatalf("after refused PUT: %s", got.Body)
		}
		// A new calendar by key.
		e.Do(t, "admin", "PUT", "/api/calendars/shift", map[string]any{"time_zone": "Asia/Shanghai", "weekdays": []int{1, 2, 3, 4, 5, 6, 7},
			"hours": []any{map[string]any{"start": "00:00", "end": "24:00"}}}).Want(t, 200)
		e.Do(t, "uma", "GET", "/api/calendars/shift", nil).Want(t, 200)
	})
}
