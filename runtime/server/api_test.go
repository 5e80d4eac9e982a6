package server_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"github.com/tessera-app/tessera/engine/access"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/runtime/server"
)

const noSuchID = "0190d1a2-0000-7000-8000-000000000000"

// ---------------------------------------------------------------------------
// Public routes and sign-in

func TestPublicRoutes(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.run(t, []scenario{
			{name: "healthz", method: "GET", url: "/healthz", status: 200,
				json: map[string]any{"status": "ok", "database": e.s.D.Name()}},
			{name: "home leads to the web app (or its placeholder)", method: "GET", url: "/", status: 200,
				check: func(t *testing.T, r *response) {
					if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-eval") {
						t.Errorf("page policy = %q", csp)
					}
				}},
			{name: "unknown api path is a 404 problem", method: "GET", url: "/api/nope", status: 404,
				json: map[string]any{"code": "not_found"}},
			{name: "unknown api path with a token", method: "POST", url: "/api/nope/deeper", as: "admin", status: 404},
			{name: "unknown non-api path", method: "GET", url: "/nope", status: 404},
			{name: "security headers", method: "GET", url: "/healthz", status: 200,
				check: func(t *testing.T, r *response) {
					if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("X-Frame-Options") != "DENY" {
						t.Errorf("missing security headers: %v", r.Header)
					}
				}},
		})
	})
}

// apiRoutes lists every registered /api route with its parameters filled
// in, except sign-in itself.
func apiRoutes(t *testing.T, e *env) []string {
	t.Helper()
	h := server.New(server.NewServices(e.s), slog.New(slog.NewTextHandler(io.Discard, nil)))
	repl := strings.NewReplacer(":app", "crm", ":module", "deal", ":id", noSuchID)
	var out []string
	for _, r := range h.Routes() {
		switch r.Method {
		case "GET", "POST", "PUT", "PATCH", "DELETE":
		default:
			continue
		}
		if r.Name == server.WrongMethodRoute {
			continue // a 405, before any sign-in, as for any wrong method
		}
		// Public by design: sign-in, inbound webhooks, public forms and
		// views (the URL is the secret) and the region list they pick from.
		if !strings.HasPrefix(r.Path, "/api/") || strings.HasSuffix(r.Path, "*") || r.Path == "/api/auth/login" || r.Path == "/api/hooks/:token" ||
			r.Path == "/api/regions" ||
			strings.HasPrefix(r.Path, "/api/public/") {
			continue
		}
		out = append(out, r.Method+" "+repl.Replace(r.Path))
	}
	sort.Strings(out)
	if len(out) < 15 {
		t.Fatalf("only %d /api routes found: %v", len(out), out)
	}
	return out
}

func TestEveryAPIRouteRequiresSignIn(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		// A session that was signed out.
		e.tokens["gone"] = e.login(t, userEmail, password)
		e.do(t, "gone", "POST", "/api/auth/logout", nil).want(t, 204)
		e.tokens["garbage"] = "not-a-real-token"
		e.tokens["long"] = strings.Repeat("x", 5000)

		for _, route := range apiRoutes(t, e) {
			method, path, _ := strings.Cut(route, " ")
			for _, who := range []string{"", "garbage", "long", "gone", "cookie"} {
				var r *response
				if who == "cookie" { // a browser with a stale session cookie
					r = e.do(t, "", method, path, `{}`, "Cookie", "tessera_session="+e.tokens["gone"])
				} else {
					r = e.do(t, who, method, path, `{}`)
				}
				if r.Status != 401 {
					t.Errorf("%s as %q: status %d, want 401; body %s", route, who, r.Status, r.Body)
					continue
				}
				checkProblem(t, r)
				// Every 401 names the scheme to use; a refused credential says so.
				want := `Bearer realm="tessera", error="invalid_token"`
				if who == "" {
					want = `Bearer realm="tessera"`
				}
				if got := r.Header.Get("WWW-Authenticate"); got != want {
					t.Errorf("%s as %q: WWW-Authenticate %q, want %q", route, who, got, want)
				}
			}
		}
		// The public route and the data are unaffected.
		if n := e.count(t, "crm", "deal"); n != 0 {
			t.Errorf("deal count %d after anonymous writes, want 0", n)
		}
	})
}

func TestSignIn(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		var wrongPassword, unknownEmail string
		e.run(t, []scenario{
			{name: "wrong password", method: "POST", url: "/api/auth/login", headers: []string{"Accept-Language", "en"},
				body: map[string]string{"email": adminEmail, "password": "wrong-password"}, status: 401,
				json:        map[string]any{"code": "unauthorized"},
				notContains: []string{"token"},
				check:       func(t *testing.T, r *response) { wrongPassword = r.str("detail") }},
			{name: "unknown email", method: "POST", url: "/api/auth/login", headers: []string{"Accept-Language", "en"},
				body: map[string]string{"email": "nobody@example.com", "password": password}, status: 401,
				check: func(t *testing.T, r *response) { unknownEmail = r.str("detail") }},
			{name: "same message either way", method: "GET", url: "/healthz", status: 200,
				check: func(t *testing.T, r *response) {
					if wrongPassword == "" || wrongPassword != unknownEmail {
						t.Errorf("wrong password says %q, unknown email says %q", wrongPassword, unknownEmail)
					}
				}},
			{name: "email is case-insensitive", method: "POST", url: "/api/auth/login",
				body: map[string]string{"email": " ADMIN@Example.com ", "password": password}, status: 200,
				json: map[string]any{"user.email": adminEmail, "user.is_admin": true}},
			{name: "login sets the session cookie", method: "POST", url: "/api/auth/login",
				body: map[string]string{"email": userEmail, "password": password}, status: 200,
				check: func(t *testing.T, r *response) {
					c := r.Header.Get("Set-Cookie")
					if !strings.Contains(c, "tessera_session="+r.str("token")) || !strings.Contains(c, "HttpOnly") {
						t.Errorf("Set-Cookie %q", c)
					}
				}},
			{name: "login with unknown json field", method: "POST", url: "/api/auth/login",
				body: map[string]string{"email": userEmail, "password": password, "admin": "yes"}, status: 400},
			{name: "login malformed", method: "POST", url: "/api/auth/login", body: `{"email":`, status: 400},
			{name: "me as admin", method: "GET", url: "/api/auth/me", as: "admin", status: 200,
				json:        map[string]any{"email": adminEmail, "is_admin": true, "id": e.ids["admin"], "name": "Ada Admin"},
				notContains: []string{"password", "hash"}},
			{name: "me as user", method: "GET", url: "/api/auth/me", as: "user", status: 200,
				json: map[string]any{"email": userEmail, "is_admin": false, "locale": "zh-CN"}},
			{name: "bearer is case-insensitive", method: "GET", url: "/api/auth/me", status: 200,
				headers: []string{"Authorization", "bearer " + e.tokens["user"]}, json: map[string]any{"email": userEmail}},
			{name: "cookie auth", method: "GET", url: "/api/auth/me", status: 200,
				headers: []string{"Cookie", "tessera_session=" + e.tokens["admin"]}, json: map[string]any{"email": adminEmail}},
			{name: "bad cookie", method: "GET", url: "/api/auth/me", status: 401,
				headers: []string{"Cookie", "tessera_session=nope"}},
		})
	})
}

func TestLogout(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		other := e.login(t, userEmail, password) // a second session of the same user
		e.do(t, "user", "POST", "/api/auth/logout", nil).want(t, 204)
		e.do(t, "user", "GET", "/api/auth/me", nil).want(t, 401)
		e.do(t, "user", "GET", "/api/apps", nil).want(t, 401)
		e.do(t, "user", "POST", "/api/auth/logout", nil).want(t, 401)
		// Only that session ended.
		e.tokens["other"] = other
		e.do(t, "other", "GET", "/api/auth/me", nil).want(t, 200)

		// Cookie sign-out (with the session's CSRF token, as every
		// cookie-authenticated write): the cookie is cleared and the session is gone.
		tok := e.login(t, adminEmail, password)
		r := e.do(t, "", "POST", "/api/auth/logout", nil, "Cookie", "tessera_session="+tok, "X-CSRF-Token", access.CSRFToken(tok)).want(t, 204)
		if c := r.Header.Get("Set-Cookie"); !strings.Contains(c, "tessera_session=;") || !strings.Contains(c, "Max-Age=0") {
			t.Errorf("logout Set-Cookie %q", c)
		}
		e.do(t, "", "GET", "/api/auth/me", nil, "Cookie", "tessera_session="+tok).want(t, 401)
	})
}

// ---------------------------------------------------------------------------
// Apps

func TestOnlyAdminsChangeMetadata(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		e.do(t, "user", "GET", modPath("crm", "deal"), nil).want(t, 403) // no role: not even the definition
		e.grantMember(t)                                                 // readers of a module may read its definition, not change it
		newMod := map[string]any{"key": "x", "label": label("x"), "schema": props(`"a":{"x-field":{"type":"text"}}`)}
		e.run(t, []scenario{
			{name: "user cannot create an app", method: "POST", url: "/api/apps", as: "user",
				body: map[string]any{"key": "sales", "label": label("Sales")}, status: 403, json: map[string]any{"code": "forbidden"}},
			{name: "user cannot relabel an app", method: "PATCH", url: appPath("crm"), as: "user",
				body: map[string]any{"label": label("X")}, status: 403},
			{name: "user cannot delete an app", method: "DELETE", url: appPath("crm"), as: "user", status: 403},
			{name: "user cannot create a module", method: "POST", url: appPath("crm") + "/modules", as: "user", body: newMod, status: 403},
			{name: "user cannot replace a module", method: "PUT", url: modPath("crm", "deal"), as: "user", body: newMod, status: 403},
			{name: "user cannot delete a module", method: "DELETE", url: modPath("crm", "deal"), as: "user", status: 403},
			{name: "nothing changed", method: "GET", url: "/api/apps", as: "user", status: 200,
				json: map[string]any{"apps.#": 1, "apps.0.key": "crm", "apps.0.label.en": "crm"}},
			{name: "user lists modules", method: "GET", url: appPath("crm") + "/modules", as: "user", status: 200,
				json: map[string]any{"modules.#": 2, "modules.0.key": "account", "modules.1.key": "deal"}},
			{name: "user reads a module", method: "GET", url: modPath("crm", "deal"), as: "user", status: 200,
				json: map[string]any{"key": "deal", "version": 1}},
			{name: "user reads versions", method: "GET", url: modPath("crm", "deal") + "/versions", as: "user", status: 200,
				json: map[string]any{"versions.#": 1}},
		})

		// Non-admins may write records (with the role granted above).
		r := e.do(t, "user", "POST", recPath("crm", "deal"), map[string]any{"name": "by user"}).want(t, 201)
		id := r.str("id")
		if r.str("owner") != e.ids["user"] || r.str("created_by") != e.ids["user"] {
			t.Errorf("owner/created_by = %q/%q, want %q", r.str("owner"), r.str("created_by"), e.ids["user"])
		}
		e.do(t, "user", "GET", recIDPath("crm", "deal", id), nil).want(t, 200)
		e.do(t, "user", "GET", recPath("crm", "deal"), nil).want(t, 200)
		r = e.do(t, "user", "PATCH", recIDPath("crm", "deal", id), map[string]any{"version": 1, "name": "edited"}).want(t, 200)
		if r.str("name") != "edited" {
			t.Errorf("patched name %q", r.str("name"))
		}
		e.do(t, "user", "DELETE", recIDPath("crm", "deal", id), nil).want(t, 204)
		e.do(t, "user", "POST", recIDPath("crm", "deal", id)+"/restore", nil).want(t, 200)
	})
}

// grantMember gives the non-admin user every record action on the modules
// of app "crm" (account, deal), through the roles API when the server has one (without
// roles, every signed-in user may write records). A user without a role
// is refused record writes.
func (e *env) grantMember(t *testing.T) {
	t.Helper()
	var perms []map[string]any
	for _, mod := range []string{"account", "deal"} {
		perms = append(perms, map[string]any{"app": "crm", "module": mod, "actions": []string{"create", "read", "update", "delete"},
			"scope": map[string]string{"read": "all", "update": "all", "delete": "all"}})
	}
	member := map[string]any{"key": "member", "label": label("Member"), "permissions": perms}
	r := e.do(t, "admin", "POST", "/api/roles", member)
	if r.Status == http.StatusNotFound {
		return // no roles yet: records are open to every signed-in user
	}
	r.want(t, 201)
	e.do(t, "user", "POST", recPath("crm", "deal"), map[string]any{"name": "before the role"}).want(t, 403)
	e.do(t, "admin", "PATCH", "/api/users/"+e.ids["user"], map[string]any{"roles": []string{"member"}}).want(t, 200)
}

