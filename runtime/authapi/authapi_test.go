package authapi_test

// Sessions, personal API tokens and sign-in throttling, through the real
// HTTP stack on each dialect.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/httpx"
	"github.com/tessera-app/tessera/runtime/httpx/httpxtest"
	"github.com/tessera-app/tessera/runtime/server"
)

const (
	annEmail = "ann@example.com"
	bobEmail = "bob@example.com"
	password = "correct-horse-battery"
)

type env struct {
	s      *store.Store
	svc    *server.Services
	url    string
	log    *httpxtest.LogBuffer
	offset atomic.Int64 // added to the access service's clock
	// opts are the server's options (setup may add some).
	opts []server.Option

	mu    sync.Mutex
	slept []time.Duration // the sign-in delays waited out (not really: the clock is fake)
}

// each runs fn against a fresh server per dialect with users ann and bob.
// setup, when set, adjusts the services and options before the server
// starts.
func each(t *testing.T, setup func(*env), fn func(t *testing.T, e *env)) {
	t.Helper()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s, setup)
		for _, email := range []string{annEmail, bobEmail} {
			if _, err := e.svc.Access.CreateUser(context.Background(), access.NewUser{Email: email, Password: password}); err != nil {
				t.Fatal(err)
			}
		}
		fn(t, e)
	})
}

// newEnv starts a server over s (which may already have users).
func newEnv(t *testing.T, s *store.Store, setup func(*env)) *env {
	t.Helper()
	e := &env{s: s, svc: server.NewServices(s), log: &httpxtest.LogBuffer{}}
	e.svc.Access.Now = func() time.Time { return time.Now().UTC().Add(time.Duration(e.offset.Load())) }
	e.svc.Access.Sleep = func(_ context.Context, d time.Duration) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.slept = append(e.slept, d)
		return nil
	}
	if setup != nil {
		setup(e)
	}
	log := slog.New(slog.NewTextHandler(e.log, nil))
	srv := httptest.NewServer(server.New(e.svc, log, e.opts...))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

// trustLoopback makes the test client (on 127.0.0.1) a trusted proxy, so
// that X-Forwarded-For can play clients at other addresses.
func trustLoopback(e *env) {
	p, err := httpx.ParseProxies("127.0.0.1/32")
	if err != nil {
		panic(err)
	}
	e.opts = append(e.opts, server.TrustProxies(p))
}

// delays returns the sign-in delays waited out so far.
func (e *env) delays() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.slept)
}

// signIns returns the details of the sign-in audit entries, oldest first,
// with the action under "action".
func (e *env) signIns(t *testing.T) []map[string]any {
	t.Helper()
	page, err := e.s.AuditEntries(context.Background(), store.AuditQuery{Kind: store.AuditAuth, Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, en := range slices.Backward(page.Entries) {
		var d map[string]any
		if err := json.Unmarshal(en.Detail, &d); err != nil {
			t.Fatal(err)
		}
		d["action"] = en.Action
		out = append(out, d)
	}
	return out
}

// advance moves the access service's clock forward.
func (e *env) advance(d time.Duration) { e.offset.Add(int64(d)) }

type response struct {
	Status int
	Header http.Header
	Body   []byte
	doc    map[string]any
}

func (r *response) str(key string) string {
	s, _ := r.doc[key].(string)
	return s
}

// do sends a request; auth is a bearer token ("" for none); body is sent
// as JSON unless it is a string; hdr are name, value pairs.
func (e *env) do(t *testing.T, auth, method, path string, body any, hdr ...string) *response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Language", "en")
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	r := &response{Status: res.StatusCode, Header: res.Header}
	if r.Body, err = io.ReadAll(res.Body); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(r.Body, &r.doc)
	return r
}

// want checks the status (and, for errors, the problem document).
func (r *response) want(t *testing.T, status int) *response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if status >= 400 {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("error Content-Type %q", ct)
		}
		if s, _ := r.doc["status"].(float64); int(s) != status {
			t.Errorf("problem status %v, want %d", r.doc["status"], status)
		}
	}
	return r
}

// refused checks a 401 with the given message, and its challenge: a
// credential was sent (all but "Sign in first.") and refused.
func (r *response) refused(t *testing.T, detail string) {
	t.Helper()
	r.want(t, 401)
	if got := r.str("detail"); got != detail {
		t.Errorf("detail %q, want %q", got, detail)
	}
	want := `Bearer realm="tessera", error="invalid_token"`
	if detail == "Sign in first." {
		want = `Bearer realm="tessera"`
	}
	if got := r.Header.Get("WWW-Authenticate"); got != want {
		t.Errorf("WWW-Authenticate %q, want %q", got, want)
	}
}

