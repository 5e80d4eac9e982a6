package server_test

// HTTP plumbing through the real stack: the access log, methods (405,
// HEAD, OPTIONS), what the JSON decoder refuses and the 401 challenge.

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tessera-app/tessera/runtime/server"
)

// The access log records the status the client received and the error
// code, for every kind of error (item 6 of issue 7: it logged 200).
func TestAccessLogStatus(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		id := e.create(t, "crm", "deal", map[string]any{"name": "x"}).str("id")
		for range 10 {
			e.do(t, "", "POST", "/api/auth/login", map[string]string{"email": "victim@example.com", "password": "wrong-password"}).want(t, 401)
		}
		for _, c := range []struct {
			method, path, as string
			body             any
			status           int
			code             string
		}{
			{"GET", recIDPath("crm", "deal", id), "admin", nil, 200, ""},
			{"POST", recPath("crm", "deal"), "admin", map[string]any{"name": "y"}, 201, ""},
			{"POST", recPath("crm", "deal"), "admin", `{"name":`, 400, "invalid"},
			{"GET", "/api/auth/me", "", nil, 401, "unauthorized"},
			{"POST", "/api/auth/login", "", map[string]string{"email": adminEmail, "password": "wrong-password"}, 401, "unauthorized"},
			{"POST", "/api/users", "user", map[string]any{"email": "x@example.com", "password": "long-enough"}, 403, "forbidden"},
			{"GET", recIDPath("crm", "deal", noSuchID), "admin", nil, 404, "not_found"},
			{"GET", "/api/nope", "", nil, 404, "not_found"},
			{"DELETE", "/api/apps", "admin", nil, 405, "method_not_allowed"},
			{"PATCH", recIDPath("crm", "deal", id), "admin", map[string]any{"version": 9, "name": "z"}, 409, "conflict"},
			{"POST", recPath("crm", "deal"), "admin", map[string]any{"name": 5}, 422, "unprocessable"},
			{"POST", "/api/auth/login", "", map[string]string{"email": "victim@example.com", "password": "wrong-password"}, 429, "too_many"},
			{"HEAD", "/api/apps", "admin", nil, 200, ""},
		} {
			e.do(t, c.as, c.method, c.path, c.body).want(t, c.status)
			want := fmt.Sprintf("msg=http method=%s path=%s status=%d ", c.method, c.path, c.status)
			var line string
			for _, l := range slices.Backward(e.log.Lines()) {
				if strings.Contains(l, want) {
					line = l
					break
				}
			}
			switch {
			case line == "":
				t.Errorf("no access log line %q in:\n%s", want, strings.Join(e.log.Lines(), "\n"))
			case c.code != "" && !strings.HasSuffix(line, " code="+c.code):
				t.Errorf("%s %s: log line lacks code=%s: %s", c.method, c.path, c.code, line)
			case c.code == "" && strings.Contains(line, " code="):
				t.Errorf("%s %s: a success logged with a code: %s", c.method, c.path, line)
			case !strings.Contains(line, " ip=127.0.0.1"):
				t.Errorf("%s %s: log line lacks the client address: %s", c.method, c.path, line)
			}
		}
	})
}

