package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

// The DDL sync conformance suite: every test runs on SQLite and, when
// TESSERA_TEST_DATABASE_URL is set, on PostgreSQL.

const app = "crm"

// module builds a module of app "crm" from a schema's properties.
func module(t *testing.T, key, props string) *meta.Module {
	t.Helper()
	p, err := meta.ParseSchema([]byte(`{"type":"object","properties":{` + props + `}}`))
	if err != nil {
		t.Fatalf("schema of %s: %v", key, err)
	}
	return &meta.Module{AppKey: app, Key: key, Table: meta.TableName(app, key), Schema: p.Doc, Fields: p.Fields}
}

func create(t *testing.T, s *store.Store, m *meta.Module) {
	t.Helper()
	if err := store.CreateForTest(context.Background(), s, m); err != nil {
		t.Fatalf("create %s: %v", m.Key, err)
	}
}

func mustSync(t *testing.T, s *store.Store, old, next *meta.Module) {
	t.Helper()
	if err := store.SyncForTest(context.Background(), s, old, next); err != nil {
		t.Fatalf("sync: %v", err)
	}
}

// insert adds a row with field values in JSON form (encoded like records
// are); "deleted" soft-deletes it. It returns the id.
func insert(t *testing.T, s *store.Store, m *meta.Module, vals map[string]any) string {
	t.Helper()
	id := store.NewID()
	now := store.TimeArg(s.D, time.Now())
	cols := []string{`"id"`, `"version"`, `"created_at"`, `"updated_at"`}
	args := []any{id, 1, now, now}
	for k, v := range vals {
		if k == "deleted" {
			cols = append(cols, `"deleted_at"`)
			args = append(args, now)
			continue
		}
		f := m.Field(k)
		if f == nil {
			t.Fatalf("no field %s", k)
		}
		enc, err := store.Encode(s.D, f.Column(), v)
		if err != nil {
			t.Fatalf("encode %s=%v: %v", k, v, err)
		}
		cols = append(cols, store.Quote(k))
		args = append(args, enc)
	}
	err := tryExec(s, fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", store.Quote(m.Table), strings.Join(cols, ", "), placeholders(s, len(cols))), args...)
	if err != nil {
		t.Fatalf("insert into %s: %v", m.Table, err)
	}
	return id
}

func placeholders(s *store.Store, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = s.D.Placeholder(i + 1)
	}
	return strings.Join(ps, ", ")
}

func tryExec(s *store.Store, q string, args ...any) error {
	_, err := s.W.Exec(q, args...)
	return err
}

// get reads a row's field values as compact JSON text, through m's columns.
func get(t *testing.T, s *store.Store, m *meta.Module, id string) map[string]string {
	t.Helper()
	cols := make([]string, len(m.Fields))
	for i, f := range m.Fields {
		cols[i] = store.Quote(f.Key)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	q := fmt.Sprintf(`SELECT %s FROM %s WHERE "id" = %s`, strings.Join(cols, ", "), store.Quote(m.Table), s.D.Placeholder(1))
	if err := s.W.QueryRow(q, id).Scan(ptrs...); err != nil {
		t.Fatalf("read %s: %v", id, err)
	}
	out := map[string]string{}
	for i, f := range m.Fields {
		b, err := json.Marshal(store.Decode(f.Column(), vals[i]))
		if err != nil {
			t.Fatal(err)
		}
		out[f.Key] = string(b)
	}
	return out
}

func wantRow(t *testing.T, s *store.Store, m *meta.Module, id string, want map[string]string) {
	t.Helper()
	got := get(t, s, m, id)
	for k, w := range want {
		if got[k] != w {
			t.Errorf("row %s field %s = %s, want %s", id[:8], k, got[k], w)
		}
	}
}

// snapshot describes the table completely: columns and types, indexes,
// foreign keys, and every row. Equal snapshots mean an untouched table.
func snapshot(t *testing.T, s *store.Store, table string) string {
	t.Helper()
	var b strings.Builder
	var q string
	if s.D.Name() == "sqlite" {
		q = `SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master WHERE tbl_name = ? ORDER BY type, name`
	} else {
		q = `SELECT 'column ' || column_name || ' ' || data_type || coalesce('(' || numeric_precision || ',' || numeric_scale || ')', '')
			FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1
			UNION ALL SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1
			UNION ALL SELECT 'constraint ' || conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = to_regclass(quote_ident($1))
			ORDER BY 1`
	}
	for _, line := range queryStrings(t, s, q, table) {
		b.WriteString(line + "\n")
	}
	rows, err := s.W.Query(`SELECT * FROM ` + store.Quote(table) + ` ORDER BY "id"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			fmt.Fprintf(&b, "%s=%v ", cols[i], v)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func queryStrings(t *testing.T, s *store.Store, q string, args ...any) []string {
	t.Helper()
	rows, err := s.W.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func indexNames(t *testing.T, s *store.Store, table string) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name`
	if s.D.Name() == "postgres" {
		q = `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 AND indexname NOT LIKE '%_pkey' ORDER BY indexname`
	}
	return queryStrings(t, s, q, table)
}

// refusal asserts err is a 422 with one field error on field with code,
// and returns that error's message arguments.
func refusal(t *testing.T, err error, field, code string) map[string]any {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Unprocessable {
		t.Fatalf("want 422 *errs.Error, got %v", err)
	}
	for _, fe := range e.Fields {
		if fe.Field == field && fe.Code == code {
			for _, loc := range i18n.Locales {
				msg := i18n.T(loc, fe.Msg)
				if msg == fe.Msg.Key || strings.Contains(msg, "{field}") || strings.Contains(msg, "{count}") {
					t.Errorf("message %s not rendered in %s: %q", fe.Msg.Key, loc, msg)
				}
			}
			return fe.Msg.Args
		}
	}
	t.Fatalf("want field error %s/%s, got %v", field, code, e)
	return nil
}

func TestSyncAddField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		old := module(t, "deal", `"name": {"x-field": {"type": "text"}}`)
		create(t, s, old)
		id := insert(t, s, old, map[string]any{"name": "Acme"})

		next := module(t, "deal", `"name": {"x-field": {"type": "text"}},
			"amount": {"x-field": {"type": "currency"}},
			"code": {"x-field": {"type": "text", "unique": true}},
			"owner_user": {"x-field": {"type": "user"}}`)
		mustSync(t, s, old, next)
		wantRow(t, s, next, id, map[string]string{"name": `"Acme"`, "amount": "null", "code": "null", "owner_user": "null"})
		id2 := insert(t, s, next, map[string]any{"name": "B", "amount": json.Number("12.5"), "code": "X"})
		wantRow(t, s, next, id2, map[string]string{"amount": "12.5", "code": `"X"`})
		ix := indexNames(t, s, next.Table)
		for _, want := range []string{store.IndexNameForTest("ux", next.Table, "code"), store.IndexNameForTest("ix", next.Table, "owner_user")} {
			if !slices.Contains(ix, want) {
				t.Errorf("index %s missing: %v", want, ix)
			}
		}
	})
}

