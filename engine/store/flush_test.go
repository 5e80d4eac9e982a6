package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

// QueryFlushing writes what a buffered transaction holds with the query
// (on PostgreSQL in its statement), answers the query, and leaves nothing
// to write twice; a rollback after it leaves nothing at all.
func TestQueryFlushingWritesTheBufferOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		count := func(table, id string) int {
			t.Helper()
			var n int
			if err := s.R.QueryRowContext(ctx, store.Rebind(s.D, `SELECT count(*) FROM `+table+` WHERE id = ?`), id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		write := func(fail bool) (audit, job string) {
			t.Helper()
			errFail := errors.New("roll back")
			err := s.InTx(ctx, func(tx *store.Tx) error {
				tx.Buffer()
				defer tx.Unbuffer()
				e := &store.AuditEntry{Kind: store.AuditRecord, Action: "create", App: "crm", Module: "deal", RecordID: store.NewID()}
				if err := s.InsertAudit(ctx, tx, e); err != nil {
					return err
				}
				j := &store.Job{Kind: "effect", Serial: "record:x"}
				if err := store.EnqueueJob(ctx, tx, j); err != nil {
					return err
				}
				audit, job = e.ID, j.ID
				rows, err := tx.QueryFlushing(ctx, `SELECT ? AS a, ? AS b`, "one", "two")
				if err != nil {
					return err
				}
				var a, b string
				for rows.Next() {
					if err := rows.Scan(&a, &b); err != nil {
						rows.Close()
						return err
					}
				}
				if err := rows.Close(); err != nil {
					return err
				}
				if a != "one" || b != "two" {
					t.Errorf("query answered %q, %q: its arguments must follow the flushed rows'", a, b)
				}
				if err := tx.Flush(ctx); err != nil { // nothing left: no duplicate key
					return err
				}
				if fail {
					return errFail
				}
				return nil
			})
			if fail && !errors.Is(err, errFail) || !fail && err != nil {
				t.Fatal(err)
			}
			return audit, job
		}
		audit, job := write(false)
		if count("audit_log", audit) != 1 || count("jobs", job) != 1 {
			t.Fatalf("after commit: audit %d, job %d rows, want 1 and 1", count("audit_log", audit), count("jobs", job))
		}
		if j, err := s.GetJob(ctx, job); err != nil || j.Serial != "record:x" || j.Status != store.JobPending {
			t.Fatalf("job %+v (%v)", j, err)
		}
		audit, job = write(true)
		if count("audit_log", audit) != 0 || count("jobs", job) != 0 {
			t.Fatalf("after rollback: audit %d, job %d rows, want none", count("audit_log", audit), count("jobs", job))
		}
	})
}
