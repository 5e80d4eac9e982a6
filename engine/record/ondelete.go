package record

import (
	"context"
	"sort"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// What soft-deleting a record does to the live records that look it up,
// by each lookup field's on_delete (meta.Field.DeleteRule):
//
//   - restrict (the default): the delete is a 409 counting the referring
//     records per module. Every live referrer counts, also those the
//     deleting user cannot read — the answer gives counts only, never ids
//     or titles, so it reveals no more than that such records exist.
//   - clear: each referring record's lookup is set to null by an update
//     through this write path (its formulas, rollups, rules and history
//     follow; the entry's detail names the cause). Clearing needs no right
//     on the referring record: it only removes a pointer to a record the
//     user may delete. A restore does not refill it (the history has it).
//   - cascade: the referring records are soft-deleted too, each through
//     this write path and with its own lookups' rules (so cascades go on
//     down, up to maxCascadeDepth levels and maxCascadeRecords records).
//     A delete never reaches further than its user could reach: when some
//     of the records it would cascade to are outside the user's read and
//     delete scope (or their module's delete permission), the whole delete
//     is a 409 counting those records per module. Table record_cascades
//     remembers what was deleted with what, so restoring the record
//     restores exactly those records (not the ones deleted earlier on
//     their own), again down every level, needing no right on them: it
//     undoes what a permitted delete did.
//
// The record, every effect and every audit entry are one transaction: a
// refusal anywhere (a restrict three levels down, a validation rule of a
// cleared record, an approval lock) changes nothing. The parent is marked
// deleted before its referrers are looked at, so a record that looks
// itself up, or a cycle of cascades, ends instead of recursing.
//
// On PostgreSQL a record created concurrently, pointing at the record
// being deleted, can commit unseen by the delete's counts (its lookup
// check ran before); SQLite's single writer rules that out.

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"record.referrers":         {i18n.EN: "{count} record(s) of {module}", i18n.ZhCN: "{module}中的 {count} 条记录"},
		"record.delete_restricted": {i18n.EN: "This {module} record cannot be deleted: it is still looked up by {refs}. Change or delete those first.", i18n.ZhCN: "该{module}记录仍被 {refs} 关联，无法删除；请先修改或删除这些记录。"},
		"record.cascade_forbidden": {i18n.EN: "Deleting this {module} record would also delete {refs} that you may not delete.", i18n.ZhCN: "删除该{module}记录会同时删除 {refs}，而你无权删除这些记录。"},
		"record.cascade_too_deep":  {i18n.EN: "Deleting this record would delete records more than {max} levels down; delete the lowest ones first.", i18n.ZhCN: "删除该记录会级联删除超过 {max} 层的下级记录；请先删除最下层的记录。"},
		"record.cascade_too_large": {i18n.EN: "Deleting or restoring this record would change more than {max} other records along with it; handle some of them first.", i18n.ZhCN: "删除或恢复该记录会连带修改超过 {max} 条其他记录；请先处理其中一部分。"},
	})
}

const (
	maxCascadeDepth   = 8
	maxCascadeRecords = 5000
)

// cascade is the state of one delete or restore and all it sets off.
type cascade struct {
	records int      // records deleted or restored on behalf of the first one
	events  []*Event // the nested writes' after-commit hooks, run after the commit
}

type (
	cascadeKey struct{} // *cascade of the delete or restore under way
	nestedKey  struct{} // set on a nested write's ctx: defer its after-commit hooks
)

// cause is why a nested write happens: an on_delete rule of a lookup
// field, for the record parent of module parentModule.
type cause struct {
	action       string // "cascade", "clear", "restore"
	parentModule string
	parentID     string
	field        string
	depth        int // levels below the record the user deleted
}

// fact is the cause as the write's event shows it (Facts["cause"]; the
// audit entry's detail).
func (c *cause) fact() map[string]any {
	f := map[string]any{"action": c.action, "module": c.parentModule, "id": c.parentID}
	if c.field != "" {
		f["field"] = c.field
	}
	return f
}

func (c *cause) level() int {
	if c == nil {
		return 0
	}
	return c.depth
}

// nested is ctx for a write made on behalf of another in tx: it joins tx
// and defers its after-commit hooks to the end of the whole operation.
func nested(ctx context.Context, tx *store.Tx) context.Context {
	return context.WithValue(WithTx(ctx, tx), nestedKey{}, true)
}