func TestSyncNoChangeIsNoop(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := module(t, "deal", `"name": {"x-field": {"type": "text", "indexed": true}}`)
		create(t, s, m)
		insert(t, s, m, map[string]any{"name": "a"})
		before := snapshot(t, s, m.Table)
		mustSync(t, s, m, module(t, "deal", `"name": {"x-field": {"type": "text", "indexed": true, "label": {"en": "Name"}}}`))
		if after := snapshot(t, s, m.Table); after != before {
			t.Errorf("label change altered the table:\n%s\n%s", before, after)
		}
	})
}

func TestSyncRename(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		old := module(t, "deal", `"name": {"x-field": {"type": "text", "indexed": true}},
			"code": {"x-field": {"type": "text", "unique": true}},
			"age": {"x-field": {"type": "integer"}}`)
		create(t, s, old)
		id := insert(t, s, old, map[string]any{"name": "Acme", "code": "A1", "age": int64(3)})

		next := module(t, "deal", `"title": {"x-field": {"type": "text", "indexed": true, "renamedFrom": "name"}},
			"ref": {"x-field": {"type": "text", "unique": true, "renamedFrom": "code"}},
			"age": {"x-field": {"type": "integer"}}`)
		mustSync(t, s, old, next)
		wantRow(t, s, next, id, map[string]string{"title": `"Acme"`, "ref": `"A1"`, "age": "3"})

		ix := indexNames(t, s, next.Table)
		for _, want := range []string{store.IndexNameForTest("ix", next.Table, "title"), store.IndexNameForTest("ux", next.Table, "ref")} {
			if !slices.Contains(ix, want) {
				t.Errorf("index %s missing: %v", want, ix)
			}
			if f, _ := store.FieldFromIndexForTest(want); f != "title" && f != "ref" {
				t.Errorf("fieldFromIndex(%s) = %s", want, f)
			}
		}
		for _, gone := range []string{store.IndexNameForTest("ix", next.Table, "name"), store.IndexNameForTest("ux", next.Table, "code")} {
			if slices.Contains(ix, gone) {
				t.Errorf("old index %s still there", gone)
			}
		}
		// The unique index follows the column.
		insert(t, s, next, map[string]any{"ref": "B"})
		if err := tryInsert(s, next, map[string]any{"ref": "B"}); err == nil {
			t.Error("duplicate ref accepted after rename")
		}

		// renamedFrom stays in the stored schema: syncing the same
		// document again (with a new field "name") must not rename twice.
		again := module(t, "deal", `"title": {"x-field": {"type": "text", "indexed": true, "renamedFrom": "name"}},
			"ref": {"x-field": {"type": "text", "unique": true, "renamedFrom": "code"}},
			"age": {"x-field": {"type": "integer"}},
			"name": {"x-field": {"type": "text"}}`)
		mustSync(t, s, next, again)
		id3 := insert(t, s, again, map[string]any{"name": "new"})
		mustSync(t, s, again, again)
		wantRow(t, s, again, id, map[string]string{"title": `"Acme"`, "name": "null"})
		wantRow(t, s, again, id3, map[string]string{"name": `"new"`})
	})
}

func TestSyncRenameSwap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		old := module(t, "deal", `"a": {"x-field": {"type": "text", "unique": true}}, "b": {"x-field": {"type": "integer"}}`)
		create(t, s, old)
		id := insert(t, s, old, map[string]any{"a": "x", "b": int64(1)})
		next := module(t, "deal", `"b": {"x-field": {"type": "text", "unique": true, "renamedFrom": "a"}},
			"a": {"x-field": {"type": "integer", "renamedFrom": "b"}}`)
		mustSync(t, s, old, next)
		wantRow(t, s, next, id, map[string]string{"a": "1", "b": `"x"`})
		if ix := indexNames(t, s, next.Table); !slices.Contains(ix, store.IndexNameForTest("ux", next.Table, "b")) {
			t.Errorf("unique index not moved to b: %v", ix)
		}
	})
}