func (e *env) login(t *testing.T, email string) string {
	t.Helper()
	r := e.do(t, "", "POST", "/api/auth/login", map[string]string{"email": email, "password": password}).want(t, 200)
	if r.str("token") == "" {
		t.Fatalf("no token: %s", r.Body)
	}
	return r.str("token")
}

// newToken creates an API token as the holder of session and returns the
// reply.
func (e *env) newToken(t *testing.T, session string, body map[string]any) *response {
	t.Helper()
	return e.do(t, session, "POST", "/api/auth/tokens", body).want(t, 201)
}

// logged checks that the server logged a refusal with all of parts.
func (e *env) logged(t *testing.T, parts ...string) {
	t.Helper()
	for _, line := range strings.Split(e.log.String(), "\n") {
		ok := strings.Contains(line, "request refused")
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			return
		}
	}
	t.Errorf("no refusal logged with %q in:\n%s", parts, e.log.String())
}

func tokens(t *testing.T, r *response) []map[string]any {
	t.Helper()
	list, ok := r.doc["tokens"].([]any)
	if !ok {
		t.Fatalf("no tokens list: %s", r.Body)
	}
	out := make([]map[string]any, len(list))
	for i, x := range list {
		out[i] = x.(map[string]any)
	}
	return out
}

func TestTokenLifecycle(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		ann := e.login(t, annEmail)
		e.do(t, ann, "GET", "/api/auth/tokens", nil).want(t, 200)
		if got := string(e.do(t, ann, "GET", "/api/auth/tokens", nil).Body); got != `{"tokens":[]}`+"\n" {
			t.Errorf("empty list = %q", got)
		}

		// Create: the token is shown once, with a recognizable prefix.
		expires := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
		r := e.newToken(t, ann, map[string]any{"name": "  CI deploy  ", "expires_at": expires.Format(time.RFC3339)})
		tok, id := r.str("token"), r.str("id")
		if !strings.HasPrefix(tok, access.TokenPrefix) || len(tok) != len(access.TokenPrefix)+43 {
			t.Errorf("token %q", tok)
		}
		if r.str("name") != "CI deploy" || r.str("expires_at") != expires.Format(time.RFC3339) || r.doc["last_used_at"] != nil ||
			r.str("created_at") == "" || r.str("state") != "active" {
			t.Errorf("create reply %s", r.Body)
		}
		forever := e.newToken(t, ann, map[string]any{"name": "forever"})
		if forever.doc["expires_at"] != nil {
			t.Errorf("token without expiry: %s", forever.Body)
		}

		// Use it.
		me := e.do(t, tok, "GET", "/api/auth/me", nil).want(t, 200)
		if me.str("email") != annEmail {
			t.Errorf("me = %s", me.Body)
		}

		// List: newest first, no secrets, use recorded.
		r = e.do(t, ann, "GET", "/api/auth/tokens", nil).want(t, 200)
		list := tokens(t, r)
		if len(list) != 2 || list[0]["name"] != "forever" || list[1]["id"] != id {
			t.Fatalf("list = %s", r.Body)
		}
		if list[1]["last_used_at"] == nil || list[0]["last_used_at"] != nil {
			t.Errorf("last_used_at not recorded on use: %s", r.Body)
		}
		// Use is written at most once a minute.
		used := list[1]["last_used_at"]
		e.do(t, tok, "GET", "/api/auth/me", nil).want(t, 200)
		if again := tokens(t, e.do(t, ann, "GET", "/api/auth/tokens", nil))[1]["last_used_at"]; again != used {
			t.Errorf("last_used_at rewritten within the minute: %v → %v", used, again)
		}
		e.advance(access.TouchEvery)
		e.do(t, tok, "GET", "/api/auth/me", nil).want(t, 200)
		if later := tokens(t, e.do(t, ann, "GET", "/api/auth/tokens", nil))[1]["last_used_at"]; later == used {
			t.Errorf("last_used_at not updated after a minute: %v", later)
		}
		for _, secret := range []string{tok, tok[len(access.TokenPrefix):], access.HashToken(tok), "token\"", "hash"} {
			if bytes.Contains(r.Body, []byte(secret)) {
				t.Errorf("token list leaks %q: %s", secret, r.Body)
			}
		}
		// Bob sees none of Ann's tokens.
		bob := e.login(t, bobEmail)
		if n := len(tokens(t, e.do(t, bob, "GET", "/api/auth/tokens", nil).want(t, 200))); n != 0 {
			t.Errorf("bob sees %d tokens", n)
		}

		// Revoke: another user's token, or a malformed id, is not found.
		e.do(t, bob, "DELETE", "/api/auth/tokens/"+id, nil).want(t, 404)
		e.do(t, ann, "DELETE", "/api/auth/tokens/not-an-id", nil).want(t, 404)
		e.do(t, ann, "DELETE", "/api/auth/tokens/00000000-0000-0000-0000-000000000000", nil).want(t, 404)
		e.do(t, tok, "GET", "/api/auth/me", nil).want(t, 200)
		// A session id is not a token id.
		e.do(t, ann, "DELETE", "/api/auth/tokens/"+sessionID(t, e, ann), nil).want(t, 404)

		e.do(t, ann, "DELETE", "/api/auth/tokens/"+id, nil).want(t, 204)
		e.do(t, tok, "GET", "/api/auth/me", nil).refused(t, "This API token has been revoked.")
		e.logged(t, "reason=revoked", "kind=token", "session_id="+id, "path=/api/auth/me")
		if strings.Contains(e.log.String(), tok[len(access.TokenPrefix):]) {
			t.Error("the token was logged")
		}
		e.do(t, ann, "DELETE", "/api/auth/tokens/"+id, nil).want(t, 404)
		if list := tokens(t, e.do(t, ann, "GET", "/api/auth/tokens", nil)); len(list) != 1 || list[0]["name"] != "forever" {
			t.Errorf("after revoke: %v", list)
		}

		// A token can read the list and revoke itself, but not mint tokens.
		ft := forever.str("token")
		e.do(t, ft, "GET", "/api/auth/tokens", nil).want(t, 200)
		e.do(t, ft, "POST", "/api/auth/tokens", map[string]any{"name": "child"}).want(t, 403)
		e.do(t, ft, "DELETE", "/api/auth/tokens/"+forever.str("id"), nil).want(t, 204)
		e.do(t, ft, "GET", "/api/auth/me", nil).want(t, 401)
	})
}

