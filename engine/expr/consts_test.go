package expr

import (
	"reflect"
	"testing"

	"github.com/tessera-app/tessera/engine/errs"
)

func TestFilterWithConsts(t *testing.T) {
	resolve := func(name string) (Column, bool) {
		switch name {
		case "owner":
			return Column{SQL: `"owner_id"`, Kind: KindRef}, true
		case "amount":
			return Column{SQL: `"amount"`, Kind: KindNumber}, true
		case "region":
			return Column{SQL: `"region"`, Kind: KindText}, true
		}
		return Column{}, false
	}
	uid := "0193a000-0000-7000-8000-000000000001"
	consts := Consts{"user.id": uid, "user.regions": []string{"east", "north"}}
	w, err := FilterWith(`owner == user.id || amount < 10000`, resolve, Postgres, 2, consts)
	if err != nil {
		t.Fatal(err)
	}
	if w.SQL != `(("owner_id" = $3) OR ("amount" < $4))` || !reflect.DeepEqual(w.Args, []any{uid, int64(10000)}) {
		t.Errorf("got %s %v", w.SQL, w.Args)
	}
	w, err = FilterWith(`region in user.regions`, resolve, SQLite, 0, consts)
	if err != nil || w.SQL != `("region" IN (?, ?))` || !reflect.DeepEqual(w.Args, []any{"east", "north"}) {
		t.Errorf("list const: %s %v %v", w.SQL, w.Args, err)
	}
	for _, bad := range []string{`owner == user.secret`, `owner == user`, `owner == other.id`, `owner == user?.id`} {
		if _, err := FilterWith(bad, resolve, SQLite, 0, consts); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("%s: want Invalid, got %v", bad, err)
		}
	}
	// Without consts the same expression is refused, as before.
	if _, err := Filter(`owner == user.id`, resolve, SQLite, 0); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("user.id without consts: %v", err)
	}
}

func TestDecimalLiteralKeepsPrecision(t *testing.T) {
	resolve := func(name string) (Column, bool) { return Column{SQL: `"cost"`, Kind: KindNumber}, name == "cost" }
	w, err := Filter(`cost == 9999999999999999.99 || cost > -1234567890123456.78`, resolve, Postgres, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(w.Args, []any{"9999999999999999.99", "-1234567890123456.78"}) {
		t.Errorf("postgres args = %#v", w.Args)
	}
	w, err = Filter(`cost == 9999999999999999.99 || cost > 1.5`, resolve, SQLite, 0)
	if err != nil || !reflect.DeepEqual(w.Args, []any{1e16, 1.5}) {
		t.Errorf("sqlite args = %#v, %v", w.Args, err)
	}
}
