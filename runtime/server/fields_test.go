package server_test

// Issue 10 item 3: fields= returns only the named fields of each listed
// record (plus id and version), refuses unknown and hidden fields alike.

import (
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
)

func TestListFields(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		acc := e.create(t, "crm", "account", map[string]any{"name": "Acme"}).str("id")
		e.create(t, "crm", "deal", map[string]any{"name": "big", "amount": 500, "account": acc, "region": "east"})
		e.create(t, "crm", "deal", map[string]any{"name": "small", "amount": 5, "account": acc, "region": "west"})

		keys := func(m map[string]any) []string {
			var ks []string
			for k := range m {
				ks = append(ks, k)
			}
			sort.Strings(ks)
			return ks
		}
		q := url.Values{"fields": {"name, amount,created_at"}, "expand": {"account,owner"}, "sort": {"-amount"}}
		r := e.do(t, "admin", "GET", recPath("crm", "deal")+"?"+q.Encode(), nil).want(t, 200)
		recs := r.list("records")
		if len(recs) != 2 {
			t.Fatalf("%d records: %s", len(recs), r.Body)
		}
		for _, x := range recs {
			rec := x.(map[string]any)
			if got := strings.Join(keys(rec), ","); got != "amount,created_at,id,name,version" {
				t.Errorf("keys = %s, want amount,created_at,id,name,version (the expansions of unnamed fields dropped too)", got)
			}
		}
		if recs[0].(map[string]any)["name"] != "big" {
			t.Errorf("sort by a field not returned still sorts: %v", recs[0])
		}
		// An expanded field that is named keeps its expansion.
		q = url.Values{"fields": {"account"}, "expand": {"account"}}
		rec := e.do(t, "admin", "GET", recPath("crm", "deal")+"?"+q.Encode(), nil).want(t, 200).list("records")[0].(map[string]any)
		ex, _ := rec["expand"].(map[string]any)
		if got := keys(rec); !slices.Equal(got, []string{"account", "expand", "id", "version"}) || ex["account"] == nil {
			t.Errorf("fields=account&expand=account: %v", rec)
		}

		// Unknown, hidden and deleted_at are the same 400, in the caller's language.
		e.grantMember(t)
		e.do(t, "admin", "PUT", "/api/roles/member", map[string]any{"label": label("Member"), "permissions": []map[string]any{
			{"app": "crm", "module": "deal", "actions": []string{"read"}, "fields": map[string]string{"amount": "hidden"}},
			{"app": "crm", "module": "account", "actions": []string{"read"}},
		}}).want(t, 200)
		hidden := e.do(t, "user", "GET", recPath("crm", "deal")+"?fields=name,amount", nil, "Accept-Language", "zh-CN").want(t, 400)
		unknown := e.do(t, "user", "GET", recPath("crm", "deal")+"?fields=name,amount_x", nil, "Accept-Language", "zh-CN").want(t, 400)
		if !strings.Contains(string(hidden.Body), "“amount”不是该模块的字段") || !strings.Contains(string(unknown.Body), "“amount_x”不是该模块的字段") {
			t.Errorf("hidden: %s\nunknown: %s", hidden.Body, unknown.Body)
		}
		if r := e.do(t, "admin", "GET", recPath("crm", "deal")+"?fields=deleted_at", nil).want(t, 400); !strings.Contains(string(r.Body), "“deleted_at”不是该模块的字段") {
			t.Errorf("fields=deleted_at: %s", r.Body)
		}
		// Without fields= nothing changes.
		if n := len(e.do(t, "user", "GET", recPath("crm", "deal")+"?fields=", nil).want(t, 200).list("records")[0].(map[string]any)); n < 10 {
			t.Errorf("empty fields= trimmed the record to %d keys", n)
		}
	})
}

// total=true is capped (and says it is exact under the cap), total=exact
// is not; anything else is a 400. The cap itself is tested in engine/store.
func TestListTotalModes(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		for _, n := range []string{"a", "b", "c"} {
			e.create(t, "crm", "deal", map[string]any{"name": n})
		}
		for _, mode := range []string{"true", "exact"} {
			r := e.do(t, "admin", "GET", recPath("crm", "deal")+"?limit=1&total="+mode, nil).want(t, 200)
			if r.num("total") != 3 || r.get("total_exact") != true || r.get("total_estimate") != nil {
				t.Errorf("total=%s: %s", mode, r.Body)
			}
		}
		if r := e.do(t, "admin", "GET", recPath("crm", "deal")+"?total=false", nil).want(t, 200); r.get("total") != nil || r.get("total_exact") != nil {
			t.Errorf("total=false: %s", r.Body)
		}
		e.do(t, "admin", "GET", recPath("crm", "deal")+"?total=some", nil).want(t, 400)
	})
}
