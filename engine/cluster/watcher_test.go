package cluster

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

// counter counts a kind's invalidations.
type counter struct{ n atomic.Int64 }

func (c *counter) fn() { c.n.Add(1) }

// waitFor waits up to d for cond, reporting how long it took.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

func start(t *testing.T, s *store.Store, poll time.Duration) *Watcher {
	t.Helper()
	w := New(s, nil)
	w.Poll = poll
	t.Cleanup(w.Stop)
	return w
}

// Another process's bump reaches the watcher: through NOTIFY within a
// second on PostgreSQL (the poll is set far longer, so only the
// notification can explain it), through the poll on SQLite.
func TestBumpInvalidatesOtherProcess(t *testing.T) {
	storetest.EachShared(t, func(t *testing.T, open func() *store.Store) {
		a, b := open(), open()
		poll, within := time.Minute, time.Second
		if a.D.Name() == "sqlite" {
			poll, within = 200*time.Millisecond, time.Second
		}
		w := start(t, b, poll)
		var mods, rules counter
		w.On(store.CacheModules, mods.fn)
		w.On(store.CacheRules, rules.fn)
		w.Start(context.Background())
		if a.D.Name() == "postgres" {
			waitFor(t, 5*time.Second, "listening", func() bool { ok, _, _ := w.Listening(); return ok })
		}
		if err := a.BumpCache(context.Background(), store.CacheModules); err != nil {
			t.Fatal(err)
		}
		took := waitFor(t, within, "modules invalidated", func() bool { return mods.n.Load() > 0 })
		t.Logf("%s: invalidated %v after the commit", a.D.Name(), took)
		time.Sleep(50 * time.Millisecond)
		if n := rules.n.Load(); n != 0 {
			t.Fatalf("rules invalidated %d times by a modules bump", n)
		}
		// A rolled-back bump tells nobody.
		before := mods.n.Load()
		err := a.InTx(context.Background(), func(tx *store.Tx) error {
			if err := store.BumpCacheTx(context.Background(), tx, store.CacheModules); err != nil {
				return err
			}
			return context.Canceled
		})
		if err != context.Canceled {
			t.Fatal(err)
		}
		if a.D.Name() == "sqlite" {
			time.Sleep(3 * poll) // polls that would see a moved version
		} else {
			time.Sleep(500 * time.Millisecond) // a notification would be here by now
		}
		if n := mods.n.Load(); n != before {
			t.Fatalf("a rolled-back bump invalidated (%d → %d)", before, n)
		}
	})
}

// With its listening connection killed, the watcher still catches a bump
// by polling within a few seconds, and the listener reconnects (and
// notifications work again).
func TestListenConnectionKilled(t *testing.T) {
	base := os.Getenv(storetest.EnvURL)
	if base == "" {
		t.Skip(storetest.EnvURL + " not set")
	}
	u, _ := storetest.SchemaURL(t, base)
	a, b := storetest.Open(t, "", u), storetest.Open(t, "", u)
	ctx := context.Background()
	w := start(t, b, DefaultPoll)
	// The first reconnection waits longer than a poll: the poll alone must
	// deliver the bump made meanwhile.
	w.MinBackoff = 4 * time.Second
	var mods counter
	w.On(store.CacheModules, mods.fn)
	w.Start(ctx)
	var pid uint32
	waitFor(t, 5*time.Second, "listening", func() bool { ok, _, p := w.Listening(); pid = p; return ok })
	var killed bool
	if err := a.W.QueryRowContext(ctx, `SELECT pg_terminate_backend($1)`, int(pid)).Scan(&killed); err != nil || !killed {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, killed, err)
	}
	waitFor(t, 2*time.Second, "listener noticed", func() bool { ok, _, _ := w.Listening(); return !ok })
	if err := a.BumpCache(ctx, store.CacheModules); err != nil {
		t.Fatal(err)
	}
	took := waitFor(t, DefaultPoll+time.Second, "modules invalidated by the poll", func() bool { return mods.n.Load() > 0 })
	t.Logf("caught by the poll %v after the bump, listener down", took)
	if ok, _, _ := w.Listening(); ok {
		t.Fatal("reconnected before the poll caught the bump: the test proves nothing")
	}
	waitFor(t, 8*time.Second, "reconnected", func() bool { ok, n, _ := w.Listening(); return ok && n == 2 })
	before := mods.n.Load()
	if err := a.BumpCache(ctx, store.CacheModules); err != nil {
		t.Fatal(err)
	}
	took = waitFor(t, time.Second, "modules invalidated after reconnecting", func() bool { return mods.n.Load() > before })
	t.Logf("after reconnecting: invalidated %v after the bump", took)
}

// Notifications of another schema in the same database (another
// installation) are not this one's.
func TestOtherSchemaIgnored(t *testing.T) {
	base := os.Getenv(storetest.EnvURL)
	if base == "" {
		t.Skip(storetest.EnvURL + " not set")
	}
	u1, _ := storetest.SchemaURL(t, base)
	u2, _ := storetest.SchemaURL(t, base)
	mine, other := storetest.Open(t, "", u1), storetest.Open(t, "", u2)
	w := start(t, mine, time.Minute)
	var mods counter
	w.On(store.CacheModules, mods.fn)
	w.Start(context.Background())
	waitFor(t, 5*time.Second, "listening", func() bool { ok, _, _ := w.Listening(); return ok })
	if err := other.BumpCache(context.Background(), store.CacheModules); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := mods.n.Load(); n != 0 {
		t.Fatalf("another schema's bump invalidated %d times", n)
	}
	if err := mine.BumpCache(context.Background(), store.CacheModules); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Second, "own schema's bump", func() bool { return mods.n.Load() > 0 })
}

// A watcher that could not read the versions when it started (the
// database was away) invalidates everything once it can: changes made
// meanwhile went unseen.
func TestLateFirstReading(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		storetest.Exec(t, s, `ALTER TABLE cache_versions RENAME TO cache_versions_away`)
		w := start(t, s, 100*time.Millisecond)
		var mods, sess counter
		w.On(store.CacheModules, mods.fn)
		w.On(store.CacheSessions, sess.fn)
		w.Start(context.Background())
		time.Sleep(250 * time.Millisecond)
		if mods.n.Load() != 0 {
			t.Fatal("invalidated without any reading")
		}
		storetest.Exec(t, s, `ALTER TABLE cache_versions_away RENAME TO cache_versions`)
		waitFor(t, time.Second, "everything invalidated after the first reading", func() bool { return mods.n.Load() > 0 && sess.n.Load() > 0 })
	})
}
