package importer

import (
	"context"
	"fmt"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Rows are written by chunks: the creates of a chunk go to
// record.Service.CreateMany — the same write path as Create, its rows,
// audit entries and rule jobs in multi-row statements — inside one
// savepoint; only when the chunk is refused are its rows written one by
// one (each in its own savepoint, the answer a row alone gets). A row
// whose key names a record (an update, or a skip) is written alone, after
// the creates before it, so every row meets what the rows above it left,
// as when they are written one after another.

// rowResult is what became of one row of a chunk.
type rowResult struct {
	o   outcome
	bad []cellError
}

// pendingCreate is a row of a chunk waiting for CreateMany.
type pendingCreate struct {
	i     int // index in the chunk
	input map[string]any
}

// writeChunk writes rows in tx and says what became of each. An error
// returned is not a row's fault (the database failed): the pass stops.
func (se *session) writeChunk(ctx context.Context, tx *store.Tx, rows []dataRow) ([]rowResult, error) {
	out := make([]rowResult, len(rows))
	if se.selfRef() {
		// A row may name a record a row above it creates: one by one.
		for i, dr := range rows {
			o, bad, err := se.write(ctx, tx, dr)
			if err != nil {
				return nil, err
			}
			out[i] = rowResult{o, bad}
		}
		return out, nil
	}
	inputs := make([]map[string]any, len(rows))
	var keys []any
	for i, dr := range rows {
		input, bad, err := se.input(ctx, tx, dr)
		if err != nil {
			return nil, err
		}
		if len(bad) > 0 {
			out[i] = rowResult{failed, bad}
			continue
		}
		inputs[i] = input
		if k, ok := se.keyOf(input); ok {
			keys = append(keys, k)
		}
	}
	found := map[string]bool{}
	if len(keys) > 0 {
		ids, err := se.s.Store.RecordsWhereIn(ctx, tx, se.m, se.key.field.Key, keys, se.reach.Read)
		if err != nil {
			return nil, err
		}
		for v := range ids {
			found[fmt.Sprint(v)] = true
		}
	}
	var pend []pendingCreate
	pendKeys := map[string]bool{}
	for i, input := range inputs {
		if input == nil {
			continue
		}
		k, ok := se.keyOf(input)
		ks := fmt.Sprint(k)
		if !ok || (!found[ks] && !pendKeys[ks]) {
			pend = append(pend, pendingCreate{i, input})
			if ok {
				pendKeys[ks] = true
			}
			continue
		}
		// The key names a record, maybe one a row above creates: those
		// first, then this row alone.
		if err := se.createAll(ctx, tx, pend, out); err != nil {
			return nil, err
		}
		pend, pendKeys = pend[:0], map[string]bool{}
		o, bad, err := se.writeInput(ctx, tx, input)
		if err != nil {
			return nil, err
		}
		out[i] = rowResult{o, bad}
	}
	if err := se.createAll(ctx, tx, pend, out); err != nil {
		return nil, err
	}
	return out, nil
}

// keyOf is the row's key value as the key lookup compares it.
func (se *session) keyOf(input map[string]any) (any, bool) {
	if se.key == nil {
		return nil, false
	}
	v, ok := input[se.key.field.Key]
	if !ok || v == nil {
		return nil, false
	}
	return sqlValue(v), true
}

// selfRef reports whether a mapped lookup column points at the module
// being imported into.
func (se *session) selfRef() bool {
	for _, c := range se.cols {
		if c.col.Kind == meta.ColRef && !c.col.RefUsers && c.col.RefModule == se.m.Key {
			return true
		}
	}
	return false
}

// createAll creates the pending rows with CreateMany inside a savepoint.
// Refused, the chunk is rolled back and split: the rows before the one
// refused go again together, that one alone (its own answer); when the
// multi-row insert was refused (a unique index, which does not say which
// row), each half goes again, down to single rows.
func (se *session) createAll(ctx context.Context, tx *store.Tx, pend []pendingCreate, out []rowResult) error {
	for len(pend) > 0 {
		if len(pend) == 1 {
			return se.createOne(ctx, tx, pend[0], out)
		}
		inputs := make([]map[string]any, len(pend))
		for j, p := range pend {
			inputs[j] = p.input
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT import_chunk`); err != nil {
			return err
		}
		_, at, err := se.s.Records.CreateMany(record.WithTx(ctx, tx), se.actor, se.m, inputs)
		if err == nil {
			if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT import_chunk`); err != nil {
				return err
			}
			for _, p := range pend {
				out[p.i] = rowResult{o: created}
			}
			return nil
		}
		if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT import_chunk`); rerr != nil {
			return rerr
		}
		if _, rerr := tx.ExecContext(ctx, `RELEASE SAVEPOINT import_chunk`); rerr != nil {
			return rerr
		}
		if e, ok := errs.As(err); at >= 0 && (!ok || e.Code == errs.Internal) {
			return err // the database failed, not the row
		}
		if at < 0 {
			half := len(pend) / 2
			if err := se.createAll(ctx, tx, pend[:half], out); err != nil {
				return err
			}
			pend = pend[half:]
			continue
		}
		if err := se.createAll(ctx, tx, pend[:at], out); err != nil {
			return err
		}
		if err := se.createOne(ctx, tx, pend[at], out); err != nil {
			return err
		}
		pend = pend[at+1:]
	}
	return nil
}

// createOne writes one pending row alone, as it would be without chunks.
func (se *session) createOne(ctx context.Context, tx *store.Tx, p pendingCreate, out []rowResult) error {
	o, bad, err := se.writeInput(ctx, tx, p.input)
	if err != nil {
		return err
	}
	out[p.i] = rowResult{o, bad}
	return nil
}
