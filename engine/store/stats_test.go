package store_test

import (
	"context"
	"testing"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

// Optimize and Analyze leave statistics the planner uses: on SQLite the
// sqlite_stat1 table has a row for the module's table afterwards.
func TestPlannerStatistics(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := module(t, "deal", `"n": {"x-field": {"type": "integer", "indexed": true}}`)
		create(t, s, m)
		for i := range 20 {
			insert(t, s, m, map[string]any{"n": i % 3})
		}
		ctx := context.Background()
		stats := func() int {
			var n int
			q := `SELECT count(*) FROM sqlite_stat1 WHERE tbl = ?`
			if s.D.Name() == "postgres" {
				q = `SELECT count(*) FROM pg_stats WHERE schemaname = current_schema() AND tablename = $1 AND attname = 'n'`
			}
			if err := s.R.QueryRowContext(ctx, q, m.Table).Scan(&n); err != nil {
				return 0 // sqlite_stat1 does not exist before the first analysis
			}
			return n
		}
		if err := s.Optimize(ctx); err != nil {
			t.Fatal(err)
		}
		if s.D.Name() == "sqlite" && stats() == 0 {
			t.Errorf("no statistics for the never-analyzed %s after Optimize", m.Table)
		}
		if err := s.Analyze(ctx, m); err != nil {
			t.Fatal(err)
		}
		if stats() == 0 {
			t.Errorf("no planner statistics for %s after Analyze", m.Table)
		}
	})
}

// A schema change that creates an index analyzes the table once
// committed (the planner would otherwise have no statistics for the new
// index on SQLite); one that adds a plain column does not.
func TestSchemaChangeAnalyzes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		v1 := registered(t, s, module(t, "deal", `"n": {"x-field": {"type": "integer"}}`))
		for i := range 20 {
			insert(t, s, v1, map[string]any{"n": i % 3})
		}
		stats := func() int {
			var n int
			q, args := `SELECT count(*) FROM sqlite_stat1 WHERE tbl = ? AND idx = ?`, []any{v1.Table, store.IndexNameForTest("ix", v1.Table, "n")}
			if s.D.Name() == "postgres" {
				q, args = `SELECT count(*) FROM pg_stats WHERE schemaname = current_schema() AND tablename = $1 AND attname = 'n'`, args[:1]
			}
			if err := s.R.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				return 0 // sqlite_stat1 does not exist before the first analysis
			}
			return n
		}
		update := func(old *meta.Module, props string) *meta.Module {
			t.Helper()
			next := module(t, "deal", props)
			next.Version = old.Version
			if err := s.UpdateModule(ctx, old, next, ""); err != nil {
				t.Fatal(err)
			}
			return next
		}
		v2 := update(v1, `"n": {"x-field": {"type": "integer"}}, "note": {"x-field": {"type": "text"}}`)
		if n := stats(); n != 0 {
			t.Errorf("adding a plain column analyzed the table (%d rows of statistics)", n)
		}
		update(v2, `"n": {"x-field": {"type": "integer", "indexed": true}}, "note": {"x-field": {"type": "text"}}`)
		if stats() == 0 {
			t.Errorf("no statistics for the new index on %s after the schema change", v1.Table)
		}
	})
}
