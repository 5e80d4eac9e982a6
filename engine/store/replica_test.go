package store_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

func TestReplicaRefusedOnSQLite(t *testing.T) {
	t.Parallel()
	s := storetest.SQLite(t)
	err := s.AttachReplica(context.Background(), "postgres://u:p@127.0.0.1:5433/db", store.ReplicaOptions{})
	if err == nil || !strings.Contains(err.Error(), "needs PostgreSQL") {
		t.Fatalf("attach on SQLite: %v, want a refusal naming PostgreSQL", err)
	}
	if s.HasReplica() {
		t.Fatal("a refused replica is attached")
	}
}

// replicaStore opens a store on a fresh schema with a module of three
// rows, replicated; it returns the store (no replica attached yet), the
// module and the schema's primary and replica URLs.
func replicaStore(t *testing.T) (*store.Store, *meta.Module, string, string) {
	t.Helper()
	base := os.Getenv(storetest.EnvURL)
	if base == "" {
		t.Skip(storetest.EnvURL + " not set")
	}
	u, _ := storetest.SchemaURL(t, base)
	ru := storetest.ReplicaURL(t, u)
	s := storetest.Open(t, "", u)
	m := module(t, "deal", `"n": {"x-field": {"type": "integer"}}`)
	create(t, s, m)
	for i := range 3 {
		insert(t, s, m, map[string]any{"n": i})
	}
	storetest.CaughtUp(t, u, ru)
	return s, m, u, ru
}

func total(t *testing.T, ctx context.Context, s *store.Store, m *meta.Module) int64 {
	t.Helper()
	page, err := s.ListRecords(ctx, m, store.ListQuery{Limit: 1, Total: true})
	if err != nil {
		t.Fatal(err)
	}
	return *page.Total
}

// onReplica is total under ctx once the replica answers it: under load
// the replica may lag behind the bound for a while (then the primary
// answers), so this retries until the replica's read counter moves.
func onReplica(t *testing.T, ctx context.Context, s *store.Store, m *meta.Module) int64 {
	t.Helper()
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		before := s.ReplicaStats().Reads
		n := total(t, ctx, s, m)
		if s.ReplicaStats().Reads > before {
			return n
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("the replica answered nothing in a minute: %+v", s.ReplicaStats())
		}
	}
}

func waitReplica(t *testing.T, s *store.Store, what string, ok func(store.ReplicaStats) bool) {
	t.Helper()
	for start := time.Now(); !ok(s.ReplicaStats()); time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 20*time.Second {
			t.Fatalf("replica not %s after 20 s: %+v", what, s.ReplicaStats())
		}
	}
}

