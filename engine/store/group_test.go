package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

// TestConcurrentTransactionsStayApart runs 50 write transactions at once.
// On SQLite they share commits (group.go); on both dialects each one's
// changes are its own: a failing, a panicking, a duplicate-key and a
// cancelled one leave nothing, every other one commits, and each is visible to another process's connections as soon
// as its InTx has returned.
func TestConcurrentTransactionsStayApart(t *testing.T) {
	storetest.EachShared(t, func(t *testing.T, open func() *store.Store) {
		s, other := open(), open()
		ctx := context.Background()
		storetest.Exec(t, s, `CREATE TABLE group_t (k TEXT PRIMARY KEY)`)
		storetest.Exec(t, s, `INSERT INTO group_t (k) VALUES ('dup')`)
		const n = 50
		const failing, panicking, duplicate, cancelled = 7, 13, 21, 33
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ictx, cancel := context.WithCancel(ctx)
				defer cancel()
				defer func() {
					if p := recover(); p != nil {
						errs[i] = fmt.Errorf("panic: %v", p)
					}
				}()
				errs[i] = s.InTx(ictx, func(tx *store.Tx) error {
					if _, err := tx.ExecContext(ictx, store.Rebind(tx.D, `INSERT INTO group_t (k) VALUES (?)`), fmt.Sprint(i)); err != nil {
						return err
					}
					time.Sleep(time.Millisecond) // others queue up meanwhile
					switch i {
					case failing:
						return errors.New("refused")
					case panicking:
						panic("boom")
					case duplicate:
						_, err := tx.ExecContext(ictx, `INSERT INTO group_t (k) VALUES ('dup')`)
						return err
					case cancelled:
						cancel() // the request went away
						return nil
					}
					return nil
				})
				if errs[i] != nil {
					return
				}
				// Committed means committed: another process sees it now.
				var c int
				if err := other.R.QueryRowContext(ctx, store.Rebind(other.D, `SELECT count(*) FROM group_t WHERE k = ?`), fmt.Sprint(i)).Scan(&c); err != nil || c != 1 {
					errs[i] = fmt.Errorf("after InTx returned, another connection finds %d rows (%v)", c, err)
				}
			}()
		}
		wg.Wait()
		for i, err := range errs {
			switch i {
			case failing, panicking, duplicate, cancelled:
				if err == nil {
					t.Errorf("transaction %d: no error", i)
				}
			default:
				if err != nil {
					t.Errorf("transaction %d: %v", i, err)
				}
			}
		}
		if err := errs[panicking]; err == nil || err.Error() != "panic: boom" {
			t.Errorf("the panic reaches its own caller: %v", err)
		}
		var rows int
		if err := other.R.QueryRowContext(ctx, `SELECT count(*) FROM group_t`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		// 46 good ones and 'dup'.
		if want := n - 4 + 1; rows != want {
			t.Errorf("%d rows, want %d", rows, want)
		}
		for _, k := range []int{failing, panicking, duplicate, cancelled} {
			var c int
			other.R.QueryRowContext(ctx, store.Rebind(other.D, `SELECT count(*) FROM group_t WHERE k = ?`), fmt.Sprint(k)).Scan(&c)
			if c != 0 {
				t.Errorf("the row of failed transaction %d was committed", k)
			}
		}
		txs, commits := s.GroupStats()
		if s.D.Name() == "sqlite" {
			// With each holding its turn for a millisecond, the
			// transactions queued behind one another must have shared.
			if txs < n || commits >= txs {
				t.Errorf("%d transactions in %d commits: nothing was grouped", txs, commits)
			}
			t.Logf("%d transactions in %d commits", txs, commits)
		} else if txs != 0 {
			t.Errorf("PostgreSQL grouped %d transactions", txs)
		}
	})
}

// TestJobsCommittedAfterTheGroup checks that the runner's wake-up comes
// after the commit holding the job, so the runner can find it.
func TestJobsCommittedAfterTheGroup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var mu sync.Mutex
		var seen []int
		s.JobsCommitted = func() {
			var c int
			s.R.QueryRowContext(ctx, `SELECT count(*) FROM jobs`).Scan(&c)
			mu.Lock()
			seen = append(seen, c)
			mu.Unlock()
		}
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.InTx(ctx, func(tx *store.Tx) error {
					return store.EnqueueJob(ctx, tx, &store.Job{Kind: "test.group", Payload: []byte(fmt.Sprintf(`{"i":%d}`, i))})
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 {
			t.Fatal("JobsCommitted never called")
		}
		for _, c := range seen {
			if c == 0 {
				t.Errorf("JobsCommitted called before the job was committed (saw %v)", seen)
			}
		}
		if last := seen[len(seen)-1]; last != 8 {
			t.Errorf("after the last wake-up the runner sees %d jobs, want 8", last)
		}
	})
}