func TestSyncRenameConflict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		old := module(t, "deal", `"a": {"x-field": {"type": "text"}}`)
		create(t, s, old)
		next := module(t, "deal", `"b": {"x-field": {"type": "text", "renamedFrom": "a"}}, "c": {"x-field": {"type": "text", "renamedFrom": "a"}}`)
		err := store.SyncForTest(context.Background(), s, old, next)
		refusal(t, err, "b", "rename_conflict")
	})
}

func TestSyncRemoveField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		account := module(t, "account", `"name": {"x-field": {"type": "text"}}`)
		create(t, s, account)
		acc := insert(t, s, account, map[string]any{"name": "Acme"})

		old := module(t, "deal", `"name": {"x-field": {"type": "text"}},
			"account": {"x-field": {"type": "lookup", "module": "account"}},
			"code": {"x-field": {"type": "text", "unique": true}},
			"tags": {"x-field": {"type": "multiselect", "options": [{"value": "vip"}]}},
			"age": {"x-field": {"type": "integer", "indexed": true}}`)
		create(t, s, old)
		id := insert(t, s, old, map[string]any{"name": "D1", "account": acc, "code": "C1", "tags": []any{"vip"}, "age": int64(7)})
		del := insert(t, s, old, map[string]any{"name": "D2", "code": "C2", "deleted": true})

		next := module(t, "deal", `"name": {"x-field": {"type": "text"}}, "age": {"x-field": {"type": "integer", "indexed": true}}`)
		mustSync(t, s, old, next)
		wantRow(t, s, next, id, map[string]string{"name": `"D1"`, "age": "7"})
		wantRow(t, s, next, del, map[string]string{"name": `"D2"`, "age": "null"})
		snap := snapshot(t, s, next.Table)
		for _, gone := range []string{`"account"`, `"code"`, `"tags"`, "column account", "column code", "column tags"} {
			if strings.Contains(snap, gone) {
				t.Errorf("%s still in table:\n%s", gone, snap)
			}
		}
		ix := indexNames(t, s, next.Table)
		if !slices.Contains(ix, store.IndexNameForTest("ix", next.Table, "age")) || !slices.Contains(ix, store.IndexNameForTest("ix", next.Table, "owner_id")) {
			t.Errorf("indexes lost by the rebuild: %v", ix)
		}
		if slices.Contains(ix, store.IndexNameForTest("ux", next.Table, "code")) {
			t.Errorf("unique index of dropped field kept: %v", ix)
		}
	})
}

func TestSyncSafeConversions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		old := module(t, "conv", `"n": {"x-field": {"type": "text"}},
			"i": {"x-field": {"type": "integer"}},
			"d": {"x-field": {"type": "date"}},
			"b": {"x-field": {"type": "text"}},
			"f": {"x-field": {"type": "number"}},
			"bt": {"x-field": {"type": "boolean"}},
			"ts": {"x-field": {"type": "text"}},
			"dt": {"x-field": {"type": "datetime"}},
			"dec": {"x-field": {"type": "text", "unique": true}},
			"j": {"x-field": {"type": "text"}},
			"m": {"x-field": {"type": "decimal", "precision": 10, "scale": 2}},
			"dtt": {"x-field": {"type": "datetime"}},
			"jt": {"x-field": {"type": "json"}},
			"empty": {"x-field": {"type": "lookup", "module": "conv"}}`)
		create(t, s, old)
		r1 := insert(t, s, old, map[string]any{"n": "42", "i": int64(5), "d": "2024-03-01", "b": "TRUE", "f": json.Number("12"),
			"bt": true, "ts": "2024-01-02T10:00:00.123456+08:00", "dt": "2024-05-06T00:00:00Z", "dec": " 12.5 ", "j": `{"a": [1, 2]}`,
			"m": json.Number("12.30"), "dtt": "2024-05-06T07:08:09.5Z", "jt": map[string]any{"k": "v"}})
		r2 := insert(t, s, old, map[string]any{"n": " -7 ", "i": int64(-12), "d": "1999-12-31", "b": "0", "f": json.Number("0.5"),
			"bt": false, "ts": "2024-01-02T10:00:00Z", "dec": "1e3", "j": `"text"`, "m": json.Number("-4"), "deleted": true})
		r3 := insert(t, s, old, map[string]any{"n": "3.000", "b": "false"})

		next := module(t, "conv", `"n": {"x-field": {"type": "integer"}},
			"i": {"x-field": {"type": "text"}},
			"d": {"x-field": {"type": "datetime"}},
			"b": {"x-field": {"type": "boolean"}},
			"f": {"x-field": {"type": "text"}},
			"bt": {"x-field": {"type": "text"}},
			"ts": {"x-field": {"type": "datetime"}},
			"dt": {"x-field": {"type": "date"}},
			"dec": {"x-field": {"type": "decimal", "precision": 8, "scale": 1, "unique": true}},
			"j": {"x-field": {"type": "json"}},
			"m": {"x-field": {"type": "number"}},
			"dtt": {"x-field": {"type": "text"}},
			"jt": {"x-field": {"type": "text"}},
			"empty": {"x-field": {"type": "integer"}}`)
		mustSync(t, s, old, next)
		wantRow(t, s, next, r1, map[string]string{"n": "42", "i": `"5"`, "d": `"2024-03-01T00:00:00Z"`, "b": "true", "f": `"12"`,
			"bt": `"true"`, "ts": `"2024-01-02T02:00:00.123456Z"`, "dt": `"2024-05-06"`, "dec": "12.5", "j": `{"a":[1,2]}`,
			"m": "12.3", "dtt": `"2024-05-06T07:08:09.500000Z"`, "empty": "null"})
		// json → text is the JSON text; PostgreSQL's jsonb spaces it out.
		var jt map[string]string
		var jtText string
		json.Unmarshal([]byte(get(t, s, next, r1)["jt"]), &jtText)
		if err := json.Unmarshal([]byte(jtText), &jt); err != nil || jt["k"] != "v" {
			t.Errorf("jt = %q", jtText)
		}
		wantRow(t, s, next, r2, map[string]string{"n": "-7", "i": `"-12"`, "d": `"1999-12-31T00:00:00Z"`, "b": "false", "f": `"0.5"`,
			"bt": `"false"`, "ts": `"2024-01-02T10:00:00Z"`, "dt": "null", "dec": "1000", "j": `"text"`, "m": "-4"})
		wantRow(t, s, next, r3, map[string]string{"n": "3", "i": "null", "b": "false", "f": "null", "bt": "null", "dec": "null"})
		// The unique decimal got its index back.
		if err := tryInsert(s, next, map[string]any{"dec": json.Number("12.5")}); err == nil {
			t.Error("duplicate dec accepted after conversion")
		}
		// Converted columns filter with their new type.
		var n int
		q := `SELECT count(*) FROM ` + store.Quote(next.Table) + ` WHERE "n" > 10 AND "b" = ` + map[string]string{"sqlite": "1", "postgres": "TRUE"}[s.D.Name()]
		if err := s.W.QueryRow(q).Scan(&n); err != nil || n != 1 {
			t.Errorf("typed filter = %d, %v", n, err)
		}
	})
}

