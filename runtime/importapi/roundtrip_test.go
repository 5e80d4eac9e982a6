package importapi_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

// An export of a list to xlsx (the export API), imported into an empty
// copy of the module, gives the same records: every type, the lookup by
// its title, the user by name, the select and multiselect by their
// labels, the datetime through the user's time zone.
func TestImportExportRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		createCustomer(t, e, "copy")
		accounts := map[string]string{}
		for _, a := range e.Do(t, "admin", "GET", "/api/apps/crm/modules/account/records", nil).List("records") {
			m := a.(map[string]any)
			accounts[m["title"].(string)] = m["id"].(string)
		}
		in := []map[string]any{
			{"name": "华东贸易, \"大\"客户", "code": "T1", "level": "vip", "amount": 12345.67, "since": "2024-02-29", "active": true,
				"account": accounts["阿里巴巴"], "rep": e.IDs["rep"], "note": "第一行\n第二行", "met": "2026-03-01T16:30:05Z", "tags": []string{"hot", "new"}, "visits": 12},
			{"name": "=1+1", "code": "T2", "level": "normal", "amount": 0.5, "since": "1999-12-31", "active": false,
				"account": accounts["Tencent"], "met": "2025-12-31T23:59:59Z", "tags": []string{"new"}, "visits": -3},
			{"name": "空的", "code": "T3"},
		}
		for _, r := range in {
			e.Do(t, "admin", "POST", "/api/apps/crm/modules/customer/records", r).Want(t, 201)
		}
		for _, locale := range []string{"zh-CN", "en"} {
			target := "copy"
			if locale == "en" {
				createCustomer(t, e, "copy_en")
				target = "copy_en"
			}
			file := e.Do(t, "admin", "POST", "/api/apps/crm/modules/customer/exports", map[string]any{"format": "xlsx", "sort": "code"}, "Accept-Language", locale).Want(t, 200).Body
			up := upload(t, e, "admin", target, "customers.xlsx", file, nil, "Accept-Language", locale).Want(t, 201)
			mapping := up.Obj("mapping")
			if len(mapping) != len(customerKeys) {
				t.Fatalf("%s: suggested mapping %v for columns %v", locale, mapping, up.List("columns"))
			}
			body := map[string]any{"mapping": mapping, "on_error": "abort"}
			d := e.Do(t, "admin", "POST", "/api/imports/"+up.Str("id")+"/dry-run", body).Want(t, 200)
			if d.Num("created") != 3 || d.Num("failed") != 0 {
				t.Fatalf("%s: dry run %s", locale, d.Body)
			}
			e.Do(t, "admin", "POST", "/api/imports/"+up.Str("id")+"/run", body).Want(t, 202)
			e.RunJobs(t)
			if st := e.Do(t, "admin", "GET", "/api/imports/"+up.Str("id"), nil).Want(t, 200); st.Str("status") != "done" || st.Num("counts.created") != 3 {
				t.Fatalf("%s: run %s", locale, st.Body)
			}
			src, dst := records(t, e, "customer"), records(t, e, target)
			if len(dst) != len(src) {
				t.Fatalf("%s: %d records, want %d", locale, len(dst), len(src))
			}
			for code, a := range src {
				b := dst[code]
				for _, k := range customerKeys {
					if canon(a[k]) != canon(b[k]) {
						t.Errorf("%s: %s.%s = %v, want %v", locale, code, k, b[k], a[k])
					}
				}
			}
		}
	})
}

// canon is a value as compared: numbers by value, instants as instants.
func canon(v any) string {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return fmt.Sprint(f)
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.UTC().Format(time.RFC3339Nano)
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}
