package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// TestSummariesCommands: list, check (which fails on drift and names it)
// and rebuild, over a database a server filled.
func TestSummariesCommands(t *testing.T) {
	dialects(t, func(t *testing.T, db []string) {
		url := ""
		if len(db) == 4 {
			url = db[3]
		}
		s := storetest.Open(t, db[1], url)
		e := apitest.New(t, s, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": apitest.Label("CRM")}).Want(t, 201)
		e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "deal", "label": apitest.Label("Deal"), "schema": map[string]any{
			"properties": map[string]any{
				"stage":  map[string]any{"x-field": map[string]any{"type": "select", "options": []any{map[string]any{"value": "open"}, map[string]any{"value": "won"}}}},
				"amount": map[string]any{"x-field": map[string]any{"type": "currency"}},
			}}}).Want(t, 201)
		for i, st := range []string{"open", "won", "won", "open", "won"} {
			e.Do(t, "admin", "POST", "/api/apps/crm/modules/deal/records", map[string]any{"stage": st, "amount": 10 * (i + 1)}).Want(t, 201)
		}
		e.Do(t, "admin", "POST", "/api/apps/crm/dashboards", map[string]any{"key": "d", "label": apitest.Label("D"), "widgets": []any{
			map[string]any{"key": "w", "type": "table", "x": 0, "y": 0, "w": 12, "h": 4, "query": map[string]any{"module": "deal",
				"dimensions": []any{map[string]any{"field": "stage"}}, "measures": []any{map[string]any{"op": "sum", "field": "amount"}}}},
		}}).Want(t, 201)
		e.RunJobs(t)

		out, err := run(t, append([]string{"summaries", "list", "--app", "crm"}, db...)...)
		if err != nil || !strings.Contains(out, "crm.deal ready keys=owner,stage/select sums=amount records=5") {
			t.Fatalf("list: %v\n%s", err, out)
		}
		if out, err = run(t, append([]string{"summaries", "check"}, db...)...); err != nil || !strings.Contains(out, "ok (2 groups)") {
			t.Fatalf("check: %v\n%s", err, out)
		}
		sums, err := e.Svc.Summaries.List(context.Background(), "crm")
		if err != nil || len(sums) != 1 {
			t.Fatalf("summaries %v %v", sums, err)
		}
		if _, err := s.W.ExecContext(context.Background(), `UPDATE `+store.Quote(sums[0].Table)+` SET "s_amount" = "s_amount" + 1 WHERE "k_stage" = 'won'`); err != nil {
			t.Fatal(err)
		}
		out, err = run(t, append([]string{"summaries", "check", "--app", "crm"}, db...)...)
		if err == nil || !strings.Contains(err.Error(), "1 of 1 summaries drift") || !strings.Contains(out, "DRIFT 1 of 2 groups differ") {
			t.Fatalf("check of a damaged summary: %v\n%s", err, out)
		}
		if out, err = run(t, append([]string{"summaries", "rebuild", "--app", "crm"}, db...)...); err != nil || !strings.Contains(out, "ready") {
			t.Fatalf("rebuild: %v\n%s", err, out)
		}
		if out, err = run(t, append([]string{"summaries", "check"}, db...)...); err != nil || !strings.Contains(out, "ok (2 groups)") {
			t.Fatalf("check after the rebuild: %v\n%s", err, out)
		}
	})
}