func TestApps(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		badKey := func(key string) scenario {
			return scenario{name: "bad key " + key, method: "POST", url: "/api/apps", as: "admin",
				body: map[string]any{"key": key, "label": label("x")}, status: 422, fieldErrors: []string{"key:bad_key"}}
		}
		e.run(t, []scenario{
			{name: "empty list", method: "GET", url: "/api/apps", as: "admin", status: 200, json: map[string]any{"apps": []any{}}},
			{name: "create", method: "POST", url: "/api/apps", as: "admin",
				body: map[string]any{"key": "sales", "label": map[string]string{"en": "Sales", "zh-CN": "销售"}}, status: 201,
				json: map[string]any{"key": "sales", "label.zh-CN": "销售"},
				check: func(t *testing.T, r *response) {
					if r.str("id") == "" || r.str("created_at") == "" {
						t.Errorf("missing id/created_at: %s", r.Body)
					}
				}},
			{name: "duplicate key", method: "POST", url: "/api/apps", as: "admin",
				body: map[string]any{"key": "sales", "label": label("again")}, status: 409, json: map[string]any{"code": "conflict"}},
			badKey("Sales"),
			badKey("a; drop table apps"),
			badKey(strings.Repeat("a", meta.MaxAppKey+1)),
			badKey("1sales"),
			badKey("a__b"),
			badKey("sales_"),
			badKey(""),
			{name: "missing label", method: "POST", url: "/api/apps", as: "admin",
				body: map[string]any{"key": "nolabel"}, status: 422, fieldErrors: []string{"label:required"}},
			{name: "unknown body field", method: "POST", url: "/api/apps", as: "admin",
				body: map[string]any{"key": "x", "label": label("x"), "color": "red"}, status: 400},
			{name: "max length key is fine", method: "POST", url: "/api/apps", as: "admin",
				body: map[string]any{"key": strings.Repeat("a", meta.MaxAppKey), "label": label("long")}, status: 201},
			{name: "list", method: "GET", url: "/api/apps", as: "admin", status: 200,
				json: map[string]any{"apps.#": 2, "apps.0.key": strings.Repeat("a", meta.MaxAppKey), "apps.1.key": "sales"}},
			{name: "get one", method: "GET", url: appPath("sales"), as: "admin", status: 200,
				json: map[string]any{"key": "sales", "label.en": "Sales"}},
			// Issue 7 item 14: an app the user holds no permission in is absent.
			{name: "get one without a permission in it", method: "GET", url: appPath("sales"), as: "user", status: 404},
			{name: "get missing", method: "GET", url: appPath("nope"), as: "admin", status: 404},
			{name: "patch label", method: "PATCH", url: appPath("sales"), as: "admin",
				body: map[string]any{"label": map[string]string{"en": "Revenue"}}, status: 200,
				json: map[string]any{"key": "sales", "label": map[string]string{"en": "Revenue"}}},
			{name: "patch is persisted", method: "GET", url: appPath("sales"), as: "admin", status: 200,
				json: map[string]any{"label": map[string]string{"en": "Revenue"}}},
			{name: "patch with a too long label", method: "PATCH", url: appPath("sales"), as: "admin",
				body: map[string]any{"label": map[string]string{"en": strings.Repeat("x", 201)}}, status: 422, fieldErrors: []string{"label:too_long"}},
			{name: "patch with empty label", method: "PATCH", url: appPath("sales"), as: "admin",
				body: map[string]any{"label": map[string]string{}}, status: 422, fieldErrors: []string{"label"}},
			{name: "patch cannot change the key", method: "PATCH", url: appPath("sales"), as: "admin",
				body: map[string]any{"key": "other", "label": label("x")}, status: 400},
			{name: "patch missing app", method: "PATCH", url: appPath("nope"), as: "admin",
				body: map[string]any{"label": label("x")}, status: 404},
		})
	})
}

func TestDeleteApp(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		acc := e.create(t, "crm", "account", map[string]any{"name": "Acme"}).str("id")
		e.create(t, "crm", "deal", map[string]any{"name": "d1", "account": acc})
		// What else an app holds goes with it (on SQLite the schema
		// transaction runs with foreign keys off, so each is deleted by hand).
		e.do(t, "admin", "POST", appPath("crm")+"/dashboards", map[string]any{"key": "d", "label": map[string]string{"en": "D"},
			"widgets": []any{map[string]any{"key": "n", "type": "kpi", "x": 0, "y": 0, "w": 3, "h": 2,
				"query": map[string]any{"module": "deal", "measures": []any{map[string]any{"op": "count"}}}}}}).want(t, 201)
		e.do(t, "admin", "POST", appPath("crm")+"/print-templates", map[string]any{"key": "p", "module": "deal", "label": map[string]string{"en": "P"},
			"layout": map[string]any{"title": "Deal", "blocks": []any{map[string]any{"type": "fields", "fields": []string{"name"}}}}}).want(t, 201)
		e.do(t, "admin", "POST", appPath("crm")+"/approvals", map[string]any{"key": "a", "label": map[string]string{"en": "A"}, "module": "deal",
			"steps": []any{map[string]any{"key": "one", "label": map[string]string{"en": "One"}, "mode": "any",
				"approvers": map[string]any{"type": "users", "users": []string{e.ids["admin"]}}}}}).want(t, 201)
		for _, tbl := range []string{"t_crm__account", "t_crm__deal"} {
			if !e.tableExists(t, tbl) {
				t.Fatalf("%s missing before delete", tbl)
			}
		}
		e.do(t, "admin", "DELETE", appPath("crm"), nil).want(t, 204)
		for _, tbl := range []string{"t_crm__account", "t_crm__deal"} {
			if e.tableExists(t, tbl) {
				t.Errorf("%s still exists after the app was deleted", tbl)
			}
		}
		e.run(t, []scenario{
			{name: "app is gone", method: "GET", url: appPath("crm"), as: "admin", status: 404},
			{name: "modules are gone", method: "GET", url: appPath("crm") + "/modules", as: "admin", status: 404},
			{name: "module is gone", method: "GET", url: modPath("crm", "deal"), as: "admin", status: 404},
			{name: "records are gone", method: "GET", url: recPath("crm", "deal"), as: "admin", status: 404},
			{name: "delete again", method: "DELETE", url: appPath("crm"), as: "admin", status: 404},
			{name: "list is empty", method: "GET", url: "/api/apps", as: "admin", status: 200, json: map[string]any{"apps.#": 0}},
		})
		for _, tbl := range []string{"dashboards", "print_templates", "approval_processes"} {
			var n int
			if err := e.s.R.QueryRow(`SELECT count(*) FROM ` + tbl).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s: %d rows left (%v)", tbl, n, err)
			}
		}
		// The key and the table names can be used again.
		e.crm(t)
		if n := e.count(t, "crm", "deal"); n != 0 {
			t.Errorf("recreated deal has %d records", n)
		}
		e.do(t, "admin", "GET", appPath("crm")+"/dashboards/d", nil).want(t, 404)
	})
}

// ---------------------------------------------------------------------------
// Modules

func TestModuleEveryFieldType(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.createApp(t, "crm")
		e.createModule(t, "crm", "account", schema(t, "account"))
		r := e.createModule(t, "crm", "thing", schema(t, "all_types"))
		if r.num("version") != 1 || r.str("app") != "crm" || r.str("key") != "thing" {
			t.Errorf("created module: %s", r.Body)
		}

		// Every registered type is covered by the fixture.
		var doc struct {
			Properties map[string]struct {
				XField struct{ Type string } `json:"x-field"`
			}
		}
		json.Unmarshal(schema(t, "all_types"), &doc)
		var covered []string
		for _, p := range doc.Properties {
			covered = append(covered, p.XField.Type)
		}
		sort.Strings(covered)
		covered = slices.Compact(covered) // a rollup needs a second lookup
		if !slices.Equal(covered, meta.TypeNames()) {
			t.Errorf("fixture covers %v, registry has %v", covered, meta.TypeNames())
		}

		got := e.do(t, "admin", "GET", modPath("crm", "thing"), nil).want(t, 200)
		// Properties come back in declared order, normalized.
		want := []string{"title", "body", "score", "qty", "price", "cost", "rate", "active", "due", "at",
			"mail", "phone", "site", "status", "tags", "account", "assignee", "seq", "extra", "total", "parent", "children", "industry", "area"}
		if order := propertyOrder(t, got); !slices.Equal(order, want) {
			t.Errorf("property order %v, want %v", order, want)
		}
		for path, v := range map[string]any{
			"schema.$schema":                           meta.Draft2020,
			"schema.additionalProperties":              false,
			"schema.required":                          []string{"title"},
			"schema.properties.qty.type":               "integer",
			"schema.properties.qty.minimum":            0,
			"schema.properties.mail.format":            "email",
			"schema.properties.site.format":            "uri",
			"schema.properties.due.format":             "date",
			"schema.properties.at.format":              "date-time",
			"schema.properties.account.format":         "uuid",
			"schema.properties.status.enum":            []string{"open", "done"},
			"schema.properties.tags.type":              "array",
			"schema.properties.tags.items.enum":        []string{"a", "b", "c"},
			"schema.properties.tags.uniqueItems":       true,
			"schema.properties.active.type":            "boolean",
			"schema.properties.price.x-field.scale":    3,
			"schema.properties.status.x-field.type":    "select",
			"schema.properties.title.x-field.label.en": "Title",
		} {
			if g := got.get(path); !jsonEqual(g, v) {
				t.Errorf("%s = %#v, want %#v", path, g, v)
			}
		}
		if got.get("schema.properties.extra.type") != nil {
			t.Errorf("json field got a type: %v", got.get("schema.properties.extra"))
		}
		// The normalized schema is accepted back unchanged, as is.
		again := e.do(t, "admin", "PUT", modPath("crm", "thing"),
			map[string]any{"label": label("thing"), "schema": got.raw(t, "schema"), "version": 1}).want(t, 200)
		if string(again.raw(t, "schema")) != string(got.raw(t, "schema")) || again.num("version") != 2 {
			t.Errorf("normalizing twice changed the schema:\n%s\n%s", got.raw(t, "schema"), again.raw(t, "schema"))
		}

		// A record with every type round-trips.
		acc := e.create(t, "crm", "account", map[string]any{"name": "Acme"}).str("id")
		in := map[string]any{
			"title": "全部类型", "body": "line 1\nline 2", "score": 1.5, "qty": 7, "price": 12.125, "cost": 99.99,
			"rate": 0.125, "active": true, "due": "2026-03-01", "at": "2026-03-01T08:30:00Z", "mail": "a@example.com",
			"phone": "+86 10 1234 5678", "site": "https://example.com/x", "status": "open", "tags": []string{"a", "c"},
			"account": acc, "assignee": e.ids["user"], "extra": map[string]any{"k": []any{1, "two", nil}},
			"industry": "mfg_auto", "area": "310115",
		}
		rec := e.create(t, "crm", "thing", in)
		for k, v := range in {
			if g := rec.get(k); !jsonEqual(g, v) {
				t.Errorf("created %s = %#v, want %#v", k, g, v)
			}
		}
		wantSeq := fmt.Sprintf("S%d-001", time.Now().UTC().Year())
		if rec.str("seq") != wantSeq {
			t.Errorf("seq = %q, want %q", rec.str("seq"), wantSeq)
		}
		read := e.record(t, "crm", "thing", rec.str("id"))
		for k, v := range in {
			if g := read.get(k); !jsonEqual(g, v) {
				t.Errorf("read %s = %#v, want %#v", k, g, v)
			}
		}
		// Expanding a user field gives the user's summary.
		ex := e.do(t, "admin", "GET", recIDPath("crm", "thing", rec.str("id"))+"?expand=assignee,account", nil).want(t, 200)
		if ex.str("expand.assignee.email") != userEmail || ex.str("expand.account.name") != "Acme" {
			t.Errorf("expand: %s", ex.Body)
		}
		if strings.Contains(string(ex.Body), "password") {
			t.Errorf("expanded user leaks password data: %s", ex.Body)
		}
	})
}