// A path that exists answers other methods with 405 and Allow (it was a
// 404 "No such endpoint"), OPTIONS with the Allow header, and HEAD
// wherever GET is served.
func TestMethods(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		id := e.create(t, "crm", "deal", map[string]any{"name": "x"}).str("id")
		allow := func(want string) func(t *testing.T, r *response) {
			return func(t *testing.T, r *response) {
				if got := r.Header.Get("Allow"); got != want {
					t.Errorf("Allow %q, want %q", got, want)
				}
			}
		}
		e.run(t, []scenario{
			{name: "delete on the app list", method: "DELETE", url: "/api/apps", as: "admin", status: 405,
				headers: []string{"Accept-Language", "en"},
				json: map[string]any{"code": "method_not_allowed",
					"detail": "DELETE is not allowed here; the allowed methods are GET, HEAD, OPTIONS, POST."},
				check: allow("GET, HEAD, OPTIONS, POST")},
			{name: "in Chinese", method: "PUT", url: appPath("crm"), as: "admin", status: 405,
				headers: []string{"Accept-Language", "zh-CN"}, contains: []string{"此处不支持 PUT 方法"},
				check: allow("DELETE, GET, HEAD, OPTIONS, PATCH")},
			{name: "without signing in", method: "PUT", url: recPath("crm", "deal"), status: 405,
				check: allow("GET, HEAD, OPTIONS, POST")},
			{name: "outside the api", method: "POST", url: "/healthz", status: 405, check: allow("GET, HEAD, OPTIONS")},
			{name: "post-only route", method: "GET", url: "/api/auth/login", status: 405, check: allow("OPTIONS, POST")},
			{name: "unknown paths stay 404", method: "DELETE", url: "/api/nope", as: "admin", status: 404},
			{name: "deeper unknown path", method: "POST", url: "/api/auth/login/x", status: 404},
			{name: "options", method: "OPTIONS", url: recIDPath("crm", "deal", id), status: 204,
				check: allow("DELETE, GET, HEAD, OPTIONS, PATCH")},
			{name: "options of an unknown path", method: "OPTIONS", url: "/api/nope", status: 404},
		})

		// HEAD on a route that has no GET (no body to check).
		r := e.do(t, "", "HEAD", "/api/auth/login", nil).want(t, 405)
		allow("OPTIONS, POST")(t, r)

		// HEAD: the GET's status and headers, no body.
		for _, c := range []struct {
			path, as string
			status   int
		}{
			{"/api/apps", "admin", 200},
			{recIDPath("crm", "deal", id), "admin", 200},
			{recPath("crm", "deal") + "?limit=1", "admin", 200},
			{"/healthz", "", 200},
			{"/", "", 200},
			{recIDPath("crm", "deal", noSuchID), "admin", 404},
			{"/api/apps", "", 401},
		} {
			get := e.do(t, c.as, "GET", c.path, nil).want(t, c.status)
			head := e.do(t, c.as, "HEAD", c.path, nil).want(t, c.status)
			if len(head.Body) != 0 {
				t.Errorf("HEAD %s has a body: %q", c.path, head.Body)
			}
			for _, h := range []string{"Content-Type", "Cache-Control", "WWW-Authenticate"} {
				if head.Header.Get(h) != get.Header.Get(h) {
					t.Errorf("HEAD %s: %s %q, GET has %q", c.path, h, head.Header.Get(h), get.Header.Get(h))
				}
			}
			if cl := head.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(get.Body)) {
				t.Errorf("HEAD %s: Content-Length %s, GET body is %d bytes", c.path, cl, len(get.Body))
			}
		}

		// Every path of every route: a method it lacks is a 405 whose
		// Allow names exactly the methods it has.
		h := server.New(server.NewServices(e.s), slog.New(slog.NewTextHandler(io.Discard, nil)))
		repl := strings.NewReplacer(":app", "crm", ":module", "deal", ":id", noSuchID, ":key", "k", ":token", "t")
		methods := map[string][]string{}
		for _, r := range h.Routes() {
			if r.Name == server.WrongMethodRoute {
				continue
			}
			switch r.Method {
			case "GET", "POST", "PUT", "PATCH", "DELETE":
				methods[repl.Replace(r.Path)] = append(methods[repl.Replace(r.Path)], r.Method)
			}
		}
		checked := 0
		for path, ms := range methods {
			if strings.HasSuffix(path, "*") {
				continue
			}
			want := slices.Clone(ms)
			if slices.Contains(ms, "GET") {
				want = append(want, "HEAD")
			}
			want = append(want, "OPTIONS")
			sort.Strings(want)
			for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
				if slices.Contains(ms, m) {
					continue
				}
				r := e.do(t, "admin", m, path, nil)
				if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != strings.Join(want, ", ") {
					t.Errorf("%s %s: status %d, Allow %q; want 405 with %q", m, path, r.Status, r.Header.Get("Allow"), strings.Join(want, ", "))
				}
				checked++
			}
		}
		if checked < 50 {
			t.Errorf("only %d wrong-method requests checked", checked)
		}
	})
}