func tryInsert(s *store.Store, m *meta.Module, vals map[string]any) error {
	cols := []string{`"id"`, `"version"`, `"created_at"`, `"updated_at"`}
	now := store.TimeArg(s.D, time.Now())
	args := []any{store.NewID(), 1, now, now}
	for k, v := range vals {
		enc, err := store.Encode(s.D, m.Field(k).Column(), v)
		if err != nil {
			return err
		}
		cols = append(cols, store.Quote(k))
		args = append(args, enc)
	}
	return tryExec(s, fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", store.Quote(m.Table), strings.Join(cols, ", "), placeholders(s, len(cols))), args...)
}

func TestSyncRefusedConversion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		old := module(t, "deal", `"n": {"x-field": {"type": "text", "indexed": true}}, "other": {"x-field": {"type": "text"}}`)
		create(t, s, old)
		good := insert(t, s, old, map[string]any{"n": "42", "other": "keep"})
		bad := []string{"abc", "4.5", "1e3", "", "0x10", "12a", "x"}
		for i, v := range bad {
			insert(t, s, old, map[string]any{"n": v, "deleted": i == 0}) // deleted rows count too
		}
		insert(t, s, old, map[string]any{"n": "abc"}) // a repeated bad value
		before := snapshot(t, s, old.Table)

		// Added and dropped fields in the same change must not happen either.
		next := module(t, "deal", `"n": {"x-field": {"type": "integer", "indexed": true}}, "added": {"x-field": {"type": "text"}}`)
		err := store.SyncForTest(context.Background(), s, old, next)
		args := refusal(t, err, "n", "type_change")
		if args["count"] != len(bad)+1 {
			t.Errorf("count = %v, want %d", args["count"], len(bad)+1)
		}
		ex, _ := args["examples"].([]string)
		if len(ex) != 5 || len(slices.Compact(slices.Sorted(slices.Values(ex)))) != 5 || slices.Contains(ex, `"42"`) {
			t.Errorf("examples = %q, want 5 distinct bad values", ex)
		}
		if args["from"] != "text" || args["to"] != "integer" {
			t.Errorf("from/to = %v/%v", args["from"], args["to"])
		}
		if after := snapshot(t, s, old.Table); after != before {
			t.Errorf("refused change altered the table:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		wantRow(t, s, old, good, map[string]string{"n": `"42"`, "other": `"keep"`})
	})
}

func TestSyncRefusedMatrix(t *testing.T) {
	cases := []struct {
		name, from, to string
		value          any // nil: a valid user id
	}{
		{"float to integer", `{"type": "number"}`, `{"type": "integer"}`, json.Number("2.5")},
		{"text to bool", `{"type": "text"}`, `{"type": "boolean"}`, "yes"},
		{"text to date", `{"type": "text"}`, `{"type": "date"}`, "2024-02-30"},
		{"text to datetime without zone", `{"type": "text"}`, `{"type": "datetime"}`, "2024-02-03T10:00:00"},
		{"datetime to date not midnight", `{"type": "datetime"}`, `{"type": "date"}`, "2024-02-03T10:00:00Z"},
		{"text to json", `{"type": "text"}`, `{"type": "json"}`, "{bad"},
		{"integer to float inexact", `{"type": "integer"}`, `{"type": "number"}`, int64(1<<53 + 1)},
		{"integer to decimal overflow", `{"type": "integer"}`, `{"type": "decimal", "precision": 4, "scale": 2}`, int64(100)},
		{"bool to integer", `{"type": "boolean"}`, `{"type": "integer"}`, true},
		{"user to text", `{"type": "user"}`, `{"type": "text"}`, nil},
		{"text to lookup", `{"type": "text"}`, `{"type": "lookup", "module": "m10"}`, "x"},
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		// A user row, so that a user field can hold a valid value.
		uid := store.NewID()
		now := store.TimeArg(s.D, time.Now())
		if err := tryExec(s, `INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES (`+placeholders(s, 5)+`)`, uid, "u@example.com", "x", now, now); err != nil {
			t.Fatal(err)
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				key := "m" + strconv.Itoa(i)
				old := module(t, key, `"v": {"x-field": `+c.from+`}`)
				create(t, s, old)
				v := c.value
				if v == nil {
					v = uid
				}
				insert(t, s, old, map[string]any{"v": v})
				before := snapshot(t, s, old.Table)
				next := module(t, key, `"v": {"x-field": `+c.to+`}`)
				err := store.SyncForTest(context.Background(), s, old, next)
				if args := refusal(t, err, "v", "type_change"); args["count"] != 1 {
					t.Errorf("count = %v", args["count"])
				}
				if after := snapshot(t, s, old.Table); after != before {
					t.Errorf("table altered:\n%s\n%s", before, after)
				}
			})
		}
	})
}

