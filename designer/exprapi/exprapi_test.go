package exprapi_test

// The expression editor endpoints, through the real HTTP stack
// (server.New) over each store dialect: SQLite always, PostgreSQL when
// TESSERA_TEST_DATABASE_URL is set.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/server"
)

const password = "correct-horse-battery"

const dealSchema = `{"type":"object","properties":{
	"name":   {"x-field":{"type":"text"}},
	"amount": {"x-field":{"type":"currency"}},
	"qty":    {"x-field":{"type":"integer"}},
	"stage":  {"x-field":{"type":"select","options":[{"value":"new"},{"value":"won"}]}},
	"closed": {"x-field":{"type":"boolean"}},
	"due":    {"x-field":{"type":"date"}},
	"tags":   {"x-field":{"type":"multiselect","options":[{"value":"a"},{"value":"vip"}]}},
	"secret": {"x-field":{"type":"text"}}
}}`

type env struct {
	url    string
	tokens map[string]string
	ids    map[string]string
}

// setup starts a server with an admin, a reader (role "reader": read
// own deals, field secret hidden) and an outsider (no role), app crm with
// module deal.
func setup(t *testing.T, s *store.Store) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(server.New(server.NewServices(s), log))
	t.Cleanup(srv.Close)
	e := &env{url: srv.URL, tokens: map[string]string{}, ids: map[string]string{}}
	acc := access.NewService(s)
	for _, who := range []string{"admin", "reader", "outsider"} {
		u, err := acc.CreateUser(context.Background(), access.NewUser{Email: who + "@example.com", Password: password, Name: who, IsAdmin: who == "admin"})
		if err != nil {
			t.Fatal(err)
		}
		e.ids[who] = u.ID
		var out struct{ Token string }
		e.do(t, "", "POST", "/api/auth/login", map[string]string{"email": who + "@example.com", "password": password}, 200, &out)
		e.tokens[who] = out.Token
	}
	label := map[string]string{"en": "x", "zh-CN": "x"}
	e.do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": label}, 201, nil)
	e.do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "deal", "label": label, "schema": json.RawMessage(dealSchema)}, 201, nil)
	e.do(t, "admin", "POST", "/api/roles", map[string]any{"key": "reader", "label": label, "permissions": []any{
		map[string]any{"app": "crm", "module": "deal", "actions": []string{"create", "read"},
			"scope": map[string]string{"read": "own"}, "fields": map[string]string{"secret": "hidden"}},
	}}, 201, nil)
	e.do(t, "admin", "PATCH", "/api/users/"+e.ids["reader"], map[string]any{"roles": []string{"reader"}}, 200, nil)
	return e
}

// do sends a request as who ("" for none), checks the status and decodes
// the body into out (when not nil); it returns the raw body.
func (e *env) do(t *testing.T, who, method, path string, body any, status int, out any, hdr ...string) []byte {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "en")
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[who])
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, res.StatusCode, status, b)
	}
	if out != nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return b
}

type checkResult struct {
	Type   string `json:"type"`
	Errors []struct {
		Message string `json:"message"`
		Line    int    `json:"line"`
		Column  int    `json:"column"`
		Pos     int    `json:"pos"`
	} `json:"errors"`
}

type problem struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