// sessionID returns the id of the session whose token is session.
func sessionID(t *testing.T, e *env, session string) string {
	t.Helper()
	r := e.do(t, session, "GET", "/api/auth/sessions", nil).want(t, 200)
	for _, x := range r.doc["sessions"].([]any) {
		if s := x.(map[string]any); s["current"] == true {
			return s["id"].(string)
		}
	}
	t.Fatalf("no current session in %s", r.Body)
	return ""
}

func TestTokenValidation(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		ann := e.login(t, annEmail)
		for _, c := range []struct {
			name  string
			body  any
			field string
		}{
			{"no name", map[string]any{}, "name"},
			{"blank name", map[string]any{"name": "   "}, "name"},
			{"long name", map[string]any{"name": strings.Repeat("名", 101)}, "name"},
			{"past expiry", map[string]any{"name": "x", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"},
			{"bad expiry", map[string]any{"name": "x", "expires_at": "tomorrow"}, "expires_at"},
			{"date only", map[string]any{"name": "x", "expires_at": "2099-01-01"}, "expires_at"},
		} {
			r := e.do(t, ann, "POST", "/api/auth/tokens", c.body).want(t, 422)
			errsList, _ := r.doc["errors"].([]any)
			if len(errsList) != 1 || errsList[0].(map[string]any)["field"] != c.field {
				t.Errorf("%s: %s", c.name, r.Body)
			}
		}
		e.do(t, ann, "POST", "/api/auth/tokens", map[string]any{"name": "x", "scopes": []string{"all"}}).want(t, 400)
		e.do(t, ann, "POST", "/api/auth/tokens", map[string]any{"name": "x", "expires_at": 12}).want(t, 400)
		e.newToken(t, ann, map[string]any{"name": strings.Repeat("名", 100), "expires_at": nil})
		// Chinese messages for Chinese clients.
		r := e.do(t, ann, "POST", "/api/auth/tokens", map[string]any{"name": ""}, "Accept-Language", "zh-CN").want(t, 422)
		if !strings.Contains(string(r.Body), "令牌名称") {
			t.Errorf("zh: %s", r.Body)
		}
		if n := len(tokens(t, e.do(t, ann, "GET", "/api/auth/tokens", nil))); n != 1 {
			t.Errorf("%d tokens after refused creations, want 1", n)
		}
	})
}

