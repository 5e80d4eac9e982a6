package importapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// TestImportChunksAsRowByRow imports the same file into two copies of a
// module with a validation rule, a formula, a before-save rule and an
// after-save rule: one with batches of one row (each row written alone,
// Create by Create) and one with batches of seven (rows written by chunks
// through CreateMany, split where a row is refused). Both must say and
// leave the same: dry-run counts and errors, run counts, the records with
// their computed fields and versions, their history entries and the
// rules' jobs — for a file with a repeated key inside a chunk, a row
// repeating another unchanged, a row refused by the validation rule, a bad
// cell, an existing record and, without a key, a duplicate that only the
// unique index finds.
func TestImportChunksAsRowByRow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": apitest.Label("CRM")}).Want(t, 201)
		for _, mod := range []string{"lead1", "lead7"} {
			e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": mod, "label": apitest.Label(mod), "schema": json.RawMessage(`{
				"properties": {
					"code":   {"x-field": {"type": "text", "unique": true}},
					"name":   {"x-field": {"type": "text"}},
					"amount": {"x-field": {"type": "integer"}},
					"seen":   {"x-field": {"type": "integer"}},
					"double": {"x-field": {"type": "formula", "formula": "amount * 2", "result": "number"}}
				},
				"required": ["name"],
				"x-validations": [{"rule": "amount == nil || amount < 1000", "field": "amount", "message": {"en": "amount {amount} too big"}}]}`)}).Want(t, 201)
			for _, r := range []map[string]any{
				{"key": mod + "_before", "module": mod, "trigger": map[string]any{"type": "saved"}, "before_save": true,
					"actions": []any{map[string]any{"type": "set", "values": map[string]string{"seen": "amount + 1"}}}},
				{"key": mod + "_after", "module": mod, "trigger": map[string]any{"type": "saved"}, "condition": "amount > 50",
					"actions": []any{map[string]any{"type": "set", "values": map[string]string{"name": "name"}}}},
			} {
				r["label"] = apitest.Label("rule")
				e.Do(t, "admin", "POST", "/api/apps/crm/rules", r).Want(t, 201)
			}
			e.Do(t, "admin", "POST", "/api/apps/crm/modules/"+mod+"/records", map[string]any{"code": "E1", "name": "existing", "amount": 1}).Want(t, 201)
		}
		rows := []string{"code,name,amount"}
		for i := 1; i <= 12; i++ {
			rows = append(rows, fmt.Sprintf("L%d,lead %d,%d", i, i, i*10))
		}
		rows = append(rows, "L3,lead 3 renamed,31", "L5,lead 5,50", "L13,too big,5000", "L14,bad cell,abc",
			"E1,existing renamed,2", "L15,,7", "L16,lead 16,160", "L2,lead 2 again,21", "L17,lead 17,170")
		csv := []byte(strings.Join(rows, "\n") + "\n")
		dupCSV := []byte("code,name,amount\nD1,a,1\nD2,b,2\nD3,c,3\nD1,dup,4\nD4,d,5\nD5,e,6\nD2,dup,7\nD6,f,8\n")
		mapping := map[string]any{"code": "code", "name": "name", "amount": "amount"}
		type result struct{ dry, run string }
		do := func(mod string, batch int, file []byte, body map[string]any) result {
			e.Svc.Imports.BatchSize = batch
			id := upload(t, e, "admin", mod, "leads.csv", file, nil).Want(t, 201).Str("id")
			d := e.Do(t, "admin", "POST", "/api/imports/"+id+"/dry-run", body).Want(t, 200)
			e.Do(t, "admin", "POST", "/api/imports/"+id+"/run", body).Want(t, 202)
			e.RunJobs(t)
			st := e.Do(t, "admin", "GET", "/api/imports/"+id, nil).Want(t, 200)
			return result{string(d.Body), fmt.Sprint(st.Str("status"), st.Get("counts"))}
		}
		for _, body := range []map[string]any{
			{"mapping": mapping, "mode": "upsert", "key": "code"},
			{"mapping": mapping, "mode": "insert", "key": "code"},
			{"mapping": mapping, "mode": "upsert", "key": "code", "on_error": "abort"},
		} {
			one, seven := do("lead1", 1, csv, body), do("lead7", 7, csv, body)
			if one != seven {
				t.Errorf("%v: row by row vs chunks:\n%s\n%s\nvs\n%s\n%s", body, one.dry, one.run, seven.dry, seven.run)
			}
		}
		one := do("lead1", 1, dupCSV, map[string]any{"mapping": mapping})
		seven := do("lead7", 7, dupCSV, map[string]any{"mapping": mapping})
		if one != seven || !strings.Contains(one.run, "failed:2") {
			t.Errorf("duplicates without a key: row by row vs chunks:\n%s\n%s\nvs\n%s\n%s", one.dry, one.run, seven.dry, seven.run)
		}
		// What is stored: the records with their computed fields and
		// versions, the history entries and the rules' jobs.
		state := func(mod string) string {
			var b strings.Builder
			recs := records(t, e, mod)
			codes := slices.Sorted(maps.Keys(recs))
			for _, code := range codes {
				r := recs[code]
				fmt.Fprintf(&b, "%v %v %v %v %v %v|", r["code"], r["name"], r["amount"], r["seen"], r["double"], r["version"])
			}
			var audit, jobs int
			ctx := context.Background()
			if err := s.R.QueryRowContext(ctx, store.Rebind(s.D, `SELECT COUNT(*) FROM audit_log WHERE module = ? AND via = 'import'`), mod).Scan(&audit); err != nil {
				t.Fatal(err)
			}
			if err := s.R.QueryRowContext(ctx, store.Rebind(s.D, `SELECT COUNT(*) FROM jobs WHERE kind = 'rule.run' AND CAST(payload AS TEXT) LIKE ?`), `%"`+mod+`"%`).Scan(&jobs); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, " audit=%d jobs=%d", audit, jobs)
			return b.String()
		}
		one1, seven1 := state("lead1"), state("lead7")
		if one1 != seven1 || strings.Contains(one1, "audit=0 ") || strings.HasSuffix(one1, " jobs=0") {
			t.Errorf("stored state: row by row vs chunks:\n%s\nvs\n%s", one1, seven1)
		}
	})
}