func TestCheckEndpoint(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		const path = "/api/apps/crm/expr/check"

		var res checkResult
		e.do(t, "admin", "POST", path, map[string]any{"module": "deal", "expr": `amount > 1000 && stage == "won"`}, 200, &res)
		if res.Type != "bool" || res.Errors == nil || len(res.Errors) != 0 {
			t.Errorf("valid: %+v", res)
		}
		raw := e.do(t, "admin", "POST", path, map[string]any{"module": "deal", "expr": "addDays(due, qty)"}, 200, nil)
		if !strings.Contains(string(raw), `"type":"date"`) || !strings.Contains(string(raw), `"errors":[]`) {
			t.Errorf("date: %s", raw)
		}

		// Errors come with line, column and position.
		res = checkResult{}
		e.do(t, "admin", "POST", path, map[string]any{"module": "deal", "expr": "amount > 1 &&\n  nope"}, 200, &res)
		if len(res.Errors) != 1 || res.Errors[0].Line != 2 || res.Errors[0].Column != 3 || res.Errors[0].Pos != 17 ||
			res.Errors[0].Message != `Unknown field or variable "nope".` {
			t.Errorf("unknown field: %+v", res)
		}
		res = checkResult{}
		e.do(t, "admin", "POST", path, map[string]any{"module": "deal", "expr": `amount + "x"`}, 200, &res)
		if len(res.Errors) != 1 || res.Errors[0].Column != 8 || !strings.Contains(res.Errors[0].Message, "`+` cannot be used between a number and text") {
			t.Errorf("type mismatch: %+v", res)
		}
		res = checkResult{}
		e.do(t, "admin", "POST", path, map[string]any{"module": "deal", "expr": "amount * 2", "want": "bool"}, 200, &res)
		if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "gives a number, but true or false is needed") {
			t.Errorf("result kind: %+v", res)
		}
		// In the caller's language.
		res = checkResult{}
		e.do(t, "admin", "POST", path, map[string]any{"module": "deal", "expr": "nope"}, 200, &res, "Accept-Language", "zh-CN")
		if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "不存在") {
			t.Errorf("zh-CN: %+v", res)
		}

		// A reader checks against the fields they can see.
		res = checkResult{}
		e.do(t, "reader", "POST", path, map[string]any{"module": "deal", "expr": "amount > 1"}, 200, &res)
		if len(res.Errors) != 0 {
			t.Errorf("reader: %+v", res)
		}
		res = checkResult{}
		e.do(t, "reader", "POST", path, map[string]any{"module": "deal", "expr": `secret == "x"`}, 200, &res)
		if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, `"secret"`) {
			t.Errorf("hidden field: %+v", res)
		}

		var p problem
		e.do(t, "outsider", "POST", path, map[string]any{"module": "deal", "expr": "1"}, 403, &p)
		e.do(t, "", "POST", path, map[string]any{"module": "deal", "expr": "1"}, 401, nil)
		e.do(t, "admin", "POST", path, map[string]any{"module": "nope", "expr": "1"}, 404, nil)
		e.do(t, "admin", "POST", "/api/apps/nope/expr/check", map[string]any{"module": "deal", "expr": "1"}, 404, nil)
		e.do(t, "admin", "POST", path, map[string]any{"expr": "1"}, 422, nil)
		e.do(t, "admin", "POST", path, map[string]any{"module": "deal", "expr": "1", "want": "money"}, 422, nil)
		e.do(t, "admin", "POST", path, map[string]any{"module": "deal", "expr": "1", "extra": true}, 400, nil)
	})
}