// everything are the rights nested writes run with: the checks were made
// for the user's delete (or are not needed, see above), and what these
// writes return never leaves the server.
func everything() *access.ModuleRights {
	all := []string{access.ScopeAll}
	return &access.ModuleRights{Admin: true, Actions: map[string]bool{}, Read: all, Update: all, Delete: all}
}

// referrer is a module with the lookup fields pointing to some module,
// grouped by their on_delete rule.
type referrer struct {
	m     *meta.Module
	rules map[string][]string // rule → field keys
}

// referrers lists the modules of m's app whose lookups point to m (m
// itself included), by module key.
func (s *Service) referrers(ctx context.Context, m *meta.Module) ([]referrer, error) {
	mods, err := s.appModules(ctx, m.AppKey)
	if err != nil {
		return nil, err
	}
	var out []referrer
	for _, mm := range mods {
		ref := referrer{m: mm, rules: map[string][]string{}}
		for _, f := range mm.Fields {
			if f.Type.Name() == "lookup" && f.Module == m.Key {
				ref.rules[f.DeleteRule()] = append(ref.rules[f.DeleteRule()], f.Key)
			}
		}
		if len(ref.rules) > 0 {
			out = append(out, ref)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].m.Key < out[j].m.Key })
	return out, nil
}

// deleted applies the on_delete rules of the lookups pointing to record
// id of m, which tx has just marked deleted.
func (s *Service) deleted(ctx context.Context, tx *store.Tx, a *Actor, m *meta.Module, id string, depth int) error {
	refs, err := s.referrers(ctx, m)
	if err != nil || len(refs) == 0 {
		return err
	}
	// Restricts first: they refuse, whatever else would happen.
	var counts []any
	var fes []errs.FieldError
	for _, ref := range refs {
		n, err := s.Store.CountReferrers(ctx, tx, ref.m, ref.rules[meta.OnDeleteRestrict], id)
		if err != nil {
			return err
		}
		if n > 0 {
			msg := i18n.M("record.referrers", "count", n, "module", ref.m.Label)
			counts = append(counts, msg)
			fes = append(fes, errs.FieldError{Field: ref.m.Key, Code: "restrict", Msg: msg})
		}
	}
	if len(counts) > 0 {
		return &errs.Error{Code: errs.Conflict, Msg: i18n.M("record.delete_restricted", "module", m.Label, "refs", counts), Fields: fes}
	}
	// Cascades reach only what the user could delete themselves.
	for _, ref := range refs {
		fields := ref.rules[meta.OnDeleteCascade]
		total, err := s.Store.CountReferrers(ctx, tx, ref.m, fields, id)
		if err != nil || total == 0 {
			if err != nil {
				return err
			}
			continue
		}
		if depth+1 > maxCascadeDepth {
			return errs.New(errs.Conflict, "record.cascade_too_deep", "max", maxCascadeDepth)
		}
		allowed := 0
		r, err := s.rights(ctx, a, ref.m)
		if err != nil {
			return err
		}
		if r.Can(access.ActDelete) {
			if allowed, err = s.Store.CountReferrers(ctx, tx, ref.m, fields, id, scope(a.Principal, r.Read), scope(a.Principal, r.Delete)); err != nil {
				return err
			}
		}
		if allowed < total {
			msg := i18n.M("record.referrers", "count", total-allowed, "module", ref.m.Label)
			counts = append(counts, msg)
			fes = append(fes, errs.FieldError{Field: ref.m.Key, Code: "cascade_forbidden", Msg: msg})
		}
	}
	if len(counts) > 0 {
		return &errs.Error{Code: errs.Conflict, Msg: i18n.M("record.cascade_forbidden", "module", m.Label, "refs", counts), Fields: fes}
	}
	nctx := nested(ctx, tx)
	cs, _ := ctx.Value(cascadeKey{}).(*cascade)
	for _, ref := range refs {
		for _, f := range ref.rules[meta.OnDeleteCascade] {
			// Listed per field and checked one by one: deleting one child
			// may have deleted the next already (a child looking up a
			// sibling).
			ids, err := s.Store.ReferrerIDs(ctx, tx, ref.m, f, id)
			if err != nil {
				return err
			}
			for _, cid := range ids {
				if _, err := s.Store.RecordInTx(ctx, tx, ref.m, cid); errs.Is(err, errs.NotFound) {
					continue
				} else if err != nil {
					return err
				}
				if err := cs.count(); err != nil {
					return err
				}
				c := &cause{action: meta.OnDeleteCascade, parentModule: m.Key, parentID: id, field: f, depth: depth + 1}
				if _, err := s.flip(nctx, *a, everything(), ref.m, cid, OpDelete, c); err != nil {
					return err
				}
				if err := s.Store.AddCascade(ctx, tx, m.AppKey, m.Key, id, store.Cascade{Module: ref.m.Key, ID: cid}); err != nil {
					return err
				}
			}
		}
		// One update per record, emptying every clear lookup it holds.
		clear := map[string][]string{}
		var order []string
		for _, f := range ref.rules[meta.OnDeleteClear] {
			ids, err := s.Store.ReferrerIDs(ctx, tx, ref.m, f, id)
			if err != nil {
				return err
			}
			for _, cid := range ids {
				if clear[cid] == nil {
					order = append(order, cid)
				}
				clear[cid] = append(clear[cid], f)
			}
		}
		for _, cid := range order {
			if err := cs.count(); err != nil {
				return err
			}
			c := &cause{action: meta.OnDeleteClear, parentModule: m.Key, parentID: id, field: clear[cid][0], depth: depth + 1}
			if err := s.clearLookups(nctx, *a, ref.m, cid, clear[cid], c); err != nil {
				return err
			}
		}
	}
	return nil
}

