package record

import (
	"context"
	"fmt"
	"strings"

	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// LookupFormulas is the in-transaction hook (Hooks.InTx) that keeps
// formulas reading through a lookup (`account.region` in a deal) current:
// when a record changes a field such formulas read (or is deleted or
// restored, which makes its fields read as empty or back), the records
// that point to it are recomputed in the write's transaction (one UPDATE
// per record whose values change).
//
// As with rollups, these are derived updates: no version bump, no audit
// entry, no hooks — so they never cascade further. A formula reading
// through a lookup therefore shows the looked-up record's stored values,
// including its own formulas as they were last stored.
func (s *Service) LookupFormulas(ctx context.Context, tx *store.Tx, ev *Event) error {
	if ev.Op == OpCreate || ev.Old == nil {
		return nil // nothing points to a record that did not exist
	}
	target := ev.Module
	mods, err := s.appModules(ctx, target.AppKey)
	if err != nil {
		return err
	}
	id, _ := ev.Old["id"].(string)
	for _, m := range mods {
		for l, fields := range throughReads(m, target.Key) {
			if ev.Op == OpUpdate && !anyChanged(fields, ev.Old, ev.New) {
				continue
			}
			if err := s.recomputeReferrers(ctx, tx, m, l, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// throughReads maps the lookup fields of m pointing to module target to
// the target fields m's formulas read through them.
func throughReads(m *meta.Module, target string) map[string][]string {
	var out map[string][]string
	for _, f := range m.Fields {
		if f.Type.Name() != "formula" {
			continue
		}
		reads, err := expr.Reads(f.Formula, m)
		if err != nil {
			continue
		}
		for _, r := range reads {
			l, x, ok := strings.Cut(r, ".")
			if lf := m.Field(l); !ok || lf == nil || lf.Type.Name() != "lookup" || lf.Module != target {
				continue
			}
			if out == nil {
				out = map[string][]string{}
			}
			out[l] = append(out[l], x)
		}
	}
	return out
}

func anyChanged(fields []string, old, next store.Record) bool {
	for _, f := range fields {
		if !sameValue(old[f], next[f]) {
			return true
		}
	}
	return false
}

// recomputeReferrers recomputes the formulas of the records of m whose
// lookup l holds id (deleted records too: they come back as they were).
func (s *Service) recomputeReferrers(ctx context.Context, tx *store.Tx, m *meta.Module, l, id string) error {
	q := fmt.Sprintf(`SELECT "id" FROM %s WHERE %s = %s`, table(m), store.Quote(l), tx.D.Placeholder(1))
	rows, err := tx.QueryContext(ctx, q, id)
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var v any
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		if sid, ok := store.Decode(meta.Column{Kind: meta.ColRef}, v).(string); ok {
			ids = append(ids, sid)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, rid := range ids {
		if err := s.recomputeRow(ctx, tx, m, rid, 0); err != nil {
			return err
		}
	}
	return nil
}