// Values of every kind survive storage exactly and filter and sort alike on
// both dialects.
func TestFieldValues(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.createApp(t, "crm")
		e.createModule(t, "crm", "account", schema(t, "account"))
		e.createModule(t, "crm", "thing", schema(t, "all_types"))
		acc := e.create(t, "crm", "account", map[string]any{"name": "Acme"}).str("id")
		mk := func(body string) string {
			t.Helper()
			return e.do(t, "admin", "POST", recPath("crm", "thing"), body).want(t, 201).str("id")
		}
		a := mk(`{"title":"a","qty":9223372036854775807,"cost":1234567890123.45,"price":0.001,"rate":12.3456,
			"at":"2026-03-01T08:30:00+08:00","due":"2026-02-28","active":true,"tags":["a","b"],"account":"` + acc + `","assignee":"` + e.ids["user"] + `"}`)
		b := mk(`{"title":"b","qty":0,"cost":0.01,"price":9999999.999,
			"at":"2026-03-01T00:30:00.123456Z","due":"2026-03-01","active":false,"tags":["c"]}`)
		// 18 significant digits fit currency's NUMERIC(18,2) on PostgreSQL;
		// SQLite stores decimals as 64-bit floats and refuses more than 15
		// significant digits rather than round them.
		const bigCost = `9999999999999999.99`
		var c string
		if e.s.D.Name() == "postgres" {
			c = mk(`{"title":"c","cost":` + bigCost + `,"score":1e300}`)
		} else {
			e.do(t, "admin", "POST", recPath("crm", "thing"), `{"title":"c","cost":`+bigCost+`}`).want(t, 422).json(t,
				map[string]any{"errors.0.field": "cost", "errors.0.code": "precision"})
			c = mk(`{"title":"c","cost":999999999999999,"score":1e300}`) // 15 digits are fine
		}

		ra := e.record(t, "crm", "thing", a)
		rb := e.record(t, "crm", "thing", b)
		rc := e.record(t, "crm", "thing", c)
		for _, want := range []struct {
			r    *response
			frag string
		}{
			{ra, `"qty":9223372036854775807`},
			{rb, `"qty":0`},
			{ra, `"cost":1234567890123.45`},
			{rb, `"cost":0.01`},
			{ra, `"price":0.001`},
			{rb, `"price":9999999.999`},
			{ra, `"rate":12.3456`},
			{ra, `"at":"2026-03-01T00:30:00Z"`},
			{rb, `"at":"2026-03-01T00:30:00.123456Z"`},
			{ra, `"due":"2026-02-28"`},
			{ra, `"tags":["a","b"]`},
		} {
			if !strings.Contains(string(want.r.Body), want.frag) {
				t.Errorf("stored value differs: want %s in %s", want.frag, want.r.Body)
			}
		}
		if rc.num("score") != 1e300 {
			t.Errorf("score = %v, want 1e300", rc.get("score"))
		}
		if e.s.D.Name() == "postgres" && !strings.Contains(string(rc.Body), `"cost":`+bigCost) {
			t.Errorf("stored value differs: want cost %s in %s", bigCost, rc.Body)
		}
		titles := func(want ...string) func(t *testing.T, r *response) {
			return func(t *testing.T, r *response) {
				var got []string
				for _, rec := range r.list("records") {
					got = append(got, rec.(map[string]any)["title"].(string))
				}
				if !slices.Equal(got, want) {
					t.Errorf("titles %q, want %q", got, want)
				}
			}
		}
		q := func(filter, sort string) string {
			return recPath("crm", "thing") + "?filter=" + url.QueryEscape(filter) + "&sort=" + url.QueryEscape(sort)
		}
		e.run(t, []scenario{
			{name: "integer extremes sort", method: "GET", as: "admin", status: 200, url: q(`qty != nil`, "qty"), check: titles("b", "a")},
			{name: "int64 max filter", method: "GET", as: "admin", status: 200, url: q(`qty == 9223372036854775807`, ""), check: titles("a")},
			{name: "datetime filter by instant", method: "GET", as: "admin", status: 200, url: q(`at == "2026-03-01T00:30:00Z"`, ""), check: titles("a")},
			{name: "datetime range", method: "GET", as: "admin", status: 200, url: q(`at > "2026-03-01T00:30:00Z"`, ""), check: titles("b")},
			{name: "datetime sort", method: "GET", as: "admin", status: 200, url: q(`at != nil`, "-at"), check: titles("b", "a")},
			{name: "date filter", method: "GET", as: "admin", status: 200, url: q(`due >= "2026-03-01"`, ""), check: titles("b")},
			{name: "date sort", method: "GET", as: "admin", status: 200, url: q(``, "due,title"), check: titles("a", "b", "c")},
			{name: "boolean filter", method: "GET", as: "admin", status: 200, url: q(`active == false`, ""), check: titles("b")},
			{name: "bare boolean", method: "GET", as: "admin", status: 200, url: q(`active`, ""), check: titles("a")},
			{name: "not boolean includes empty", method: "GET", as: "admin", status: 200, url: q(`!active`, "title"), check: titles("b", "c")},
			{name: "boolean sort", method: "GET", as: "admin", status: 200, url: q(``, "active,title"), check: titles("b", "a", "c")},
			{name: "multiselect contains", method: "GET", as: "admin", status: 200, url: q(`"b" in tags`, ""), check: titles("a")},
			{name: "multiselect not contains", method: "GET", as: "admin", status: 200, url: q(`not ("b" in tags)`, "title"), check: titles("b", "c")},
			{name: "lookup filter", method: "GET", as: "admin", status: 200, url: q(`account == "`+acc+`"`, ""), check: titles("a")},
			{name: "user filter", method: "GET", as: "admin", status: 200, url: q(`assignee == "`+e.ids["user"]+`"`, ""), check: titles("a")},
			{name: "decimal filter", method: "GET", as: "admin", status: 200, url: q(`cost > 1000000`, "cost"), check: titles("a", "c")},
			{name: "decimal equality", method: "GET", as: "admin", status: 200, url: q(`cost == 1234567890123.45`, ""), check: titles("a")},
			{name: "too many decimals", method: "POST", url: recPath("crm", "thing"), as: "admin", body: `{"title":"x","cost":1.005}`,
				status: 422, fieldErrors: []string{"cost:scale"}},
			{name: "too many digits", method: "POST", url: recPath("crm", "thing"), as: "admin", body: `{"title":"x","price":12345678.5}`,
				status: 422, fieldErrors: []string{"price:precision"}},
			{name: "int64 overflow", method: "POST", url: recPath("crm", "thing"), as: "admin", body: `{"title":"x","qty":9223372036854775808}`,
				status: 422, fieldErrors: []string{"qty:out_of_range"}},
			{name: "minimum", method: "POST", url: recPath("crm", "thing"), as: "admin", body: `{"title":"x","qty":-1}`,
				status: 422, fieldErrors: []string{"qty:minimum"}},
			{name: "huge exponent", method: "POST", url: recPath("crm", "thing"), as: "admin", body: `{"title":"x","score":1e999999999}`,
				status: 422, fieldErrors: []string{"score"}},
			{name: "bad datetime", method: "POST", url: recPath("crm", "thing"), as: "admin", body: `{"title":"x","at":"2026-03-01 08:30"}`,
				status: 422, fieldErrors: []string{"at:format"}},
			{name: "bad url", method: "POST", url: recPath("crm", "thing"), as: "admin", body: `{"title":"x","site":"example.com"}`,
				status: 422, fieldErrors: []string{"site:format"}},
			{name: "duplicate tags", method: "POST", url: recPath("crm", "thing"), as: "admin", body: `{"title":"x","tags":["a","a"]}`,
				status: 422, fieldErrors: []string{"tags"}},
			{name: "unknown tag", method: "POST", url: recPath("crm", "thing"), as: "admin", body: `{"title":"x","tags":["z"]}`,
				status: 422, fieldErrors: []string{"tags"}},
			{name: "unknown user", method: "POST", url: recPath("crm", "thing"), as: "admin", body: `{"title":"x","assignee":"` + noSuchID + `"}`,
				status: 422, fieldErrors: []string{"assignee:not_found"}},
			{name: "nothing partial", method: "GET", as: "admin", status: 200, url: recPath("crm", "thing") + "?total=true", json: map[string]any{"total": 3}},
		})
		if e.s.D.Name() == "postgres" {
			// A filter literal must compare at the field's full precision,
			// not rounded through a float64 (which makes it 1e16).
			e.run(t, []scenario{
				{name: "decimal literal at full precision ==", method: "GET", as: "admin", status: 200, url: q(`cost == `+bigCost, ""), check: titles("c")},
				{name: "decimal literal at full precision >", method: "GET", as: "admin", status: 200, url: q(`cost > 9999999999999999.98`, ""), check: titles("c")},
			})
		}
	})
}

// propertyOrder reads the keys of schema.properties in document order.
func propertyOrder(t *testing.T, r *response) []string {
	t.Helper()
	var m struct {
		Schema struct {
			Properties json.RawMessage `json:"properties"`
		} `json:"schema"`
	}
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(m.Schema.Properties)))
	dec.Token()
	var keys []string
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	return keys
}

func TestModuleSchemaErrors(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		mod := func(name, key, sch string, status int, fieldErrors ...string) scenario {
			var body any = map[string]any{"key": key, "label": label(key), "schema": json.RawMessage(sch)}
			return scenario{name: name, method: "POST", url: appPath("crm") + "/modules", as: "admin",
				headers: []string{"Accept-Language", "en"}, body: body, status: status, fieldErrors: fieldErrors}
		}
		p := func(s string) string { return string(props(s)) }
		scs := []scenario{
			mod("unknown field type", "m1", p(`"a":{"x-field":{"type":"money"}}`), 422, "a.x-field.type:unknown_type"),
			mod("sql in a field key", "m2", p(`"a; drop table users":{"x-field":{"type":"text"}}`), 422, "a; drop table users:bad_key"),
			mod("quote in a field key", "m3", p(`"a\"b":{"x-field":{"type":"text"}}`), 422, `a"b:bad_key`),
			mod("upper-case field key", "m4", p(`"Name":{"x-field":{"type":"text"}}`), 422, "Name:bad_key"),
			mod("field key too long", "m5", p(`"`+strings.Repeat("a", meta.MaxFieldKey+1)+`":{"x-field":{"type":"text"}}`), 422,
				strings.Repeat("a", meta.MaxFieldKey+1)+":bad_key"),
			mod("field without x-field", "m6", p(`"a":{"type":"string"}`), 422, "a.x-field:x_field_required"),
			mod("unknown x-field keyword", "m7", p(`"a":{"x-field":{"type":"text","colour":"red"}}`), 422, "a.x-field:schema"),
			mod("unknown property keyword", "m8", p(`"a":{"frobnicate":1,"x-field":{"type":"text"}}`), 422, "a:schema"),
			mod("type mismatch", "m9", p(`"a":{"type":"number","x-field":{"type":"text"}}`), 422, "a.type:type_mismatch"),
			mod("select without options", "m10", p(`"a":{"x-field":{"type":"select"}}`), 422, "a.x-field.options:options_required"),
			mod("duplicate options", "m11", p(`"a":{"x-field":{"type":"select","options":[{"value":"x"},{"value":"x"}]}}`), 422, "a.x-field.options:bad_option"),
			mod("lookup to a missing module", "m12", p(`"acct":{"x-field":{"type":"lookup","module":"nothere"}}`), 422, "acct.x-field.module:lookup_target"),
			mod("lookup without a module", "m13", p(`"acct":{"x-field":{"type":"lookup"}}`), 422, "acct.x-field.module:lookup_target"),
			mod("required names a missing field", "m14", `{"properties":{"a":{"x-field":{"type":"text"}}},"required":["b"]}`, 422, "required:unknown_required"),
			// A repeated key never reaches the schema checks: the body is refused (400) naming it.
			withContains(mod("duplicate property", "m15", `{"properties":{"a":{"x-field":{"type":"text"}},"a":{"x-field":{"type":"integer"}}}}`, 400),
				`The key \"schema.properties.a\" appears twice`),
			mod("renamedFrom on create", "m16", p(`"a":{"x-field":{"type":"text","renamedFrom":"b"}}`), 422, "a.x-field.renamedFrom:rename_on_create"),
			mod("unique json", "m17", p(`"a":{"x-field":{"type":"json","unique":true}}`), 422, "a.x-field.unique:not_indexable"),
			mod("schema not an object", "m18", `[1,2]`, 422, "schema:malformed"),
			mod("schema missing", "m19", `null`, 422, "schema"),
			mod("bad module key", "Bad", p(`"a":{"x-field":{"type":"text"}}`), 422, "key:bad_key"),
			mod("module key with sql", "a;drop", p(`"a":{"x-field":{"type":"text"}}`), 422, "key:bad_key"),
			mod("duplicate module", "deal", p(`"a":{"x-field":{"type":"text"}}`), 409),
			{name: "malformed JSON body", method: "POST", url: appPath("crm") + "/modules", as: "admin",
				body: `{"key":"m20","label":{"en":"x"},"schema":{`, status: 400, json: map[string]any{"code": "invalid"}},
			{name: "trailing data", method: "POST", url: appPath("crm") + "/modules", as: "admin",
				body: `{"key":"m21","label":{"en":"x"},"schema":{"properties":{}}} {}`, status: 400},
			{name: "unknown body field", method: "POST", url: appPath("crm") + "/modules", as: "admin",
				body: `{"key":"m22","label":{"en":"x"},"schema":{"properties":{}},"table":"users"}`, status: 400},
			{name: "module in a missing app", method: "POST", url: appPath("nope") + "/modules", as: "admin",
				body: map[string]any{"key": "x", "label": label("x"), "schema": props(`"a":{"x-field":{"type":"text"}}`)}, status: 404},
		}
		for _, key := range meta.SystemFields {
			scs = append(scs, mod("reserved "+key, "r_"+key, p(`"`+key+`":{"x-field":{"type":"text"}}`), 422, key+":reserved"))
		}
		e.run(t, scs)

		// Nothing of the refused modules exists.
		r := e.do(t, "admin", "GET", appPath("crm")+"/modules", nil).want(t, 200)
		if n := r.num("modules.#"); n != 2 {
			t.Errorf("%v modules after refused creates, want 2: %s", n, r.Body)
		}
		for _, tbl := range []string{"t_crm__m1", "t_crm__m12", "t_crm__r_id"} {
			if e.tableExists(t, tbl) {
				t.Errorf("table %s exists after a refused create", tbl)
			}
		}
		// The messages explain, in the requested language.
		r = e.do(t, "admin", "POST", appPath("crm")+"/modules",
			map[string]any{"key": "m1", "label": label("x"), "schema": props(`"a":{"x-field":{"type":"money"}}`)}, "Accept-Language", "zh-CN").want(t, 422)
		if msg, _ := r.fieldError("a.x-field.type")["message"].(string); !strings.Contains(msg, "未知") || !strings.Contains(msg, "money") {
			t.Errorf("zh-CN message %q", msg)
		}
	})
}

