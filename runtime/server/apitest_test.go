package server_test

// The API test harness. Every test runs through the real HTTP stack — a
// listening httptest.Server around server.New, real requests from
// net/http — once per dialect (storetest.Each: SQLite always, PostgreSQL
// when TESSERA_TEST_DATABASE_URL is set).
//
// Most checks are scenario tables in the style of PocketBase's API tests:
// method, URL, who is signed in, body, expected status, expected body
// fragments and JSON values. Every error response is also checked to be a
// problem+json document whose "status" matches the HTTP status.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/httpx/httpxtest"
	"github.com/tessera-app/tessera/runtime/server"
)

// Test users. Both are created directly through the access service; tests
// sign in over HTTP.
const (
	adminEmail = "admin@example.com"
	userEmail  = "user@example.com"
	password   = "correct-horse-battery"
)

// env is one running server over one fresh store.
type env struct {
	s      *store.Store
	svc    *server.Services // behind srv, for tests that compare with a direct call
	srv    *httptest.Server
	url    string
	tokens map[string]string    // "admin", "user" → session token
	ids    map[string]string    // "admin", "user" → user id
	log    *httpxtest.LogBuffer // everything the server logged, from level info
}

// each runs fn against a fresh server per dialect, with an admin and a
// non-admin user signed in. Tests share nothing, so they run in parallel.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) { fn(t, newEnv(t, s)) })
}

func newEnv(t *testing.T, s *store.Store) *env {
	t.Helper()
	// Internal errors are logged with their cause: show them with the
	// test. Everything is kept for tests of the logs.
	lb := &httpxtest.LogBuffer{}
	log := slog.New(slog.NewMultiHandler(
		slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}),
		slog.NewTextHandler(lb, nil)))
	svc := server.NewServices(s)
	srv := httptest.NewServer(server.New(svc, log))
	t.Cleanup(srv.Close)
	e := &env{s: s, svc: svc, srv: srv, url: srv.URL, tokens: map[string]string{}, ids: map[string]string{}, log: lb}
	acc := access.NewService(s)
	for who, in := range map[string]access.NewUser{
		"admin": {Email: adminEmail, Password: password, Name: "Ada Admin", IsAdmin: true},
		"user":  {Email: userEmail, Password: password, Name: "Uma User"},
	} {
		u, err := acc.CreateUser(context.Background(), in)
		if err != nil {
			t.Fatalf("create %s: %v", who, err)
		}
		e.ids[who] = u.ID
		e.tokens[who] = e.login(t, in.Email, in.Password)
	}
	return e
}

// login signs in over HTTP and returns the session token.
func (e *env) login(t *testing.T, email, pw string) string {
	t.Helper()
	r := e.do(t, "", "POST", "/api/auth/login", map[string]string{"email": email, "password": pw}).want(t, 200)
	tok := r.str("token")
	if tok == "" {
		t.Fatalf("login %s: no token in %s", email, r.Body)
	}
	return tok
}

// response is a finished HTTP exchange with its body read.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	doc    any
	parsed bool
}