func TestSyncEmptyColumnAlwaysConverts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		target := module(t, "account", `"name": {"x-field": {"type": "text"}}`)
		create(t, s, target)
		old := module(t, "deal", `"v": {"x-field": {"type": "lookup", "module": "account"}}, "w": {"x-field": {"type": "text"}}, "keep": {"x-field": {"type": "text"}}`)
		create(t, s, old)
		id := insert(t, s, old, map[string]any{"keep": "k"})
		next := module(t, "deal", `"v": {"x-field": {"type": "datetime"}}, "w": {"x-field": {"type": "lookup", "module": "account"}}, "keep": {"x-field": {"type": "text"}}`)
		mustSync(t, s, old, next)
		wantRow(t, s, next, id, map[string]string{"v": "null", "w": "null", "keep": `"k"`})
		if err := tryInsert(s, next, map[string]any{"w": store.NewID()}); err == nil {
			t.Error("dangling reference accepted after text → lookup")
		}
	})
}

func TestSyncUnique(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		old := module(t, "deal", `"email": {"x-field": {"type": "email"}}, "code": {"x-field": {"type": "text"}}`)
		create(t, s, old)
		for _, e := range []string{"a@x.io", "a@x.io", "b@x.io", "b@x.io", "b@x.io", "c@x.io"} {
			insert(t, s, old, map[string]any{"email": e, "code": e})
		}
		// A deleted duplicate does not block uniqueness.
		insert(t, s, old, map[string]any{"code": "c@x.io", "deleted": true})
		before := snapshot(t, s, old.Table)

		both := module(t, "deal", `"email": {"x-field": {"type": "email", "unique": true}}, "code": {"x-field": {"type": "text"}}`)
		err := store.SyncForTest(context.Background(), s, old, both)
		args := refusal(t, err, "email", "unique")
		if args["count"] != 2 {
			t.Errorf("count = %v, want 2", args["count"])
		}
		if ex, _ := args["examples"].([]string); !slices.Equal(ex, []string{`"b@x.io"`, `"a@x.io"`}) {
			t.Errorf("examples = %q", ex)
		}
		if after := snapshot(t, s, old.Table); after != before {
			t.Errorf("table altered:\n%s\n%s", before, after)
		}

		// Live rows: code has c@x.io once (its copy is deleted) but a and b repeat.
		tidy(t, s, old.Table, "code")
		next := module(t, "deal", `"email": {"x-field": {"type": "email"}}, "code": {"x-field": {"type": "text", "unique": true}}`)
		mustSync(t, s, old, next)
		if err := tryInsert(s, next, map[string]any{"code": "c@x.io"}); err == nil {
			t.Error("duplicate accepted after unique on")
		} else if _, ok := s.D.UniqueViolation(err); !ok {
			t.Errorf("want unique violation, got %v", err)
		}
		// Turning it off drops the index.
		off := module(t, "deal", `"email": {"x-field": {"type": "email"}}, "code": {"x-field": {"type": "text", "indexed": true}}`)
		mustSync(t, s, next, off)
		if err := tryInsert(s, off, map[string]any{"code": "c@x.io"}); err != nil {
			t.Errorf("insert after unique off: %v", err)
		}
		if ix := indexNames(t, s, off.Table); !slices.Contains(ix, store.IndexNameForTest("ix", off.Table, "code")) ||
			slices.Contains(ix, store.IndexNameForTest("ux", off.Table, "code")) {
			t.Errorf("indexes after unique → indexed: %v", ix)
		}
	})
}

// tidy nulls all but the first live occurrence of each value of col.
func tidy(t *testing.T, s *store.Store, table, col string) {
	t.Helper()
	q := fmt.Sprintf(`UPDATE %[1]s SET %[2]s = NULL WHERE "deleted_at" IS NULL AND CAST("id" AS TEXT) NOT IN
		(SELECT min(CAST("id" AS TEXT)) FROM %[1]s WHERE "deleted_at" IS NULL GROUP BY %[2]s)`, store.Quote(table), store.Quote(col))
	if err := tryExec(s, q); err != nil {
		t.Fatal(err)
	}
}

func TestSyncLookupForeignKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		account := module(t, "account", `"name": {"x-field": {"type": "text"}}`)
		create(t, s, account)
		acc := insert(t, s, account, map[string]any{"name": "Acme"})
		old := module(t, "deal", `"name": {"x-field": {"type": "text"}}`)
		create(t, s, old)
		id := insert(t, s, old, map[string]any{"name": "D"})

		next := module(t, "deal", `"name": {"x-field": {"type": "text"}}, "account": {"x-field": {"type": "lookup", "module": "account"}}`)
		mustSync(t, s, old, next)
		if err := tryInsert(s, next, map[string]any{"account": store.NewID()}); err == nil {
			t.Error("dangling lookup accepted")
		}
		if err := tryExec(s, `UPDATE `+store.Quote(next.Table)+` SET "account" = `+s.D.Placeholder(1)+` WHERE "id" = `+s.D.Placeholder(2), acc, id); err != nil {
			t.Fatalf("valid lookup refused: %v", err)
		}
		if ix := indexNames(t, s, next.Table); !slices.Contains(ix, store.IndexNameForTest("ix", next.Table, "account")) {
			t.Errorf("lookup index missing: %v", ix)
		}

		// Retargeting a lookup that holds values is refused...
		other := module(t, "other", `"name": {"x-field": {"type": "text"}}`)
		create(t, s, other)
		retarget := module(t, "deal", `"name": {"x-field": {"type": "text"}}, "account": {"x-field": {"type": "lookup", "module": "other"}}`)
		err := store.SyncForTest(context.Background(), s, next, retarget)
		if args := refusal(t, err, "account", "type_change"); args["to"] != "lookup(other)" {
			t.Errorf("to = %v", args["to"])
		}
		// ...and allowed once it is empty; the foreign key moves along.
		if err := tryExec(s, `UPDATE `+store.Quote(next.Table)+` SET "account" = NULL`); err != nil {
			t.Fatal(err)
		}
		mustSync(t, s, next, retarget)
		oth := insert(t, s, other, map[string]any{"name": "O"})
		if err := tryInsert(s, retarget, map[string]any{"account": acc}); err == nil {
			t.Error("reference to the old target accepted after retarget")
		}
		if err := tryInsert(s, retarget, map[string]any{"account": oth}); err != nil {
			t.Errorf("reference to the new target refused: %v", err)
		}
	})
}

func TestSyncDecimalScale(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		old := module(t, "deal", `"amount": {"x-field": {"type": "decimal", "precision": 10, "scale": 2}}`)
		create(t, s, old)
		insert(t, s, old, map[string]any{"amount": json.Number("12.34")})
		insert(t, s, old, map[string]any{"amount": json.Number("12.5")})
		insert(t, s, old, map[string]any{"amount": json.Number("99999.99")})
		before := snapshot(t, s, old.Table)

		fewer := module(t, "deal", `"amount": {"x-field": {"type": "decimal", "precision": 10, "scale": 1}}`)
		args := refusal(t, store.SyncForTest(context.Background(), s, old, fewer), "amount", "type_change")
		ex, _ := args["examples"].([]string)
		sort.Strings(ex)
		if args["count"] != 2 || !slices.Equal(ex, []string{"12.34", "99999.99"}) {
			t.Errorf("scale refusal args = %v", args)
		}
		narrower := module(t, "deal", `"amount": {"x-field": {"type": "decimal", "precision": 6, "scale": 2}}`)
		args = refusal(t, store.SyncForTest(context.Background(), s, old, narrower), "amount", "type_change")
		if args["count"] != 1 || args["from"] != "decimal(10,2)" || args["to"] != "decimal(6,2)" {
			t.Errorf("precision refusal args = %v", args)
		}
		if after := snapshot(t, s, old.Table); after != before {
			t.Errorf("table altered:\n%s\n%s", before, after)
		}
		wider := module(t, "deal", `"amount": {"x-field": {"type": "decimal", "precision": 12, "scale": 3}}`)
		mustSync(t, s, old, wider)
		if err := tryInsert(s, wider, map[string]any{"amount": json.Number("1.234")}); err != nil {
			t.Fatal(err)
		}
	})
}

// A failure after DDL has started (here the unique check, which runs after
// columns were dropped, renamed and added) must leave no trace.
func TestSyncRollsBackStartedDDL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		account := module(t, "account", `"name": {"x-field": {"type": "text"}}`)
		create(t, s, account)
		acc := insert(t, s, account, map[string]any{"name": "Acme"})
		old := module(t, "deal", `"name": {"x-field": {"type": "text", "indexed": true}},
			"account": {"x-field": {"type": "lookup", "module": "account"}},
			"qty": {"x-field": {"type": "text"}},
			"code": {"x-field": {"type": "text"}}`)
		create(t, s, old)
		insert(t, s, old, map[string]any{"name": "a", "account": acc, "qty": "1", "code": "same"})
		insert(t, s, old, map[string]any{"name": "b", "qty": "2", "code": "same"})
		before := snapshot(t, s, old.Table)

		next := module(t, "deal", `"title": {"x-field": {"type": "text", "indexed": true, "renamedFrom": "name"}},
			"qty": {"x-field": {"type": "integer"}},
			"code": {"x-field": {"type": "text", "unique": true}},
			"added": {"x-field": {"type": "lookup", "module": "account"}}`)
		refusal(t, store.SyncForTest(context.Background(), s, old, next), "code", "unique")
		if after := snapshot(t, s, old.Table); after != before {
			t.Errorf("table altered:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		// Foreign keys are still enforced on the untouched table.
		if err := tryInsert(s, old, map[string]any{"account": store.NewID()}); err == nil {
			t.Error("dangling lookup accepted after rollback")
		}
	})
}

