// Package formulatest tests formula and rollup fields, validation rules
// and default expressions through the real HTTP stack, once per dialect.
package formulatest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/server"
)

const password = "correct-horse-battery"

type env struct {
	s     *store.Store
	svc   *server.Services
	url   string
	token string
	mu    sync.Mutex
	now   time.Time
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := &env{s: s, now: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
		s.Now = e.clock
		log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
		e.svc = server.NewServices(s)
		e.svc.Jobs.Now = e.clock
		srv := httptest.NewServer(server.New(e.svc, log))
		t.Cleanup(srv.Close)
		e.url = srv.URL
		if _, err := e.svc.Access.CreateUser(context.Background(), access.NewUser{Email: "admin@example.com", Password: password, IsAdmin: true}); err != nil {
			t.Fatal(err)
		}
		e.token = e.do(t, "POST", "/api/auth/login", map[string]string{"email": "admin@example.com", "password": password}).want(t, 200).str("token")
		e.do(t, "POST", "/api/apps", map[string]any{"key": "shop", "label": label("Shop")}).want(t, 201)
		fn(t, e)
	})
}

type response struct {
	status int
	body   []byte
	doc    map[string]any
}

func (r *response) str(k string) string { s, _ := r.doc[k].(string); return s }

func (r *response) want(t *testing.T, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

// fieldError returns the message of the error on field with code, or fails.
func (r *response) fieldError(t *testing.T, field, code string) string {
	t.Helper()
	errs, _ := r.doc["errors"].([]any)
	for _, x := range errs {
		fe := x.(map[string]any)
		if fe["field"] == field && fe["code"] == code {
			return fe["message"].(string)
		}
	}
	t.Fatalf("no %s error on %q in %s", code, field, r.body)
	return ""
}

func (e *env) doLang(t *testing.T, lang, method, path string, body any) *response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", lang)
	req.Header.Set("Authorization", "Bearer "+e.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	r := &response{status: res.StatusCode}
	r.body, _ = io.ReadAll(res.Body)
	d := json.NewDecoder(bytes.NewReader(r.body))
	d.UseNumber()
	d.Decode(&r.doc)
	return r
}

func (e *env) do(t *testing.T, method, path string, body any) *response {
	t.Helper()
	return e.doLang(t, "en", method, path, body)
}

func label(s string) map[string]string { return map[string]string{"en": s, "zh-CN": s} }

func schema(t *testing.T, doc string) map[string]any {
	t.Helper()
	var s map[string]any
	if err := json.Unmarshal([]byte(doc), &s); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	return s
}

func (e *env) module(t *testing.T, key, doc string) *response {
	t.Helper()
	return e.do(t, "POST", "/api/apps/shop/modules", map[string]any{"key": key, "label": label(key), "schema": schema(t, doc)})
}

func (e *env) replace(t *testing.T, key, doc string) *response {
	t.Helper()
	return e.do(t, "PUT", "/api/apps/shop/modules/"+key, map[string]any{"label": label(key), "schema": schema(t, doc)})
}

func recs(mod string) string { return "/api/apps/shop/modules/" + mod + "/records" }

func (e *env) create(t *testing.T, mod string, rec map[string]any) *response {
	t.Helper()
	return e.do(t, "POST", recs(mod), rec).want(t, 201)
}

func (e *env) get(t *testing.T, mod, id string) *response {
	t.Helper()
	return e.do(t, "GET", recs(mod)+"/"+id, nil).want(t, 200)
}

func (e *env) patch(t *testing.T, mod string, rec *response, changes map[string]any) *response {
	t.Helper()
	changes["version"] = rec.doc["version"]
	return e.do(t, "PATCH", recs(mod)+"/"+rec.str("id"), changes)
}

func (e *env) list(t *testing.T, mod, query string) []map[string]any {
	t.Helper()
	r := e.do(t, "GET", recs(mod)+"?"+query, nil).want(t, 200)
	var out []map[string]any
	for _, x := range r.doc["records"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

func (e *env) runJobs(t *testing.T) {
	t.Helper()
	for range 100 {
		n, err := e.svc.Jobs.RunDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("jobs keep coming")
}

// num reads a JSON number (nil for null).
func num(t *testing.T, v any) any {
	t.Helper()
	if v == nil {
		return nil
	}
	f, err := v.(json.Number).Float64()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

const itemSchema = `{"properties": {
	"name":     {"x-field": {"type": "text"}},
	"price":    {"x-field": {"type": "number"}},
	"quantity": {"x-field": {"type": "integer", "default": 1}},
	"discount": {"x-field": {"type": "number"}},
	"total":    {"x-field": {"type": "formula", "formula": "price * quantity * (1 - coalesce(discount, 0))", "result": "number", "indexed": true}},
	"doubled":  {"x-field": {"type": "formula", "formula": "total * 2", "result": "integer"}},
	"unit":     {"x-field": {"type": "formula", "formula": "price / (quantity - 1)", "result": "decimal", "scale": 2}},
	"big":      {"x-field": {"type": "formula", "formula": "total > 100", "result": "boolean"}},
	"shout":    {"x-field": {"type": "formula", "formula": "upper(name)", "result": "text"}},
	"due":      {"x-field": {"type": "date", "default": {"expr": "addDays(today, 30)"}}}
}, "x-validations": [
	{"rule": "discount == nil || discount <= 0.5", "field": "discount",
	 "message": {"en": "Discount of {discount} is above 50%", "zh-CN": "折扣 {discount} 超过 50%"}}
]}`

func TestFormulaStoredFilteredSorted(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.module(t, "item", itemSchema).want(t, 201)
		a := e.create(t, "item", map[string]any{"name": "apple", "price": 10, "quantity": 3, "discount": 0.1})
		if got := num(t, a.doc["total"]); got != 27.0 {
			t.Errorf("total = %v, want 27: %s", got, a.body)
		}
		if got := num(t, a.doc["doubled"]); got != 54.0 {
			t.Errorf("doubled = %v (a formula over a formula)", got)
		}
		if got := a.doc["unit"]; fmt.Sprint(got) != "5" {
			t.Errorf("unit = %v, want 5 (decimal)", got)
		}
		if a.doc["shout"] != "APPLE" || a.doc["big"] != false {
			t.Errorf("shout/big = %v/%v", a.doc["shout"], a.doc["big"])
		}
		// Division by zero stores null and does not fail the write.
		b := e.create(t, "item", map[string]any{"name": "pear", "price": 200})
		if b.doc["unit"] != nil || num(t, b.doc["total"]) != 200.0 || b.doc["big"] != true {
			t.Errorf("pear: %s", b.body)
		}
		e.create(t, "item", map[string]any{"name": "fig", "price": 50, "quantity": 3})

		// Stored: the list API filters and sorts on it.
		got := e.list(t, "item", "filter="+url.QueryEscape("total > 100")+"&sort=-total")
		if len(got) != 2 || got[0]["name"] != "pear" || got[1]["name"] != "fig" {
			t.Errorf("filtered list = %v", got)
		}
		got = e.list(t, "item", "sort=total")
		if len(got) != 3 || got[0]["name"] != "apple" {
			t.Errorf("sorted list = %v", got)
		}

		// An update recomputes from the merged record.
		a = e.patch(t, "item", a, map[string]any{"price": 20}).want(t, 200)
		if got := num(t, a.doc["total"]); got != 54.0 {
			t.Errorf("total after update = %v", got)
		}
		// Clients cannot write a formula, on create or update.
		e.do(t, "POST", recs("item"), map[string]any{"name": "x", "total": 5}).want(t, 422).fieldError(t, "total", "read_only")
		e.patch(t, "item", a, map[string]any{"total": 1}).want(t, 422).fieldError(t, "total", "read_only")
		// Sending back the record as read is fine.
		back := map[string]any{}
		for k, v := range a.doc {
			back[k] = v
		}
		back["name"] = "apple2"
		e.do(t, "PATCH", recs("item")+"/"+a.str("id"), back).want(t, 200)
	})
}

func TestValidationRuleAndDefaultExpression(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.module(t, "item", itemSchema).want(t, 201)
		r := e.do(t, "POST", recs("item"), map[string]any{"name": "a", "price": 1, "discount": 0.6}).want(t, 422)
		if msg := r.fieldError(t, "discount", "rule"); msg != "Discount of 0.6 is above 50%" {
			t.Errorf("en message = %q", msg)
		}
		r = e.doLang(t, "zh-CN", "POST", recs("item"), map[string]any{"name": "a", "price": 1, "discount": 0.6}).want(t, 422)
		if msg := r.fieldError(t, "discount", "rule"); msg != "折扣 0.6 超过 50%" {
			t.Errorf("zh message = %q", msg)
		}
		ok := e.create(t, "item", map[string]any{"name": "a", "price": 1, "discount": 0.5})
		// Rules run on updates too, over the merged record.
		e.patch(t, "item", ok, map[string]any{"discount": 0.9}).want(t, 422).fieldError(t, "discount", "rule")

		// Default expression: today + 30 days; a literal default stays literal.
		if ok.doc["due"] != "2026-04-01" || fmt.Sprint(ok.doc["quantity"]) != "1" {
			t.Errorf("defaults: due %v quantity %v", ok.doc["due"], ok.doc["quantity"])
		}
		// A value given wins over the default.
		given := e.create(t, "item", map[string]any{"name": "b", "due": "2026-12-31"})
		if given.doc["due"] != "2026-12-31" {
			t.Errorf("due = %v", given.doc["due"])
		}
	})
}

func TestBadFormulasRefused(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.module(t, "line", `{"properties": {"amount": {"x-field": {"type": "number"}}, "note": {"x-field": {"type": "text"}}}}`).want(t, 201)
		cases := []struct{ name, props, field, code string }{
			{"unknown field", `"a": {"x-field": {"type": "formula", "formula": "nope * 2", "result": "number"}}`, "a.x-field.formula", "bad_formula"},
			{"wrong result", `"p": {"x-field": {"type": "number"}}, "a": {"x-field": {"type": "formula", "formula": "p * 2", "result": "boolean"}}`, "a.x-field.formula", "bad_formula"},
			{"self", `"a": {"x-field": {"type": "formula", "formula": "a + 1", "result": "number"}}`, "a.x-field.formula", "formula_cycle"},
			{"cycle", `"a": {"x-field": {"type": "formula", "formula": "b + 1", "result": "number"}}, "b": {"x-field": {"type": "formula", "formula": "a * 2", "result": "number"}}`, "b.x-field.formula", "formula_cycle"},
			{"no result", `"a": {"x-field": {"type": "formula", "formula": "1"}}`, "a.x-field.result", "bad_result"},
			{"bad default", `"d": {"x-field": {"type": "date", "default": {"expr": "1 + 1"}}}`, "d.x-field.default", "bad_default"},
			{"rollup op", `"r": {"x-field": {"type": "rollup", "module": "line", "via": "order", "op": "median", "field": "amount"}}`, "r.x-field.op", "schema"},
			{"rollup module", `"r": {"x-field": {"type": "rollup", "module": "nothing", "via": "order", "op": "count"}}`, "r.x-field.module", "lookup_target"},
			{"rollup via", `"r": {"x-field": {"type": "rollup", "module": "line", "via": "amount", "op": "count"}}`, "r.x-field.via", "bad_rollup"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := e.module(t, "order", `{"properties": {`+c.props+`}}`).want(t, 422)
				r.fieldError(t, c.field, c.code)
			})
		}
		r := e.module(t, "order", `{"properties": {"p": {"x-field": {"type": "number"}}},
			"x-validations": [{"rule": "p + 1", "message": {"en": "x"}}, {"rule": "true", "field": "nope", "message": {"en": "x"}}]}`).want(t, 422)
		r.fieldError(t, "x-validations.0.rule", "bad_rule")
		r.fieldError(t, "x-validations.1.field", "unknown_field")
	})
}