func TestExpiry(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		ann := e.login(t, annEmail)
		short := e.newToken(t, ann, map[string]any{"name": "short", "expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
		long := e.newToken(t, ann, map[string]any{"name": "long"})
		e.do(t, short.str("token"), "GET", "/api/auth/me", nil).want(t, 200)

		e.advance(2 * time.Hour)
		e.do(t, short.str("token"), "GET", "/api/auth/me", nil).refused(t, "This API token has expired.")
		e.logged(t, "reason=expired", "kind=token", "session_id="+short.str("id"))
		e.do(t, long.str("token"), "GET", "/api/auth/me", nil).want(t, 200)
		// The expired token stays listed, saying so, so its owner can tell
		// why a script stopped working.
		if list := tokens(t, e.do(t, ann, "GET", "/api/auth/tokens", nil)); len(list) != 2 ||
			list[0]["name"] != "long" || list[0]["state"] != "active" ||
			list[1]["name"] != "short" || list[1]["state"] != "expired" || list[1]["id"] != short.str("id") {
			t.Errorf("token list after expiry: %v", list)
		}
		// It can still be revoked (then it is gone from the list).
		e.do(t, ann, "DELETE", "/api/auth/tokens/"+short.str("id"), nil).want(t, 204)
		if list := tokens(t, e.do(t, ann, "GET", "/api/auth/tokens", nil)); len(list) != 1 || list[0]["name"] != "long" {
			t.Errorf("after revoking the expired token: %v", list)
		}

		// Sessions expire after SessionTTL (7 days); tokens without an expiry do not.
		e.advance(7 * 24 * time.Hour)
		e.do(t, ann, "GET", "/api/auth/me", nil).refused(t, "Your session has expired. Sign in again.")
		e.logged(t, "reason=expired", "kind=session")
		e.do(t, long.str("token"), "GET", "/api/auth/me", nil).want(t, 200)

		// A token stored with an expiry already past.
		annID := e.do(t, long.str("token"), "GET", "/api/auth/me", nil).want(t, 200).str("id")
		old := randomToken(access.TokenPrefix)
		now := e.svc.Access.Now()
		if err := e.s.CreateSession(context.Background(), &access.Session{TokenHash: access.HashToken(old), UserID: annID,
			Kind: access.KindToken, Name: "old", CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(-time.Second)}); err != nil {
			t.Fatal(err)
		}
		e.do(t, old, "GET", "/api/auth/me", nil).refused(t, "This API token has expired.")
	})
}

func TestDisabledUser(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		ann := e.login(t, annEmail)
		tok := e.newToken(t, ann, map[string]any{"name": "script"}).str("token")
		bob := e.login(t, bobEmail)
		e.do(t, bob, "GET", "/api/auth/me", nil).want(t, 200)
		// Disabled behind the server's back (another process, a CLI): the
		// session this process has read in the last SessionCacheTTL is
		// trusted until then; a credential it has not read is refused.
		storetest.Exec(t, e.s, "UPDATE users SET disabled = TRUE WHERE email = '"+annEmail+"'")
		e.do(t, tok, "GET", "/api/auth/me", nil).refused(t, "This account is disabled.")
		e.logged(t, "reason=disabled", "kind=token")
		e.do(t, ann, "GET", "/api/auth/me", nil).want(t, 200)
		e.offset.Add(int64(access.DefaultSessionCacheTTL))
		e.do(t, ann, "GET", "/api/auth/me", nil).refused(t, "This account is disabled.")
		e.logged(t, "reason=disabled", "kind=session")
		e.do(t, "", "POST", "/api/auth/login", map[string]string{"email": annEmail, "password": password}).want(t, 401)
		e.do(t, bob, "GET", "/api/auth/me", nil).want(t, 200)

		// Enabled again, the credentials work again (they were not revoked).
		storetest.Exec(t, e.s, "UPDATE users SET disabled = FALSE WHERE email = '"+annEmail+"'")
		e.offset.Add(int64(access.DefaultSessionCacheTTL))
		e.do(t, tok, "GET", "/api/auth/me", nil).want(t, 200)
	})
}

// Changes made through this server take effect on the next request, the
// cached sessions notwithstanding: disabling a user, a new locale, a
// revoked token, a sign-out.
func TestSessionCacheFollowsChanges(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		ann := e.login(t, annEmail)
		tok := e.newToken(t, ann, map[string]any{"name": "script"})
		e.do(t, tok.str("token"), "GET", "/api/auth/me", nil).want(t, 200)
		me := e.do(t, ann, "GET", "/api/auth/me", nil).want(t, 200)
		e.do(t, ann, "PATCH", "/api/auth/me", map[string]any{"locale": "en"}).want(t, 200)
		if got := e.do(t, ann, "GET", "/api/auth/me", nil).want(t, 200).str("locale"); got != "en" {
			t.Fatalf("locale after the change: %q", got)
		}
		e.do(t, ann, "DELETE", "/api/auth/tokens/"+tok.str("id"), nil).want(t, 204)
		e.do(t, tok.str("token"), "GET", "/api/auth/me", nil).want(t, 401)
		yes := true
		if _, err := e.svc.Access.UpdateMember(ctx, nil, me.str("id"), access.UserPatch{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		e.do(t, ann, "GET", "/api/auth/me", nil).refused(t, "This account is disabled.")
		bob := e.login(t, bobEmail)
		e.do(t, bob, "GET", "/api/auth/me", nil).want(t, 200)
		e.do(t, bob, "POST", "/api/auth/logout", nil).want(t, 204)
		e.do(t, bob, "GET", "/api/auth/me", nil).want(t, 401)
	})
}

