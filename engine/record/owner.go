package record

import (
	"context"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// OwnerChange is a change of a record's owner decided by a caller with
// permissions of its own (engine/pool: a pool's claim, assignment and
// reclaim), so no role action is asked of the actor.
type OwnerChange struct {
	// Within are conditions the record must meet, else it is not found
	// (the pool's: its filter, its reclaim thresholds).
	Within []store.Cond
	// Free requires the record to have no owner (a conflict otherwise):
	// of two claims of one record, one wins.
	Free bool
	// Owner is the new owner's user id, or nil for nobody (back to the
	// pool). Another user than the actor must be a live one.
	Owner any
	// Facts go on the write's event (the audit entry's detail shows them).
	Facts map[string]any
}

// SetOwner changes record id's owner through the write path as actor a —
// before-save and in-transaction hooks run, so the history, the rules and
// the audit log see it — with the checks of c instead of the actor's
// role actions. The answer is the record as a may see it.
func (s *Service) SetOwner(ctx context.Context, a Actor, m *meta.Module, id string, c OwnerChange) (store.Record, error) {
	r, err := s.rights(ctx, &a, m)
	if err != nil {
		return nil, err
	}
	return s.setOwner(ctx, a, r, m, id, c)
}

func (s *Service) setOwner(ctx context.Context, a Actor, r *access.ModuleRights, m *meta.Module, id string, c OwnerChange) (store.Record, error) {
	ev := &Event{Op: OpUpdate, Module: m, Actor: a}
	for k, v := range c.Facts {
		ev.Fact(k, v)
	}
	return s.write(ctx, r, ev, steps{
		prepare: func(tx *store.Tx) error {
			old, err := s.Store.RecordInTx(ctx, tx, m, id, c.Within...)
			if err != nil {
				return err
			}
			if c.Free && old["owner"] != nil {
				return errs.New(errs.Conflict, "record.claimed")
			}
			if uid, ok := c.Owner.(string); ok && uid != a.userID() {
				live, err := s.Store.LiveIDs(ctx, tx, "users", []string{uid})
				if err != nil {
					return err
				}
				if !live[uid] {
					return errs.Fields(errs.Field("owner", "not_found", "record.bad_owner"))
				}
			}
			ev.Old, ev.Changes = old, map[string]any{"owner": c.Owner}
			return nil
		},
		unchanged: func() bool { return ev.Old["owner"] == c.Owner },
		row: func(tx *store.Tx) (store.Record, error) {
			return s.Store.UpdateRecord(ctx, tx, m, id, ev.Old["version"].(int64), ev.Changes, a.userID())
		},
	})
}
