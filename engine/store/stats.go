package store

import (
	"context"

	"github.com/tessera-app/tessera/engine/meta"
)

// Planner statistics. SQLite keeps none until ANALYZE runs, and without
// them its planner counts half a table through an index (72 ms) where a
// scan takes 26 ms; PostgreSQL's autovacuum analyzes on its own, but only
// after enough rows changed, so a bulk load is analyzed at once.

// Optimize refreshes the statistics where they are stale: SQLite's
// `PRAGMA optimize` (cheap: it analyzes only tables whose size changed a
// lot since, within a bounded effort). Run at start and every few hours
// by a serving process; nothing on PostgreSQL.
func (s *Store) Optimize(ctx context.Context) error {
	if s.D.Name() != "sqlite" {
		return nil
	}
	// 0x10002: also tables never analyzed, with the analysis limit SQLite
	// recommends for a long-lived connection.
	_, err := s.W.ExecContext(ctx, `PRAGMA optimize=0x10002`)
	return err
}

// Analyze gathers the statistics of m's table now: after a bulk load (an
// import) the planner should not wait for the next Optimize.
//
// Inside Atomic it does nothing: the table's change is not committed, and
// on SQLite the writer connection ANALYZE needs is the one Atomic holds
// (on PostgreSQL the altered table is locked by Atomic's transaction), so
// it would wait for the transaction that waits for it — a template upgrade
// that retyped a column hung for good. Optimize gathers them later.
func (s *Store) Analyze(ctx context.Context, m *meta.Module) error {
	if InAtomic(ctx) {
		return nil
	}
	_, err := s.W.ExecContext(ctx, `ANALYZE `+Quote(m.Table))
	return err
}