func TestEvalEndpoint(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		const path = "/api/apps/crm/expr/eval"
		type out struct {
			Value any    `json:"value"`
			Type  string `json:"type"`
		}
		eval := func(who string, body map[string]any) out {
			t.Helper()
			var o out
			e.do(t, who, "POST", path, body, 200, &o)
			return o
		}

		// A sample record.
		sample := map[string]any{"name": "Ann", "amount": 1500.5, "qty": 3, "stage": "won", "closed": false, "due": "2026-01-31", "tags": []string{"vip"}}
		if o := eval("admin", map[string]any{"module": "deal", "expr": `amount > 1000 && stage == "won" && !closed`, "record": sample}); o.Value != true || o.Type != "bool" {
			t.Errorf("condition: %+v", o)
		}
		if o := eval("admin", map[string]any{"module": "deal", "expr": "round(amount * qty, 1)", "record": sample}); o.Value != json.Number("4501.5") || o.Type != "number" {
			t.Errorf("number: %+v", o)
		}
		if o := eval("admin", map[string]any{"module": "deal", "expr": "addMonths(due, 1)", "record": sample}); o.Value != "2026-02-28" || o.Type != "date" {
			t.Errorf("date: %+v", o)
		}
		if o := eval("admin", map[string]any{"module": "deal", "expr": "daysBetween(due, today)", "record": sample, "now": "2026-03-02T10:00:00Z"}); o.Value != json.Number("30") {
			t.Errorf("now: %+v", o)
		}
		if o := eval("admin", map[string]any{"module": "deal", "expr": "amount"}); o.Value != nil {
			t.Errorf("no record: %+v", o)
		}
		if o := eval("admin", map[string]any{"module": "deal", "expr": `[changed("stage"), changed("amount"), old.stage]`,
			"record": sample, "old": map[string]any{"stage": "new", "amount": "1500.50"}}); !equalJSON(o.Value, []any{true, false, "new"}) {
			t.Errorf("old: %+v", o)
		}
		if o := eval("reader", map[string]any{"module": "deal", "expr": `[user.id, user.roles]`}); !equalJSON(o.Value, []any{e.ids["reader"], []any{"reader"}}) {
			t.Errorf("user: %+v", o)
		}

		// A stored record, read with the caller's rights.
		var rec struct{ ID string }
		e.do(t, "admin", "POST", "/api/apps/crm/modules/deal/records",
			map[string]any{"name": "Big", "amount": 2000, "qty": 2, "tags": []string{"a", "vip"}, "due": "2026-05-31", "secret": "s"}, 201, &rec)
		if o := eval("admin", map[string]any{"module": "deal", "expr": `concat(name, ": ", amount * qty, " ", join(tags, "+"), " ", addDays(due, 1), " ", owner == user.id)`, "record": rec.ID}); o.Value != "Big: 4000 a+vip 2026-06-01 true" {
			t.Errorf("stored record: %+v", o)
		}
		// The reader may only read their own deals: the admin's is not found.
		e.do(t, "reader", "POST", path, map[string]any{"module": "deal", "expr": "name", "record": rec.ID}, 404, nil)
		var mine struct{ ID string }
		e.do(t, "reader", "POST", "/api/apps/crm/modules/deal/records", map[string]any{"name": "Mine"}, 201, &mine)
		if o := eval("reader", map[string]any{"module": "deal", "expr": "name + '!'", "record": mine.ID}); o.Value != "Mine!" {
			t.Errorf("reader's record: %+v", o)
		}
		e.do(t, "reader", "POST", path, map[string]any{"module": "deal", "expr": "secret", "record": mine.ID}, 422, nil)
		e.do(t, "outsider", "POST", path, map[string]any{"module": "deal", "expr": "1"}, 403, nil)
		e.do(t, "admin", "POST", path, map[string]any{"module": "deal", "expr": "name", "record": "00000000-0000-0000-0000-000000000000"}, 404, nil)

		// Expressions that fail are 422 problems with the reason.
		var p problem
		e.do(t, "admin", "POST", path, map[string]any{"module": "deal", "expr": "amount / 0", "record": sample}, 422, &p)
		if p.Code != "unprocessable" || !strings.Contains(p.Detail, "not finite") {
			t.Errorf("division by zero: %+v", p)
		}
		p = problem{}
		e.do(t, "admin", "POST", path, map[string]any{"module": "deal", "expr": "nope + 1"}, 422, &p)
		if !strings.Contains(p.Detail, `Line 1, column 1: Unknown field or variable "nope"`) {
			t.Errorf("compile error: %+v", p)
		}
		p = problem{}
		e.do(t, "admin", "POST", path, map[string]any{"module": "deal", "expr": "qty + 1", "record": map[string]any{"qty": "many"}}, 422, &p)
		if !strings.Contains(p.Detail, `"qty"`) {
			t.Errorf("bad sample value: %+v", p)
		}
		start := time.Now()
		p = problem{}
		e.do(t, "admin", "POST", path, map[string]any{"module": "deal", "expr": "1..100000000 | filter(# > 0) | len()"}, 422, &p)
		if !strings.Contains(p.Detail, "too many values") || time.Since(start) > 2*time.Second {
			t.Errorf("huge range: %+v after %v", p, time.Since(start))
		}
		e.do(t, "admin", "POST", path, map[string]any{"module": "deal", "expr": `repeat("a", 9)`}, 422, nil)
		e.do(t, "admin", "POST", path, map[string]any{"module": "deal", "expr": "1", "record": 5}, 422, nil)
		e.do(t, "admin", "POST", path, map[string]any{"module": "deal", "expr": "1", "now": "noon"}, 422, nil)
	})
}

// equalJSON compares decoded JSON values (numbers as json.Number).
func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