// do sends one request. who is "admin", "user" or "" (no credentials);
// body is sent as is when it is a string or []byte, as JSON otherwise (nil
// = no body); hdr are header name, value pairs.
func (e *env) do(t testing.TB, who, method, path string, body any, hdr ...string) *response {
	t.Helper()
	r, err := e.try(who, method, path, body, hdr...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// try is do for goroutines other than the test's: it returns the error.
func (e *env) try(who, method, path string, body any, hdr ...string) (*response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("encode body: %w", err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if who != "" {
		tok, ok := e.tokens[who]
		if !ok {
			return nil, fmt.Errorf("unknown user %q", who)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return sendErr(req)
}

func send(t testing.TB, req *http.Request) *response {
	t.Helper()
	r, err := sendErr(req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func sendErr(req *http.Request) (*response, error) {
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", req.Method, req.URL.Path, err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}

// want fails the test unless the status is status.
func (r *response) want(t testing.TB, status int) *response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Body)
	}
	return r
}

// get returns the JSON value at a dotted path ("errors.0.field"); a path
// ending in "#" is the length of the array or object there. Missing values
// are nil.
func (r *response) get(path string) any {
	if !r.parsed {
		r.parsed = true
		json.Unmarshal(r.Body, &r.doc)
	}
	return lookup(r.doc, path)
}

func lookup(doc any, path string) any {
	cur := doc
	if path == "" {
		return cur
	}
	for _, seg := range strings.Split(path, ".") {
		if seg == "#" {
			switch x := cur.(type) {
			case []any:
				return float64(len(x))
			case map[string]any:
				return float64(len(x))
			}
			return nil
		}
		switch x := cur.(type) {
		case map[string]any:
			cur = x[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			cur = x[i]
		default:
			return nil
		}
	}
	return cur
}

// raw returns a top-level member of a JSON object body as it was sent
// (key order kept).
func (r *response) raw(t testing.TB, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &m); err != nil || m[key] == nil {
		t.Fatalf("no %q in %s", key, r.Body)
	}
	return m[key]
}

func (r *response) str(path string) string {
	s, _ := r.get(path).(string)
	return s
}

func (r *response) num(path string) float64 {
	n, _ := r.get(path).(float64)
	return n
}

func (r *response) list(path string) []any {
	l, _ := r.get(path).([]any)
	return l
}

func (r *response) obj(path string) map[string]any {
	m, _ := r.get(path).(map[string]any)
	return m
}

// fieldError returns the problem's error entry for field, or nil.
func (r *response) fieldError(field string) map[string]any {
	for _, fe := range r.list("errors") {
		if m, ok := fe.(map[string]any); ok && m["field"] == field {
			return m
		}
	}
	return nil
}

// scenario is one request and what its response must contain.
type scenario struct {
	name    string
	method  string
	url     string
	as      string   // "admin", "user" or "" (anonymous)
	headers []string // name, value pairs
	body    any

	status      int
	contains    []string       // raw body fragments
	notContains []string       // raw body fragments that must be absent
	json        map[string]any // dotted path → expected JSON value
	// fieldErrors are expected entries of the problem's "errors": "field"
	// or "field:code".
	fieldErrors []string
	check       func(t *testing.T, r *response)
}

// run executes scenarios in order (later ones may depend on earlier ones).
func (e *env) run(t *testing.T, scs []scenario) {
	t.Helper()
	for _, sc := range scs {
		t.Run(sc.name, func(t *testing.T) {
			r := e.do(t, sc.as, sc.method, sc.url, sc.body, sc.headers...)
			sc.assert(t, r)
		})
	}
}

func (sc scenario) assert(t *testing.T, r *response) {
	t.Helper()
	if r.Status != sc.status {
		t.Fatalf("%s %s: status %d, want %d; body: %s", sc.method, sc.url, r.Status, sc.status, r.Body)
	}
	if sc.status >= 400 {
		checkProblem(t, r)
	}
	for _, s := range sc.contains {
		if !bytes.Contains(r.Body, []byte(s)) {
			t.Errorf("body lacks %q: %s", s, r.Body)
		}
	}
	for _, s := range sc.notContains {
		if bytes.Contains(r.Body, []byte(s)) {
			t.Errorf("body contains %q: %s", s, r.Body)
		}
	}
	for path, want := range sc.json {
		if got := r.get(path); !jsonEqual(got, want) {
			t.Errorf("%s = %#v, want %#v; body: %s", path, got, want, r.Body)
		}
	}
	for _, fe := range sc.fieldErrors {
		field, code, _ := strings.Cut(fe, ":")
		got := r.fieldError(field)
		switch {
		case got == nil:
			t.Errorf("no error for field %q: %s", field, r.Body)
		case code != "" && got["code"] != code:
			t.Errorf("field %q: code %v, want %q", field, got["code"], code)
		case got["message"] == "":
			t.Errorf("field %q: empty message", field)
		}
	}
	if sc.check != nil {
		sc.check(t, r)
	}
}

// checkProblem asserts the RFC 9457 shape every error response has.
func checkProblem(t *testing.T, r *response) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("Content-Type %q, want application/problem+json; body: %s", ct, r.Body)
	}
	if got := r.num("status"); int(got) != r.Status {
		t.Errorf("problem status %v, HTTP status %d", got, r.Status)
	}
	if r.str("code") == "" || r.str("title") == "" || r.str("type") == "" {
		t.Errorf("problem lacks type/title/code: %s", r.Body)
	}
}

// jsonEqual compares a decoded JSON value with a Go value after a JSON
// round trip of the latter (so 1 equals float64(1)).
func jsonEqual(got, want any) bool {
	b, err := json.Marshal(want)
	if err != nil {
		return false
	}
	var w any
	json.Unmarshal(b, &w)
	return reflect.DeepEqual(got, w)
}

// schema reads testdata/<name>.json.
func schema(t testing.TB, name string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// props builds a schema document from the JSON text of its properties.
func props(p string) json.RawMessage {
	return json.RawMessage(`{"type":"object","properties":{` + p + `}}`)
}

func label(en string) map[string]string { return map[string]string{"en": en, "zh-CN": en} }

// Paths.
func appPath(app string) string            { return "/api/apps/" + app }
func modPath(app, mod string) string       { return appPath(app) + "/modules/" + mod }
func recPath(app, mod string) string       { return modPath(app, mod) + "/records" }
func recIDPath(app, mod, id string) string { return recPath(app, mod) + "/" + id }

// createApp creates an app as admin.
func (e *env) createApp(t testing.TB, key string) {
	t.Helper()
	e.do(t, "admin", "POST", "/api/apps", map[string]any{"key": key, "label": label(key)}).want(t, 201)
}

// createModule creates a module as admin and returns the response.
func (e *env) createModule(t testing.TB, app, key string, sch json.RawMessage) *response {
	t.Helper()
	return e.do(t, "admin", "POST", appPath(app)+"/modules",
		map[string]any{"key": key, "label": label(key), "schema": sch}).want(t, 201)
}

// putModule replaces a module's schema as admin.
func (e *env) putModule(t testing.TB, app, key string, sch json.RawMessage) *response {
	t.Helper()
	return e.do(t, "admin", "PUT", modPath(app, key), map[string]any{"label": label(key), "schema": sch})
}

// create adds a record as admin and returns it.
func (e *env) create(t testing.TB, app, mod string, vals map[string]any) *response {
	t.Helper()
	return e.do(t, "admin", "POST", recPath(app, mod), vals).want(t, 201)
}

// record reads one record as admin.
func (e *env) record(t testing.TB, app, mod, id string) *response {
	t.Helper()
	return e.do(t, "admin", "GET", recIDPath(app, mod, id), nil).want(t, 200)
}

// count returns the number of live records (total=true) as admin.
func (e *env) count(t testing.TB, app, mod string) int {
	t.Helper()
	return int(e.do(t, "admin", "GET", recPath(app, mod)+"?total=true&limit=1", nil).want(t, 200).num("total"))
}

// crm sets up app "crm" with modules account and deal (testdata).
func (e *env) crm(t testing.TB) {
	t.Helper()
	e.createApp(t, "crm")
	e.createModule(t, "crm", "account", schema(t, "account"))
	e.createModule(t, "crm", "deal", schema(t, "deal"))
}

// tableExists asks the database directly whether a table exists.
func (e *env) tableExists(t testing.TB, table string) bool {
	t.Helper()
	var n int
	var err error
	if e.s.D.Name() == "sqlite" {
		err = e.s.R.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&n)
	} else {
		err = e.s.R.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`, table).Scan(&n)
	}
	if err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// rowCount counts every row of a module table, soft-deleted ones included.
func (e *env) rowCount(t testing.TB, table string) int {
	t.Helper()
	var n int
	if err := e.s.R.QueryRow(fmt.Sprintf(`SELECT count(*) FROM %s`, store.Quote(table))).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// withContains adds expected body fragments to sc.
func withContains(sc scenario, fragments ...string) scenario {
	sc.contains = append(sc.contains, fragments...)
	return sc
}
