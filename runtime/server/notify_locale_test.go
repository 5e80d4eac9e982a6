package server_test

// Issue 7 item 18: notifications are kept as messages (key and arguments)
// and rendered in the reader's language when read, so a user who switches
// language reads the old ones in the new language.

import (
	"testing"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

func TestNotificationsRenderInTheReadersLanguage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		leadsAndTasks(t, e, "")
		e.Do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "tell_owner", "label": apitest.Label("Tell owner"), "module": "lead",
			"trigger": map[string]any{"type": "created"},
			"actions": []any{map[string]any{"type": "notify", "to": "owner", "message": map[string]string{"en": "New lead {name}", "zh-CN": "新线索 {name}"}}}}).Want(t, 201)
		e.User(t, "boss", access.NewUser{})
		e.Do(t, "admin", "POST", "/api/apps/crm/approvals", map[string]any{"key": "big", "label": map[string]string{"en": "Big lead", "zh-CN": "大线索"},
			"module": "lead", "steps": []any{map[string]any{"key": "ok", "label": apitest.Label("OK"), "mode": "any",
				"approvers": map[string]any{"type": "users", "users": []string{e.IDs["boss"]}}}}}).Want(t, 201)

		lead := e.Do(t, "rep", "POST", "/api/apps/crm/modules/lead/records", map[string]any{"name": "Acme"}).Want(t, 201)
		e.RunJobs(t)
		e.Do(t, "rep", "POST", "/api/apps/crm/modules/lead/records/"+lead.Str("id")+"/approvals", map[string]any{"process": "big"}).Want(t, 201)
		e.RunJobs(t)

		// An older notification: only its text, as it was sent.
		storetest.Exec(t, s, store.Rebind(s.D, `INSERT INTO notifications (id, user_id, title, created_at) VALUES (?, ?, ?, ?)`),
			store.NewID(), e.IDs["rep"], "旧通知", store.TimeArg(s.D, start.Add(-1)))

		titles := func(who string, hdr ...string) []string {
			t.Helper()
			r := e.Do(t, who, "GET", "/api/notifications", nil, append([]string{"Accept-Language", ""}, hdr...)...).Want(t, 200)
			var out []string
			for _, n := range r.List("notifications") {
				out = append(out, n.(map[string]any)["title"].(string))
			}
			return out
		}
		want := func(got []string, want ...string) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("titles %q, want %q", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("titles %q, want %q", got, want)
				}
			}
		}
		// New users read Chinese (their default locale).
		want(titles("rep"), "新线索 Acme", "旧通知")
		want(titles("boss"), "待你审批（大线索）：Acme")
		// They switch to English: the same notifications now read in English.
		for _, who := range []string{"rep", "boss"} {
			e.Do(t, who, "PATCH", "/api/auth/me", map[string]any{"locale": "en"}).Want(t, 200)
		}
		want(titles("rep"), "New lead Acme", "旧通知")
		want(titles("boss"), "Approval needed (Big lead): Acme")
		// A request in another language reads in that one.
		want(titles("rep", "Accept-Language", "zh-CN"), "新线索 Acme", "旧通知")
	})
}
