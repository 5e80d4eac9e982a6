package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

// Record reads are prepared once per module version: a schema change
// (a new field, a retyped one) is read at once in the new shape, and on
// SQLite the statements of the old version are dropped for the new
// version's.
func TestPreparedReadsFollowSchemaChanges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		v1 := registered(t, s, module(t, "deal", `"n": {"x-field": {"type": "integer"}}`))
		id := insert(t, s, v1, map[string]any{"n": 7})
		page := func(m *meta.Module) string {
			t.Helper()
			p, err := s.ListRows(ctx, m, store.ListQuery{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Rows.Release()
			rows, err := s.RecordRow(ctx, m, id)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Release()
			one, _ := rows.AppendJSON(nil, 0)
			listed, _ := p.Rows.AppendJSON(nil, 0)
			if string(one) != string(listed) {
				t.Errorf("get %s, list %s", one, listed)
			}
			var rec map[string]any
			json.Unmarshal(listed, &rec)
			b, _ := json.Marshal(map[string]any{"n": rec["n"], "note": rec["note"]})
			return string(b)
		}
		for range 3 {
			if got := page(v1); got != `{"n":7,"note":null}` {
				t.Fatalf("v1 reads %s", got)
			}
		}
		if ver, n := store.CachedStmtsForTest(s, v1.ID); s.D.Name() == "sqlite" && (ver != 1 || n != 2) {
			t.Errorf("after v1 reads: version %d with %d statements, want 1 with 2 (the list, the get)", ver, n)
		}
		v2 := module(t, "deal", `"n": {"x-field": {"type": "decimal", "precision": 10, "scale": 2}}, "note": {"x-field": {"type": "text"}}`)
		v2.Version = v1.Version
		if err := s.UpdateModule(ctx, v1, v2, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.W.ExecContext(ctx, store.Rebind(s.D, `UPDATE `+store.Quote(v2.Table)+` SET "note" = ?, "n" = ?`), "hi <&>", "7.25"); err != nil {
			t.Fatal(err)
		}
		if got := page(v2); got != `{"n":7.25,"note":"hi \u003c\u0026\u003e"}` {
			t.Errorf("v2 reads %s", got)
		}
		if ver, n := store.CachedStmtsForTest(s, v1.ID); s.D.Name() == "sqlite" && (ver != v2.Version || n != 2) {
			t.Errorf("after v2 reads: version %d with %d statements, want %d with 2", ver, n, v2.Version)
		}
		if err := s.DeleteModule(ctx, v2); err != nil {
			t.Fatal(err)
		}
		if _, n := store.CachedStmtsForTest(s, v1.ID); n != 0 {
			t.Errorf("%d statements kept for a deleted module", n)
		}
	})
}

// registered stores m (with its table) in a new app, as the metadata
// service would.
func registered(t *testing.T, s *store.Store, m *meta.Module) *meta.Module {
	t.Helper()
	ctx := context.Background()
	a := &meta.App{Key: app, Label: meta.Label{"en": "CRM"}}
	if err := s.CreateApp(ctx, a); err != nil {
		t.Fatal(err)
	}
	m.AppID = a.ID
	if err := s.CreateModule(ctx, m, ""); err != nil {
		t.Fatal(err)
	}
	return m
}