func TestModuleChanges(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.createApp(t, "crm")
		v1 := props(`"name":{"x-field":{"type":"text"}},"qty":{"x-field":{"type":"text"}},"note":{"x-field":{"type":"text"}}`)
		e.createModule(t, "crm", "item", v1)
		a := e.create(t, "crm", "item", map[string]any{"name": "apple", "qty": "12", "note": "n1"}).str("id")
		b := e.create(t, "crm", "item", map[string]any{"name": "pear", "qty": "-3"}).str("id")

		// v2: add a field; existing records keep their data.
		v2 := props(`"name":{"x-field":{"type":"text"}},"qty":{"x-field":{"type":"text"}},"note":{"x-field":{"type":"text"}},"color":{"x-field":{"type":"text"}}`)
		e.putModule(t, "crm", "item", v2).want(t, 200)
		r := e.record(t, "crm", "item", a)
		if r.str("name") != "apple" || r.str("qty") != "12" || r.get("color") != nil {
			t.Errorf("after add: %s", r.Body)
		}
		e.do(t, "admin", "PATCH", recIDPath("crm", "item", a), map[string]any{"version": 1, "color": "red"}).want(t, 200)

		// v3: rename name → title; values move.
		v3 := props(`"title":{"x-field":{"type":"text","renamedFrom":"name"}},"qty":{"x-field":{"type":"text"}},"note":{"x-field":{"type":"text"}},"color":{"x-field":{"type":"text"}}`)
		e.putModule(t, "crm", "item", v3).want(t, 200)
		r = e.record(t, "crm", "item", a)
		if r.str("title") != "apple" || r.get("name") != nil || r.str("color") != "red" {
			t.Errorf("after rename: %s", r.Body)
		}
		e.do(t, "admin", "GET", recPath("crm", "item")+"?filter="+url.QueryEscape(`title == "pear"`), nil).want(t, 200)

		// v4: remove note.
		v4 := props(`"title":{"x-field":{"type":"text"}},"qty":{"x-field":{"type":"text"}},"color":{"x-field":{"type":"text"}}`)
		e.putModule(t, "crm", "item", v4).want(t, 200)
		r = e.record(t, "crm", "item", a)
		if _, ok := r.obj("")["note"]; ok {
			t.Errorf("removed field still in record: %s", r.Body)
		}
		e.do(t, "admin", "POST", recPath("crm", "item"), map[string]any{"title": "x", "note": "gone"}).want(t, 422)

		// v5: qty text → integer, values convert. (v5 also adds a field, so
		// that every statement after it is new to PostgreSQL's statement
		// cache: TestTypeChangeThenUse covers statements reused across a
		// type change.)
		v5 := props(`"title":{"x-field":{"type":"text"}},"qty":{"x-field":{"type":"integer"}},"color":{"x-field":{"type":"text"}},"size":{"x-field":{"type":"text"}}`)
		e.putModule(t, "crm", "item", v5).want(t, 200).json(t, map[string]any{"version": 5})
		if r := e.record(t, "crm", "item", a); !jsonEqual(r.get("qty"), 12) {
			t.Errorf("converted qty = %#v", r.get("qty"))
		}
		if r := e.record(t, "crm", "item", b); !jsonEqual(r.get("qty"), -3) {
			t.Errorf("converted qty = %#v", r.get("qty"))
		}
		f := e.do(t, "admin", "GET", recPath("crm", "item")+"?filter="+url.QueryEscape("qty > 0"), nil).want(t, 200)
		if f.num("records.#") != 1 || f.str("records.0.title") != "apple" {
			t.Errorf("numeric filter after conversion: %s", f.Body)
		}

		// color text → integer with "abc" (and "red"): refused, nothing changes.
		e.create(t, "crm", "item", map[string]any{"title": "c", "color": "abc"})
		e.create(t, "crm", "item", map[string]any{"title": "d", "color": "7"})
		bad := props(`"title":{"x-field":{"type":"text"}},"qty":{"x-field":{"type":"integer"}},"color":{"x-field":{"type":"integer"}},"size":{"x-field":{"type":"text"}}`)
		r = e.do(t, "admin", "PUT", modPath("crm", "item"), map[string]any{"label": label("item"), "schema": bad}, "Accept-Language", "en").want(t, 422)
		checkProblem(t, r)
		fe := r.fieldError("color")
		msg, _ := fe["message"].(string)
		if fe["code"] != "type_change" || !strings.Contains(msg, "2 existing value") || !strings.Contains(msg, "abc") || !strings.Contains(msg, "red") {
			t.Errorf("refused type change: %s", r.Body)
		}
		m := e.do(t, "admin", "GET", modPath("crm", "item"), nil).want(t, 200)
		if m.num("version") != 5 || m.str("schema.properties.color.x-field.type") != "text" {
			t.Errorf("module changed by a refused PUT: %s", m.Body)
		}
		r = e.record(t, "crm", "item", a)
		if r.str("color") != "red" || r.str("title") != "apple" {
			t.Errorf("record after refused PUT: %s", r.Body)
		}
		if n := e.count(t, "crm", "item"); n != 4 {
			t.Errorf("count %d after refused PUT, want 4", n)
		}
		// Records stay writable with the old types.
		e.do(t, "admin", "PATCH", recIDPath("crm", "item", a), map[string]any{"version": 2, "color": "blue"}).want(t, 200)

		// Versions, newest first.
		vs := e.do(t, "admin", "GET", modPath("crm", "item")+"/versions", nil).want(t, 200)
		var nums []float64
		for _, v := range vs.list("versions") {
			nums = append(nums, v.(map[string]any)["version"].(float64))
		}
		if !slices.Equal(nums, []float64{5, 4, 3, 2, 1}) {
			t.Errorf("versions %v", nums)
		}
		if vs.str("versions.4.schema.properties.name.x-field.type") != "text" || vs.str("versions.0.created_by") != e.ids["admin"] {
			t.Errorf("version contents: %s", vs.Body)
		}

		e.run(t, []scenario{
			{name: "stale version", method: "PUT", url: modPath("crm", "item"), as: "admin",
				body: map[string]any{"version": 4, "label": label("item"), "schema": v5}, status: 409, json: map[string]any{"code": "conflict"}},
			{name: "current version", method: "PUT", url: modPath("crm", "item"), as: "admin",
				body: map[string]any{"version": 5, "label": map[string]string{"en": "Item"}, "schema": v5}, status: 200,
				json: map[string]any{"version": 6, "label.en": "Item"}},
			{name: "renamedFrom a missing field", method: "PUT", url: modPath("crm", "item"), as: "admin",
				body:   map[string]any{"label": label("item"), "schema": props(`"title":{"x-field":{"type":"text"}},"qty2":{"x-field":{"type":"integer","renamedFrom":"nope"}}`)},
				status: 422, fieldErrors: []string{"qty2.x-field.renamedFrom:bad_rename"}},
			{name: "bad schema on replace", method: "PUT", url: modPath("crm", "item"), as: "admin",
				body: map[string]any{"label": label("item"), "schema": props(`"id":{"x-field":{"type":"text"}}`)}, status: 422,
				fieldErrors: []string{"id:reserved"}},
			{name: "replace a missing module", method: "PUT", url: modPath("crm", "nope"), as: "admin",
				body: map[string]any{"label": label("x"), "schema": v5}, status: 404},
			{name: "versions of a missing module", method: "GET", url: modPath("crm", "nope") + "/versions", as: "admin", status: 404},
			{name: "still version 6", method: "GET", url: modPath("crm", "item"), as: "admin", status: 200, json: map[string]any{"version": 6}},
		})
	})
}

// A client may send back the schema exactly as GET returned it, e.g. to
// change only the label. After a rename, that schema still carries
// x-field.renamedFrom, which the store treats as stale (see
// store.renameSources); the metadata service must accept it too.
func TestModuleSchemaRoundTrip(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.createApp(t, "crm")
		e.createModule(t, "crm", "item", props(`"name":{"x-field":{"type":"text"}}`))
		id := e.create(t, "crm", "item", map[string]any{"name": "apple"}).str("id")
		e.putModule(t, "crm", "item", props(`"title":{"x-field":{"type":"text","renamedFrom":"name"}}`)).want(t, 200)

		got := e.do(t, "admin", "GET", modPath("crm", "item"), nil).want(t, 200)
		r := e.do(t, "admin", "PUT", modPath("crm", "item"), map[string]any{
			"label": map[string]string{"en": "Items"}, "schema": got.raw(t, "schema"), "version": got.num("version"),
		})
		if r.Status != 200 {
			t.Errorf("BUG: PUT of the schema GET returned after a rename: status %d, want 200; body %s", r.Status, r.Body)
		}
		e.record(t, "crm", "item", id).json(t, map[string]any{"title": "apple"})
	})
}

// After a field changes type, every kind of request on the module works
// at once — including the statements the server ran before the change.
func TestTypeChangeThenUse(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.createApp(t, "crm")
		e.createModule(t, "crm", "num", props(`"n":{"x-field":{"type":"text"}}`))
		id := e.create(t, "crm", "num", map[string]any{"n": "1"}).str("id")
		// Run every statement shape once before the change.
		e.record(t, "crm", "num", id)
		e.do(t, "admin", "GET", recPath("crm", "num"), nil).want(t, 200)
		e.do(t, "admin", "PATCH", recIDPath("crm", "num", id), map[string]any{"version": 1, "n": "5"}).want(t, 200)

		e.putModule(t, "crm", "num", props(`"n":{"x-field":{"type":"integer"}}`)).want(t, 200)
		version, n := 2, 5
		for i := range 3 {
			if r := e.do(t, "admin", "GET", recIDPath("crm", "num", id), nil); r.Status != 200 || !jsonEqual(r.get("n"), n) {
				t.Errorf("BUG: GET after the type change (try %d): status %d, body %s", i+1, r.Status, r.Body)
			}
			if r := e.do(t, "admin", "GET", recPath("crm", "num"), nil); r.Status != 200 {
				t.Errorf("BUG: list after the type change (try %d): status %d, body %s", i+1, r.Status, r.Body)
			}
			if r := e.do(t, "admin", "POST", recPath("crm", "num"), map[string]any{"n": 10 + i}); r.Status != 201 {
				t.Errorf("BUG: create after the type change (try %d): status %d, body %s", i+1, r.Status, r.Body)
			}
			r := e.do(t, "admin", "PATCH", recIDPath("crm", "num", id), map[string]any{"version": version, "n": n + 1})
			if r.Status != 200 {
				t.Errorf("BUG: update after the type change (try %d): status %d, body %s", i+1, r.Status, r.Body)
				continue
			}
			version, n = version+1, n+1
		}
	})
}

