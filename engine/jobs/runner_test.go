package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

var t0 = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// clock is a controllable time shared by the store and the runner.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// setup returns a store with an effects table and a runner on a fixed
// clock with a deterministic backoff (n minutes after attempt n).
func setup(t *testing.T, s *store.Store) (*jobs.Runner, *clock) {
	t.Helper()
	storetest.Exec(t, s, `CREATE TABLE effects (job_id TEXT NOT NULL, runner TEXT NOT NULL, note TEXT NOT NULL DEFAULT '')`)
	c := &clock{now: t0}
	s.Now = c.Now
	r := jobs.NewRunner(s, quiet)
	r.Backoff = func(n int) time.Duration { return time.Duration(n) * time.Minute }
	return r, c
}

// effect is a job's database effect: one row in effects.
func effect(ctx context.Context, tx *store.Tx, j *jobs.Job, note string) error {
	q := `INSERT INTO effects (job_id, runner, note) VALUES (?, ?, ?)`
	if tx.D.Name() == "postgres" {
		q = `INSERT INTO effects (job_id, runner, note) VALUES ($1, $2, $3)`
	}
	_, err := tx.ExecContext(ctx, q, j.ID, j.LockedBy, note)
	return err
}

// effects counts each job's effects.
func effects(t *testing.T, s *store.Store) map[string]int {
	t.Helper()
	rows, err := s.R.Query(`SELECT job_id, count(*) FROM effects GROUP BY job_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		out[id] = n
	}
	return out
}

func enqueue(t *testing.T, s *store.Store, j jobs.Job) string {
	t.Helper()
	var id string
	err := s.InTx(context.Background(), func(tx *store.Tx) (err error) {
		id, err = jobs.EnqueueID(context.Background(), tx, j)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func get(t *testing.T, s *store.Store, id string) *jobs.Job {
	t.Helper()
	j, err := jobs.Get(context.Background(), s, id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func runDue(t *testing.T, r *jobs.Runner, want int) {
	t.Helper()
	n, err := r.RunDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Fatalf("RunDue ran %d jobs, want %d", n, want)
	}
}

func TestEnqueueRollbackAndRunOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r, _ := setup(t, s)
		var calls atomic.Int32
		r.Handle("effect", func(ctx context.Context, tx *store.Tx, j *jobs.Job) error {
			calls.Add(1)
			var p struct{ Note string }
			if err := json.Unmarshal(j.Payload, &p); err != nil {
				return err
			}
			return effect(ctx, tx, j, p.Note)
		})
		// Rolled back with the caller's change: no job.
		s.InTx(ctx, func(tx *store.Tx) error {
			if err := jobs.Enqueue(ctx, tx, jobs.Job{Kind: "effect"}); err != nil {
				t.Fatal(err)
			}
			return errors.New("record write failed")
		})
		runDue(t, r, 0)
		if js, _ := jobs.List(ctx, s, jobs.Filter{}); len(js) != 0 {
			t.Fatalf("rolled-back enqueue left %d jobs", len(js))
		}

		id := enqueue(t, s, jobs.Job{Kind: "effect", Payload: json.RawMessage(`{"Note":"hi"}`)})
		runDue(t, r, 1)
		runDue(t, r, 0)
		if calls.Load() != 1 || effects(t, s)[id] != 1 {
			t.Fatalf("calls %d, effects %v", calls.Load(), effects(t, s))
		}
		j := get(t, s, id)
		if j.Status != jobs.StatusDone || j.Attempts != 1 || j.LastError != "" || j.LockedBy != r.ID || !j.FinishedAt.Equal(t0) {
			t.Fatalf("job = %+v", j)
		}
		done, _ := jobs.List(ctx, s, jobs.Filter{Status: jobs.StatusDone, Kind: "effect"})
		if len(done) != 1 || done[0].ID != id {
			t.Fatalf("job log = %+v", done)
		}
	})
}

func TestRetryWithBackoffThenDead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		r, c := setup(t, s)
		var attempts []int
		r.Handle("flaky", func(ctx context.Context, tx *store.Tx, j *jobs.Job) error {
			attempts = append(attempts, j.Attempts)
			if err := effect(ctx, tx, j, "rolled back"); err != nil {
				return err
			}
			return fmt.Errorf("attempt %d failed", j.Attempts)
		})
		id := enqueue(t, s, jobs.Job{Kind: "flaky", MaxAttempts: 3})
		for n := 1; n <= 2; n++ {
			runDue(t, r, 1)
			j := get(t, s, id)
			if j.Status != jobs.StatusPending || j.Attempts != n || j.LastError != fmt.Sprintf("attempt %d failed", n) ||
				!j.RunAt.Equal(c.Now().Add(time.Duration(n)*time.Minute)) {
				t.Fatalf("after attempt %d: %+v", n, j)
			}
			runDue(t, r, 0) // not due before the backoff
			c.Advance(time.Duration(n) * time.Minute)
		}
		runDue(t, r, 1)
		j := get(t, s, id)
		if j.Status != jobs.StatusDead || j.Attempts != 3 || j.LastError != "attempt 3 failed" {
			t.Fatalf("after the last attempt: %+v", j)
		}
		c.Advance(time.Hour)
		runDue(t, r, 0)
		if fmt.Sprint(attempts) != "[1 2 3]" || len(effects(t, s)) != 0 {
			t.Fatalf("attempts %v, effects %v (failed attempts must leave none)", attempts, effects(t, s))
		}
	})
}

func TestPanicIsAFailedAttempt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		r, _ := setup(t, s)
		r.Handle("panics", func(ctx context.Context, tx *store.Tx, j *jobs.Job) error {
			effect(ctx, tx, j, "")
			panic("nil map")
		})
		id := enqueue(t, s, jobs.Job{Kind: "panics", MaxAttempts: 1})
		runDue(t, r, 1)
		if j := get(t, s, id); j.Status != jobs.StatusDead || !strings.Contains(j.LastError, "panic: nil map") {
			t.Fatalf("job = %+v", j)
		}
		if len(effects(t, s)) != 0 {
			t.Fatal("a panicking job's effect was committed")
		}
	})
}

// A job's database effect happens exactly once even when its process
// "dies" after the handler made it: before the commit (the connection is
// gone, the context cancelled) or before the runner could even record the
// failure (the lease must expire).
func TestEffectExactlyOnceAcrossCrashes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r, c := setup(t, s)
		r.Lease = time.Minute
		var runs atomic.Int32
		var dying context.CancelFunc
		r.Handle("effect", func(ctx context.Context, tx *store.Tx, j *jobs.Job) error {
			runs.Add(1)
			if err := effect(ctx, tx, j, ""); err != nil {
				return err
			}
			if dying != nil {
				dying() // the process dies between the effect and the commit
				dying = nil
			}
			return nil
		})

		// 1. Context cancelled after the effect: the commit fails, the
		// effect rolls back, the job is run again.
		id := enqueue(t, s, jobs.Job{Kind: "effect"})
		dctx, cancel := context.WithCancel(ctx)
		dying = cancel
		r.RunDue(dctx)
		if n := effects(t, s)[id]; n != 0 {
			t.Fatalf("effect of an attempt that did not commit is visible (%d rows)", n)
		}
		if j := get(t, s, id); j.Status != jobs.StatusPending {
			t.Fatalf("interrupted job = %+v", j)
		}
		runDue(t, r, 1)
		if n := effects(t, s)[id]; n != 1 || runs.Load() != 2 {
			t.Fatalf("effects %d after %d runs, want exactly 1", n, runs.Load())
		}

		// 2. The runner dies mid-job without recording anything: another
		// runner claimed it; its transaction never commits. While it sends
		// heartbeats its job stays its own; once it has been silent for the
		// node timeout the job is taken over, long before its lease ends.
		id2 := enqueue(t, s, jobs.Job{Kind: "effect"})
		claimed, err := s.ClaimJobsAlive(ctx, "dead-process", []string{"effect"}, c.Now(), time.Minute, jobs.DefaultNodeTimeout, 10)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim = %v, %v", claimed, err)
		}
		tx, err := s.BeginJob(ctx, &claimed[0], c.Now(), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if err := effect(ctx, tx, &claimed[0], "never committed"); err != nil {
			t.Fatal(err)
		}
		tx.Rollback() // what the database does when the connection drops
		runDue(t, r, 0)
		c.Advance(jobs.DefaultNodeTimeout - time.Second)
		if err := s.JobHeartbeat(ctx, "dead-process", c.Now()); err != nil { // still alive
			t.Fatal(err)
		}
		c.Advance(jobs.DefaultNodeTimeout - time.Second)
		runDue(t, r, 0) // seen within the node timeout: still its job
		c.Advance(2 * time.Second)
		runDue(t, r, 1) // silent for longer: taken over (the lease has 30 s left)
		j := get(t, s, id2)
		if j.Status != jobs.StatusDone || j.Attempts != 2 || j.LockedBy != r.ID || effects(t, s)[id2] != 1 {
			t.Fatalf("reclaimed job = %+v, effects %v", j, effects(t, s))
		}
	})
}

func TestKeyRescheduleAndCancel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r, c := setup(t, s)
		var notes []string
		r.Handle("remind", func(ctx context.Context, tx *store.Tx, j *jobs.Job) error {
			notes = append(notes, string(j.Payload))
			return effect(ctx, tx, j, string(j.Payload))
		})
		// Planned for 60 days before end_date; end_date moves twice.
		key := "rule:r1:record:42"
		enqueue(t, s, jobs.Job{Kind: "remind", Key: key, RunAt: t0.Add(10 * 24 * time.Hour), Payload: json.RawMessage(`"v1"`)})
		enqueue(t, s, jobs.Job{Kind: "remind", Key: key, RunAt: t0.Add(20 * 24 * time.Hour), Payload: json.RawMessage(`"v2"`)})
		id := enqueue(t, s, jobs.Job{Kind: "remind", Key: key, RunAt: t0.Add(5 * 24 * time.Hour), Payload: json.RawMessage(`"v3"`)})
		c.Advance(4 * 24 * time.Hour)
		runDue(t, r, 0)
		c.Advance(24 * time.Hour)
		runDue(t, r, 1)
		c.Advance(30 * 24 * time.Hour)
		runDue(t, r, 0)
		if fmt.Sprint(notes) != `["v3"]` || effects(t, s)[id] != 1 {
			t.Fatalf("ran %v", notes)
		}

		// Cancelled: never runs. Cancelling an unknown key is fine.
		enqueue(t, s, jobs.Job{Kind: "remind", Key: "rule:r1:record:43", RunAt: c.Now().Add(time.Hour)})
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := jobs.Cancel(ctx, tx, "rule:r1:record:43"); err != nil {
				return err
			}
			return jobs.Cancel(ctx, tx, "nothing")
		})
		if err != nil {
			t.Fatal(err)
		}
		c.Advance(2 * time.Hour)
		runDue(t, r, 0)
		js, _ := jobs.List(ctx, s, jobs.Filter{KeyPrefix: "rule:r1:"})
		if len(js) != 2 || js[0].Status != jobs.StatusCancelled || js[1].Status != jobs.StatusDone {
			t.Fatalf("jobs = %+v", js)
		}
	})
}

func TestOnlyRegisteredKindsAreClaimed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		r, _ := setup(t, s)
		runDue(t, r, 0) // no handlers at all
		r.Handle("mine", func(ctx context.Context, tx *store.Tx, j *jobs.Job) error { return nil })
		other := enqueue(t, s, jobs.Job{Kind: "someone.else"})
		enqueue(t, s, jobs.Job{Kind: "mine"})
		runDue(t, r, 1)
		if j := get(t, s, other); j.Status != jobs.StatusPending || j.Attempts != 0 {
			t.Fatalf("other kind's job = %+v", j)
		}
	})
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 2 * time.Second, 2: 4 * time.Second, 5: 32 * time.Second, 11: 2048 * time.Second, 12: time.Hour, 40: time.Hour} {
		for range 50 {
			if d := jobs.Backoff(n); d < want/2 || d > want {
				t.Fatalf("Backoff(%d) = %v, want in [%v, %v]", n, d, want/2, want)
			}
		}
	}
}

// waitDone waits until no job is pending or running.
func waitDone(t *testing.T, s *store.Store, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var n int
		if err := s.R.QueryRow(`SELECT count(*) FROM jobs WHERE status IN ('pending', 'running')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still pending or running after %v", n, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two runners (as two processes would) share 200 jobs; each job's effect
// happens exactly once. On PostgreSQL the claims go through FOR UPDATE
// SKIP LOCKED on a connection pool; on SQLite through the single writer.
func TestConcurrentRunnersShareJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.Exec(t, s, `CREATE TABLE effects (job_id TEXT NOT NULL, runner TEXT NOT NULL, note TEXT NOT NULL DEFAULT '')`)
		h := func(ctx context.Context, tx *store.Tx, j *jobs.Job) error {
			time.Sleep(time.Millisecond)
			return effect(ctx, tx, j, "")
		}
		var runners []*jobs.Runner
		for i := range 2 {
			r := jobs.NewRunner(s, quiet)
			r.ID = fmt.Sprintf("runner-%d", i)
			r.PollInterval = 10 * time.Millisecond
			r.Handle("effect", h)
			runners = append(runners, r)
		}
		const n = 200
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for range n {
				if err := jobs.Enqueue(ctx, tx, jobs.Job{Kind: "effect"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runners {
			r.Start(ctx)
		}
		waitDone(t, s, 30*time.Second)
		for _, r := range runners {
			if err := r.Stop(ctx); err != nil {
				t.Fatal(err)
			}
		}
		got := effects(t, s)
		if len(got) != n {
			t.Fatalf("%d jobs have effects, want %d", len(got), n)
		}
		for id, c := range got {
			if c != 1 {
				t.Fatalf("job %s took effect %d times", id, c)
			}
		}
		js, err := jobs.List(ctx, s, jobs.Filter{Status: jobs.StatusDone, Limit: store.MaxLimit})
		if err != nil || len(js) != n {
			t.Fatalf("%d done jobs (%v)", len(js), err)
		}
		by := map[string]int{}
		for _, j := range js {
			by[j.LockedBy]++
		}
		t.Logf("jobs per runner: %v", by)
		if s.D.Name() == "postgres" && len(by) != 2 {
			t.Errorf("one runner did all the work: %v", by)
		}
	})
}

func TestStartNotifyStop(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.Exec(t, s, `CREATE TABLE effects (job_id TEXT NOT NULL, runner TEXT NOT NULL, note TEXT NOT NULL DEFAULT '')`)
		r := jobs.NewRunner(s, quiet)
		r.PollInterval = time.Hour // only Notify wakes it
		started := make(chan string, 1)
		release := make(chan struct{})
		r.Handle("effect", func(ctx context.Context, tx *store.Tx, j *jobs.Job) error { return effect(ctx, tx, j, "") })
		r.Handle("slow", func(ctx context.Context, tx *store.Tx, j *jobs.Job) error {
			started <- j.ID
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
			return effect(ctx, tx, j, "")
		})
		if err := r.Stop(ctx); err != nil {
			t.Fatal("Stop before Start:", err)
		}
		r.Start(ctx)
		r.Start(ctx) // no second loop
		time.Sleep(50 * time.Millisecond)
		id := enqueue(t, s, jobs.Job{Kind: "effect"})
		r.Notify()
		waitDone(t, s, 10*time.Second)
		if effects(t, s)[id] != 1 {
			t.Fatal("notified job did not run")
		}

		// A job still running when Stop's time is up is interrupted and
		// released: pending again, the attempt not counted.
		slow := enqueue(t, s, jobs.Job{Kind: "slow"})
		r.Notify()
		<-started
		sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		if err := r.Stop(sctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Stop = %v, want deadline exceeded", err)
		}
		close(release)
		j := get(t, s, slow)
		if j.Status != jobs.StatusPending || j.Attempts != 0 || effects(t, s)[slow] != 0 {
			t.Fatalf("interrupted job = %+v", j)
		}
		if err := r.Stop(ctx); err != nil {
			t.Fatal("second Stop:", err)
		}

		// A new runner finishes it.
		r2 := jobs.NewRunner(s, quiet)
		r2.Handle("slow", func(ctx context.Context, tx *store.Tx, j *jobs.Job) error { return effect(ctx, tx, j, "") })
		runDue(t, r2, 1)
		if effects(t, s)[slow] != 1 {
			t.Fatal("released job did not run")
		}
	})
}

