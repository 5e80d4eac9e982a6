package record

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// Recomputing stored formulas and rollups of existing rows after a module
// change (a formula added or changed, a rollup added or changed) is a
// chain of durable jobs of kind RecomputeKind: each job recomputes one
// batch of RecomputeBatch rows (live and deleted, in id order) in its own
// transaction and enqueues the next batch's job in that same transaction,
// its payload carrying the progress (rows done, total). GET
// /api/apps/{app}/modules/{module}/recompute reads the newest job of the
// chain (RecomputeStatus).
//
// Recomputed values are derived data: rows are updated with plain SQL,
// without bumping their version or updated_at, without audit entries and
// without hooks. A row changed by a user meanwhile is skipped (its write
// computed its formulas with the new schema already): the UPDATE checks
// the version read.
const (
	RecomputeKind  = "formula.recompute"
	RecomputeBatch = 500
)

// recomputePayload is a recompute job's payload: which module (and schema
// version) and where the chain is.
type recomputePayload struct {
	App      string `json:"app"`
	Module   string `json:"module"`
	ModuleID string `json:"module_id"`
	Version  int    `json:"version"`
	After    string `json:"after,omitempty"` // last id done
	Done     int64  `json:"done"`
	Total    int64  `json:"total"`
}

func recomputeKey(moduleID string) string { return RecomputeKind + ":" + moduleID + ":" }

// NeedsRecompute reports whether a module change makes the stored values
// of existing rows stale: a formula or rollup added or changed.
func NeedsRecompute(old, next *meta.Module) bool {
	sig := func(f *meta.Field) string {
		c := f.Column()
		return fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%d|%d", f.Type.Name(), f.Formula, f.Result, f.Module, f.Via, f.Op, f.Of+"|"+f.Filter, c.Precision, c.Scale)
	}
	for _, f := range next.Fields {
		if n := f.Type.Name(); n != "formula" && n != "rollup" {
			continue
		}
		prev := old.Field(f.Key)
		if f.RenamedFrom != "" && prev == nil {
			prev = old.Field(f.RenamedFrom)
		}
		if prev == nil || sig(prev) != sig(f) {
			return true
		}
	}
	return false
}

// ModuleChanged enqueues the recompute of a module's rows when a module
// change needs it (meta.Service.OnChange; after the change committed).
func (s *Service) ModuleChanged(ctx context.Context, c meta.Change) error {
	if c.Action != "module.update" || c.Old == nil || c.New == nil || !NeedsRecompute(c.Old, c.New) {
		return nil
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error { return s.EnqueueRecompute(ctx, tx, c.New) })
}

// EnqueueRecompute starts a recompute chain for m in tx.
func (s *Service) EnqueueRecompute(ctx context.Context, tx *store.Tx, m *meta.Module) error {
	var total int64
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table(m)).Scan(&total); err != nil {
		return err
	}
	p := recomputePayload{App: m.AppKey, Module: m.Key, ModuleID: m.ID, Version: m.Version, Total: total}
	return s.enqueueBatch(ctx, tx, p)
}

func (s *Service) enqueueBatch(ctx context.Context, tx *store.Tx, p recomputePayload) error {
	b, _ := json.Marshal(p)
	return jobs.Enqueue(ctx, tx, jobs.Job{Kind: RecomputeKind, Payload: b,
		Key: fmt.Sprintf("%s%d:%d", recomputeKey(p.ModuleID), p.Version, p.Done)})
}