func TestModuleUniqueChanges(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.createApp(t, "crm")
		v1 := props(`"code":{"x-field":{"type":"text","unique":true}},"tag":{"x-field":{"type":"text"}}`)
		e.createModule(t, "crm", "item", v1)
		e.create(t, "crm", "item", map[string]any{"code": "A", "tag": "x"})
		e.create(t, "crm", "item", map[string]any{"code": "B", "tag": "x"})
		e.create(t, "crm", "item", map[string]any{"code": "C", "tag": "y"})
		dup := func(field string, body map[string]any) {
			t.Helper()
			r := e.do(t, "admin", "POST", recPath("crm", "item"), body)
			if r.Status != 409 || r.fieldError(field) == nil {
				t.Errorf("duplicate %s: status %d, body %s; want 409 naming %q", field, r.Status, r.Body, field)
			}
		}

		// Renaming a unique field keeps it unique, and the error names the new key.
		v2 := props(`"ref":{"x-field":{"type":"text","unique":true,"renamedFrom":"code"}},"tag":{"x-field":{"type":"text"}}`)
		e.putModule(t, "crm", "item", v2).want(t, 200)
		dup("ref", map[string]any{"ref": "A"})

		// Making a field with duplicate values unique is refused, naming it.
		v3 := props(`"ref":{"x-field":{"type":"text","unique":true}},"tag":{"x-field":{"type":"text","unique":true}}`)
		r := e.do(t, "admin", "PUT", modPath("crm", "item"), map[string]any{"label": label("item"), "schema": v3}, "Accept-Language", "en").want(t, 422)
		if fe := r.fieldError("tag"); fe == nil || fe["code"] != "unique_refused" && fe["code"] != "unique" {
			t.Errorf("unique refusal: %s", r.Body)
		} else if msg, _ := fe["message"].(string); !strings.Contains(msg, "x") {
			t.Errorf("unique refusal does not show the duplicate value: %q", msg)
		}
		e.create(t, "crm", "item", map[string]any{"ref": "D", "tag": "y"}) // tag is still not unique

		// Without duplicates it works, and then holds.
		e.do(t, "admin", "PATCH", recIDPath("crm", "item", e.create(t, "crm", "item", map[string]any{"ref": "E"}).str("id")),
			map[string]any{"version": 1}).want(t, 200)
		items := e.do(t, "admin", "GET", recPath("crm", "item")+"?limit=100", nil).want(t, 200)
		for i, rec := range items.list("records") {
			m := rec.(map[string]any)
			e.do(t, "admin", "PATCH", recIDPath("crm", "item", m["id"].(string)), map[string]any{"version": m["version"], "tag": fmt.Sprint("t", i)}).want(t, 200)
		}
		e.putModule(t, "crm", "item", v3).want(t, 200)
		dup("tag", map[string]any{"ref": "F", "tag": "t0"})

		// Dropping unique allows duplicates again.
		v4 := props(`"ref":{"x-field":{"type":"text"}},"tag":{"x-field":{"type":"text","unique":true}}`)
		e.putModule(t, "crm", "item", v4).want(t, 200)
		e.create(t, "crm", "item", map[string]any{"ref": "A"})

		// A unique text field converted to integer stays unique. (The
		// insert names a column the earlier ones did not, so that it is a
		// new statement on PostgreSQL: TestTypeChangeThenUse covers reusing
		// statements across a type change.)
		e.createModule(t, "crm", "num", props(`"n":{"x-field":{"type":"text","unique":true}},"note":{"x-field":{"type":"text"}}`))
		e.create(t, "crm", "num", map[string]any{"n": "1"})
		e.create(t, "crm", "num", map[string]any{"n": "2"})
		e.putModule(t, "crm", "num", props(`"n":{"x-field":{"type":"integer","unique":true}},"note":{"x-field":{"type":"text"}}`)).want(t, 200)
		r = e.do(t, "admin", "POST", recPath("crm", "num"), map[string]any{"n": 2, "note": "dup"})
		if r.Status != 409 || r.fieldError("n") == nil {
			t.Errorf("duplicate after conversion: status %d, body %s", r.Status, r.Body)
		}
	})
}

// json asserts JSON values of a response (for chained checks).
func (r *response) json(t *testing.T, want map[string]any) *response {
	t.Helper()
	for path, v := range want {
		if g := r.get(path); !jsonEqual(g, v) {
			t.Errorf("%s = %#v, want %#v; body: %s", path, g, v, r.Body)
		}
	}
	return r
}

func TestDeleteModule(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		e.create(t, "crm", "account", map[string]any{"name": "Acme"})
		e.run(t, []scenario{
			{name: "looked-up module cannot go", method: "DELETE", url: modPath("crm", "account"), as: "admin",
				headers: []string{"Accept-Language", "en"}, status: 409, contains: []string{"deal.account"}},
			{name: "still there", method: "GET", url: recPath("crm", "account"), as: "admin", status: 200, json: map[string]any{"records.#": 1}},
			{name: "delete the referencing module", method: "DELETE", url: modPath("crm", "deal"), as: "admin", status: 204},
			{name: "deal is gone", method: "GET", url: modPath("crm", "deal"), as: "admin", status: 404},
			{name: "deal records are gone", method: "GET", url: recPath("crm", "deal"), as: "admin", status: 404},
			{name: "now account can go", method: "DELETE", url: modPath("crm", "account"), as: "admin", status: 204},
			{name: "account is gone", method: "GET", url: modPath("crm", "account"), as: "admin", status: 404},
			{name: "delete twice", method: "DELETE", url: modPath("crm", "account"), as: "admin", status: 404},
			{name: "app remains", method: "GET", url: appPath("crm") + "/modules", as: "admin", status: 200, json: map[string]any{"modules": []any{}}},
		})
		if e.tableExists(t, "t_crm__deal") || e.tableExists(t, "t_crm__account") {
			t.Error("module tables survive their modules")
		}
		// A self-lookup does not block deleting the module itself.
		e.createModule(t, "crm", "node", props(`"parent":{"x-field":{"type":"lookup","module":"node"}}`))
		root := e.create(t, "crm", "node", nil).str("id")
		e.create(t, "crm", "node", map[string]any{"parent": root})
		e.do(t, "admin", "DELETE", modPath("crm", "node"), nil).want(t, 204)
	})
}

// ---------------------------------------------------------------------------
// Records

func TestRecordLifecycle(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		e.grantMember(t)
		acc := e.create(t, "crm", "account", map[string]any{"name": "Acme"}).str("id")
		r := e.do(t, "user", "POST", recPath("crm", "deal"), map[string]any{
			"name": "Big deal", "amount": 1234.5, "stage": "new", "account": acc, "close_on": "2026-06-30",
		}).want(t, 201)
		id := r.str("id")
		for _, k := range []string{"id", "created_at", "updated_at"} {
			if r.str(k) == "" {
				t.Errorf("missing %s: %s", k, r.Body)
			}
		}
		r.json(t, map[string]any{"version": 1, "created_by": e.ids["user"], "updated_by": e.ids["user"], "owner": e.ids["user"],
			"amount": 1234.5, "code": "D-0001", "ref": nil})
		if _, err := time.Parse(time.RFC3339Nano, r.str("created_at")); err != nil {
			t.Errorf("created_at %q: %v", r.str("created_at"), err)
		}
		if _, ok := r.obj("")["deleted_at"]; ok {
			t.Errorf("live record has deleted_at: %s", r.Body)
		}
		created := r.str("created_at")

		e.run(t, []scenario{
			{name: "get", method: "GET", url: recIDPath("crm", "deal", id), as: "admin", status: 200,
				json: map[string]any{"id": id, "name": "Big deal", "version": 1, "account": acc, "close_on": "2026-06-30"}},
			{name: "get expanded", method: "GET", url: recIDPath("crm", "deal", id) + "?expand=account", as: "admin", status: 200,
				json: map[string]any{"expand.account.name": "Acme", "expand.account.id": acc}},
			{name: "expand a non-lookup", method: "GET", url: recIDPath("crm", "deal", id) + "?expand=name", as: "admin", status: 400},
			{name: "get missing", method: "GET", url: recIDPath("crm", "deal", noSuchID), as: "admin", status: 404},
			{name: "get garbage id", method: "GET", url: recIDPath("crm", "deal", "1%20or%201=1"), as: "admin", status: 404},
			{name: "records of a missing module", method: "GET", url: recPath("crm", "nope"), as: "admin", status: 404},
			{name: "patch", method: "PATCH", url: recIDPath("crm", "deal", id), as: "admin",
				body: map[string]any{"version": 1, "amount": 99, "stage": "won"}, status: 200,
				json: map[string]any{"version": 2, "amount": 99, "stage": "won", "name": "Big deal", "updated_by": e.ids["admin"],
					"created_by": e.ids["user"], "owner": e.ids["user"], "code": "D-0001", "created_at": created}},
			{name: "patch to null clears", method: "PATCH", url: recIDPath("crm", "deal", id), as: "admin",
				body: map[string]any{"version": 2, "close_on": nil}, status: 200, json: map[string]any{"version": 3, "close_on": nil}},
			{name: "patch a required field to null", method: "PATCH", url: recIDPath("crm", "deal", id), as: "admin",
				body: map[string]any{"version": 3, "name": nil}, status: 422, fieldErrors: []string{"name:required"}},
			{name: "patch sending back the whole record", method: "PATCH", url: recIDPath("crm", "deal", id), as: "admin",
				body:   map[string]any{"id": id, "version": 3, "name": "Bigger deal", "code": "D-0001", "created_at": created, "owner": e.ids["user"]},
				status: 200, json: map[string]any{"version": 4, "name": "Bigger deal", "owner": e.ids["user"]}},
			{name: "patch cannot change autonumber", method: "PATCH", url: recIDPath("crm", "deal", id), as: "admin",
				body: map[string]any{"version": 4, "code": "D-9999"}, status: 422, fieldErrors: []string{"code:read_only"}},
			{name: "patch missing record", method: "PATCH", url: recIDPath("crm", "deal", noSuchID), as: "admin",
				body: map[string]any{"version": 1, "name": "x"}, status: 404},
			{name: "delete", method: "DELETE", url: recIDPath("crm", "deal", id), as: "admin", status: 204},
			{name: "deleted is 404", method: "GET", url: recIDPath("crm", "deal", id), as: "admin", status: 404},
			{name: "deleted is not listed", method: "GET", url: recPath("crm", "deal") + "?total=true", as: "admin", status: 200,
				json: map[string]any{"records.#": 0, "total": 0}},
			{name: "deleted cannot be patched", method: "PATCH", url: recIDPath("crm", "deal", id), as: "admin",
				body: map[string]any{"version": 5, "name": "x"}, status: 404},
			{name: "delete twice", method: "DELETE", url: recIDPath("crm", "deal", id), as: "admin", status: 404},
			{name: "restore", method: "POST", url: recIDPath("crm", "deal", id) + "/restore", as: "admin", status: 200,
				json: map[string]any{"id": id, "name": "Bigger deal", "version": 6}},
			{name: "restored is back", method: "GET", url: recIDPath("crm", "deal", id), as: "admin", status: 200,
				json: map[string]any{"name": "Bigger deal", "code": "D-0001"}},
			{name: "restored is listed", method: "GET", url: recPath("crm", "deal"), as: "admin", status: 200,
				json: map[string]any{"records.#": 1, "records.0.id": id}},
			{name: "restore a live record", method: "POST", url: recIDPath("crm", "deal", id) + "/restore", as: "admin", status: 409},
			{name: "restore a missing record", method: "POST", url: recIDPath("crm", "deal", noSuchID) + "/restore", as: "admin", status: 404},
			{name: "delete a missing record", method: "DELETE", url: recIDPath("crm", "deal", noSuchID), as: "admin", status: 404},
		})
	})
}

func TestAutonumber(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		var codes []string
		for i := range 5 {
			codes = append(codes, e.create(t, "crm", "deal", map[string]any{"name": fmt.Sprint("d", i)}).str("code"))
		}
		if want := []string{"D-0001", "D-0002", "D-0003", "D-0004", "D-0005"}; !slices.Equal(codes, want) {
			t.Errorf("codes %v, want %v", codes, want)
		}
		e.run(t, []scenario{
			{name: "client-provided autonumber", method: "POST", url: recPath("crm", "deal"), as: "admin",
				body: map[string]any{"name": "x", "code": "D-0100"}, status: 422, fieldErrors: []string{"code:read_only"}},
			// A failed create uses no number.
			{name: "failed create", method: "POST", url: recPath("crm", "deal"), as: "admin",
				body: map[string]any{"name": "x", "stage": "bogus"}, status: 422},
			{name: "next is sequential", method: "POST", url: recPath("crm", "deal"), as: "admin",
				body: map[string]any{"name": "six"}, status: 201, json: map[string]any{"code": "D-0006"}},
			{name: "autonumber is filterable", method: "GET", url: recPath("crm", "deal") + "?filter=" + url.QueryEscape(`code == "D-0003"`), as: "admin",
				status: 200, json: map[string]any{"records.#": 1, "records.0.name": "d2"}},
		})
		// Numbers are not reused after a delete.
		last := e.create(t, "crm", "deal", map[string]any{"name": "seven"})
		e.do(t, "admin", "DELETE", recIDPath("crm", "deal", last.str("id")), nil).want(t, 204)
		e.create(t, "crm", "deal", map[string]any{"name": "eight"}).json(t, map[string]any{"code": "D-0008"})
	})
}

