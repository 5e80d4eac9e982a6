package ruleapi_test

import (
	"testing"
)

// TestNotificationShowsRecordTitle: a notification about a record shows
// the record's title (its module's title field) as it is when read, to a
// reader who may see it, and nothing to one who may not (issue 7 item 17).
func TestNotificationShowsRecordTitle(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ann, annTok := e.user(t, "ann") // no roles: may not read leads
		admin := e.do(t, "GET", "/api/auth/me", nil).want(t, 200).str("id")
		e.rule(t, map[string]any{"key": "tell", "label": label("Tell"), "module": "lead",
			"trigger": map[string]any{"type": "created"},
			"actions": []any{
				map[string]any{"type": "notify", "to": `"` + admin + `"`, "message": label("New lead")},
				map[string]any{"type": "notify", "to": `"` + ann + `"`, "message": label("New lead")},
			}})
		lead := e.create(t, "lead", map[string]any{"name": "Acme"})
		e.runJobs(t)
		title := func() any {
			t.Helper()
			r := e.do(t, "GET", "/api/notifications", nil).want(t, 200)
			list, _ := r.doc["notifications"].([]any)
			if len(list) != 1 || list[0].(map[string]any)["record_id"] != lead["id"] {
				t.Fatalf("notifications: %s", r.body)
			}
			return list[0].(map[string]any)["record_title"]
		}
		if got := title(); got != "Acme" {
			t.Errorf("record_title %v, want Acme", got)
		}
		e.do(t, "PATCH", "/api/apps/crm/modules/lead/records/"+lead["id"].(string), map[string]any{"version": 1, "name": "Acme Corp"}).want(t, 200)
		if got := title(); got != "Acme Corp" {
			t.Errorf("record_title %v after the rename, want Acme Corp", got)
		}
		e.as(annTok, func() {
			if got := title(); got != nil {
				t.Errorf("ann may not read leads but sees record_title %v", got)
			}
		})
	})
}