// count counts one more record affected, refusing past the bound.
func (cs *cascade) count() error {
	if cs == nil {
		return nil
	}
	if cs.records++; cs.records > maxCascadeRecords {
		return errs.New(errs.Conflict, "record.cascade_too_large", "max", maxCascadeRecords)
	}
	return nil
}

// restored brings back what deleting record id of m (just restored in
// tx) soft-deleted along with it. A record restored on its own (c nil) is
// first forgotten as a cascaded child: restoring its parent later leaves
// it alone.
func (s *Service) restored(ctx context.Context, tx *store.Tx, a *Actor, m *meta.Module, id string, c *cause) error {
	if c == nil {
		if err := s.Store.ForgetCascade(ctx, tx, m.AppKey, store.Cascade{Module: m.Key, ID: id}); err != nil {
			return err
		}
	}
	kids, err := s.Store.TakeCascades(ctx, tx, m.AppKey, m.Key, id)
	if err != nil || len(kids) == 0 {
		return err
	}
	nctx := nested(ctx, tx)
	cs, _ := ctx.Value(cascadeKey{}).(*cascade)
	for _, k := range kids {
		km, err := s.appModule(ctx, m, k.Module)
		if errs.Is(err, errs.NotFound) {
			continue // the module is gone, and its records with it
		}
		if err != nil {
			return err
		}
		if _, err := s.Store.DeletedRecordInTx(ctx, tx, km, k.ID); errs.Is(err, errs.NotFound) {
			continue
		} else if err != nil {
			return err
		}
		if err := cs.count(); err != nil {
			return err
		}
		kc := &cause{action: "restore", parentModule: m.Key, parentID: id, depth: c.level() + 1}
		if _, err := s.flip(nctx, *a, everything(), km, k.ID, OpRestore, kc); err != nil {
			return err
		}
	}
	return nil
}

// clearLookups empties lookup fields of record id of m, as an update
// through the write path (formulas, rollups, hooks, history).
func (s *Service) clearLookups(ctx context.Context, a Actor, m *meta.Module, id string, fields []string, c *cause) error {
	r := everything()
	ev := &Event{Op: OpUpdate, Module: m, Actor: a}
	ev.Fact("cause", c.fact())
	_, err := s.write(ctx, r, ev, steps{
		prepare: func(tx *store.Tx) error {
			old, err := s.Store.RecordInTx(ctx, tx, m, id)
			if err != nil {
				return err
			}
			ev.Old, ev.Changes = old, map[string]any{}
			for _, f := range fields {
				ev.Changes[f] = nil
			}
			return nil
		},
		finish: func(tx *store.Tx) error {
			return s.computed(ctx, tx, &a, r, m, ev.Old, nil, ev.Changes)
		},
		row: func(tx *store.Tx) (store.Record, error) {
			return s.Store.UpdateRecord(ctx, tx, m, id, ev.Old["version"].(int64), ev.Changes, a.userID())
		},
	})
	return err
}
