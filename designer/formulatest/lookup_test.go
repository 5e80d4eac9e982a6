package formulatest

import (
	"fmt"
	"testing"
)

// TestFormulaThroughLookup: a formula reads fields of the record its
// lookup points to (`customer.region`); the value follows changes of that
// record, its deletion and restore, without bumping the version of the
// records that read it; a schema change adding such a formula fills the
// existing rows; a read of a field the target does not have is refused
// when the schema is saved.
func TestFormulaThroughLookup(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.module(t, "customer", `{"properties": {
			"name":   {"x-field": {"type": "text"}},
			"region": {"x-field": {"type": "select", "options": [{"value": "east"}, {"value": "west"}]}},
			"limit":  {"x-field": {"type": "currency"}},
			"since":  {"x-field": {"type": "date"}}}}`).want(t, 201)
		order := func(extra string) string {
			return `{"properties": {
				"customer": {"x-field": {"type": "lookup", "module": "customer", "on_delete": "clear"}},
				"amount":   {"x-field": {"type": "number"}}` + extra + `}}`
		}
		formulas := `,
				"region":   {"x-field": {"type": "formula", "formula": "customer.region", "result": "text"}},
				"headroom": {"x-field": {"type": "formula", "formula": "customer.limit - amount", "result": "number"}},
				"renew":    {"x-field": {"type": "formula", "formula": "addMonths(customer.since, 12)", "result": "date"}},
				"mine":     {"x-field": {"type": "formula", "formula": "customer.owner == owner", "result": "boolean"}}`
		r := e.module(t, "order", order(`,
				"bad": {"x-field": {"type": "formula", "formula": "customer.nosuch", "result": "text"}}`))
		r.want(t, 422).fieldError(t, "bad.x-field.formula", "bad_formula")
		e.module(t, "order", order("")).want(t, 201)

		acme := e.create(t, "customer", map[string]any{"name": "Acme", "region": "east", "limit": 1000, "since": "2026-01-31"})
		o1 := e.create(t, "order", map[string]any{"customer": acme.str("id"), "amount": 300})
		o2 := e.create(t, "order", map[string]any{"customer": acme.str("id"), "amount": 50})
		none := e.create(t, "order", map[string]any{"amount": 1})

		// Added to existing rows: the recompute job fills them.
		e.replace(t, "order", order(formulas)).want(t, 200)
		e.runJobs(t)
		check := func(rec *response, region, headroom, renew, mine any) {
			t.Helper()
			got := e.get(t, "order", rec.str("id"))
			if got.doc["region"] != region || num(t, got.doc["headroom"]) != headroom || got.doc["renew"] != renew || got.doc["mine"] != mine {
				t.Errorf("order %v: region %v headroom %v renew %v mine %v, want %v %v %v %v", rec.doc["amount"],
					got.doc["region"], got.doc["headroom"], got.doc["renew"], got.doc["mine"], region, headroom, renew, mine)
			}
			if fmt.Sprint(got.doc["version"]) != fmt.Sprint(rec.doc["version"]) {
				t.Errorf("version %v, want %v (derived values do not bump it)", got.doc["version"], rec.doc["version"])
			}
		}
		check(o1, "east", 700.0, "2027-01-31", true)
		check(o2, "east", 950.0, "2027-01-31", true)
		check(none, nil, nil, nil, false)

		// A write of the order computes them too.
		o3 := e.create(t, "order", map[string]any{"customer": acme.str("id"), "amount": 1000})
		check(o3, "east", 0.0, "2027-01-31", true)

		// The customer changes: its orders follow, in the same write.
		acme = e.patch(t, "customer", acme, map[string]any{"region": "west", "limit": 2000}).want(t, 200)
		check(o1, "west", 1700.0, "2027-01-31", true)
		check(o2, "west", 1950.0, "2027-01-31", true)
		check(none, nil, nil, nil, false)

		// Deleted, its orders' lookups are cleared (on_delete clear: an
		// update of each order) and their formulas read as empty; restored
		// and linked again, it is back.
		e.do(t, "DELETE", recs("customer")+"/"+acme.str("id"), nil).want(t, 204)
		o1 = e.get(t, "order", o1.str("id"))
		if o1.doc["customer"] != nil || fmt.Sprint(o1.doc["version"]) != "2" {
			t.Errorf("order after the customer's delete: %s", o1.body)
		}
		check(o1, nil, nil, nil, false)
		e.do(t, "POST", recs("customer")+"/"+acme.str("id")+"/restore", nil).want(t, 200)
		check(o1, nil, nil, nil, false)
		for _, o := range []**response{&o1, &o2, &o3} {
			*o = e.patch(t, "order", e.get(t, "order", (*o).str("id")), map[string]any{"customer": acme.str("id")}).want(t, 200)
		}
		check(o1, "west", 1700.0, "2027-01-31", true)

		// The expression checker knows reads through lookups too.
		ck := e.do(t, "POST", "/api/apps/shop/expr/check", map[string]any{"module": "order", "expr": "customer.limit - amount"}).want(t, 200)
		if ck.doc["type"] != "number" || len(ck.doc["errors"].([]any)) != 0 {
			t.Errorf("check: %s", ck.body)
		}
		ck = e.do(t, "POST", "/api/apps/shop/expr/check", map[string]any{"module": "order", "expr": "customer.nosuch"}).want(t, 200)
		if len(ck.doc["errors"].([]any)) != 1 {
			t.Errorf("check of an unknown target field: %s", ck.body)
		}

		// Filters and sorts work on the stored values.
		if got := e.list(t, "order", "filter=region+%3D%3D+%22west%22&sort=headroom"); len(got) != 3 || got[0]["id"] != o3.str("id") {
			t.Errorf("filtered list %v", got)
		}
	})
}
