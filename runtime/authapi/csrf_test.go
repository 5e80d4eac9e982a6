package authapi_test

import (
	"strings"
	"testing"
)

// A cross-site page can make the browser send the session cookie, but it
// cannot read or compute the CSRF token: cookie-authenticated writes
// without it are refused and change nothing; reads and bearer clients need
// no token.
func TestCSRF(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		r := e.do(t, "", "POST", "/api/auth/login", map[string]string{"email": annEmail, "password": password}).want(t, 200)
		session, csrf := r.str("token"), r.str("csrf_token")
		if csrf == "" || csrf == session || strings.Contains(csrf, session) {
			t.Fatalf("csrf_token %q must be present and differ from the session token", csrf)
		}
		if ck := strings.Join(r.Header.Values("Set-Cookie"), "\n"); !strings.Contains(ck, "tessera_csrf="+csrf) {
			t.Errorf("no readable CSRF cookie: %s", ck)
		}
		cookie := "tessera_session=" + session

		// Reads with the cookie alone are fine.
		e.do(t, "", "GET", "/api/auth/tokens", nil, "Cookie", cookie).want(t, 200)

		// A cross-site POST: cookie, no token → 403, and no token created.
		r = e.do(t, "", "POST", "/api/auth/tokens", map[string]any{"name": "evil"}, "Cookie", cookie).want(t, 403)
		if !strings.Contains(r.str("detail"), "CSRF") {
			t.Errorf("detail %q should name the CSRF token", r.str("detail"))
		}
		e.logged(t, "reason=csrf", "status=403")
		e.do(t, "", "POST", "/api/auth/tokens", map[string]any{"name": "evil"}, "Cookie", cookie, "X-CSRF-Token", "forged").want(t, 403)
		// Another session's token does not fit this session.
		other := e.do(t, "", "POST", "/api/auth/login", map[string]string{"email": bobEmail, "password": password}).want(t, 200).str("csrf_token")
		e.do(t, "", "POST", "/api/auth/tokens", map[string]any{"name": "evil"}, "Cookie", cookie, "X-CSRF-Token", other).want(t, 403)
		if list := e.do(t, session, "GET", "/api/auth/tokens", nil).want(t, 200); strings.Contains(string(list.Body), "evil") {
			t.Fatalf("a refused request created a token: %s", list.Body)
		}

		// With the token the same write goes through; bearer clients need none.
		e.do(t, "", "POST", "/api/auth/tokens", map[string]any{"name": "ok"}, "Cookie", cookie, "X-CSRF-Token", csrf).want(t, 201)
		e.do(t, session, "POST", "/api/auth/tokens", map[string]any{"name": "bearer"}).want(t, 201)
		// Sign-out with the cookie needs it too.
		e.do(t, "", "POST", "/api/auth/logout", nil, "Cookie", cookie).want(t, 403)
		e.do(t, "", "POST", "/api/auth/logout", nil, "Cookie", cookie, "X-CSRF-Token", csrf).want(t, 204)
	})
}
