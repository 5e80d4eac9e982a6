package record

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// Batches: up to MaxBatch creates, updates and deletes of one module's
// records in one call, each through the same Create, Update and Delete as
// a single write (authorization, validation, rules, flows, audit, version
// check), in one of two modes:
//
//   - atomic: all or nothing. The writes join one transaction (WithTx) and
//     their after-commit hooks wait for its commit. A first pass runs the
//     items in order, as they come; a batch where all is well costs one
//     commit instead of one per item. When an item fails that pass rolls
//     back, and a diagnosis pass, which always rolls back, runs every other
//     item inside its own savepoint, so that the answer names every failing
//     item, each judged on the state the good items before it leave (two
//     items giving one unique value: the second fails). The failing item of
//     the first pass is not run twice. Savepoints are kept off the first
//     pass because PostgreSQL keeps at most 64 subtransactions per
//     transaction in shared memory; past that, every other session's
//     snapshots get slower while the batch runs.
//   - per item: each item is its own write, in order; one failing changes
//     nothing for the others. Items share a transaction by chunks of
//     batchChunk, each item inside its own savepoint (a failing item is
//     rolled back to it alone), so that 500 items cost 10 commits, not 500.
//     Should a chunk's commit fail, its items report that error.

// MaxBatch is the most items one batch may hold.
const MaxBatch = 500

// BatchItem is one write of a batch: a create (Data), an update (ID,
// Version, Data: the fields to change) or a delete (ID).
type BatchItem struct {
	Op      Op
	ID      string
	Version int64
	Data    map[string]any
}

// BatchResult is one item's outcome: the record as the actor may see it
// (nil for a delete), or the item's error. In a batch that was not written
// (atomic with a failing item) Record is nil on every item.
type BatchResult struct {
	Record store.Record
	Err    error
}

// BatchFailed is the error of an atomic batch with failing items: nothing
// was written. Its code is the first failing item's.
type BatchFailed struct {
	Err           *errs.Error // "record.batch_failed", with the first failing item's code
	Failed, Total int
}

func (e *BatchFailed) Error() string { return e.Err.Error() }
func (e *BatchFailed) Unwrap() error { return e.Err }

// Batch writes items to records of m, atomically or item by item (see
// above). Whatever makes the whole request invalid (no items, too many,
// an unknown op, an update without id or version, a delete with data)
// is a 400 naming each bad item, before anything is written. With atomic,
// an item failing makes the error a *BatchFailed and the results hold the
// failing items' errors; otherwise the error is nil and each result holds
// its item's outcome. Batch opens its own transactions: ctx must not carry
// one (WithTx).
func (s *Service) Batch(ctx context.Context, a Actor, m *meta.Module, items []BatchItem, atomic bool) ([]BatchResult, error) {
	if _, ok := ctx.Value(txKey{}).(*store.Tx); ok {
		return nil, errors.New("record: Batch opens its own transactions; call it without WithTx")
	}
	if err := checkBatch(items); err != nil {
		return nil, err
	}
	// The caller and the app's modules once, before any transaction: the
	// items then find them in memory.
	if _, err := s.rights(ctx, &a, m); err != nil {
		return nil, err
	}
	if _, err := s.appModules(ctx, m.AppKey); err != nil {
		return nil, err
	}
	out := make([]BatchResult, len(items))
	all := make([]int, len(items))
	for i := range all {
		all[i] = i
	}
	if !atomic {
		for start := 0; start < len(all); start += batchChunk {
			chunk := all[start:min(start+batchChunk, len(all))]
			if _, err := s.batchPass(ctx, a, m, items, chunk, out, eachAlone); err != nil {
				for _, i := range chunk { // the chunk's transaction failed: none of it was written
					if out[i].Err == nil {
						out[i] = BatchResult{Err: err}
					}
				}
			}
		}
		return out, nil
	}
	first, err := s.batchPass(ctx, a, m, items, all, out, allOrNothing)
	if err != nil {
		return nil, err
	}
	if first < 0 {
		return out, nil // written
	}
	others := slices.Delete(slices.Clone(all), first, first+1)
	if _, err := s.batchPass(ctx, a, m, items, others, out, diagnose); err != nil {
		return nil, err
	}
	failed := 0
	for i := range out {
		out[i].Record = nil // nothing was written
		if out[i].Err != nil {
			failed++
		}
	}
	e := errs.New(errs.CodeOf(out[first].Err), "record.batch_failed", "failed", failed, "total", len(items))
	return out, &BatchFailed{Err: e, Failed: failed, Total: len(items)}
}

