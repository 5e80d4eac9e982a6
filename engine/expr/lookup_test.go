package expr

import (
	"context"
	"reflect"
	"strconv"
	"testing"

	"github.com/tessera-app/tessera/engine/meta"
)

func lookupModules(t *testing.T) (deal *meta.Module, lk Lookups) {
	t.Helper()
	deal = testModule(t)
	p, err := meta.ParseSchema([]byte(`{"type":"object","properties":{
		"name":   {"x-field":{"type":"text"}},
		"limit":  {"x-field":{"type":"currency"}},
		"signed": {"x-field":{"type":"date"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	acct := &meta.Module{ID: deal.ID + "-account", Key: "account", Version: 1, Fields: p.Fields}
	return deal, func(key string) *meta.Module {
		if key == "account" {
			return acct
		}
		return nil
	}
}

// Formulas read fields of the looked-up record; what they read is listed.
func TestLookupReads(t *testing.T) {
	deal, lk := lookupModules(t)
	vars := Vars{Record: map[string]any{"amount": 10, "account": "a1", "account.limit": 500, "account.signed": "2026-01-30", "account.name": "Acme"}}
	for src, want := range map[string]any{
		`account.limit - amount`:        "490",
		`addDays(account.signed, 3)`:    "2026-02-02",
		`upper(account.name)`:           "ACME",
		`account.owner == nil`:          true,
		`account == "a1" && qty == nil`: true,
	} {
		p, err := CompileLookups(src, deal, "", lk)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		got, err := p.Eval(context.Background(), vars)
		if err != nil || !jsonEqualValue(got, want) {
			t.Errorf("%s = %v (%v), want %v", src, got, err, want)
		}
	}
	p, _ := CompileLookups(`account.limit > amount || old.qty > 1 || changed("stage")`, deal, "bool", lk)
	if got := p.Reads(); len(got) != 4 || got[0] != "account.limit" || got[1] != "amount" || got[2] != "qty" || got[3] != "stage" {
		t.Errorf("reads %v", got)
	}
	if r, _ := Reads(`old`, deal); len(r) != 1 || r[0] != "*" {
		t.Errorf("reads of old: %v", r)
	}
	for _, bad := range []string{`account.nosuch`, `account["na" + "me"]`, `account?.name`} {
		if _, err := CompileLookups(bad, deal, "", lk); err == nil {
			t.Errorf("%s compiled", bad)
		}
	}
	// Without Lookups a lookup is text: no fields.
	if _, err := Compile(`account.limit`, deal, ""); err == nil {
		t.Error("account.limit compiled without lookups")
	}
	// Unknown targets: any, checked later.
	if r, err := Reads(`account.nosuch + 1`, deal); err != nil || len(r) != 1 || r[0] != "account.nosuch" {
		t.Errorf("lenient reads %v, %v", r, err)
	}
}

func jsonEqualValue(got, want any) bool {
	if n, ok := got.(interface{ String() string }); ok {
		return n.String() == want
	}
	return got == want
}

// A condition on a field reached through a lookup is an EXISTS on the
// target; those that hold for an empty value are NOT EXISTS of their
// opposite. The subquery's arguments come first, in SQL order, on both
// dialects.
func TestFilterThroughLookup(t *testing.T) {
	resolve := func(name string) (Column, bool) {
		if name != "account.region" && name != "account.vip" {
			return testResolver(name)
		}
		c := Column{SQL: `"lk"."region"`, Kind: KindText}
		if name == "account.vip" {
			c = Column{SQL: `"lk"."vip"`, Kind: KindBool}
		}
		c.Through = func(argStart int) (string, string, []any, error) {
			ph := "$" + strconv.Itoa(argStart+1)
			return `"t_acct" AS "lk"`, `"lk"."id" = "t_deal"."account" AND "lk"."owner_id" = ` + ph, []any{"me"}, nil
		}
		return c, true
	}
	for _, c := range []struct {
		src, want string
		args      []any
	}{
		{`account.region == "east"`, `(EXISTS (SELECT 1 FROM "t_acct" AS "lk" WHERE "lk"."id" = "t_deal"."account" AND "lk"."owner_id" = $1 AND ("lk"."region" = $2)))`, []any{"me", "east"}},
		{`account.region != "east"`, `(NOT (EXISTS (SELECT 1 FROM "t_acct" AS "lk" WHERE "lk"."id" = "t_deal"."account" AND "lk"."owner_id" = $1 AND ("lk"."region" = $2))))`, []any{"me", "east"}},
		{`account.region == nil`, `(NOT (EXISTS (SELECT 1 FROM "t_acct" AS "lk" WHERE "lk"."id" = "t_deal"."account" AND "lk"."owner_id" = $1 AND ("lk"."region" IS NOT NULL))))`, []any{"me"}},
		{`amount > 1 && account.vip`, `(("amount" > $1) AND (EXISTS (SELECT 1 FROM "t_acct" AS "lk" WHERE "lk"."id" = "t_deal"."account" AND "lk"."owner_id" = $2 AND ("lk"."vip" = true))))`, []any{int64(1), "me"}},
		{`!(account.region startsWith "e")`, `(NOT (EXISTS (SELECT 1 FROM "t_acct" AS "lk" WHERE "lk"."id" = "t_deal"."account" AND "lk"."owner_id" = $1 AND ("lk"."region" LIKE $2 ESCAPE '\'))))`, []any{"me", "e%"}},
		{`account.region in ["east", "west"]`, `(EXISTS (SELECT 1 FROM "t_acct" AS "lk" WHERE "lk"."id" = "t_deal"."account" AND "lk"."owner_id" = $1 AND ("lk"."region" IN ($2, $3))))`, []any{"me", "east", "west"}},
	} {
		w, err := Filter(c.src, resolve, Postgres, 0)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if w.SQL != c.want || !reflect.DeepEqual(w.Args, c.args) {
			t.Errorf("%s:\n got %s %v\nwant %s %v", c.src, w.SQL, w.Args, c.want, c.args)
		}
	}
	_, err := Filter(`account.region == name`, resolve, SQLite, 0)
	wantInvalid(t, err, "expr.lookup_compare", "account.region")
	// now and today without parentheses; a field so named wins.
	w, err := Filter(`due < today && closed_at <= now`, testResolver, SQLite, 0)
	if err != nil || len(w.Args) != 2 {
		t.Fatalf("bare clock: %v %v", w, err)
	}
	withNow := func(name string) (Column, bool) {
		if name == "now" {
			return Column{SQL: `"now"`, Kind: KindNumber}, true
		}
		return testResolver(name)
	}
	if w, err := Filter(`now > 3`, withNow, SQLite, 0); err != nil || w.SQL != `("now" > ?)` {
		t.Errorf("field named now: %v %v", w, err)
	}
}