// OnRollback runs after a failed attempt's rollback, outside the job's
// transaction, so a handler can record its failure (writing in a
// transaction of its own from inside the handler would wait forever for
// SQLite's single writer connection).
func TestOnRollback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		r, c := setup(t, s)
		var ok bool
		r.Handle("fails-once", func(ctx context.Context, tx *store.Tx, j *jobs.Job) error {
			if err := effect(ctx, tx, j, "attempt"); err != nil {
				return err
			}
			ok = jobs.OnRollback(ctx, func(ctx context.Context) {
				err := s.InTx(ctx, func(tx *store.Tx) error { return effect(ctx, tx, j, "failure logged") })
				if err != nil {
					t.Error(err)
				}
			})
			if j.Attempts == 1 {
				return errors.New("boom")
			}
			return nil
		})
		id := enqueue(t, s, jobs.Job{Kind: "fails-once"})
		runDue(t, r, 1)
		c.Advance(time.Minute)
		runDue(t, r, 1)
		if !ok {
			t.Fatal("OnRollback outside a job context")
		}
		var notes []string
		rows, err := s.R.Query(`SELECT note FROM effects ORDER BY note`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			rows.Scan(&n)
			notes = append(notes, n)
		}
		// The failed attempt's effect rolled back, its failure was logged;
		// the successful attempt's OnRollback did not run.
		if fmt.Sprint(notes) != "[attempt failure logged]" || get(t, s, id).Status != jobs.StatusDone {
			t.Fatalf("effects %v", notes)
		}
		if jobs.OnRollback(context.Background(), func(context.Context) {}) {
			t.Error("OnRollback outside a handler reported true")
		}
	})
}