func TestRollups(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		orderV1 := `{"properties": {"name": {"x-field": {"type": "text"}}}}`
		e.module(t, "order", orderV1).want(t, 201)
		e.module(t, "line", `{"properties": {
			"order":  {"x-field": {"type": "lookup", "module": "order"}},
			"amount": {"x-field": {"type": "currency"}},
			"status": {"x-field": {"type": "select", "options": [{"value": "open"}, {"value": "cancelled"}]}}
		}}`).want(t, 201)
		o1 := e.create(t, "order", map[string]any{"name": "o1"})
		o2 := e.create(t, "order", map[string]any{"name": "o2"})
		pre := e.create(t, "line", map[string]any{"order": o1.str("id"), "amount": 7})

		// Rollups added to existing orders: the recompute job fills them.
		e.replace(t, "order", `{"properties": {"name": {"x-field": {"type": "text"}},
			"total": {"x-field": {"type": "rollup", "module": "line", "via": "order", "op": "sum", "field": "amount", "filter": "status != 'cancelled'"}},
			"lines": {"x-field": {"type": "rollup", "module": "line", "via": "order", "op": "count", "filter": "status != 'cancelled'"}},
			"average": {"x-field": {"type": "rollup", "module": "line", "via": "order", "op": "avg", "field": "amount"}},
			"top": {"x-field": {"type": "rollup", "module": "line", "via": "order", "op": "max", "field": "amount"}},
			"with_tax": {"x-field": {"type": "formula", "formula": "total * 1.1", "result": "decimal"}}
		}}`).want(t, 200)
		e.runJobs(t)
		check := func(o *response, total, lines, avg, top any) {
			t.Helper()
			got := e.get(t, "order", o.str("id"))
			if num(t, got.doc["total"]) != total || num(t, got.doc["lines"]) != lines || num(t, got.doc["average"]) != avg || num(t, got.doc["top"]) != top {
				t.Fatalf("%s: total %v lines %v avg %v top %v, want %v %v %v %v", got.str("name"),
					got.doc["total"], got.doc["lines"], got.doc["average"], got.doc["top"], total, lines, avg, top)
			}
			if total != nil {
				if wt := num(t, got.doc["with_tax"]); fmt.Sprintf("%.2f", wt) != fmt.Sprintf("%.2f", total.(float64)*1.1) {
					t.Errorf("with_tax = %v for total %v (a formula over a rollup)", wt, total)
				}
			}
		}
		check(o1, 7.0, 1.0, 7.0, 7.0)
		check(o2, 0.0, 0.0, nil, nil)
		// A new order starts at 0 for sum and count.
		o3 := e.create(t, "order", map[string]any{"name": "o3"})
		check(o3, 0.0, 0.0, nil, nil)

		l1 := e.create(t, "line", map[string]any{"order": o1.str("id"), "amount": 10, "status": "open"})
		l2 := e.create(t, "line", map[string]any{"order": o1.str("id"), "amount": 20})
		e.create(t, "line", map[string]any{"order": o1.str("id"), "amount": 100, "status": "cancelled"})
		check(o1, 37.0, 3.0, 34.25, 100.0)

		l2 = e.patch(t, "line", l2, map[string]any{"amount": 40}).want(t, 200)
		check(o1, 57.0, 3.0, 39.25, 100.0)

		// Moving a line to another order updates both.
		e.patch(t, "line", l1, map[string]any{"order": o2.str("id")}).want(t, 200)
		check(o1, 47.0, 2.0, 49.0, 100.0)
		check(o2, 10.0, 1.0, 10.0, 10.0)

		// Delete and restore.
		e.do(t, "DELETE", recs("line")+"/"+l2.str("id"), nil).want(t, 204)
		check(o1, 7.0, 1.0, 53.5, 100.0)
		e.do(t, "POST", recs("line")+"/"+l2.str("id")+"/restore", nil).want(t, 200)
		check(o1, 47.0, 2.0, 49.0, 100.0)
		e.do(t, "DELETE", recs("line")+"/"+pre.str("id"), nil).want(t, 204)
		check(o1, 40.0, 1.0, 70.0, 100.0)

		// Rollups are read-only and sortable.
		e.patch(t, "order", o1, map[string]any{"total": 1}).want(t, 422).fieldError(t, "total", "read_only")
		got := e.list(t, "order", "sort=-total&filter="+url.QueryEscape("lines >= 1"))
		if len(got) != 2 || got[0]["name"] != "o1" || got[1]["name"] != "o2" {
			t.Errorf("orders by total = %v", got)
		}
		// The child module cannot be deleted while a rollup aggregates it.
		e.do(t, "DELETE", "/api/apps/shop/modules/line", nil).want(t, 409)
	})
}