func TestUniqueField(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		first := e.create(t, "crm", "deal", map[string]any{"name": "a", "ref": "R-1"}).str("id")
		other := e.create(t, "crm", "deal", map[string]any{"name": "b", "ref": "R-2"}).str("id")
		dup := func(name, method, url string, body any) scenario {
			return scenario{name: name, method: method, url: url, as: "admin", body: body, headers: []string{"Accept-Language", "en"},
				status: 409, json: map[string]any{"code": "conflict"}, fieldErrors: []string{"ref:unique"}, contains: []string{"ref"}}
		}
		e.run(t, []scenario{
			dup("duplicate on create", "POST", recPath("crm", "deal"), map[string]any{"name": "c", "ref": "R-1"}),
			dup("duplicate on update", "PATCH", recIDPath("crm", "deal", other), map[string]any{"version": 1, "ref": "R-1"}),
			{name: "update did not write", method: "GET", url: recIDPath("crm", "deal", other), as: "admin", status: 200,
				json: map[string]any{"ref": "R-2", "version": 1}},
			{name: "unique is case-sensitive text", method: "POST", url: recPath("crm", "deal"), as: "admin",
				body: map[string]any{"name": "d", "ref": "r-1"}, status: 201},
			{name: "several nulls are fine", method: "POST", url: recPath("crm", "deal"), as: "admin",
				body: map[string]any{"name": "e"}, status: 201},
			{name: "several nulls are fine 2", method: "POST", url: recPath("crm", "deal"), as: "admin",
				body: map[string]any{"name": "f"}, status: 201},
			{name: "unique account name", method: "POST", url: recPath("crm", "account"), as: "admin",
				body: map[string]any{"name": "Acme"}, status: 201},
			dupAccount(),
			// Soft-deleted records do not hold on to their unique values
			// (the unique index only covers live rows).
			{name: "delete the holder", method: "DELETE", url: recIDPath("crm", "deal", first), as: "admin", status: 204},
			{name: "value is free again", method: "POST", url: recPath("crm", "deal"), as: "admin",
				body: map[string]any{"name": "g", "ref": "R-1"}, status: 201},
			// Restoring the old holder would duplicate it: refused.
			dup("restore would duplicate", "POST", recIDPath("crm", "deal", first)+"/restore", nil),
			{name: "restore did not happen", method: "GET", url: recIDPath("crm", "deal", first), as: "admin", status: 404},
		})
		if n := e.count(t, "crm", "deal"); n != 5 {
			t.Errorf("live deals %d, want 5", n)
		}
	})
}

func dupAccount() scenario {
	return scenario{name: "duplicate account name", method: "POST", url: recPath("crm", "account"), as: "admin",
		body: map[string]any{"name": "Acme"}, status: 409, fieldErrors: []string{"name:unique"}}
}

func TestRecordVersions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		id := e.create(t, "crm", "deal", map[string]any{"name": "v1"}).str("id")
		p := recIDPath("crm", "deal", id)
		e.run(t, []scenario{
			{name: "patch without version", method: "PATCH", url: p, as: "admin", body: map[string]any{"name": "x"},
				status: 422, fieldErrors: []string{"version:required"}},
			{name: "version of the wrong type", method: "PATCH", url: p, as: "admin", body: map[string]any{"version": "1", "name": "x"},
				status: 422, fieldErrors: []string{"version"}},
			{name: "fractional version", method: "PATCH", url: p, as: "admin", body: map[string]any{"version": 1.5, "name": "x"},
				status: 422, fieldErrors: []string{"version"}},
			{name: "version zero", method: "PATCH", url: p, as: "admin", body: map[string]any{"version": 0, "name": "x"},
				status: 422, fieldErrors: []string{"version"}},
			{name: "stale version", method: "PATCH", url: p, as: "admin", body: map[string]any{"version": 7, "name": "x"},
				status: 409, json: map[string]any{"code": "conflict"}},
			{name: "nothing written", method: "GET", url: p, as: "admin", status: 200, json: map[string]any{"name": "v1", "version": 1}},
			{name: "if-match", method: "PATCH", url: p, as: "admin", headers: []string{"If-Match", `"1"`}, body: map[string]any{"name": "v2"},
				status: 200, json: map[string]any{"name": "v2", "version": 2}},
			{name: "weak if-match", method: "PATCH", url: p, as: "admin", headers: []string{"If-Match", `W/"2"`}, body: map[string]any{"name": "v3"},
				status: 200, json: map[string]any{"name": "v3", "version": 3}},
			{name: "stale if-match", method: "PATCH", url: p, as: "admin", headers: []string{"If-Match", "2"}, body: map[string]any{"name": "x"},
				status: 409},
			{name: "garbage if-match", method: "PATCH", url: p, as: "admin", headers: []string{"If-Match", "abc"}, body: map[string]any{"name": "x"},
				status: 422, fieldErrors: []string{"version"}},
			{name: "body version wins over if-match", method: "PATCH", url: p, as: "admin", headers: []string{"If-Match", "1"},
				body: map[string]any{"version": 3, "name": "v4"}, status: 200, json: map[string]any{"version": 4}},
			{name: "still v4", method: "GET", url: p, as: "admin", status: 200, json: map[string]any{"name": "v4", "version": 4}},
			{name: "no-op patch changes nothing", method: "PATCH", url: p, as: "admin",
				body: map[string]any{"version": 4}, status: 200, json: map[string]any{"name": "v4", "version": 4}},
		})
	})
}

// ---------------------------------------------------------------------------
// Validation

func TestValidation(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.createApp(t, "crm")
		e.createModule(t, "crm", "account", schema(t, "account"))
		e.createModule(t, "crm", "person", schema(t, "person"))
		acc := e.create(t, "crm", "account", map[string]any{"name": "Acme"}).str("id")
		gone := e.create(t, "crm", "account", map[string]any{"name": "Gone"}).str("id")
		e.do(t, "admin", "DELETE", recIDPath("crm", "account", gone), nil).want(t, 204)
		u := recPath("crm", "person")
		en := []string{"Accept-Language", "en"}
		bad := func(name string, body any, fieldErrors ...string) scenario {
			return scenario{name: name, method: "POST", url: u, as: "admin", headers: en, body: body, status: 422,
				json: map[string]any{"code": "unprocessable"}, fieldErrors: fieldErrors}
		}
		e.run(t, []scenario{
			bad("wrong type text", map[string]any{"name": 5}, "name:type"),
			bad("wrong type integer", map[string]any{"name": "a", "age": "ten"}, "age:type"),
			bad("fraction for integer", map[string]any{"name": "a", "age": 1.5}, "age:type"),
			bad("integer out of range", map[string]any{"name": "a", "age": json.Number("99999999999999999999")}, "age:out_of_range"),
			bad("wrong type boolean", map[string]any{"name": "a", "active": "yes"}, "active:type"),
			bad("extra field", map[string]any{"name": "a", "bogus": 1}, "bogus:unknown_field"),
			bad("missing required", map[string]any{"age": 3}, "name:required"),
			bad("empty body object", map[string]any{}, "name:required"),
			bad("null required", map[string]any{"name": nil}, "name:required"),
			bad("bad email", map[string]any{"name": "a", "email": "not-an-email"}, "email:format"),
			bad("bad date", map[string]any{"name": "a", "born": "2026-13-45"}, "born:format"),
			bad("date-time for date", map[string]any{"name": "a", "born": "2026-01-02T03:04:05Z"}, "born:format"),
			bad("bad enum", map[string]any{"name": "a", "level": "boss"}, "level:enum"),
			bad("too long", map[string]any{"name": strings.Repeat("x", 11)}, "name:maxLength"),
			bad("too long in runes", map[string]any{"name": strings.Repeat("华", 11)}, "name:maxLength"),
			bad("lookup to a missing record", map[string]any{"name": "a", "account": noSuchID}, "account:not_found"),
			bad("lookup to a deleted record", map[string]any{"name": "a", "account": gone}, "account:not_found"),
			bad("lookup to a garbage id", map[string]any{"name": "a", "account": "x' OR '1'='1"}, "account:format"),
			bad("lookup of the wrong type", map[string]any{"name": "a", "account": 12}, "account:type"),
			bad("several problems at once", map[string]any{"name": 1, "age": "x", "level": "boss", "zzz": 1},
				"name:type", "age:type", "level:enum", "zzz:unknown_field"),
			{name: "system keys are ignored on create", method: "POST", url: u, as: "admin", status: 201,
				body: map[string]any{"name": "ok", "id": noSuchID, "version": 42, "created_by": e.ids["user"], "updated_by": e.ids["user"],
					"created_at": "2000-01-01T00:00:00Z", "deleted_at": "2000-01-01T00:00:00Z"},
				check: func(t *testing.T, r *response) {
					if r.str("id") == noSuchID || r.num("version") != 1 || r.str("created_by") != e.ids["admin"] ||
						r.str("updated_by") != e.ids["admin"] || strings.HasPrefix(r.str("created_at"), "2000") || r.get("deleted_at") != nil {
						t.Errorf("client-supplied system values were used: %s", r.Body)
					}
				}},
			{name: "valid record", method: "POST", url: u, as: "admin", status: 201,
				body: map[string]any{"name": "华为张三", "email": "z@example.com", "born": "1990-02-28", "level": "senior", "age": 36, "active": false, "account": acc},
				json: map[string]any{"name": "华为张三", "age": 36, "active": false, "account": acc}},
			{name: "patch: lookup to a missing record", method: "PATCH", url: u + "/" + e.create(t, "crm", "person", map[string]any{"name": "p"}).str("id"),
				as: "admin", headers: en, body: map[string]any{"version": 1, "account": noSuchID}, status: 422, fieldErrors: []string{"account:not_found"}},
			{name: "patch: unknown field", method: "PATCH", url: u + "/" + e.create(t, "crm", "person", map[string]any{"name": "q"}).str("id"),
				as: "admin", headers: en, body: map[string]any{"version": 1, "bogus": 1, "age": "x"}, status: 422,
				fieldErrors: []string{"bogus:unknown_field", "age:type"}},
			{name: "record body must be an object", method: "POST", url: u, as: "admin", body: `[1]`, status: 400},
			{name: "record body must not be empty", method: "POST", url: u, as: "admin", body: ``, status: 400},
		})
		if n := e.count(t, "crm", "person"); n != 4 {
			t.Errorf("persons %d after failed creates, want 4 (nothing partial)", n)
		}
		if n := e.rowCount(t, "t_crm__person"); n != 4 {
			t.Errorf("person table has %d rows, want 4", n)
		}
	})
}

func TestValidationMessagesLocalized(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.createApp(t, "crm")
		e.createModule(t, "crm", "account", schema(t, "account"))
		e.createModule(t, "crm", "person", schema(t, "person"))
		u := recPath("crm", "person")
		body := map[string]any{"age": 3, "account": noSuchID}
		msg := func(r *response, field string) string { s, _ := r.fieldError(field)["message"].(string); return s }

		r := e.do(t, "admin", "POST", u, body, "Accept-Language", "en").want(t, 422)
		if m := msg(r, "name"); m != "Full name is required." {
			t.Errorf("en message %q", m)
		}
		if r.str("detail") != "The input is not valid." || r.str("title") != "Unprocessable Entity" {
			t.Errorf("en problem: %s", r.Body)
		}

		r = e.do(t, "admin", "POST", u, body, "Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5").want(t, 422)
		if m := msg(r, "name"); m != "姓名为必填项。" {
			t.Errorf("zh-CN message %q", m)
		}
		if r.str("detail") != "输入内容无效。" {
			t.Errorf("zh-CN detail %q", r.str("detail"))
		}

		// Lookups are checked in the transaction after the form; fix the
		// form to see the lookup message in both languages.
		body = map[string]any{"name": "a", "account": noSuchID}
		r = e.do(t, "admin", "POST", u, body, "Accept-Language", "en").want(t, 422)
		if m := msg(r, "account"); !strings.Contains(m, "does not exist") || !strings.Contains(m, noSuchID) {
			t.Errorf("en lookup message %q", m)
		}
		r = e.do(t, "admin", "POST", u, body, "Accept-Language", "zh-CN").want(t, 422)
		if m := msg(r, "account"); !strings.Contains(m, "不存在") {
			t.Errorf("zh-CN lookup message %q", m)
		}

		// Without Accept-Language, the user's own locale (zh-CN by default,
		// for administrators too).
		r = e.do(t, "admin", "POST", u, map[string]any{}).want(t, 422)
		if m := msg(r, "name"); m != "姓名为必填项。" {
			t.Errorf("default-locale message %q", m)
		}
		// Anonymous requests without Accept-Language get English.
		r = e.do(t, "", "GET", "/api/apps", nil).want(t, 401)
		if d := r.str("detail"); d == "" || strings.ContainsFunc(d, func(c rune) bool { return c > 0x2E80 }) {
			t.Errorf("anonymous detail %q, want English", d)
		}
		r = e.do(t, "", "GET", "/api/apps", nil, "Accept-Language", "zh-CN").want(t, 401)
		if d := r.str("detail"); !strings.ContainsFunc(d, func(c rune) bool { return c > 0x2E80 }) {
			t.Errorf("anonymous zh-CN detail %q", d)
		}
	})
}

// ---------------------------------------------------------------------------
// Lists