// An external handler runs with no transaction open (so, on SQLite, the
// writer stays free for everyone else); success marks the job done,
// failure schedules a retry.
func TestHandleExternal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		r, c := setup(t, s)
		calls := 0
		r.HandleExternal("webhook", func(ctx context.Context, j *jobs.Job) error {
			calls++
			// A write of its own would wait forever on SQLite if the
			// runner held a transaction now.
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := s.InTx(wctx, func(tx *store.Tx) error { return effect(wctx, tx, j, "delivered") }); err != nil {
				return err
			}
			if calls == 1 {
				return errors.New("502 from the receiver")
			}
			return nil
		})
		id := enqueue(t, s, jobs.Job{Kind: "webhook"})
		runDue(t, r, 1)
		if j := get(t, s, id); j.Status != jobs.StatusPending || j.LastError != "502 from the receiver" {
			t.Fatalf("after a failed call: %+v", j)
		}
		c.Advance(time.Minute)
		runDue(t, r, 1)
		j := get(t, s, id)
		if j.Status != jobs.StatusDone || j.Attempts != 2 || calls != 2 {
			t.Fatalf("job = %+v after %d calls", j, calls)
		}
		// External effects are at least once: both calls happened.
		if effects(t, s)[id] != 2 {
			t.Fatalf("effects %v", effects(t, s))
		}
	})
}