// What encoding/json lets through silently is a 400: bytes that are not
// UTF-8 (they were stored as U+FFFD), the NUL character (a 422 before,
// now consistent with the UTF-8 case), and a key given twice.
func TestJSONBodyChecks(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		id := e.create(t, "crm", "deal", map[string]any{"name": "x"}).str("id")
		bad := func(name, method, url, body, detail string) scenario {
			return scenario{name: name, method: method, url: url, as: "admin", body: body, status: 400,
				headers: []string{"Accept-Language", "en"},
				json:    map[string]any{"code": "invalid", "detail": detail}}
		}
		deals := recPath("crm", "deal")
		e.run(t, []scenario{
			bad("raw invalid UTF-8", "POST", deals, "{\"name\":\"a\xffb\"}", "The request body is not valid UTF-8 (at byte 10)."),
			bad("truncated UTF-8 sequence", "POST", deals, "{\"name\":\"\xe5\x8d\"}", "The request body is not valid UTF-8 (at byte 9)."),
			bad("invalid UTF-8 in a key", "PATCH", recIDPath("crm", "deal", id), "{\"version\":1,\"n\xc3\":\"a\"}",
				"The request body is not valid UTF-8 (at byte 15)."),
			bad("escaped NUL", "POST", deals, `{"name":"a\u0000b"}`,
				`Text in the request body must not contain the NUL character (\u0000); found at "name".`),
			bad("NUL in a key", "POST", deals, `{"name":"a","x\u0000":1}`,
				`Text in the request body must not contain the NUL character (\u0000); found at "x\u0000".`),
			bad("NUL deep inside", "POST", appPath("crm")+"/modules",
				`{"key":"m","label":{"en":"M"},"schema":{"properties":{"a":{"x-field":{"type":"select","options":[{"value":"ok"},{"value":"b\u0000"}]}}}}}`,
				`Text in the request body must not contain the NUL character (\u0000); found at "schema.properties.a.x-field.options.1.value".`),
			bad("duplicate key", "POST", deals, `{"name":"a","amount":1,"name":"b"}`,
				`The key "name" appears twice in the same object of the request body.`),
			bad("duplicate key spelled with an escape", "POST", deals, `{"name":"a","\u006eame":"b"}`,
				`The key "name" appears twice in the same object of the request body.`),
			bad("duplicate key in a patch", "PATCH", recIDPath("crm", "deal", id), `{"version":1,"version":2}`,
				`The key "version" appears twice in the same object of the request body.`),
			bad("duplicate key nested", "PUT", modPath("crm", "deal"),
				`{"label":{"en":"Deal","en":"Deals"},"schema":{}}`,
				`The key "label.en" appears twice in the same object of the request body.`),
			bad("duplicate key at sign-in", "POST", "/api/auth/login", `{"email":"a@example.com","password":"x","password":"y"}`,
				`The key "password" appears twice in the same object of the request body.`),
			{name: "in Chinese", method: "POST", url: deals, as: "admin", body: `{"name":"a","name":"b"}`, status: 400,
				headers: []string{"Accept-Language", "zh-CN"}, contains: []string{"重复的键“name”"}},
			// What is fine: the same key in different objects, a real
			// U+FFFD, and a backslash followed by "u0000" as text.
			{name: "same key in two objects", method: "POST", url: appPath("crm") + "/modules", as: "admin",
				body:   `{"key":"twice","label":{"en":"T"},"schema":{"properties":{"a":{"x-field":{"type":"text","label":{"en":"A"}}},"b":{"x-field":{"type":"text","label":{"en":"B"}}}}}}`,
				status: 201},
			{name: "replacement character", method: "POST", url: deals, as: "admin", body: `{"name":"a` + "\uFFFD" + `"}`,
				status: 201, json: map[string]any{"name": "a\uFFFD"}},
			{name: "escaped backslash then u0000", method: "POST", url: deals, as: "admin", body: `{"name":"a\\u0000"}`,
				status: 201, json: map[string]any{"name": `a\u0000`}},
		})
		// Nothing refused was stored.
		if n := e.count(t, "crm", "deal"); n != 3 {
			t.Errorf("%d deals, want 3", n)
		}
		e.record(t, "crm", "deal", id).json(t, map[string]any{"version": 1, "name": "x"})
	})
}

// Every 401 carries the Bearer challenge; a wrong password too.
func TestUnauthorizedChallenge(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for _, c := range []struct {
			name, method, path string
			body               any
			hdr                []string
			want               string
		}{
			{"wrong password", "POST", "/api/auth/login", map[string]string{"email": adminEmail, "password": "wrong-password"}, nil, `Bearer realm="tessera"`},
			{"no credentials", "GET", "/api/auth/me", nil, nil, `Bearer realm="tessera"`},
			{"forged bearer", "GET", "/api/apps", nil, []string{"Authorization", "Bearer not-a-token"}, `Bearer realm="tessera", error="invalid_token"`},
			{"forged cookie (a browser)", "GET", "/api/apps", nil, []string{"Cookie", "tessera_session=not-a-token"}, `Bearer realm="tessera", error="invalid_token"`},
		} {
			r := e.do(t, "", c.method, c.path, c.body, c.hdr...).want(t, 401)
			if got := r.Header.Get("WWW-Authenticate"); got != c.want {
				t.Errorf("%s: WWW-Authenticate %q, want %q", c.name, got, c.want)
			}
		}
		// Other errors carry none.
		if r := e.do(t, "user", "POST", "/api/users", map[string]any{}).want(t, 403); r.Header.Get("WWW-Authenticate") != "" {
			t.Errorf("403 with WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
		}
	})
}