// Marked reads go to the replica; a paused replica shows the old rows to
// a reader who did not write, while the writer (by the commit this
// process saw, or by the LSN a job carries) reads the primary; a table the
// replica has not replayed is read from the primary; past the lag bound
// everyone reads the primary; after replay resumes, the replica again.
func TestReplicaReads(t *testing.T) {
	s, m, u, ru := replicaStore(t)
	ctx := context.Background()
	// A generous bound: on a busy machine the replica can trail a bulk load
	// elsewhere on the cluster by seconds. The bound itself is tried on a
	// second store with a short one (below).
	if err := s.AttachReplica(ctx, ru, store.ReplicaOptions{MaxLag: time.Minute, Interval: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	const maxLag = 500 * time.Millisecond
	short := storetest.Open(t, "", u)
	if err := short.AttachReplica(ctx, ru, store.ReplicaOptions{MaxLag: maxLag, Interval: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	alice := store.ReadFromReplica(ctx, "alice", "")
	if n := onReplica(t, alice, s, m); n != 3 {
		t.Fatalf("replica read: %d rows, want 3", n)
	}
	before := s.ReplicaStats()
	if n := total(t, alice, s, m); n != 3 {
		t.Fatalf("replica read: %d rows, want 3", n)
	}
	if n := total(t, ctx, s, m); n != 3 {
		t.Fatalf("primary read: %d rows, want 3", n)
	}
	after := s.ReplicaStats()
	// A page with its total is two queries: the rows and the count.
	if d := after.Reads - before.Reads; d != 2 {
		t.Errorf("replica answered %d queries, want 2 (the marked page and count only)", d)
	}

	resume := storetest.PauseReplay(t, ru)
	// Bob writes a fourth row through the store, as a request of his would.
	err := s.InTx(store.WithWriter(ctx, "bob"), func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO `+store.Quote(m.Table)+` ("id", "version", "created_at", "updated_at", "n") VALUES ($1, 1, $2, $2, 9)`,
			store.NewID(), store.TimeArg(s.D, time.Now()))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := total(t, ctx, s, m); n != 4 {
		t.Fatalf("primary after the write: %d rows, want 4", n)
	}
	st := s.ReplicaStats()
	if n := total(t, alice, s, m); n != 3 {
		t.Errorf("alice on the paused replica: %d rows, want the old 3", n)
	}
	if n := total(t, store.ReadFromReplica(ctx, "bob", ""), s, m); n != 4 {
		t.Errorf("bob, who wrote: %d rows, want his 4 (read-your-writes)", n)
	}
	if lsn, err := s.PendingWriteLSN(ctx, "alice"); err != nil || lsn != "" {
		t.Errorf("alice's pending LSN: %q %v, want none", lsn, err)
	}
	lsn, err := s.PendingWriteLSN(ctx, "bob")
	if err != nil || lsn == "" {
		t.Fatalf("bob's pending LSN: %q %v, want the primary's", lsn, err)
	}
	// A job elsewhere reading for bob carries that LSN, not bob's commit.
	if n := total(t, store.ReadFromReplica(ctx, "job", lsn), s, m); n != 4 {
		t.Errorf("a read after bob's LSN: %d rows, want 4", n)
	}
	got := s.ReplicaStats()
	if d := got.Fallbacks[store.FallbackRecentWrite] - st.Fallbacks[store.FallbackRecentWrite]; d != 4 {
		t.Errorf("recent-write fallbacks: %d, want 4", d)
	}
	if d := got.Reads - st.Reads; d != 2 {
		t.Errorf("replica reads: %d, want 2 (alice's)", d)
	}

	// A module created while replay is paused has no table on the replica
	// yet: the query fails there and runs again on the primary.
	m2 := module(t, "lead", `"n": {"x-field": {"type": "integer"}}`)
	create(t, s, m2)
	insert(t, s, m2, map[string]any{"n": 1})
	if n := total(t, alice, s, m2); n != 1 {
		t.Errorf("a table the replica lacks: %d rows, want 1 from the primary", n)
	}
	if d := s.ReplicaStats().Fallbacks[store.FallbackError] - got.Fallbacks[store.FallbackError]; d != 2 {
		t.Errorf("error fallbacks: %d, want 2", d)
	}

	// Past the lag bound alice reads the primary too.
	waitReplica(t, short, "lagging", func(st store.ReplicaStats) bool { return st.Lag > maxLag })
	lagged := short.ReplicaStats()
	if lagged.LagBytes <= 0 {
		t.Errorf("lag in bytes %d while paused, want > 0", lagged.LagBytes)
	}
	if n := total(t, alice, short, m); n != 4 {
		t.Errorf("alice past the lag bound: %d rows, want 4 from the primary", n)
	}
	if d := short.ReplicaStats().Fallbacks[store.FallbackLag] - lagged.Fallbacks[store.FallbackLag]; d != 2 {
		t.Errorf("lag fallbacks: %d, want 2", d)
	}

	resume()
	// Bob's write is replayed now: he reads the replica again.
	if n := onReplica(t, store.ReadFromReplica(ctx, "bob", ""), s, m); n != 4 {
		t.Errorf("bob on the caught-up replica: %d rows, want 4", n)
	}
}

// A replica that goes away: the reads still answer, from the primary, and
// the fallbacks are counted; the monitor marks it down.
func TestReplicaDown(t *testing.T) {
	s, m, _, ru := replicaStore(t)
	ctx := context.Background()
	p := storetest.StartProxy(t, ru)
	if err := s.AttachReplica(ctx, p.URL, store.ReplicaOptions{MaxLag: time.Minute, Interval: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	alice := store.ReadFromReplica(ctx, "alice", "")
	if n := onReplica(t, alice, s, m); n != 3 {
		t.Fatalf("replica read: %d rows, want 3", n)
	}
	p.Close()
	st := s.ReplicaStats()
	if n := total(t, alice, s, m); n != 3 {
		t.Errorf("replica gone: %d rows, want 3 from the primary", n)
	}
	got := s.ReplicaStats()
	fell := got.Fallbacks[store.FallbackError] + got.Fallbacks[store.FallbackDown] -
		st.Fallbacks[store.FallbackError] - st.Fallbacks[store.FallbackDown]
	// The page query fails on the lost connection (error, which marks the
	// replica down) and the count goes straight to the primary (down) —
	// or both are down when the monitor noticed first.
	if fell != 2 {
		t.Errorf("fallbacks after the replica went away: %d, want 2 (%+v)", fell, got.Fallbacks)
	}
	waitReplica(t, s, "down", func(st store.ReplicaStats) bool { return !st.Up && st.LastError != "" })
	st = s.ReplicaStats()
	if n := total(t, alice, s, m); n != 3 {
		t.Errorf("replica down: %d rows, want 3", n)
	}
	if d := s.ReplicaStats().Fallbacks[store.FallbackDown] - st.Fallbacks[store.FallbackDown]; d != 2 {
		t.Errorf("down fallbacks: %d, want 2", d)
	}
}

// A replica that answers but is not a standby (here: the primary) is
// refused at once.
func TestReplicaMustBeStandby(t *testing.T) {
	s, _, u, _ := replicaStore(t)
	err := s.AttachReplica(context.Background(), u, store.ReplicaOptions{})
	if err == nil || !strings.Contains(err.Error(), "not a standby") {
		t.Fatalf("attach the primary as replica: %v, want a refusal", err)
	}
}