func TestRecomputeOnFormulaChange(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.module(t, "item", `{"properties": {"price": {"x-field": {"type": "number"}}, "quantity": {"x-field": {"type": "integer"}}}}`).want(t, 201)
		progress := func() map[string]any {
			return e.do(t, "GET", "/api/apps/shop/modules/item/recompute", nil).want(t, 200).doc
		}
		if p := progress(); p["status"] != "idle" {
			t.Errorf("progress before = %v", p)
		}
		// More rows than one batch, written before the formula exists.
		m, err := e.svc.Meta.Module(context.Background(), "shop", "item")
		if err != nil {
			t.Fatal(err)
		}
		const rows = record.RecomputeBatch + 37
		err = e.s.InTx(context.Background(), func(tx *store.Tx) error {
			for i := range rows {
				if _, err := e.s.InsertRecord(context.Background(), tx, m, map[string]any{"price": json.Number(fmt.Sprint(i)), "quantity": json.Number("2")}, "", ""); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		withTotal := func(formula string) string {
			return `{"properties": {"price": {"x-field": {"type": "number"}}, "quantity": {"x-field": {"type": "integer"}},
				"total": {"x-field": {"type": "formula", "formula": "` + formula + `", "result": "number"}}}}`
		}
		e.replace(t, "item", withTotal("price * quantity")).want(t, 200)
		if p := progress(); p["status"] != "running" || fmt.Sprint(p["done"]) != "0" || fmt.Sprint(p["total"]) != fmt.Sprint(rows) {
			t.Errorf("progress queued = %v", p)
		}
		e.runJobs(t)
		if p := progress(); p["status"] != "done" || fmt.Sprint(p["done"]) != fmt.Sprint(p["total"]) || fmt.Sprint(p["total"]) != fmt.Sprint(rows) {
			t.Errorf("progress at the end = %v", p)
		}
		// One job per batch, each carrying the progress before it ran.
		var dones []string
		for _, j := range mustJobs(t, e) {
			var p struct{ Done, Total int }
			json.Unmarshal(j.Payload, &p)
			dones = append(dones, fmt.Sprintf("%s:%d/%d", j.Status, p.Done, p.Total))
		}
		if want := fmt.Sprintf("[done:%d/%d done:0/%d]", record.RecomputeBatch, rows, rows); fmt.Sprint(dones) != want {
			t.Errorf("jobs = %v, want %s", dones, want)
		}
		checkAll := func(factor float64) {
			t.Helper()
			n := 0
			page := e.list(t, "item", "limit=500&sort=price")
			page = append(page, e.list(t, "item", "limit=500&sort=-price&filter="+url.QueryEscape(fmt.Sprintf("price >= %d", record.RecomputeBatch)))...)
			for _, r := range page {
				p, tot := num(t, r["price"]).(float64), num(t, r["total"])
				if tot != p*factor {
					t.Fatalf("price %v: total %v, want %v", p, tot, p*factor)
				}
				if fmt.Sprint(r["version"]) != "1" {
					t.Fatalf("recompute bumped the version: %v", r)
				}
				n++
			}
			if n != rows {
				t.Fatalf("checked %d rows", n)
			}
		}
		checkAll(2)

		// Changing the formula recomputes again; not changing it does not.
		e.replace(t, "item", withTotal("price * quantity * 2")).want(t, 200)
		e.runJobs(t)
		checkAll(4)
		before := len(mustJobs(t, e))
		e.replace(t, "item", strings.Replace(withTotal("price * quantity * 2"), `"properties"`, `"title": "Items", "properties"`, 1)).want(t, 200)
		if after := len(mustJobs(t, e)); after != before {
			t.Errorf("a change without formula change enqueued %d jobs", after-before)
		}
	})
}

func mustJobs(t *testing.T, e *env) []store.Job {
	t.Helper()
	js, err := e.s.ListJobs(context.Background(), store.JobFilter{Kind: record.RecomputeKind, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return js
}
