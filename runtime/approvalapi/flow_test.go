package approvalapi_test

import (
	"testing"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// A stage transition that requires approval: firing it answers 202 with
// the instance and leaves the record in its stage; approving moves it
// (with the values sent with the transition), and the stage history
// shows the move. A rejected one leaves the record where it was.
func TestTransitionRequiresApproval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := setup(t, s, sh("2026-03-02 09:00"))
		f.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "deal", "label": apitest.Label("Deal"), "schema": map[string]any{
			"properties": map[string]any{
				"name":  map[string]any{"x-field": map[string]any{"type": "text"}},
				"stage": map[string]any{"x-field": map[string]any{"type": "select", "options": []any{map[string]any{"value": "open"}, map[string]any{"value": "won"}}}},
				"note":  map[string]any{"x-field": map[string]any{"type": "text"}},
			}}}).Want(t, 201)
		f.Do(t, "admin", "POST", "/api/apps/crm/approvals", map[string]any{"key": "deal_ok", "label": apitest.Label("Deal OK"), "module": "deal",
			"steps": []any{step("boss", users(f.IDs["dir"]), "any")}}).Want(t, 201)
		f.Do(t, "admin", "POST", "/api/apps/crm/flows", map[string]any{"key": "pipeline", "label": apitest.Label("Pipeline"), "module": "deal", "field": "stage",
			"states": []any{
				map[string]any{"key": "open", "label": apitest.Label("Open"), "probability": 0.1, "kind": "open"},
				map[string]any{"key": "won", "label": apitest.Label("Won"), "probability": 1, "kind": "won"},
			},
			"transitions": []any{map[string]any{"key": "win", "label": apitest.Label("Win"), "from": []string{"open"}, "to": "won", "approval": "deal_ok"}},
		}).Want(t, 201)
		dealPath := "/api/apps/crm/modules/deal/records/"
		for _, tc := range []struct {
			decision, stage string
		}{{"approve", "won"}, {"reject", "open"}} {
			id := f.Do(t, "admin", "POST", dealPath[:len(dealPath)-1], map[string]any{"name": "Big", "stage": "open"}).Want(t, 201).Str("id")
			r := f.Do(t, "admin", "POST", dealPath+id+"/transitions/win", map[string]any{"version": 1, "values": map[string]any{"note": "signed"}}).Want(t, 202)
			inst := r.Str("instance.id")
			if inst == "" {
				t.Fatalf("transition answer: %s", r.Body)
			}
			if st := f.Do(t, "admin", "GET", dealPath+id, nil).Want(t, 200).Str("stage"); st != "open" {
				t.Fatalf("moved before approval: %s", st)
			}
			v := f.inst(inst)
			if v.Str("source") != "transition" || v.Str("flow") != "pipeline" || v.Str("transition") != "win" {
				t.Fatalf("instance: %s", v.Body)
			}
			f.act("dir", inst, tc.decision, nil).Want(t, 200)
			rec := f.Do(t, "admin", "GET", dealPath+id, nil).Want(t, 200)
			if rec.Str("stage") != tc.stage {
				t.Fatalf("after %s the deal is %s", tc.decision, rec.Str("stage"))
			}
			if tc.decision == "approve" {
				if rec.Str("note") != "signed" || f.inst(inst).Str("error") != "" {
					t.Fatalf("approved transition: %s / %s", rec.Body, f.inst(inst).Body)
				}
				h := f.Do(t, "admin", "GET", dealPath+id+"/stage-history", nil).Want(t, 200)
				if !contains(h.Body, `"won"`) {
					t.Fatalf("stage history: %s", h.Body)
				}
			}
		}
	})
}
