package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/tessera-app/tessera/engine/meta"
)

// What deleting a record does to the records that look it up (lookup
// fields' on_delete, engine/record/ondelete.go): the queries over the
// referring records, and table record_cascades, which remembers which
// records a delete soft-deleted along with its record so that restoring
// it restores exactly those.

// CountReferrers counts the live records of m that hold id in any of the
// lookup fields and meet every condition (none: every such record, seen
// or not — a restrict counts what the deleting user cannot see too).
func (s *Store) CountReferrers(ctx context.Context, tx *Tx, m *meta.Module, fields []string, id string, where ...Cond) (int, error) {
	if len(fields) == 0 || !validID(id) {
		return 0, nil
	}
	w := s.referrers(m, fields, id)
	if err := w.conds(where); err != nil {
		return 0, err
	}
	var n int
	err := tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE %s`, tableRef(m), w.sql()), w.args...).Scan(&n)
	return n, err
}

// ReferrerIDs lists, by id, the live records of m that hold id in field.
func (s *Store) ReferrerIDs(ctx context.Context, tx *Tx, m *meta.Module, field, id string) ([]string, error) {
	if !validID(id) {
		return nil, nil
	}
	w := s.referrers(m, []string{field}, id)
	return queryAll(ctx, tx, fmt.Sprintf(`SELECT "id" FROM %s WHERE %s ORDER BY "id"`, tableRef(m), w.sql()), w.args,
		func(r scanner) (string, error) {
			var ref string
			err := r.Scan(&ref)
			return ref, err
		})
}

// referrers is the condition "live, and one of fields holds id". Field
// keys are validated metadata keys, quoted.
func (s *Store) referrers(m *meta.Module, fields []string, id string) *whereBuilder {
	w := &whereBuilder{d: s.D, now: s.Now(), m: m}
	w.add(`"deleted_at" IS NULL`)
	ors := make([]string, len(fields))
	args := make([]any, len(fields))
	for i, f := range fields {
		ors[i] = Quote(f) + ` = ?`
		args[i] = id
	}
	w.add(strings.Join(ors, " OR "), args...)
	return w
}

// Cascade is one record a delete soft-deleted along with its parent.
type Cascade struct {
	Module, ID string
}

// AddCascade remembers that deleting parent (module, id) soft-deleted
// child.
func (s *Store) AddCascade(ctx context.Context, tx *Tx, app, parentModule, parentID string, child Cascade) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO record_cascades (app, parent_module, parent_id, child_module, child_id, at)
		VALUES (?, ?, ?, ?, ?, ?)`), app, parentModule, parentID, child.Module, child.ID, TimeArg(s.D, tx.Now))
	return err
}

// TakeCascades returns the records deleting parent soft-deleted along
// with it, oldest first, and forgets them.
func (s *Store) TakeCascades(ctx context.Context, tx *Tx, app, parentModule, parentID string) ([]Cascade, error) {
	out, err := queryAll(ctx, tx, s.q(`SELECT child_module, child_id FROM record_cascades
		WHERE app = ? AND parent_module = ? AND parent_id = ? ORDER BY at, child_module, child_id`),
		[]any{app, parentModule, parentID}, func(r scanner) (Cascade, error) {
			var c Cascade
			err := r.Scan(&c.Module, &c.ID)
			return c, err
		})
	if err != nil || len(out) == 0 {
		return out, err
	}
	_, err = tx.ExecContext(ctx, s.q(`DELETE FROM record_cascades WHERE app = ? AND parent_module = ? AND parent_id = ?`), app, parentModule, parentID)
	return out, err
}

// ForgetCascade drops what is remembered about child as a record deleted
// with a parent: it was restored on its own, so restoring the parent no
// longer concerns it (deleting it again later is a delete of its own).
func (s *Store) ForgetCascade(ctx context.Context, tx *Tx, app string, child Cascade) error {
	_, err := tx.ExecContext(ctx, s.q(`DELETE FROM record_cascades WHERE app = ? AND child_module = ? AND child_id = ?`), app, child.Module, child.ID)
	return err
}
