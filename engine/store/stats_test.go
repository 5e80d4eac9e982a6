package store_test

import (
	"context"
	"testing"

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
				q = `SELECT count(*) FROM pg_stats WHERE tablename = $1 AND attname = 'n'`
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