// A runner's heartbeat keeps its running job its own for longer than the
// node timeout; once it stops, its heartbeat is gone.
func TestHeartbeatHoldsRunningJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := jobs.NewRunner(s, quiet)
		r.ID, r.Heartbeat, r.NodeTimeout, r.PollInterval = "alive", 20*time.Millisecond, 200*time.Millisecond, 10*time.Millisecond
		started, release := make(chan struct{}), make(chan struct{})
		var runs atomic.Int32
		r.HandleExternal("slow", func(ctx context.Context, j *jobs.Job) error {
			if runs.Add(1) == 1 {
				close(started)
			}
			<-release
			return nil
		})
		id := enqueue(t, s, jobs.Job{Kind: "slow"})
		r.Start(ctx)
		<-started
		// Another runner looks for work for three node timeouts.
		other := jobs.NewRunner(s, quiet)
		other.ID, other.NodeTimeout = "other", 200*time.Millisecond
		other.HandleExternal("slow", func(ctx context.Context, j *jobs.Job) error { runs.Add(1); return nil })
		for end := time.Now().Add(600 * time.Millisecond); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if n, err := other.RunDue(ctx); err != nil || n != 0 {
				t.Fatalf("the other runner ran %d jobs (%v): the live runner's job was taken over", n, err)
			}
		}
		close(release)
		if err := r.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		if j := get(t, s, id); j.Status != jobs.StatusDone || j.LockedBy != "alive" || runs.Load() != 1 {
			t.Fatalf("job = %+v after %d runs", j, runs.Load())
		}
		var n int
		if err := s.R.QueryRow(`SELECT count(*) FROM job_nodes WHERE id = 'alive'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("heartbeat rows of the stopped runner: %d (%v)", n, err)
		}
	})
}

// A runner wired to the store's JobsCommitted starts a job as soon as the
// transaction that enqueued it commits, not at its next poll; a job
// planned for later does not wake it, and a rolled-back one is never seen.
func TestCommitWakesRunner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.Exec(t, s, `CREATE TABLE effects (job_id TEXT NOT NULL, runner TEXT NOT NULL, note TEXT NOT NULL DEFAULT '')`)
		r := jobs.NewRunner(s, quiet)
		r.PollInterval = time.Hour // only a commit wakes it
		var wakes atomic.Int32
		s.JobsCommitted = func() { wakes.Add(1); r.Notify() }
		t.Cleanup(func() { s.JobsCommitted = nil })
		r.Handle("effect", func(ctx context.Context, tx *store.Tx, j *jobs.Job) error { return effect(ctx, tx, j, "") })
		r.Start(ctx)
		defer r.Stop(ctx)
		time.Sleep(50 * time.Millisecond) // the first claim has found nothing
		wakes.Store(0)
		enqueue(t, s, jobs.Job{Kind: "effect", RunAt: s.Now().Add(time.Hour)})
		s.InTx(ctx, func(tx *store.Tx) error {
			jobs.Enqueue(ctx, tx, jobs.Job{Kind: "effect"})
			return errors.New("rolled back")
		})
		if n := wakes.Load(); n != 0 {
			t.Fatalf("%d wakes for a planned job and a rolled-back one", n)
		}
		id := enqueue(t, s, jobs.Job{Kind: "effect"})
		for deadline := time.Now().Add(5 * time.Second); effects(t, s)[id] == 0; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the committed job did not run: the commit did not wake the runner")
			}
		}
		if n := wakes.Load(); n != 1 {
			t.Fatalf("%d wakes, want 1", n)
		}
	})
}