func randomToken(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

func TestForgedCredentials(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		for _, c := range []struct{ name, token, reason, kind string }{
			{"well-formed unknown API token", randomToken(access.TokenPrefix), "unknown", "token"},
			{"well-formed unknown session token", randomToken(""), "unknown", "session"},
			{"garbage", "not-a-real-token", "malformed", "session"},
			{"truncated API token", access.TokenPrefix + "abc", "malformed", "token"},
			{"huge", strings.Repeat("x", 5000), "malformed", "session"},
		} {
			e.do(t, c.token, "GET", "/api/auth/me", nil).refused(t, "This session or API token is not valid. Sign in again.")
			e.logged(t, "reason="+c.reason, "kind="+c.kind)
		}
		// A session token dressed up as an API token is unknown.
		ann := e.login(t, annEmail)
		e.do(t, access.TokenPrefix+ann, "GET", "/api/auth/me", nil).want(t, 401)
		// A forged cookie.
		e.do(t, "", "GET", "/api/auth/me", nil, "Cookie", "tessera_session="+randomToken("")).want(t, 401)
		// No credentials at all: 401, but nothing worth a warning.
		before := strings.Count(e.log.String(), "request refused")
		e.do(t, "", "GET", "/api/auth/me", nil).refused(t, "Sign in first.")
		if after := strings.Count(e.log.String(), "request refused"); after != before {
			t.Error("an anonymous request was logged as refused")
		}
	})
}

func TestLogoutEndsOnlyThatSession(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		a, b := e.login(t, annEmail), e.login(t, annEmail)
		tok := e.newToken(t, a, map[string]any{"name": "script"}).str("token")
		aID := sessionID(t, e, a)

		e.do(t, a, "POST", "/api/auth/logout", nil).want(t, 204)
		// Replaying the signed-out session, as a header or a cookie.
		e.do(t, a, "GET", "/api/auth/me", nil).refused(t, "This session has ended. Sign in again.")
		e.do(t, "", "GET", "/api/auth/me", nil, "Cookie", "tessera_session="+a).want(t, 401)
		e.logged(t, "reason=revoked", "kind=session", "session_id="+aID)
		e.do(t, b, "GET", "/api/auth/me", nil).want(t, 200)
		e.do(t, tok, "GET", "/api/auth/me", nil).want(t, 200)

		// Signing out with an API token leaves the token alone.
		e.do(t, tok, "POST", "/api/auth/logout", nil).want(t, 204)
		e.do(t, tok, "GET", "/api/auth/me", nil).want(t, 200)
		e.do(t, b, "GET", "/api/auth/me", nil).want(t, 200)

		// Sessions: list and sign out elsewhere.
		c := e.login(t, annEmail)
		r := e.do(t, c, "GET", "/api/auth/sessions", nil).want(t, 200)
		sessions := r.doc["sessions"].([]any)
		if len(sessions) != 2 || strings.Contains(string(r.Body), b) || strings.Contains(string(r.Body), "token") {
			t.Fatalf("sessions = %s", r.Body)
		}
		bID := sessionID(t, e, b)
		e.do(t, e.login(t, bobEmail), "DELETE", "/api/auth/sessions/"+bID, nil).want(t, 404)
		e.do(t, c, "DELETE", "/api/auth/sessions/"+aID, nil).want(t, 404) // already ended
		e.do(t, c, "DELETE", "/api/auth/sessions/"+bID, nil).want(t, 204)
		e.do(t, b, "GET", "/api/auth/me", nil).want(t, 401)
		e.do(t, c, "GET", "/api/auth/me", nil).want(t, 200)
		// Ending one's own session clears the cookie.
		cID := sessionID(t, e, c)
		r = e.do(t, c, "DELETE", "/api/auth/sessions/"+cID, nil).want(t, 204)
		if ck := r.Header.Get("Set-Cookie"); !strings.Contains(ck, "tessera_session=;") {
			t.Errorf("Set-Cookie %q", ck)
		}
		e.do(t, c, "GET", "/api/auth/me", nil).want(t, 401)
	})
}

func (e *env) badLogin(t *testing.T, email string, hdr ...string) *response {
	t.Helper()
	return e.do(t, "", "POST", "/api/auth/login", map[string]string{"email": email, "password": "wrong-password"}, hdr...)
}

