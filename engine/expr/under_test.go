package expr

import (
	"reflect"
	"testing"
)

// treeResolver has a tree field whose subtree of "mfg" is three nodes,
// and a plain text field.
func treeResolver(name string) (Column, bool) {
	switch name {
	case "industry":
		return Column{SQL: `"industry"`, Kind: KindText, Subtree: func(v string) ([]string, bool) {
			switch v {
			case "mfg":
				return []string{"mfg", "mfg_auto", "mfg_chem"}, true
			case "it":
				return []string{"it"}, true
			}
			return nil, false
		}}, true
	case "name":
		return Column{SQL: `"name"`, Kind: KindText}, true
	}
	return Column{}, false
}

func TestUnderSQL(t *testing.T) {
	w, err := Filter(`under(industry, "mfg") && name != "x"`, treeResolver, Postgres, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := `(("industry" IN ($3, $4, $5)) AND ("name" IS DISTINCT FROM $6))`
	if w.SQL != want || !reflect.DeepEqual(w.Args, []any{"mfg", "mfg_auto", "mfg_chem", "x"}) {
		t.Fatalf("got %s %v", w.SQL, w.Args)
	}
	// Negated, a record with no industry is not under mfg, so it matches.
	w, err = Filter(`!under(industry, "it")`, treeResolver, SQLite, 0)
	if err != nil {
		t.Fatal(err)
	}
	if w.SQL != `(NOT COALESCE(("industry" IN (?)), 0))` || !reflect.DeepEqual(w.Args, []any{"it"}) {
		t.Fatalf("got %s %v", w.SQL, w.Args)
	}
	reads, err := FilterReads(`under(industry, "mfg")`)
	if err != nil || !reflect.DeepEqual(reads, []string{"industry"}) {
		t.Fatalf("reads %v %v", reads, err)
	}
}

func TestUnderErrors(t *testing.T) {
	for src, key := range map[string]string{
		`under(industry, "nope")`:     "expr.unknown_node",
		`under(name, "mfg")`:          "expr.not_tree",
		`under(industry)`:             "expr.under_args",
		`under(industry, 3)`:          "expr.under_args",
		`under(industry, name)`:       "expr.under_args",
		`under("mfg", "mfg")`:         "expr.under_args",
		`under(missing, "mfg")`:       "expr.unknown_field",
		`under(industry, "mfg") == 1`: "expr.not_value",
	} {
		_, err := Filter(src, treeResolver, SQLite, 0)
		wantInvalid(t, err, key)
	}
}
