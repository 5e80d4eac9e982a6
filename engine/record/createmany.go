package record

import (
	"context"
	"errors"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// CreateMany creates one record per input, as Create would one after
// another — the same validation, defaults, before-save hooks, autonumbers,
// formulas and validation rules, and in-transaction hooks (audit, rule
// jobs, flows, rollups) per record — but writes the rows in multi-row
// INSERTs and lets the append-only rows the hooks add (audit entries, rule
// jobs) wait for multi-row inserts at the end (store.Tx.Buffer): the write
// path of bulk loads. It runs in the transaction of ctx (InTx or WithTx),
// and its after-commit hooks wait for that transaction's commit.
//
// It is all or nothing, and the caller keeps a savepoint: on a refusal it
// returns the index of the input refused (-1 when the multi-row insert
// failed, which does not say which row — a unique index) with the error,
// having maybe written part of the work in the transaction. The caller
// rolls back to its savepoint and writes the inputs before that index
// again with CreateMany, and that one with Create, which gives its own
// answer on the state the others leave.
//
// One difference with a loop of Create is when each row meets the others:
// every input is prepared (its before-save hooks, formulas, validation
// rules) before any of the rows is inserted, so an input must not depend
// on the records the inputs before it create — an import splits its
// chunks where a row refers to its own module.
func (s *Service) CreateMany(ctx context.Context, a Actor, m *meta.Module, inputs []map[string]any) ([]store.Record, int, error) {
	tx, ok := ctx.Value(txKey{}).(*store.Tx)
	if !ok {
		return nil, -1, errors.New("record: CreateMany needs a transaction (InTx or WithTx)")
	}
	r, err := s.rights(ctx, &a, m)
	if err != nil {
		return nil, 0, err
	}
	if err := require(r, m, access.ActCreate); err != nil {
		return nil, 0, err
	}
	if _, err := s.appModules(ctx, m.AppKey); err != nil {
		return nil, -1, err
	}
	evs := make([]*Event, len(inputs))
	rows := make([]store.NewRecord, len(inputs))
	for i, input := range inputs {
		ev, st, err := s.creation(ctx, &a, r, m, input)
		if err != nil {
			return nil, i, err
		}
		if _, err := s.before(ctx, tx, ev, st); err != nil { // a create is never a no-op
			return nil, i, err
		}
		evs[i], rows[i] = ev, st.newRow()
	}
	recs, err := s.Store.InsertRecords(ctx, tx, m, rows)
	if err != nil {
		return nil, -1, err
	}
	tx.Buffer()
	defer tx.Unbuffer()
	for i, ev := range evs {
		if err := s.saved(ctx, tx, ev, recs[i]); err != nil {
			return nil, i, err
		}
	}
	if err := tx.Flush(ctx); err != nil {
		return nil, -1, err
	}
	out := make([]store.Record, len(evs))
	for i, ev := range evs {
		s.afterCommit(ctx, ev)
		out[i] = s.out(r, m, ev.New)
	}
	return out, -1, nil
}