// Floats and decimals turned into text read the same on both dialects.
func TestSyncNumberToTextForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		old := module(t, "deal", `"f": {"x-field": {"type": "number"}}, "d": {"x-field": {"type": "currency"}}`)
		create(t, s, old)
		// float in, its text; decimal in, its text
		cases := [][4]string{
			{"12", "12", "100.00", "100"},
			{"0.5", "0.5", "12.50", "12.5"},
			{"-3.25", "-3.25", "-3.25", "-3.25"},
			{"1e+20", "1e+20", "0.1", "0.1"},
			{"0.1", "0.1", "7", "7"},
		}
		ids := make([]string, len(cases))
		for i, c := range cases {
			ids[i] = insert(t, s, old, map[string]any{"f": json.Number(c[0]), "d": json.Number(c[2])})
		}
		next := module(t, "deal", `"f": {"x-field": {"type": "text"}}, "d": {"x-field": {"type": "text"}}`)
		mustSync(t, s, old, next)
		for i, c := range cases {
			wantRow(t, s, next, ids[i], map[string]string{"f": strconv.Quote(c[1]), "d": strconv.Quote(c[3])})
		}
	})
}

func TestSyncMessagesRegistered(t *testing.T) {
	for _, k := range []string{"store.schema_change_refused", "store.type_change_refused", "store.unique_refused", "store.rename_conflict"} {
		for _, loc := range i18n.Locales {
			if got := i18n.T(loc, i18n.M(k)); got == k {
				t.Errorf("%s missing in %s", k, loc)
			}
		}
	}
	e := errs.Fields(errs.Field("n", "type_change", "store.type_change_refused", "field", "n", "count", 2, "examples", []string{`"a"`, `"b"`}, "from", "text", "to", "integer"))
	if got := i18n.T(i18n.EN, e.Fields[0].Msg); !strings.Contains(got, `2 existing value(s)`) || !strings.Contains(got, `"a", "b"`) {
		t.Errorf("rendered: %s", got)
	}
}

func TestSyncRenameLookupAndRebuildReferencedTable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		account := module(t, "account", `"name": {"x-field": {"type": "text"}}, "extra": {"x-field": {"type": "text"}},
			"parent": {"x-field": {"type": "lookup", "module": "account"}}`)
		create(t, s, account)
		root := insert(t, s, account, map[string]any{"name": "Root", "extra": "x"})
		child := insert(t, s, account, map[string]any{"name": "Child", "parent": root})
		deal := module(t, "deal", `"account": {"x-field": {"type": "lookup", "module": "account"}}`)
		create(t, s, deal)
		d := insert(t, s, deal, map[string]any{"account": child})

		// Rename the lookup in place: values, foreign key and index follow.
		deal2 := module(t, "deal", `"customer": {"x-field": {"type": "lookup", "module": "account", "renamedFrom": "account"}}`)
		mustSync(t, s, deal, deal2)
		wantRow(t, s, deal2, d, map[string]string{"customer": strconv.Quote(child)})
		if ix := indexNames(t, s, deal2.Table); !slices.Contains(ix, store.IndexNameForTest("ix", deal2.Table, "customer")) {
			t.Errorf("lookup index not renamed: %v", ix)
		}
		if err := tryInsert(s, deal2, map[string]any{"customer": store.NewID()}); err == nil {
			t.Error("dangling reference accepted after rename")
		}

		// Rebuild the referenced, self-referencing table (SQLite copies it
		// into a new table): references into it and within it survive.
		account2 := module(t, "account", `"name": {"x-field": {"type": "text"}}, "parent": {"x-field": {"type": "lookup", "module": "account"}}`)
		mustSync(t, s, account, account2)
		wantRow(t, s, account2, child, map[string]string{"name": `"Child"`, "parent": strconv.Quote(root)})
		if err := tryExec(s, `DELETE FROM `+store.Quote(account2.Table)+` WHERE "id" = `+s.D.Placeholder(1), child); err == nil {
			t.Error("deleting a referenced account succeeded: foreign key from deal lost")
		}
		if err := tryInsert(s, account2, map[string]any{"parent": store.NewID()}); err == nil {
			t.Error("dangling self reference accepted after rebuild")
		}
	})
}

