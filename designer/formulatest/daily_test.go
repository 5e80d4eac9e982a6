package formulatest

// Formulas that read today() are stored like every formula, so filters
// and group-bys run in SQL on them; the nightly recompute keeps them true:
// with the clock moved past midnight (UTC, today()'s), the job recomputes
// them and a filter on the new value finds the record the day after.

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

const followProps = `{"properties":{
	"name":          {"x-field": {"type": "text"}},
	"last_followup": {"x-field": {"type": "date"}},
	"days_since":    {"x-field": {"type": "formula", "formula": "daysBetween(last_followup, today())", "result": "integer"}},
	"overdue":       {"x-field": {"type": "formula", "formula": "days_since > 30", "result": "boolean"}},
	"shout":         {"x-field": {"type": "formula", "formula": "upper(name)", "result": "text"}}}}`

func TestClockFormulasAreTrueTheDayAfter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
		e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": apitest.Label("CRM")}).Want(t, 201)
		var schema map[string]any
		if err := json.Unmarshal([]byte(followProps), &schema); err != nil {
			t.Fatal(err)
		}
		m := e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "customer", "label": apitest.Label("Customer"), "schema": schema}).Want(t, 201)
		// Only the clock formulas (days_since, and overdue through it).
		mod, err := e.Svc.Meta.Module(context.Background(), "crm", "customer")
		if err != nil {
			t.Fatal(err)
		}
		if got := record.ClockFormulas(mod); len(got) != 2 || got[0] != "days_since" || got[1] != "overdue" {
			t.Fatalf("clock formulas: %v", got)
		}
		planned, err := jobs.List(context.Background(), s, jobs.Filter{Kind: record.DailyKind, Status: jobs.StatusPending})
		if err != nil {
			t.Fatal(err)
		}
		if len(planned) != 1 || !planned[0].RunAt.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("daily job: %+v", planned)
		}
		rec := e.Do(t, "admin", "POST", "/api/apps/crm/modules/customer/records", map[string]any{"name": "华为", "last_followup": "2026-01-31"}).Want(t, 201)
		if rec.Num("days_since") != 30 || rec.Get("overdue") != false {
			t.Fatalf("on the day: %s", rec.Body)
		}
		count := func(filter string) int {
			return len(e.Do(t, "admin", "GET", "/api/apps/crm/modules/customer/records?filter="+url.QueryEscape(filter), nil).Want(t, 200).List("records"))
		}
		if count("overdue == true") != 0 || count("days_since == 30") != 1 {
			t.Fatal("filters on the day")
		}
		// Before midnight nothing runs; just after, the job recomputes.
		e.Set(time.Date(2026, 3, 2, 23, 59, 59, 0, time.UTC))
		if n := e.RunJobs(t); n != 0 {
			t.Fatalf("%d jobs before midnight", n)
		}
		e.Set(time.Date(2026, 3, 3, 0, 0, 5, 0, time.UTC))
		ran := 0
		for n := e.RunJobs(t); n > 0; n = e.RunJobs(t) {
			ran += n
		}
		if ran < 2 {
			t.Fatalf("%d jobs ran after midnight: want the daily job and a recompute batch", ran)
		}
		if count("overdue == true") != 1 || count("days_since == 31") != 1 || count("days_since == 30") != 0 {
			t.Fatal("the day after, the filters do not see the recomputed values")
		}
		got := e.Do(t, "admin", "GET", "/api/apps/crm/modules/customer/records/"+rec.Str("id"), nil).Want(t, 200)
		if got.Num("version") != rec.Num("version") || got.Str("updated_at") != rec.Str("updated_at") {
			t.Fatalf("a recompute is not a write: version %v → %v", rec.Get("version"), got.Get("version"))
		}
		// The job planned the next night; removing the clock formulas
		// cancels it.
		planned, _ = jobs.List(context.Background(), s, jobs.Filter{Kind: record.DailyKind, Status: jobs.StatusPending})
		if len(planned) != 1 || !planned[0].RunAt.Equal(time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("next night: %+v", planned)
		}
		delete(schema["properties"].(map[string]any), "days_since")
		delete(schema["properties"].(map[string]any), "overdue")
		e.Do(t, "admin", "PUT", "/api/apps/crm/modules/customer", map[string]any{"label": apitest.Label("Customer"), "schema": schema, "version": m.Num("version")}).Want(t, 200)
		planned, _ = jobs.List(context.Background(), s, jobs.Filter{Kind: record.DailyKind, Status: jobs.StatusPending})
		if len(planned) != 0 {
			t.Fatalf("still planned: %+v", planned)
		}
	})
}