// Recompute is the RecomputeKind job handler: one batch, then the next
// batch's job.
func (s *Service) Recompute(ctx context.Context, tx *store.Tx, job *jobs.Job) error {
	var p recomputePayload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return err
	}
	m, err := s.Modules.Module(ctx, p.App, p.Module)
	if errs.Is(err, errs.NotFound) {
		return nil // the module is gone
	}
	if err != nil {
		return err
	}
	if m.ID != p.ModuleID || m.Version != p.Version {
		return nil // a newer schema has its own chain
	}
	q := `SELECT "id", "version" FROM ` + table(m)
	var args []any
	if p.After != "" {
		q += ` WHERE "id" > ` + tx.D.Placeholder(1)
		args = append(args, p.After)
	}
	q += fmt.Sprintf(` ORDER BY "id" LIMIT %d`, RecomputeBatch)
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	type row struct {
		id      string
		version int64
	}
	var batch []row
	for rows.Next() {
		var id any
		var r row
		if err := rows.Scan(&id, &r.version); err != nil {
			rows.Close()
			return err
		}
		r.id, _ = store.Decode(meta.Column{Kind: meta.ColRef}, id).(string)
		batch = append(batch, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(batch) == 0 {
		return nil
	}
	ids := make([]string, len(batch))
	for i, r := range batch {
		ids[i] = r.id
	}
	for _, f := range m.Fields {
		if f.Type.Name() != "rollup" {
			continue
		}
		child, err := s.Modules.Module(ctx, m.AppKey, f.Module)
		if err != nil {
			return err
		}
		if !usable(f, child) {
			continue
		}
		if err := updateRollup(ctx, tx, m, f, child, ids); err != nil {
			return err
		}
	}
	if len(meta.FormulaOrder(m)) > 0 {
		for _, r := range batch {
			if err := s.recomputeRow(ctx, tx, m, r.id, r.version); err != nil {
				return err
			}
		}
	}
	if len(batch) < RecomputeBatch {
		return nil // the last batch
	}
	p.After, p.Done = batch[len(batch)-1].id, p.Done+int64(len(batch))
	return s.enqueueBatch(ctx, tx, p)
}

// recomputeRow recomputes the formulas of record id of m (live or
// deleted) and stores the ones that changed, without bumping the version.
// With version > 0, a row whose version moved on is left alone.
func (s *Service) recomputeRow(ctx context.Context, tx *store.Tx, m *meta.Module, id string, version int64) error {
	rec, err := s.Store.RecordInTx(ctx, tx, m, id)
	if errs.Is(err, errs.NotFound) {
		rec, err = s.Store.DeletedRecordInTx(ctx, tx, m, id)
	}
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if v, _ := rec["version"].(int64); version > 0 && v != version {
		return nil
	}
	before := fieldValues(m, rec)
	merged := map[string]any{}
	for k, v := range rec {
		merged[k] = v
	}
	for k, v := range before {
		merged[k] = v
	}
	var sets []string
	var args []any
	err = s.evalFormulas(ctx, tx, m, expr.Vars{Record: merged, Now: tx.Now, Calendar: s.Calendar}, func(f *meta.Field, v any) {
		if sameValue(v, before[f.Key]) {
			return
		}
		arg, err := store.Encode(tx.D, f.Column(), v)
		if err != nil {
			arg = nil
		}
		args = append(args, arg)
		sets = append(sets, store.Quote(f.Key)+" = "+tx.D.Placeholder(len(args)))
	})
	if err != nil {
		return err
	}
	if len(sets) == 0 {
		return nil
	}
	args = append(args, id)
	q := fmt.Sprintf(`UPDATE %s SET %s WHERE "id" = %s`, table(m), strings.Join(sets, ", "), tx.D.Placeholder(len(args)))
	if version > 0 {
		args = append(args, version)
		q += ` AND "version" = ` + tx.D.Placeholder(len(args))
	}
	_, err = tx.ExecContext(ctx, q, args...)
	return err
}

// RecomputeProgress is where a module's recompute stands.
type RecomputeProgress struct {
	// Status: "idle" (never recomputed), "running" (batches left), "done"
	// or "failed" (a batch's job is dead; Error says why).
	Status string `json:"status"`
	Done   int64  `json:"done"`
	Total  int64  `json:"total"`
	Error  string `json:"error,omitempty"`
}

// RecomputeStatus reports the progress of the newest recompute of m.
func (s *Service) RecomputeStatus(ctx context.Context, m *meta.Module) (*RecomputeProgress, error) {
	js, err := jobs.List(ctx, s.Store, jobs.Filter{Kind: RecomputeKind, KeyPrefix: recomputeKey(m.ID), Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(js) == 0 {
		return &RecomputeProgress{Status: "idle"}, nil
	}
	j := js[0]
	var p recomputePayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return nil, err
	}
	out := &RecomputeProgress{Status: "running", Done: p.Done, Total: p.Total}
	switch j.Status {
	case jobs.StatusDone, jobs.StatusCancelled:
		// The newest job of the chain finished without a successor: done.
		out.Status = "done"
		out.Done = max(p.Total, p.Done)
		out.Total = out.Done
	case jobs.StatusDead:
		out.Status, out.Error = "failed", j.LastError
	}
	return out, nil
}