func TestListFilterAndSort(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		for _, d := range []struct {
			name   string
			amount any
			stage  string
		}{
			{"华为", 5000, "won"}, {"华润", 800, "won"}, {"华夏", 2000, "lost"}, {"华北", 3000, "new"},
			{"Acme", 9000, "won"}, {"Beta", nil, "lost"}, {"华南", 1500.5, "lost"}, {"华东", 1000, "won"},
		} {
			vals := map[string]any{"name": d.name, "stage": d.stage}
			if d.amount != nil {
				vals["amount"] = d.amount
			}
			e.create(t, "crm", "deal", vals)
		}
		q := func(params ...string) string {
			v := url.Values{}
			for i := 0; i+1 < len(params); i += 2 {
				v.Set(params[i], params[i+1])
			}
			return recPath("crm", "deal") + "?" + v.Encode()
		}
		names := func(want ...string) func(t *testing.T, r *response) {
			return func(t *testing.T, r *response) {
				var got []string
				for _, rec := range r.list("records") {
					got = append(got, rec.(map[string]any)["name"].(string))
				}
				if !slices.Equal(got, want) {
					t.Errorf("names %q, want %q", got, want)
				}
			}
		}
		e.run(t, []scenario{
			{name: "filter", method: "GET", as: "admin", status: 200,
				url:   q("filter", `amount > 1000 && stage in ["won","lost"] && name startsWith "华"`, "sort", "-amount,name"),
				check: names("华为", "华夏", "华南")},
			{name: "sort desc with nulls first", method: "GET", as: "admin", status: 200, url: q("sort", "-amount,name"),
				check: names("Beta", "Acme", "华为", "华北", "华夏", "华南", "华东", "华润")},
			{name: "sort asc with nulls last", method: "GET", as: "admin", status: 200, url: q("sort", "amount"),
				check: names("华润", "华东", "华南", "华夏", "华北", "华为", "Acme", "Beta")},
			{name: "default sort is newest first", method: "GET", as: "admin", status: 200, url: q(),
				check: names("华东", "华南", "Beta", "Acme", "华北", "华夏", "华润", "华为")},
			{name: "or, not and nil", method: "GET", as: "admin", status: 200,
				url:   q("filter", `amount == nil || !(stage != "new")`, "sort", "name"),
				check: names("Beta", "华北")},
			{name: "contains", method: "GET", as: "admin", status: 200, url: q("filter", `name contains "南"`), check: names("华南")},
			{name: "decimal comparison", method: "GET", as: "admin", status: 200, url: q("filter", `amount == 1500.5`), check: names("华南")},
			{name: "total", method: "GET", as: "admin", status: 200, url: q("filter", `stage == "won"`, "total", "true", "limit", "2", "sort", "name"),
				json: map[string]any{"total": 4, "records.#": 2}, check: names("Acme", "华东")},
			{name: "no total unless asked", method: "GET", as: "admin", status: 200, url: q(),
				check: func(t *testing.T, r *response) {
					if _, ok := r.obj("")["total"]; ok {
						t.Errorf("total without total=true: %s", r.Body)
					}
				}},
			{name: "no match is an empty list", method: "GET", as: "admin", status: 200, url: q("filter", `name == "nobody"`),
				json: map[string]any{"records": []any{}}},
			{name: "filter by system field", method: "GET", as: "admin", status: 200,
				url: q("filter", `created_by == "`+e.ids["admin"]+`"`, "total", "true"), json: map[string]any{"total": 8}},
		})
	})
}

func TestListBadQueries(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		for i := range 3 {
			e.create(t, "crm", "deal", map[string]any{"name": fmt.Sprint("d", i)})
		}
		base := recPath("crm", "deal")
		q := func(k, v string) string { return base + "?" + k + "=" + url.QueryEscape(v) }
		bad := func(name, u string, contains ...string) scenario {
			return scenario{name: name, method: "GET", url: u, as: "admin", headers: []string{"Accept-Language", "en"},
				status: 400, json: map[string]any{"code": "invalid"}, contains: contains}
		}
		deep := strings.Repeat("(", 10000) + `name == "x"` + strings.Repeat(")", 10000)
		deep65 := strings.Repeat("(", 65) + `name == "x"` + strings.Repeat(")", 65)
		e.run(t, []scenario{
			bad("limit 501", base+"?limit=501", "500"),
			bad("limit 0", base+"?limit=0"),
			bad("limit negative", base+"?limit=-1"),
			bad("limit not a number", base+"?limit=ten"),
			bad("total not a bool", base+"?total=maybe"),
			{name: "limit 500", method: "GET", url: base + "?limit=500", as: "admin", status: 200, json: map[string]any{"records.#": 3}},
			bad("unknown field in filter", q("filter", `nosuchfield == 1`), "nosuchfield"),
			bad("syntax error", q("filter", `name ==`)),
			bad("sql injection in filter", q("filter", `name == "x" or 1=1; DROP TABLE "t_crm__deal"; --`)),
			bad("arithmetic", q("filter", `amount * 2 > 10`)),
			bad("function call", q("filter", `len(name) > 2`)),
			bad("wrong literal type", q("filter", `amount > "a lot"`), "amount"),
			bad("10,000 nested parentheses", q("filter", deep)),
			bad("65 nested parentheses", q("filter", deep65)),
			bad("bad cursor", q("cursor", "not-a-cursor")),
			bad("bad base64 cursor", q("cursor", "eyJzIjoiIiwidiI6WzFdfQ")),
			bad("sort by unknown field", q("sort", "nosuchfield"), "nosuchfield"),
			bad("sort by deleted_at", q("sort", "deleted_at")),
			bad("sort twice by a field", q("sort", "name,-name")),
			bad("sort with sql", q("sort", `name; DROP TABLE "t_crm__deal"`)),
			bad("expand unknown", q("expand", "nope")),
			{name: "injection in a string literal is harmless", method: "GET", as: "admin", status: 200,
				url:  q("filter", `name == "x\"; DROP TABLE t_crm__deal; --" || name == "' OR 1=1 --"`),
				json: map[string]any{"records": []any{}}},
			{name: "like wildcards are literal", method: "GET", as: "admin", status: 200,
				url: q("filter", `name contains "%"`), json: map[string]any{"records": []any{}}},
			{name: "like underscore is literal", method: "GET", as: "admin", status: 200,
				url: q("filter", `name startsWith "_"`), json: map[string]any{"records": []any{}}},
		})
		if n := e.count(t, "crm", "deal"); n != 3 || !e.tableExists(t, "t_crm__deal") {
			t.Errorf("table damaged: count %d", n)
		}
	})
}

// dealRow is what the paging test knows about each record; nil is NULL.
type dealRow struct {
	id     string
	region *string
	amount *float64
}

// nullsLast compares two optional values, NULL being the largest value
// (the store's documented order on both dialects).
func nullsLast[T float64 | string](a, b *T) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	case *a < *b:
		return -1
	case *a > *b:
		return 1
	}
	return 0
}

func TestListCursorPaging(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		var rows []dealRow // in creation order
		for i := range 120 {
			vals := map[string]any{"name": fmt.Sprint("d", i)}
			var row dealRow
			if i%10 != 3 {
				a := float64((i * 37 % 11) * 100) // 11 distinct values, many duplicates
				vals["amount"] = a
				row.amount = &a
			}
			if i%7 != 0 {
				r := fmt.Sprintf("k%02d", (i*5)%13) // 13 distinct values
				vals["region"] = r
				row.region = &r
			}
			row.id = e.create(t, "crm", "deal", vals).str("id")
			rows = append(rows, row)
		}
		byID := func(a, b dealRow) int { return strings.Compare(a.id, b.id) }
		for _, tc := range []struct {
			sort string
			cmp  func(a, b dealRow) int // nil: newest first
		}{
			{"-amount,region", func(a, b dealRow) int {
				return cmp.Or(-nullsLast(a.amount, b.amount), nullsLast(a.region, b.region), byID(a, b))
			}},
			{"amount,-region", func(a, b dealRow) int {
				return cmp.Or(nullsLast(a.amount, b.amount), -nullsLast(a.region, b.region), -byID(a, b))
			}},
			{"region", func(a, b dealRow) int { return cmp.Or(nullsLast(a.region, b.region), byID(a, b)) }},
			{"-region,amount", func(a, b dealRow) int {
				return cmp.Or(-nullsLast(a.region, b.region), nullsLast(a.amount, b.amount), byID(a, b))
			}},
			{"-created_at", nil},
		} {
			t.Run(tc.sort, func(t *testing.T) {
				want := slices.Clone(rows)
				if tc.cmp == nil {
					slices.Reverse(want)
				} else {
					slices.SortFunc(want, tc.cmp)
				}
				var wantIDs []string
				for _, r := range want {
					wantIDs = append(wantIDs, r.id)
				}
				got, pages := pageAll(t, e, "sort="+url.QueryEscape(tc.sort), 50)
				if pages != 3 {
					t.Errorf("%d pages, want 3", pages)
				}
				seen := map[string]bool{}
				for _, id := range got {
					if seen[id] {
						t.Errorf("record %s listed twice", id)
					}
					seen[id] = true
				}
				if !slices.Equal(got, wantIDs) {
					t.Errorf("paged order differs from the expected order\n got %v\nwant %v", got, wantIDs)
				}
			})
		}

		// A cursor belongs to its sort order.
		r := e.do(t, "admin", "GET", recPath("crm", "deal")+"?limit=50&sort=region", nil).want(t, 200)
		e.do(t, "admin", "GET", recPath("crm", "deal")+"?limit=50&sort=amount&cursor="+url.QueryEscape(r.str("next_cursor")), nil).want(t, 400)
		// The default limit is 50.
		r = e.do(t, "admin", "GET", recPath("crm", "deal"), nil).want(t, 200)
		if r.num("records.#") != 50 || r.str("next_cursor") == "" {
			t.Errorf("default page: %v records, next %q", r.num("records.#"), r.str("next_cursor"))
		}
		// A filter and paging together, with small pages.
		var want []string
		for _, row := range rows {
			if row.amount != nil && *row.amount >= 500 {
				want = append(want, row.id)
			}
		}
		got, _ := pageAll(t, e, "sort=id&filter="+url.QueryEscape("amount >= 500"), 7)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("filtered paging: %d records, want %d", len(got), len(want))
		}
		r = e.do(t, "admin", "GET", recPath("crm", "deal")+"?total=true&limit=7&filter="+url.QueryEscape("amount >= 500"), nil).want(t, 200)
		if int(r.num("total")) != len(want) {
			t.Errorf("total %v, want %d", r.num("total"), len(want))
		}
	})
}

// pageAll follows next_cursor through deal records with the given query
// and page size, returning the ids in order and the number of pages.
func pageAll(t *testing.T, e *env, query string, limit int) ([]string, int) {
	t.Helper()
	var ids []string
	cursor := ""
	for pages := 1; pages <= 100; pages++ {
		u := fmt.Sprintf("%s?limit=%d&%s", recPath("crm", "deal"), limit, query)
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		r := e.do(t, "admin", "GET", u, nil).want(t, 200)
		recs := r.list("records")
		if len(recs) > limit {
			t.Fatalf("page of %d records, limit %d", len(recs), limit)
		}
		for _, rec := range recs {
			ids = append(ids, rec.(map[string]any)["id"].(string))
		}
		if cursor = r.str("next_cursor"); cursor == "" {
			return ids, pages
		}
	}
	t.Fatal("more than 100 pages")
	return nil, 0
}

// Paging through small pages gives exactly the sequence of one big page,
// whatever kind of column is sorted on, NULLs and duplicates included.
func TestCursorEveryColumnKind(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.createApp(t, "crm")
		e.createModule(t, "crm", "account", schema(t, "account"))
		e.createModule(t, "crm", "thing", schema(t, "all_types"))
		var accs []string
		for i := range 3 {
			accs = append(accs, e.create(t, "crm", "account", map[string]any{"name": fmt.Sprint("acc", i)}).str("id"))
		}
		users := []string{e.ids["admin"], e.ids["user"]}
		for i := range 23 {
			v := map[string]any{"title": fmt.Sprint("t", i%4)}
			if i%5 != 0 { // every fifth record has NULLs
				v["score"] = float64(i%3) + 0.1
				v["qty"] = i % 4
				v["price"] = float64(i%3) / 8
				v["active"] = i%2 == 0
				v["due"] = fmt.Sprintf("2026-01-%02d", 1+i%3)
				v["at"] = fmt.Sprintf("2026-01-01T00:00:%02d.5Z", i%3)
				v["status"] = []string{"open", "done"}[i%2]
				v["account"] = accs[i%3]
				v["assignee"] = users[i%2]
			}
			e.create(t, "crm", "thing", v)
		}
		for _, key := range []string{"title", "score", "qty", "price", "active", "due", "at", "status", "account", "assignee", "seq", "updated_at", "owner"} {
			specs := []string{key, "-" + key}
			if key != "qty" {
				specs = append(specs, key+",-qty")
			}
			if key != "title" {
				specs = append(specs, "-"+key+",title")
			}
			for _, sortSpec := range specs {
				u := recPath("crm", "thing") + "?sort=" + url.QueryEscape(sortSpec)
				all := e.do(t, "admin", "GET", u+"&limit=500", nil).want(t, 200)
				var want []string
				for _, rec := range all.list("records") {
					want = append(want, rec.(map[string]any)["id"].(string))
				}
				var got []string
				cursor := ""
				for range 30 {
					r := e.do(t, "admin", "GET", u+"&limit=4&cursor="+url.QueryEscape(cursor), nil)
					if r.Status != 200 {
						t.Fatalf("sort %s: status %d: %s", sortSpec, r.Status, r.Body)
					}
					for _, rec := range r.list("records") {
						got = append(got, rec.(map[string]any)["id"].(string))
					}
					if cursor = r.str("next_cursor"); cursor == "" {
						break
					}
				}
				if len(want) != 23 || !slices.Equal(got, want) {
					t.Errorf("sort %s: paged %d ids, one page %d; sequences differ", sortSpec, len(got), len(want))
				}
			}
		}
	})
}