// batchChunk is how many items of a per-item batch share a transaction:
// below PostgreSQL's 64 cached subtransactions (one savepoint per item).
const batchChunk = 50

// How a pass treats a failing item.
type passMode int

const (
	allOrNothing passMode = iota // no savepoints: the first failure rolls the pass back and ends it
	diagnose                     // a savepoint per item; the pass always rolls back
	eachAlone                    // a savepoint per item; what succeeded is committed
)

// errRollback ends a pass's transaction without committing it.
var errRollback = errors.New("batch: roll back")

// batchPass runs items idx in one transaction, recording each outcome in
// out. allOrNothing stops at the first failing item, rolls back and
// returns its index; when none fails it commits and returns -1. diagnose
// and eachAlone run every item inside a savepoint (a failing one is undone
// alone), then roll back or commit. After a commit the writes'
// after-commit hooks run. An error is the transaction's own (begin,
// savepoint, commit), not an item's.
func (s *Service) batchPass(ctx context.Context, a Actor, m *meta.Module, items []BatchItem, idx []int, out []BatchResult, mode passMode) (int, error) {
	failed := -1
	later := &deferred{}
	exec := func(tx *store.Tx, stmt string) error {
		_, err := tx.ExecContext(ctx, stmt)
		return err
	}
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		ictx := context.WithValue(WithTx(ctx, tx), deferredKey{}, later)
		for _, i := range idx {
			if mode != allOrNothing {
				if err := exec(tx, `SAVEPOINT batch_item`); err != nil {
					return err
				}
			}
			mark := len(later.events)
			out[i].Record, out[i].Err = s.batchItem(ictx, a, m, items[i])
			switch {
			case mode == allOrNothing && out[i].Err != nil:
				failed = i
				return errRollback
			case mode == allOrNothing:
			case out[i].Err != nil:
				later.events = later.events[:mark] // undone with the item
				if err := exec(tx, `ROLLBACK TO SAVEPOINT batch_item`); err != nil {
					return err
				}
				fallthrough
			default:
				if err := exec(tx, `RELEASE SAVEPOINT batch_item`); err != nil {
					return err
				}
			}
		}
		if mode == diagnose {
			return errRollback
		}
		return nil
	})
	switch {
	case errors.Is(err, errRollback):
		return failed, nil
	case err != nil:
		return -1, err
	}
	for _, ev := range later.events {
		s.afterCommit(ctx, ev)
	}
	return -1, nil
}

// batchItem is one item's write, exactly as a single write of its kind.
func (s *Service) batchItem(ctx context.Context, a Actor, m *meta.Module, it BatchItem) (store.Record, error) {
	switch it.Op {
	case OpCreate:
		return s.Create(ctx, a, m, it.Data)
	case OpUpdate:
		return s.Update(ctx, a, m, it.ID, it.Version, it.Data)
	case OpDelete:
		return nil, s.Delete(ctx, a, m, it.ID)
	}
	return nil, errs.New(errs.Invalid, "record.batch_bad_op", "index", 0, "op", string(it.Op)) // checkBatch let none through
}

