package authapi_test

import (
	"net/url"
	"strings"
	"testing"
)

// A user changes their own name, language and time zone, and nothing else.
func TestPatchMe(t *testing.T) {
	t.Parallel()
	each(t, nil, func(t *testing.T, e *env) {
		ann := e.login(t, annEmail)
		r := e.do(t, ann, "PATCH", "/api/auth/me", map[string]any{"locale": "en", "time_zone": "Europe/Berlin", "name": "Ann Lee"}).want(t, 200)
		if r.str("locale") != "en" || r.str("time_zone") != "Europe/Berlin" || r.str("name") != "Ann Lee" {
			t.Fatalf("patched me = %s", r.Body)
		}
		if me := e.do(t, ann, "GET", "/api/auth/me", nil).want(t, 200); me.str("locale") != "en" || me.str("time_zone") != "Europe/Berlin" {
			t.Fatalf("me after patch = %s", me.Body)
		}
		// Messages follow the stored locale when no Accept-Language is sent.
		r = e.do(t, ann, "PATCH", "/api/auth/me", map[string]any{"locale": "zh-CN"}).want(t, 200)
		if r.str("locale") != "zh-CN" {
			t.Fatalf("locale = %s", r.Body)
		}

		bad := e.do(t, ann, "PATCH", "/api/auth/me", map[string]any{"locale": "xx", "time_zone": "Mars/Olympus"}).want(t, 422)
		if !strings.Contains(string(bad.Body), `"field":"locale"`) || !strings.Contains(string(bad.Body), `"field":"time_zone"`) {
			t.Errorf("bad locale and zone = %s", bad.Body)
		}
		// Rights are not one's own to change: unknown members are refused.
		e.do(t, ann, "PATCH", "/api/auth/me", map[string]any{"is_admin": true}).want(t, 400)
		e.do(t, ann, "PATCH", "/api/auth/me", map[string]any{"roles": []string{"x"}}).want(t, 400)
		if me := e.do(t, ann, "GET", "/api/auth/me", nil).want(t, 200); me.doc["is_admin"] != false {
			t.Fatalf("ann became admin: %s", me.Body)
		}
		e.do(t, "", "PATCH", "/api/auth/me", map[string]any{"locale": "en"}).want(t, 401)
	})
}

// Every signed-in user finds people by name or email, or resolves ids,
// and sees only their id and name.
func TestPeople(t *testing.T) {
	t.Parallel()
	each(t, nil, func(t *testing.T, e *env) {
		ann, bob := e.login(t, annEmail), e.login(t, bobEmail)
		e.do(t, ann, "PATCH", "/api/auth/me", map[string]any{"name": "Ann 安"}).want(t, 200)
		e.do(t, bob, "PATCH", "/api/auth/me", map[string]any{"name": "Bob_50%"}).want(t, 200)

		people := func(r *response) []map[string]any {
			list, _ := r.doc["people"].([]any)
			out := make([]map[string]any, len(list))
			for i, p := range list {
				out[i], _ = p.(map[string]any)
			}
			return out
		}
		all := people(e.do(t, ann, "GET", "/api/people", nil).want(t, 200))
		if len(all) != 2 || all[0]["name"] != "Ann 安" || all[1]["name"] != "Bob_50%" {
			t.Fatalf("people = %v", all)
		}
		if _, leaked := all[0]["email"]; leaked {
			t.Errorf("people show emails: %v", all[0])
		}
		for q, want := range map[string]int{"ann": 1, "安": 1, "BOB": 1, "example.com": 2, "%": 1, "_": 1, "zzz": 0} {
			if got := people(e.do(t, ann, "GET", "/api/people?q="+url.QueryEscape(q), nil).want(t, 200)); len(got) != want {
				t.Errorf("q=%q: %d people, want %d: %v", q, len(got), want, got)
			}
		}
		bobID, _ := all[1]["id"].(string)
		byID := people(e.do(t, ann, "GET", "/api/people?ids="+bobID+",not-an-id", nil).want(t, 200))
		if len(byID) != 1 || byID[0]["id"] != bobID {
			t.Errorf("by id = %v", byID)
		}
		if got := people(e.do(t, ann, "GET", "/api/people?limit=1", nil).want(t, 200)); len(got) != 1 {
			t.Errorf("limit=1 gave %d", len(got))
		}
		e.do(t, ann, "GET", "/api/people?limit=0", nil).want(t, 400)
		e.do(t, ann, "GET", "/api/people?limit=101", nil).want(t, 400)
		e.do(t, "", "GET", "/api/people", nil).want(t, 401)
	})
}
