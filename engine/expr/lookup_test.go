package expr

import (
	"context"
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
