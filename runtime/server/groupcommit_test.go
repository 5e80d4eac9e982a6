package server_test

// Concurrent writes through the API (on SQLite they share commits:
// engine/store/group.go): each request's changes stay its own.

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/tessera-app/tessera/engine/store"
)

// TestConcurrentCreatesStayApart sends 50 creates at once into a module
// with a lookup, an autonumber, a unique field and an after-save rule. One
// points at a missing account (refused inside the transaction, before the
// row), one repeats a unique reference (refused at the INSERT, after its
// autonumber was drawn). The 48 others are created with their audit entry
// and rule job, each visible on another connection as soon as its 201 has
// arrived; the two refused leave no row, no entry, no job and no number.
func TestConcurrentCreatesStayApart(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		e.notifyRule(t, "on_save", "saved")
		acc := e.create(t, "crm", "account", map[string]any{"name": "Acme"}).str("id")
		e.create(t, "crm", "deal", map[string]any{"name": "first", "ref": "TAKEN", "account": acc})
		jobs0 := e.ruleJobs(t)
		m, err := e.s.Module(context.Background(), "crm", "deal")
		if err != nil {
			t.Fatal(err)
		}
		table := store.Quote(m.Table)
		const n, missing, taken = 50, 17, 29
		var wg sync.WaitGroup
		status := make([]int, n)
		codes := make([]string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := map[string]any{"name": fmt.Sprint("c", i), "ref": fmt.Sprint("R", i), "account": acc}
				switch i {
				case missing:
					body["account"] = noSuchID
				case taken:
					body["ref"] = "TAKEN"
				}
				r, err := e.try("admin", "POST", recPath("crm", "deal"), body)
				if err != nil {
					t.Error(err)
					return
				}
				status[i], codes[i] = r.Status, r.str("code")
				if r.Status != 201 {
					return
				}
				// The answer came after the commit: another connection sees it.
				var c int
				if err := e.s.R.QueryRow(store.Rebind(e.s.D, `SELECT count(*) FROM `+table+` WHERE "id" = ?`), r.str("id")).Scan(&c); err != nil || c != 1 {
					t.Errorf("create %d answered 201, another connection finds %d rows (%v)", i, c, err)
				}
			}()
		}
		wg.Wait()
		for i, st := range status {
			want := 201
			switch i {
			case missing:
				want = 422
			case taken:
				want = 409
			}
			if st != want {
				t.Errorf("create %d: status %d, want %d", i, st, want)
			}
		}
		if c := e.count(t, "crm", "deal"); c != n-2+1 {
			t.Errorf("%d deals, want %d", c, n-2+1)
		}
		var entries int
		if err := e.s.R.QueryRow(`SELECT count(*) FROM audit_log WHERE kind = 'record' AND module = 'deal' AND action = 'create'`).Scan(&entries); err != nil {
			t.Fatal(err)
		}
		if entries != n-2+1 {
			t.Errorf("%d create entries in the audit log, want %d", entries, n-2+1)
		}
		if j := e.ruleJobs(t) - jobs0; j != n-2 {
			t.Errorf("%d rule jobs for the concurrent creates, want %d", j, n-2)
		}
		for _, name := range []string{fmt.Sprint("c", missing), fmt.Sprint("c", taken)} {
			var c int
			e.s.R.QueryRow(store.Rebind(e.s.D, `SELECT count(*) FROM `+table+` WHERE "name" = ?`), name).Scan(&c)
			if c != 0 {
				t.Errorf("refused create %s left a row", name)
			}
		}
		// Numbers are drawn in the transaction: the refused create's is
		// undone with it, so the others hold D-0002 … D-0049 exactly.
		var got, want []string
		for i, c := range codes {
			if status[i] == 201 {
				got = append(got, c)
			}
		}
		for i := range n - 2 {
			want = append(want, fmt.Sprintf("D-%04d", i+2))
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("autonumbers %v, want %v", got, want)
		}
	})
}

// TestConcurrentUpdatesOneVersion sends 20 updates of one record at once,
// all with version 1: exactly one wins, the others are conflicts, and the
// record's history holds the create and that one update.
func TestConcurrentUpdatesOneVersion(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		id := e.create(t, "crm", "deal", map[string]any{"name": "contested"}).str("id")
		const n = 20
		var wg sync.WaitGroup
		status := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := e.try("admin", "PATCH", recIDPath("crm", "deal", id), map[string]any{"version": 1, "name": fmt.Sprint("u", i)})
				if err != nil {
					t.Error(err)
					return
				}
				status[i] = r.Status
			}()
		}
		wg.Wait()
		won := 0
		for i, st := range status {
			switch st {
			case 200:
				won++
			case 409:
			default:
				t.Errorf("update %d: status %d", i, st)
			}
		}
		if won != 1 {
			t.Errorf("%d updates won, want 1", won)
		}
		rec := e.record(t, "crm", "deal", id)
		if v := rec.num("version"); v != 2 {
			t.Errorf("version %v, want 2", v)
		}
		if h := e.historyLen(t, "crm", "deal", id); h != 2 {
			t.Errorf("%d history entries, want 2 (create, one update)", h)
		}
	})
}