// checkBatch refuses a malformed batch as a whole, naming every bad item
// (field "items.<index>.<key>").
func checkBatch(items []BatchItem) error {
	switch {
	case len(items) == 0:
		return errs.New(errs.Invalid, "record.batch_empty", "max", MaxBatch)
	case len(items) > MaxBatch:
		return errs.New(errs.Invalid, "record.batch_too_large", "max", MaxBatch, "count", len(items))
	}
	var fes []errs.FieldError
	bad := func(i int, key, code, msg string, kv ...any) {
		fes = append(fes, errs.Field("items."+strconv.Itoa(i)+"."+key, code, msg, append([]any{"index", i}, kv...)...))
	}
	for i, it := range items {
		switch it.Op {
		case OpCreate:
			if it.ID != "" || it.Version != 0 {
				bad(i, "id", "not_allowed", "record.batch_create_id")
			}
		case OpUpdate:
			if it.ID == "" {
				bad(i, "id", "required", "record.batch_id_required", "op", string(it.Op))
			}
			if it.Version <= 0 {
				bad(i, "version", "required", "record.batch_version_required")
			}
		case OpDelete:
			if it.ID == "" {
				bad(i, "id", "required", "record.batch_id_required", "op", string(it.Op))
			}
			if it.Data != nil || it.Version != 0 {
				bad(i, "data", "not_allowed", "record.batch_delete_data")
			}
		case "":
			bad(i, "op", "required", "record.batch_op_required")
		default:
			bad(i, "op", "unknown", "record.batch_bad_op", "op", string(it.Op))
		}
		if it.Op == OpCreate && it.Data == nil {
			bad(i, "data", "required", "record.batch_data_required")
		}
	}
	if len(fes) > 0 {
		return &errs.Error{Code: errs.Invalid, Msg: i18n.M("record.batch_invalid", "count", len(fes)), Fields: fes}
	}
	return nil
}

// deferred holds the after-commit hooks of writes joined to a transaction
// whose owner commits later (an atomic batch): afterCommit keeps them here
// and the owner runs them once committed, or drops them.
type deferred struct{ events []*Event }

type deferredKey struct{}

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"record.batch_empty":            {i18n.EN: "The batch has no items; send between 1 and {max} in \"items\".", i18n.ZhCN: "批量请求没有任何条目；请在“items”中提供 1 到 {max} 条。"},
		"record.batch_too_large":        {i18n.EN: "A batch holds at most {max} items; this one has {count}. Split it.", i18n.ZhCN: "一次批量最多 {max} 条，本次有 {count} 条，请拆分后再提交。"},
		"record.batch_invalid":          {i18n.EN: "The batch is malformed ({count} problems); nothing was written.", i18n.ZhCN: "批量请求格式有误（{count} 处问题），未写入任何数据。"},
		"record.batch_op_required":      {i18n.EN: "Item {index}: \"op\" is missing; use create, update or delete.", i18n.ZhCN: "第 {index} 条：缺少“op”，请使用 create、update 或 delete。"},
		"record.batch_bad_op":           {i18n.EN: "Item {index}: \"{op}\" is not an operation; use create, update or delete.", i18n.ZhCN: "第 {index} 条：“{op}”不是有效的操作，请使用 create、update 或 delete。"},
		"record.batch_id_required":      {i18n.EN: "Item {index}: {op} needs the \"id\" of the record.", i18n.ZhCN: "第 {index} 条：{op} 需要提供记录的“id”。"},
		"record.batch_version_required": {i18n.EN: "Item {index}: update needs the \"version\" you are changing.", i18n.ZhCN: "第 {index} 条：update 需要提供要修改的“version”。"},
		"record.batch_create_id":        {i18n.EN: "Item {index}: create takes no \"id\" or \"version\"; the server assigns them.", i18n.ZhCN: "第 {index} 条：create 不能带“id”或“version”，它们由系统分配。"},
		"record.batch_data_required":    {i18n.EN: "Item {index}: create needs \"data\", the new record's fields.", i18n.ZhCN: "第 {index} 条：create 需要提供“data”，即新记录的字段。"},
		"record.batch_delete_data":      {i18n.EN: "Item {index}: delete takes only an \"id\".", i18n.ZhCN: "第 {index} 条：delete 只需提供“id”。"},
		"record.batch_failed":           {i18n.EN: "{failed} of {total} items failed, so nothing was written.", i18n.ZhCN: "{total} 条中有 {failed} 条失败，因此未写入任何数据。"},
	})
}
