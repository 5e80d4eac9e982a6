package record

import (
	"context"
	"fmt"
	"strings"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// Rollups is the in-transaction hook (Hooks.InTx) that keeps rollup
// fields current: when a record of a child module is created, updated,
// deleted or restored, every rollup over that module is recomputed for
// the parent the record points to (and for its previous parent when the
// lookup changed), each with one UPDATE … SET f = (SELECT agg …) in the
// write's transaction. The parent's formulas are then recomputed too (they
// may read the rollup).
//
// These updates are derived data: they do not bump the parent's version,
// touch updated_at, write audit entries or run the parent's hooks (and so
// its rules).
func (s *Service) Rollups(ctx context.Context, tx *store.Tx, ev *Event) error {
	child := ev.Module
	mods, err := s.appModules(ctx, child.AppKey)
	if err != nil || len(mods) == 0 {
		return err
	}
	parents := func(f *meta.Field) ([]string, error) {
		var ids []string
		for _, rec := range []store.Record{ev.Old, ev.New} {
			if id, _ := rec[f.Via].(string); id != "" && (len(ids) == 0 || ids[0] != id) {
				ids = append(ids, id)
			}
		}
		return ids, nil
	}
	return s.rollupsOver(ctx, tx, mods, child, parents, func(*meta.Field) bool { return true }, 0)
}

// maxRollupChain bounds rollups of rollups (and ends cycles: a module
// rolling up its own records through a self-lookup).
const maxRollupChain = 4

// rollupsOver recomputes the rollups over child that apply (every one for
// a write of child; after derived updates only those reading a derived
// field of child) for the parents parents names, then the parents'
// formulas, and then — since a parent's rollups and formulas just changed
// — the rollups over the parent that read them: an account's order total
// is a sum of its orders' totals, themselves sums of their lines.
func (s *Service) rollupsOver(ctx context.Context, tx *store.Tx, mods []*meta.Module, child *meta.Module,
	parents func(f *meta.Field) ([]string, error), applies func(f *meta.Field) bool, depth int) error {
	for _, pm := range mods {
		touched := map[string]bool{}
		for _, f := range pm.Fields {
			if f.Type.Name() != "rollup" || f.Module != child.Key || !usable(f, child) || !applies(f) {
				continue
			}
			ids, err := parents(f)
			if err != nil {
				return err
			}
			for _, id := range ids {
				touched[id] = true
			}
			if err := updateRollup(ctx, tx, pm, f, child, ids); err != nil {
				return err
			}
		}
		if len(touched) == 0 {
			continue
		}
		if len(meta.FormulaOrder(pm)) > 0 {
			for id := range touched {
				if err := s.recomputeRow(ctx, tx, pm, id, 0); err != nil {
					return err
				}
			}
		}
		if depth >= maxRollupChain {
			continue
		}
		// The parents' lookups name the next level up.
		up := func(f *meta.Field) ([]string, error) {
			var ids []string
			seen := map[string]bool{}
			for id := range touched {
				rec, err := s.Store.RecordInTx(ctx, tx, pm, id)
				if errs.Is(err, errs.NotFound) {
					continue
				}
				if err != nil {
					return nil, err
				}
				if p, _ := rec[f.Via].(string); p != "" && !seen[p] {
					seen[p] = true
					ids = append(ids, p)
				}
			}
			return ids, nil
		}
		if err := s.rollupsOver(ctx, tx, mods, pm, up, func(f *meta.Field) bool { return readsDerived(f, pm) }, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// readsDerived reports whether rollup f over child reads a rollup or
// formula of child (its field or a name in its filter): only those change
// when child's derived fields do.
func readsDerived(f *meta.Field, child *meta.Module) bool {
	derived := func(fd *meta.Field) bool {
		return fd != nil && (fd.Type.Name() == "rollup" || fd.Type.Name() == "formula")
	}
	if f.Op != "count" && derived(child.Field(f.Of)) {
		return true
	}
	if strings.TrimSpace(f.Filter) == "" {
		return false
	}
	for _, word := range strings.FieldsFunc(f.Filter, func(r rune) bool {
		return r != '_' && (r < 'a' || r > 'z') && (r < '0' || r > '9')
	}) {
		if derived(child.Field(word)) {
			return true
		}
	}
	return false
}

// appModules lists the modules of an app (meta.ListModules over Modules).
func (s *Service) appModules(ctx context.Context, app string) ([]*meta.Module, error) {
	return meta.ListModules(ctx, s.Modules, app)
}

// updateRollup recomputes rollup field f of parent module pm for the
// parent records ids.
func updateRollup(ctx context.Context, tx *store.Tx, pm *meta.Module, f *meta.Field, child *meta.Module, ids []string) error {
	var agg string
	col := store.Quote(f.Of)
	switch f.Op {
	case "count":
		agg = "COUNT(*)"
	case "sum":
		agg = "COALESCE(SUM(" + col + "), 0)"
	case "min", "max", "avg":
		agg = strings.ToUpper(f.Op) + "(" + col + ")"
	default:
		return fmt.Errorf("rollup %s.%s: unknown op %q", pm.Key, f.Key, f.Op)
	}
	d := tx.D
	where := store.Quote(f.Via) + " = " + d.Placeholder(1) + ` AND "deleted_at" IS NULL`
	var fargs []any
	if strings.TrimSpace(f.Filter) != "" {
		w, err := expr.Filter(f.Filter, store.Resolver(child), expr.Dialect(d.Name()), 1)
		if err != nil {
			return err
		}
		if w.SQL != "" {
			where += " AND " + w.SQL
			fargs = w.Args
		}
	}
	q := fmt.Sprintf(`UPDATE %s SET %s = (SELECT %s FROM %s WHERE %s) WHERE "id" = %s`,
		table(pm), store.Quote(f.Key), agg, table(child), where, d.Placeholder(len(fargs)+2))
	for _, id := range ids {
		args := append(append([]any{id}, fargs...), id)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// table is a module's table reference for SQL of this package (the version
// comment keeps PostgreSQL's cached plans per schema version, as the store
// does).
func table(m *meta.Module) string {
	return fmt.Sprintf("%s /* v%d */", store.Quote(m.Table), m.Version)
}

// usable reports whether rollup f can still be computed over child: a
// later change of the child may have removed the fields it names, or made
// its filter untranslatable. Such a rollup keeps its last value.
func usable(f *meta.Field, child *meta.Module) bool {
	if child.Field(f.Via) == nil || (f.Op != "count" && child.Field(f.Of) == nil) {
		return false
	}
	if strings.TrimSpace(f.Filter) != "" {
		if _, err := expr.Filter(f.Filter, store.Resolver(child), expr.Dialect("sqlite"), 0); err != nil {
			return false
		}
	}
	return true
}