// throttled checks a 429 with a sensible Retry-After.
func (r *response) throttled(t *testing.T) {
	t.Helper()
	r.want(t, 429)
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 15*60 {
		t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	if r.str("code") != "too_many" || !strings.Contains(r.str("detail"), "Too many failed sign-in attempts") {
		t.Errorf("429 body %s", r.Body)
	}
}

// as sends a request as a client at addr (behind the trusted loopback
// proxy).
func as(addr string, hdr ...string) []string {
	return append([]string{"X-Forwarded-For", addr}, hdr...)
}

func (e *env) goodLogin(t *testing.T, email string, hdr ...string) *response {
	t.Helper()
	return e.do(t, "", "POST", "/api/auth/login", map[string]string{"email": email, "password": password}, hdr...)
}

// Failures count per account and address: a guesser at one address slows
// only themselves; the owner elsewhere signs in.
func TestLoginThrottlePerAccountAndAddress(t *testing.T) {
	const attacker, owner = "198.51.100.66", "203.0.113.10"
	each(t, trustLoopback, func(t *testing.T, e *env) {
		// A success resets the count of failures from that address.
		for range access.LoginPerPair - 1 {
			e.badLogin(t, annEmail, as(attacker)...).want(t, 401)
		}
		e.goodLogin(t, annEmail, as(attacker)...).want(t, 200)
		for range access.LoginPerPair {
			e.badLogin(t, " ANN@example.com", as(attacker)...).want(t, 401)
		}
		// Over the limit: refused at that address even with the right
		// password, in the client's language, and logged with the limit.
		e.goodLogin(t, annEmail, as(attacker)...).throttled(t)
		r := e.badLogin(t, annEmail, as(attacker, "Accept-Language", "zh-CN")...).want(t, 429)
		if !strings.Contains(r.str("detail"), "登录失败次数过多") || r.Header.Get("Retry-After") == "" {
			t.Errorf("zh 429: %s", r.Body)
		}
		e.logged(t, "reason=throttled", "limit=account_address", "email="+annEmail, "addr="+attacker, "status=429")
		if !strings.Contains(e.log.String(), `msg="sign-in failed" email=`+annEmail+" ip="+attacker+" limit=account_address") {
			t.Errorf("sign-in log does not name the limit:\n%s", e.log)
		}
		last := e.signIns(t)
		if d := last[len(last)-1]; d["action"] != "login_failed" || d["reason"] != "access.too_many_attempts" ||
			d["limit"] != "account_address" || d["ip"] != attacker {
			t.Errorf("audit entry of the refusal: %v", d)
		}
		// The owner, elsewhere, is not locked out, and not delayed.
		e.goodLogin(t, annEmail, as(owner)...).want(t, 200)
		if d := e.delays(); len(d) != 0 {
			t.Errorf("the owner was delayed %v", d)
		}
		// Unknown accounts are throttled alike (no account enumeration).
		for range access.LoginPerPair {
			e.badLogin(t, "nobody@example.com", as(attacker)...).want(t, 401)
		}
		e.badLogin(t, "nobody@example.com", as(attacker)...).throttled(t)
		// Others at the attacker's address are unaffected.
		e.goodLogin(t, bobEmail, as(attacker)...).want(t, 200)
		// The window passes.
		e.advance(access.LoginWindow)
		e.goodLogin(t, annEmail, as(attacker)...).want(t, 200)
	})
}

// Past the higher ceiling for an account from everywhere, attempts are
// delayed, not refused: the owner still signs in.
func TestLoginThrottleAccountCeilingDelays(t *testing.T) {
	setup := func(e *env) {
		trustLoopback(e)
		e.svc.Access.Limiter.PerPair, e.svc.Access.Limiter.PerAccount = 3, 6
		e.svc.Access.Limiter.AccountDelay = 5 * time.Second
	}
	each(t, setup, func(t *testing.T, e *env) {
		// Guessers at three addresses, each under the pair limit.
		for i := range 6 {
			e.badLogin(t, annEmail, as(fmt.Sprintf("198.51.100.%d", i%3+1))...).want(t, 401)
		}
		if d := e.delays(); len(d) != 0 {
			t.Fatalf("delayed under the ceiling: %v", d)
		}
		// The next guess, from a fourth address, waits and fails as usual.
		e.badLogin(t, annEmail, as("198.51.100.4")...).want(t, 401)
		// The owner waits too, and signs in.
		e.goodLogin(t, annEmail, as("203.0.113.10")...).want(t, 200)
		if d := e.delays(); !slices.Equal(d, []time.Duration{5 * time.Second, 5 * time.Second}) {
			t.Errorf("delays %v, want two of 5s", d)
		}
		if !strings.Contains(e.log.String(), `msg=sign-in email=`+annEmail+" ip=203.0.113.10 delayed_by=account delay=5s") {
			t.Errorf("sign-in log does not name the delay:\n%s", e.log)
		}
		last := e.signIns(t)
		if d := last[len(last)-1]; d["action"] != "login" || d["delayed_by"] != "account" || d["delay_ms"] != 5000.0 {
			t.Errorf("audit entry of the delayed sign-in: %v", d)
		}
		// Other accounts are not delayed.
		e.goodLogin(t, bobEmail, as("198.51.100.1")...).want(t, 200)
		if n := len(e.delays()); n != 2 {
			t.Errorf("%d delays after bob signed in, want 2", n)
		}
	})
}

func TestLoginThrottlePerAddress(t *testing.T) {
	setup := func(e *env) {
		trustLoopback(e)
		e.svc.Access.Limiter.PerAddress = 5
	}
	each(t, setup, func(t *testing.T, e *env) {
		const sweeper = "198.51.100.9"
		for i := range 5 {
			e.badLogin(t, "guess"+strconv.Itoa(i)+"@example.com", as(sweeper)...).want(t, 401)
		}
		e.badLogin(t, "guess9@example.com", as(sweeper)...).throttled(t)
		// Even the right password, for an account with no failures.
		r := e.goodLogin(t, bobEmail, as(sweeper)...)
		r.throttled(t)
		if !strings.Contains(r.str("detail"), "from your address") {
			t.Errorf("429 detail %q", r.str("detail"))
		}
		e.logged(t, "reason=throttled", "limit=address", "addr="+sweeper)
		last := e.signIns(t)
		if d := last[len(last)-1]; d["limit"] != "address" || d["reason"] != "access.too_many_from_address" {
			t.Errorf("audit entry: %v", d)
		}
		// Another client is unaffected.
		e.goodLogin(t, bobEmail, as("203.0.113.7")...).want(t, 200)
	})
}

// The counts live in the database: two servers (two stores, as two
// processes would have) on one database share them.
func TestLoginThrottleAcrossServers(t *testing.T) {
	storetest.EachShared(t, func(t *testing.T, open func() *store.Store) {
		s1, s2 := open(), open()
		one, two := newEnv(t, s1, trustLoopback), newEnv(t, s2, trustLoopback)
		if _, err := one.svc.Access.CreateUser(context.Background(), access.NewUser{Email: annEmail, Password: password}); err != nil {
			t.Fatal(err)
		}
		const attacker = "198.51.100.66"
		for i := range access.LoginPerPair {
			srv := one
			if i%2 == 1 {
				srv = two
			}
			srv.badLogin(t, annEmail, as(attacker)...).want(t, 401)
		}
		one.goodLogin(t, annEmail, as(attacker)...).throttled(t)
		two.goodLogin(t, annEmail, as(attacker)...).throttled(t)
		two.logged(t, "reason=throttled", "limit=account_address", "addr="+attacker)
		// The owner signs in on either.
		two.goodLogin(t, annEmail, as("203.0.113.10")...).want(t, 200)
		one.goodLogin(t, annEmail, as("203.0.113.11")...).want(t, 200)
	})
}

// Forwarding headers count only from trusted proxies: from anyone else a
// spoofed X-Forwarded-For changes neither the throttle key nor the
// address in the audit log and the logs.
func TestForwardedForTrust(t *testing.T) {
	t.Run("untrusted", func(t *testing.T) {
		each(t, nil, func(t *testing.T, e *env) {
			for i := range access.LoginPerPair {
				spoof := fmt.Sprintf("203.0.113.%d", i+1)
				e.badLogin(t, annEmail, "X-Forwarded-For", spoof, "X-Real-IP", spoof).want(t, 401)
			}
			// A fresh spoofed address does not escape the limit.
			e.goodLogin(t, annEmail, "X-Forwarded-For", "192.0.2.200", "X-Real-IP", "192.0.2.201").throttled(t)
			e.logged(t, "reason=throttled", "limit=account_address", "addr=127.0.0.1")
			for _, d := range e.signIns(t) {
				if d["ip"] != "127.0.0.1" {
					t.Errorf("audit entry with a spoofed address: %v", d)
				}
			}
			logs := e.log.String()
			if strings.Contains(logs, "203.0.113.") || strings.Contains(logs, "192.0.2.20") {
				t.Errorf("a spoofed address reached the logs:\n%s", logs)
			}
			if !strings.Contains(logs, `msg="sign-in failed" email=`+annEmail+" ip=127.0.0.1") ||
				!strings.Contains(logs, "path=/api/auth/login status=401") {
				t.Errorf("logs lack the peer address:\n%s", logs)
			}
			// Nor does X-Forwarded-Proto make the cookie Secure.
			bob := e.goodLogin(t, bobEmail, "X-Forwarded-Proto", "https").want(t, 200)
			if strings.Contains(bob.Header.Get("Set-Cookie"), "Secure") {
				t.Errorf("untrusted X-Forwarded-Proto believed: %s", bob.Header.Get("Set-Cookie"))
			}
		})
	})
	t.Run("trusted", func(t *testing.T) {
		each(t, trustLoopback, func(t *testing.T, e *env) {
			// The client behind the proxy is the rightmost address the
			// proxy did not add; what the client itself put first is ignored.
			for range access.LoginPerPair {
				e.badLogin(t, annEmail, "X-Forwarded-For", "10.6.6.6, 203.0.113.7").want(t, 401)
			}
			e.goodLogin(t, annEmail, "X-Forwarded-For", "203.0.113.7").throttled(t)
			e.logged(t, "reason=throttled", "limit=account_address", "addr=203.0.113.7")
			// Another client behind the proxy is unaffected; X-Real-IP works too.
			e.goodLogin(t, annEmail, "X-Real-IP", "203.0.113.8").want(t, 200)
			ins := e.signIns(t)
			if d := ins[0]; d["ip"] != "203.0.113.7" {
				t.Errorf("first audit entry: %v", d)
			}
			if d := ins[len(ins)-1]; d["ip"] != "203.0.113.8" || d["action"] != "login" {
				t.Errorf("last audit entry: %v", d)
			}
			if !strings.Contains(e.log.String(), `msg=sign-in email=`+annEmail+" ip=203.0.113.8") {
				t.Errorf("sign-in log lacks the forwarded address:\n%s", e.log)
			}
			bob := e.goodLogin(t, bobEmail, "X-Forwarded-Proto", "https").want(t, 200)
			if !strings.Contains(bob.Header.Get("Set-Cookie"), "Secure") {
				t.Errorf("trusted X-Forwarded-Proto ignored: %s", bob.Header.Get("Set-Cookie"))
			}
		})
	})
}

func TestSecurityHeaders(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		ann := e.login(t, annEmail)
		for _, c := range []struct {
			path, auth string
			status     int
		}{
			{"/api/auth/me", ann, 200},
			{"/api/auth/me", "", 401},
			{"/api/auth/tokens", ann, 200},
			{"/api/nope", "", 404},
		} {
			r := e.do(t, c.auth, "GET", c.path, nil).want(t, c.status)
			if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("%s: Cache-Control %q", c.path, cc)
			}
			if csp := r.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'") {
				t.Errorf("%s: CSP %q", c.path, csp)
			}
		}
		r := e.do(t, "", "POST", "/api/auth/login", map[string]string{"email": annEmail, "password": password}).want(t, 200)
		if r.Header.Get("Cache-Control") != "no-store" {
			t.Error("the login reply (a token) may be cached")
		}
		r = e.do(t, "", "GET", "/", nil).want(t, 200)
		csp := r.Header.Get("Content-Security-Policy")
		// GET / leads to the web app (or its placeholder): scripts from
		// the origin only, no eval; inline styles only as attributes.
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
			strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "script-src 'self' 'unsafe") ||
			strings.Count(csp, "unsafe-inline") > 1 || r.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("home headers: %v", r.Header)
		}
	})
}