func TestConvertibleMatrix(t *testing.T) {
	text, integer, float := meta.Column{Kind: meta.ColText}, meta.Column{Kind: meta.ColInteger}, meta.Column{Kind: meta.ColFloat}
	dec := func(p, s int) meta.Column { return meta.Column{Kind: meta.ColDecimal, Precision: p, Scale: s} }
	boolean, date, instant, js := meta.Column{Kind: meta.ColBool}, meta.Column{Kind: meta.ColDate}, meta.Column{Kind: meta.ColTime}, meta.Column{Kind: meta.ColJSON}
	lookup := func(m string) meta.Column { return meta.Column{Kind: meta.ColRef, RefModule: m} }
	user := meta.Column{Kind: meta.ColRef, RefUsers: true}
	cases := []struct {
		from, to meta.Column
		v        any
		ok       bool
	}{
		// anything → text
		{integer, text, int64(5), true}, {float, text, json.Number("0.5"), true}, {boolean, text, true, true},
		{date, text, "2024-01-02", true}, {instant, text, "2024-01-02T03:04:05Z", true}, {js, text, json.RawMessage(`[1]`), true},
		{dec(18, 2), text, json.Number("1.5"), true},
		// text → numbers
		{text, integer, "42", true}, {text, integer, " -42 ", true}, {text, integer, "42.000", true}, {text, integer, "+7", true},
		{text, integer, "4.5", false}, {text, integer, "1e3", false}, {text, integer, "abc", false}, {text, integer, "", false},
		{text, integer, "99999999999999999999", false}, {text, integer, "0x10", false},
		{text, float, "1.5", true}, {text, float, "1e3", true}, {text, float, ".5", true}, {text, float, "1e400", false},
		{text, float, "NaN", false}, {text, float, "inf", false}, {text, float, "1/2", false},
		{text, dec(5, 2), "123.45", true}, {text, dec(5, 2), "1234.5", false}, {text, dec(5, 2), "1.234", false},
		{text, dec(5, 2), "1.230", true},
		// numbers ↔ numbers
		{integer, float, int64(1 << 53), true}, {integer, float, int64(1<<53 + 1), false},
		{integer, dec(4, 2), int64(99), true}, {integer, dec(4, 2), int64(100), false},
		{float, integer, json.Number("12"), true}, {float, integer, json.Number("12.5"), false}, {float, integer, json.Number("100000000000000000000"), false},
		{float, dec(10, 2), json.Number("0.1"), true}, {float, dec(10, 2), json.Number("0.30000000000000004"), false},
		{dec(18, 2), integer, json.Number("12"), true}, {dec(18, 2), integer, json.Number("12.5"), false},
		{dec(18, 2), float, json.Number("0.1"), true}, {dec(38, 2), float, json.Number("1234567890123456789.12"), false},
		{dec(10, 2), dec(10, 1), json.Number("12.3"), true}, {dec(10, 2), dec(10, 1), json.Number("12.34"), false},
		{dec(10, 2), dec(4, 2), json.Number("99.99"), true}, {dec(10, 2), dec(4, 2), json.Number("100"), false},
		// booleans
		{text, boolean, "TRUE", true}, {text, boolean, " 0 ", true}, {text, boolean, "False", true}, {text, boolean, "yes", false},
		{integer, boolean, int64(1), false}, {boolean, integer, true, false},
		// dates and instants
		{text, date, "2024-02-29", true}, {text, date, "2023-02-29", false}, {text, date, "2024-2-3", false}, {text, date, "0000-01-01", false},
		{text, instant, "2024-01-02T03:04:05+08:00", true}, {text, instant, "2024-01-02T03:04:05.123Z", true},
		{text, instant, "2024-01-02 03:04:05", false}, {text, instant, "2024-01-02", false},
		{date, instant, "2024-01-02", true},
		{instant, date, "2024-01-02T00:00:00Z", true}, {instant, date, "2024-01-02T00:00:00.000001Z", false},
		// json
		{text, js, `{"a":1}`, true}, {text, js, `42`, true}, {text, js, `hello`, false}, {text, js, `"a\u0000"`, false},
		// references never convert (empty columns never get this far)
		{lookup("a"), lookup("b"), "x", false}, {lookup("a"), user, "x", false}, {user, text, "x", false},
		{text, lookup("a"), "x", false}, {integer, user, int64(1), false},
		// unlisted pairs
		{date, integer, "2024-01-02", false}, {js, integer, json.RawMessage(`1`), false},
	}
	for _, c := range cases {
		if got := store.ConvertibleForTest(c.from, c.to, c.v); got != c.ok {
			t.Errorf("%v → %v of %#v: convertible = %v, want %v", c.from, c.to, c.v, got, c.ok)
		}
	}
}

func TestMatchFields(t *testing.T) {
	cases := []struct {
		name, old, next string
		want            string
	}{
		{"keep add drop", `"a": {"x-field": {"type": "text"}}, "b": {"x-field": {"type": "text"}}`,
			`"a": {"x-field": {"type": "text"}}, "c": {"x-field": {"type": "text"}}`, "a>a +c -b"},
		{"rename", `"a": {"x-field": {"type": "text"}}`,
			`"b": {"x-field": {"type": "text", "renamedFrom": "a"}}`, "a>b"},
		{"rename and reuse the old key", `"a": {"x-field": {"type": "text"}}`,
			`"b": {"x-field": {"type": "text", "renamedFrom": "a"}}, "a": {"x-field": {"type": "text"}}`, "a>b +a"},
		{"stale renamedFrom, source gone", `"b": {"x-field": {"type": "text"}}`,
			`"b": {"x-field": {"type": "text", "renamedFrom": "a"}}`, "b>b"},
		{"stale renamedFrom, source re-added", `"b": {"x-field": {"type": "text"}}, "a": {"x-field": {"type": "text"}}`,
			`"b": {"x-field": {"type": "text", "renamedFrom": "a"}}, "a": {"x-field": {"type": "text"}}`, "b>b a>a"},
		{"swap", `"a": {"x-field": {"type": "text"}}, "b": {"x-field": {"type": "text"}}`,
			`"b": {"x-field": {"type": "text", "renamedFrom": "a"}}, "a": {"x-field": {"type": "text", "renamedFrom": "b"}}`, "a>b b>a"},
		{"chain", `"a": {"x-field": {"type": "text"}}, "b": {"x-field": {"type": "text"}}`,
			`"b": {"x-field": {"type": "text", "renamedFrom": "a"}}, "c": {"x-field": {"type": "text", "renamedFrom": "b"}}`, "a>b b>c"},
	}
	for _, c := range cases {
		got, err := store.MatchForTest(module(t, "m", c.old), module(t, "m", c.next))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s: got %q, want %q", c.name, strings.Join(got, " "), c.want)
		}
	}
}