func TestListExpand(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		accs := map[string]string{}
		for _, n := range []string{"Acme", "Globex", "Initech"} {
			accs[e.create(t, "crm", "account", map[string]any{"name": n, "industry": "i-" + n}).str("id")] = n
		}
		var ids []string
		for id := range accs {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		want := map[string]string{} // deal id → account name
		for i := range 60 {
			acc := ids[i%3]
			d := e.create(t, "crm", "deal", map[string]any{"name": fmt.Sprint("d", i), "account": acc}).str("id")
			want[d] = accs[acc]
		}
		none := e.create(t, "crm", "deal", map[string]any{"name": "no account"}).str("id")
		// A deleted account expands to nothing.
		doomed := e.create(t, "crm", "account", map[string]any{"name": "Doomed"}).str("id")
		orphan := e.create(t, "crm", "deal", map[string]any{"name": "orphan", "account": doomed}).str("id")
		// (A live deal holding it would refuse the delete — on_delete
		// restrict — so the deal is out of the way meanwhile, and restored
		// pointing to the deleted account.)
		e.do(t, "admin", "DELETE", recIDPath("crm", "deal", orphan), nil).want(t, 204)
		e.do(t, "admin", "DELETE", recIDPath("crm", "account", doomed), nil).want(t, 204)
		e.do(t, "admin", "POST", recIDPath("crm", "deal", orphan)+"/restore", nil).want(t, 200)

		r := e.do(t, "admin", "GET", recPath("crm", "deal")+"?limit=100&expand=account", nil).want(t, 200)
		if n := len(r.list("records")); n != 62 {
			t.Fatalf("%d records, want 62", n)
		}
		for _, rec := range r.list("records") {
			m := rec.(map[string]any)
			id := m["id"].(string)
			ex := lookup(m, "expand.account")
			switch id {
			case none, orphan:
				if ex != nil {
					t.Errorf("%s expanded to %v", m["name"], ex)
				}
				continue
			}
			if got := lookup(m, "expand.account.name"); got != want[id] {
				t.Errorf("deal %s: expanded account %v, want %s", m["name"], got, want[id])
			}
			if lookup(m, "expand.account.industry") != "i-"+want[id] || lookup(m, "expand.account.id") != m["account"] {
				t.Errorf("deal %s: incomplete expansion %v", m["name"], ex)
			}
		}
		// Without expand, no expand key.
		r = e.do(t, "admin", "GET", recPath("crm", "deal")+"?limit=1", nil).want(t, 200)
		if strings.Contains(string(r.Body), `"expand"`) {
			t.Errorf("expand without asking: %s", r.Body)
		}
	})
}

// ---------------------------------------------------------------------------
// Hostile and broken input

func TestMalformedBodies(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		id := e.create(t, "crm", "deal", map[string]any{"name": "x"}).str("id")
		bad := func(name, method, u, body string) scenario {
			return scenario{name: name, method: method, url: u, as: "admin", body: body, status: 400,
				json: map[string]any{"code": "invalid"}}
		}
		e.run(t, []scenario{
			bad("create: truncated", "POST", recPath("crm", "deal"), `{"name":`),
			bad("create: not json", "POST", recPath("crm", "deal"), `name=x`),
			bad("create: two documents", "POST", recPath("crm", "deal"), `{"name":"a"}{"name":"b"}`),
			bad("create: array", "POST", recPath("crm", "deal"), `[{"name":"a"}]`),
			bad("create: string", "POST", recPath("crm", "deal"), `"a"`),
			bad("patch: truncated", "PATCH", recIDPath("crm", "deal", id), `{"version":1,`),
			bad("app: wrong type", "POST", "/api/apps", `{"key":1,"label":{"en":"x"}}`),
			bad("app patch: truncated", "PATCH", appPath("crm"), `{`),
			bad("module put: truncated", "PUT", modPath("crm", "deal"), `{"schema":`),
			bad("login: truncated", "POST", "/api/auth/login", `{"email"`),
		})
		if n := e.count(t, "crm", "deal"); n != 1 {
			t.Errorf("deal count %d, want 1", n)
		}
		e.record(t, "crm", "deal", id).json(t, map[string]any{"version": 1, "name": "x"})
	})
}

// lazyBody yields n bytes of a JSON-ish string without holding them, and
// counts how many were actually read.
type lazyBody struct {
	n, read int64
	mu      sync.Mutex
}

func (b *lazyBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.read >= b.n {
		return 0, io.EOF
	}
	k := min(int64(len(p)), b.n-b.read)
	for i := range p[:k] {
		p[i] = 'a'
	}
	if b.read == 0 && k > 0 {
		p[0] = '"'
	}
	b.read += k
	return int(k), nil
}

func (b *lazyBody) count() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.read
}

func TestHugeBodyIsRefusedUnread(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		for _, path := range []string{recPath("crm", "deal"), "/api/auth/login"} {
			body := &lazyBody{n: 100 << 20}
			req, err := http.NewRequest("POST", e.url+path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = body.n
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+e.tokens["admin"])
			start := time.Now()
			r := send(t, req)
			took := time.Since(start)
			if r.Status != 413 {
				t.Fatalf("%s: status %d, want 413; body %s", path, r.Status, r.Body)
			}
			checkProblem(t, r)
			if read := body.count(); read > 32<<20 {
				t.Errorf("%s: client had to produce %d MB before the answer", path, read>>20)
			}
			if took > 5*time.Second {
				t.Errorf("%s: 413 took %v", path, took)
			}
		}
		// Just over the limit without a Content-Length (chunked) is refused
		// while reading.
		body := &lazyBody{n: 11 << 20}
		req, _ := http.NewRequest("POST", e.url+recPath("crm", "deal"), io.MultiReader(body))
		req.Header.Set("Authorization", "Bearer "+e.tokens["admin"])
		r := send(t, req)
		if r.Status != 413 {
			t.Errorf("chunked 11 MB: status %d, want 413; body %s", r.Status, r.Body)
		}
		if n := e.count(t, "crm", "deal"); n != 0 {
			t.Errorf("deal count %d after refused bodies", n)
		}
		e.do(t, "admin", "GET", "/healthz", nil).want(t, 200)
	})
}

func TestConcurrentPatches(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		id := e.create(t, "crm", "deal", map[string]any{"name": "race", "qty": 0}).str("id")
		p := recIDPath("crm", "deal", id)
		for round := 1; round <= 10; round++ {
			var wg sync.WaitGroup
			statuses := make([]int, 2)
			start := make(chan struct{})
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					r, err := e.try("admin", "PATCH", p, map[string]any{"version": round, "qty": round*10 + i})
					if err != nil {
						t.Error(err)
						return
					}
					statuses[i] = r.Status
				}()
			}
			close(start)
			wg.Wait()
			sort.Ints(statuses)
			if !slices.Equal(statuses, []int{200, 409}) {
				t.Fatalf("round %d: statuses %v, want one 200 and one 409", round, statuses)
			}
			r := e.record(t, "crm", "deal", id)
			if r.num("version") != float64(round+1) {
				t.Fatalf("round %d: version %v", round, r.num("version"))
			}
			if q := int(r.num("qty")); q != round*10 && q != round*10+1 {
				t.Fatalf("round %d: qty %d is neither write", round, q)
			}
		}
	})
}

func TestConcurrentCreates(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		const n = 20
		var wg sync.WaitGroup
		codes := make([]string, n)
		statuses := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := map[string]any{"name": fmt.Sprint("c", i)}
				if i%2 == 0 {
					body["ref"] = "SAME" // only one of these may win
				}
				r, err := e.try("admin", "POST", recPath("crm", "deal"), body)
				if err != nil {
					t.Error(err)
					return
				}
				statuses[i] = r.Status
				codes[i] = r.str("code")
			}()
		}
		wg.Wait()
		created, conflicts := 0, 0
		var got []string
		for i, st := range statuses {
			switch st {
			case 201:
				created++
				got = append(got, codes[i])
			case 409:
				conflicts++
			default:
				t.Errorf("create %d: status %d", i, st)
			}
		}
		if created != n/2+1 || conflicts != n/2-1 {
			t.Errorf("%d created, %d conflicts; want %d and %d", created, conflicts, n/2+1, n/2-1)
		}
		// Autonumbers are distinct; a failed create may burn no number, so
		// the winners hold exactly the first numbers.
		slices.Sort(got)
		var want []string
		for i := range created {
			want = append(want, fmt.Sprintf("D-%04d", i+1))
		}
		if !slices.Equal(got, want) {
			t.Errorf("autonumbers %v, want %v", got, want)
		}
		if c := e.count(t, "crm", "deal"); c != created {
			t.Errorf("count %d, want %d", c, created)
		}
	})
}

func TestFailuresLeaveNothingBehind(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		acc := e.create(t, "crm", "account", map[string]any{"name": "Acme"}).str("id")
		e.create(t, "crm", "deal", map[string]any{"name": "keep", "ref": "R-1"})
		for _, body := range []any{
			map[string]any{"name": "x", "stage": "nope"},        // form
			map[string]any{"name": "x", "account": noSuchID},    // lookup, inside the transaction
			map[string]any{"name": "x", "ref": "R-1"},           // unique, at insert
			map[string]any{"name": "x", "account": acc, "q": 1}, // unknown field
			`{"name":"x"`, // malformed
		} {
			r := e.do(t, "admin", "POST", recPath("crm", "deal"), body)
			if r.Status < 400 || r.Status >= 500 {
				t.Errorf("create %v: status %d; body %s", body, r.Status, r.Body)
			}
		}
		if n := e.rowCount(t, "t_crm__deal"); n != 1 {
			t.Errorf("deal table has %d rows, want 1", n)
		}
		// The autonumber sequence did not move either.
		e.create(t, "crm", "deal", map[string]any{"name": "next"}).json(t, map[string]any{"code": "D-0002"})
		// A refused module change leaves metadata and table alone.
		before := e.do(t, "admin", "GET", modPath("crm", "deal"), nil).want(t, 200)
		e.putModule(t, "crm", "deal", props(`"name":{"x-field":{"type":"integer"}}`)).want(t, 422)
		after := e.do(t, "admin", "GET", modPath("crm", "deal"), nil).want(t, 200)
		if string(before.Body) != string(after.Body) {
			t.Errorf("module changed by a refused PUT:\n%s\n%s", before.Body, after.Body)
		}
		if vs := e.do(t, "admin", "GET", modPath("crm", "deal")+"/versions", nil).want(t, 200); vs.num("versions.#") != 1 {
			t.Errorf("versions after refused PUT: %v", vs.num("versions.#"))
		}
	})
}

// ---------------------------------------------------------------------------
// OpenAPI

func TestOpenAPI(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		e.do(t, "", "GET", "/api/openapi.json", nil).want(t, 401)
		e.grantMember(t) // the document shows only modules the caller may read
		r := e.do(t, "user", "GET", "/api/openapi.json", nil).want(t, 200)
		if v := r.str("openapi"); v != "3.1.0" {
			t.Errorf("openapi = %q, want 3.1.0", v)
		}
		paths := r.obj("paths")
		for _, mod := range []string{"account", "deal"} {
			p := "/api/apps/crm/modules/" + mod + "/records"
			if op(paths, p, "get") == nil || op(paths, p, "post") == nil {
				t.Errorf("no GET and POST for %s in %v", p, slices.Sorted(mapKeys(paths)))
			}
		}
		// The module's record schema lists its fields.
		var found bool
		for name, sch := range r.obj("components.schemas") {
			if strings.Contains(name, "deal") && lookup(sch, "properties.amount") != nil && lookup(sch, "properties.account") != nil {
				found = true
			}
		}
		if !found {
			t.Errorf("no schema with the deal fields among %v", slices.Sorted(mapKeys(r.obj("components.schemas"))))
		}
		// Every route the server has is documented, with its method.
		concrete := strings.NewReplacer("{app}/modules/{module}/records", "crm/modules/deal/records")
		for _, route := range apiRoutes(t, e) {
			method, path, _ := strings.Cut(route, " ")
			path = strings.NewReplacer("crm", "{app}", "deal", "{module}", noSuchID, "{id}", ":key", "{key}", ":token", "{token}",
				":instance", "{instance}", ":task", "{task}", ":action", "{action}", ":template", "{template}", ":widget", "{widget}").Replace(path)
			m := strings.ToLower(method)
			if op(paths, path, m) == nil && op(paths, concrete.Replace(path), m) == nil {
				t.Errorf("%s %s is not in the OpenAPI document", method, path)
			}
		}
	})
}

// op returns the OpenAPI operation for path and method, or nil.
func op(paths map[string]any, path, method string) any {
	item, _ := paths[path].(map[string]any)
	return item[method]
}

func mapKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