func TestPurgeOfDeadCredentials(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		ann := e.login(t, annEmail)
		dead := e.newToken(t, ann, map[string]any{"name": "dead"})
		live := e.newToken(t, ann, map[string]any{"name": "live"}).str("token")
		e.do(t, ann, "DELETE", "/api/auth/tokens/"+dead.str("id"), nil).want(t, 204)

		// Within the retention a replay is known as one...
		e.advance(access.Retention - time.Hour)
		e.login(t, annEmail)
		e.do(t, dead.str("token"), "GET", "/api/auth/me", nil).refused(t, "This API token has been revoked.")
		// ...after it, sign-ins purge the row (at most hourly) and the
		// token is merely unknown. Live credentials stay.
		e.advance(2 * time.Hour)
		e.login(t, annEmail)
		e.do(t, dead.str("token"), "GET", "/api/auth/me", nil).refused(t, "This session or API token is not valid. Sign in again.")
		e.logged(t, "reason=unknown", "kind=token")
		e.do(t, live, "GET", "/api/auth/me", nil).want(t, 200)
		var n int
		if err := e.s.R.QueryRow("SELECT count(*) FROM sessions").Scan(&n); err != nil {
			t.Fatal(err)
		}
		// Left: the live token and the three sign-ins (the first expired
		// after 7 days, less than the retention ago).
		if n != 4 {
			t.Errorf("%d session rows after the purge, want 4", n)
		}
	})
}
