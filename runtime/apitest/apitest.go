// Package apitest runs API tests through the real HTTP stack: a listening
// httptest.Server around server.New over a fresh store, real requests from
// net/http, and a clock the test moves (the store's, the job runner's and
// the rule engine's), so due times and timers are exact. Jobs run when the
// test says (RunJobs), synchronously.
//
// It is imported by tests only.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/runtime/server"
)

// Password is every test user's password.
const Password = "correct-horse-battery"

// Env is one running server over one store, with signed-in users.
type Env struct {
	Store *store.Store
	Svc   *server.Services
	URL   string
	// Tokens and IDs of the users by name ("admin" always exists).
	Tokens map[string]string
	IDs    map[string]string

	mu  sync.Mutex
	now time.Time
}

// New starts a server over s with the clock at start and an administrator
// "admin" signed in. configure, when given, adjusts the services before
// the server starts.
func New(t testing.TB, s *store.Store, start time.Time, configure ...func(*server.Services)) *Env {
	t.Helper()
	e := &Env{Store: s, Tokens: map[string]string{}, IDs: map[string]string{}, now: start}
	s.Now = e.Now
	e.Svc = server.NewServices(s)
	e.Svc.Jobs.Now = e.Now
	e.Svc.Rules.Now = e.Now
	for _, fn := range configure {
		fn(e.Svc)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := httptest.NewServer(server.New(e.Svc, log))
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	e.User(t, "admin", access.NewUser{IsAdmin: true})
	return e
}

// Now is the test's clock.
func (e *Env) Now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

// Set moves the clock to at; Advance moves it by d.
func (e *Env) Set(at time.Time) {
	e.mu.Lock()
	e.now = at
	e.mu.Unlock()
}

// Advance moves the clock forward by d.
func (e *Env) Advance(d time.Duration) { e.Set(e.Now().Add(d)) }

// User creates a user named name (email name@example.com unless given)
// and signs them in over HTTP.
func (e *Env) User(t testing.TB, name string, u access.NewUser) string {
	t.Helper()
	if u.Email == "" {
		u.Email = name + "@example.com"
	}
	if u.Name == "" {
		u.Name = name
	}
	u.Password = Password
	created, err := e.Svc.Access.CreateUser(context.Background(), u)
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	e.IDs[name] = created.ID
	e.Tokens[name] = e.Do(t, "", "POST", "/api/auth/login", map[string]string{"email": u.Email, "password": Password}).Want(t, 200).Str("token")
	return created.ID
}

// RunJobs runs every job due at the test's clock, synchronously, and
// returns how many ran.
func (e *Env) RunJobs(t testing.TB) int {
	t.Helper()
	n, err := e.Svc.Jobs.RunDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e.Svc.Rules.Flush()
	return n
}

// Response is a finished exchange with its body read and decoded.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	Doc    any
}

// Do sends one request as who ("" for nobody) with body encoded as JSON
// (nil: none); Accept-Language is English unless hdr sets it.
func (e *Env) Do(t testing.TB, who, method, path string, body any, hdr ...string) *Response {
	t.Helper()
	r, err := e.Try(who, method, path, body, hdr...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Try is Do for goroutines other than the test's.
func (e *Env) Try(who, method, path string, body any, hdr ...string) (*Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept-Language", "en")
	if who != "" {
		tok, ok := e.Tokens[who]
		if !ok {
			return nil, fmt.Errorf("unknown user %q", who)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	out := &Response{Status: res.StatusCode, Header: res.Header}
	if out.Body, err = io.ReadAll(res.Body); err != nil {
		return nil, err
	}
	if len(out.Body) > 0 && strings.Contains(res.Header.Get("Content-Type"), "json") {
		dec := json.NewDecoder(bytes.NewReader(out.Body))
		dec.UseNumber()
		if err := dec.Decode(&out.Doc); err != nil {
			return nil, fmt.Errorf("%s %s: body is not JSON: %s", method, path, out.Body)
		}
	}
	return out, nil
}

// Want fails the test unless the status is status.
func (r *Response) Want(t testing.TB, status int) *Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}

// Get returns the value at a dotted path ("steps.0.key"); nil when absent.
func (r *Response) Get(path string) any { return Lookup(r.Doc, path) }

// Str, Num, List and Obj read typed values at a path.
func (r *Response) Str(path string) string { s, _ := r.Get(path).(string); return s }

// Num reads a number at path (0 when absent).
func (r *Response) Num(path string) float64 {
	n, _ := r.Get(path).(json.Number)
	f, _ := n.Float64()
	return f
}

// List reads an array at path.
func (r *Response) List(path string) []any { l, _ := r.Get(path).([]any); return l }

// Obj reads an object at path.
func (r *Response) Obj(path string) map[string]any { m, _ := r.Get(path).(map[string]any); return m }

// Contains fails the test unless the body contains every fragment.
func (r *Response) Contains(t testing.TB, fragments ...string) *Response {
	t.Helper()
	for _, f := range fragments {
		if !strings.Contains(string(r.Body), f) {
			t.Fatalf("body lacks %q: %s", f, r.Body)
		}
	}
	return r
}

// Lookup walks a decoded JSON document along a dotted path; numeric parts
// index arrays.
func Lookup(doc any, path string) any {
	if path == "" {
		return doc
	}
	cur := doc
	for _, part := range strings.Split(path, ".") {
		switch x := cur.(type) {
		case map[string]any:
			cur = x[part]
		case []any:
			var i int
			if _, err := fmt.Sscanf(part, "%d", &i); err != nil || i < 0 || i >= len(x) {
				return nil
			}
			cur = x[i]
		default:
			return nil
		}
	}
	return cur
}

// Label is a label in both locales.
func Label(s string) map[string]string { return map[string]string{"en": s, "zh-CN": s} }

// Field is a module property of field type typ with more x-field keys
// and values ("module", "account", "options", […], …).
func Field(typ string, kv ...any) map[string]any {
	xf := map[string]any{"type": typ}
	for i := 0; i+1 < len(kv); i += 2 {
		xf[kv[i].(string)] = kv[i+1]
	}
	return map[string]any{"x-field": xf}
}
