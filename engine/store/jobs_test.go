package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

// The jobs table conformance suite (the SQL under engine/jobs), on both
// dialects.

var jobT0 = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

// atClock fixes the store's clock (tx.Now of enqueues) at *now.
func atClock(s *store.Store, now *time.Time) { s.Now = func() time.Time { return *now } }

func enqueue(t *testing.T, s *store.Store, j store.Job) store.Job {
	t.Helper()
	if err := s.InTx(context.Background(), func(tx *store.Tx) error { return store.EnqueueJob(context.Background(), tx, &j) }); err != nil {
		t.Fatal(err)
	}
	return j
}

func getJob(t *testing.T, s *store.Store, id string) *store.Job {
	t.Helper()
	j, err := s.GetJob(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func claim(t *testing.T, s *store.Store, by string, now time.Time, limit int, kinds ...string) []store.Job {
	t.Helper()
	if len(kinds) == 0 {
		kinds = []string{"k"}
	}
	js, err := s.ClaimJobs(context.Background(), by, kinds, now, time.Minute, limit)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func TestJobEnqueueInCallersTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := jobT0
		atClock(s, &now)
		boom := errors.New("the record write failed")
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := store.EnqueueJob(ctx, tx, &store.Job{Kind: "k"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if js, _ := s.ListJobs(ctx, store.JobFilter{}); len(js) != 0 {
			t.Fatalf("rolled-back enqueue left %d jobs", len(js))
		}

		j := enqueue(t, s, store.Job{Kind: "k", Payload: json.RawMessage(`{"a": 1}`)})
		got := getJob(t, s, j.ID)
		if got.Status != store.JobPending || got.Kind != "k" || !got.RunAt.Equal(jobT0) || got.Attempts != 0 ||
			got.MaxAttempts != store.DefaultJobMaxAttempts || got.Key != "" || !got.CreatedAt.Equal(jobT0) {
			t.Fatalf("job = %+v", got)
		}
		var payload map[string]int
		if err := json.Unmarshal(got.Payload, &payload); err != nil || payload["a"] != 1 {
			t.Fatalf("payload = %s (%v)", got.Payload, err)
		}
		if d := enqueue(t, s, store.Job{Kind: "k"}); string(getJob(t, s, d.ID).Payload) != "{}" {
			t.Errorf("default payload = %s", getJob(t, s, d.ID).Payload)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			return store.EnqueueJob(ctx, tx, &store.Job{Kind: "k", Payload: json.RawMessage(`{`)})
		})
		if err == nil {
			t.Error("invalid payload accepted")
		}
		if _, err := s.GetJob(ctx, store.NewID()); !errs.Is(err, errs.NotFound) {
			t.Errorf("missing job: %v", err)
		}
	})
}

func TestJobKeyReplacesPendingAndCancels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := jobT0
		atClock(s, &now)
		first := enqueue(t, s, store.Job{Kind: "k", Key: "rule:1:rec:9", RunAt: jobT0.Add(60 * time.Hour), Payload: json.RawMessage(`{"v":1}`)})
		other := enqueue(t, s, store.Job{Kind: "k", Key: "rule:1:rec:10", RunAt: jobT0.Add(time.Hour)})
		now = jobT0.Add(time.Minute)
		second := enqueue(t, s, store.Job{Kind: "k2", Key: "rule:1:rec:9", RunAt: jobT0.Add(30 * time.Hour), Payload: json.RawMessage(`{"v":2}`), MaxAttempts: 3})
		if second.ID != first.ID {
			t.Fatalf("re-enqueue with the key made a new job %s (want %s replaced)", second.ID, first.ID)
		}
		got := getJob(t, s, first.ID)
		if !got.RunAt.Equal(jobT0.Add(30*time.Hour)) || got.Kind != "k2" || got.MaxAttempts != 3 ||
			!strings.Contains(string(got.Payload), "2") || !got.UpdatedAt.Equal(now) || !got.CreatedAt.Equal(jobT0) {
			t.Fatalf("rescheduled job = %+v", got)
		}
		if js, _ := s.ListJobs(ctx, store.JobFilter{KeyPrefix: "rule:1:rec:9"}); len(js) != 1 {
			t.Fatalf("%d jobs with the key, want 1", len(js))
		}

		// Cancel by key: only that key's pending job.
		var n int64
		err := s.InTx(ctx, func(tx *store.Tx) (err error) { n, err = store.CancelJobs(ctx, tx, "rule:1:rec:9"); return })
		if err != nil || n != 1 {
			t.Fatalf("cancel = %d, %v", n, err)
		}
		if got := getJob(t, s, first.ID); got.Status != store.JobCancelled || !got.FinishedAt.Equal(now) {
			t.Fatalf("cancelled job = %+v", got)
		}
		if got := getJob(t, s, other.ID); got.Status != store.JobPending {
			t.Fatalf("other key's job = %s", got.Status)
		}
		// The key is free again: a new job.
		third := enqueue(t, s, store.Job{Kind: "k", Key: "rule:1:rec:9"})
		if third.ID == first.ID {
			t.Fatal("enqueue after cancel revived the cancelled job")
		}
		// A running job with the key does not block a new pending one.
		if js := claim(t, s, "A", now, 10); len(js) != 1 || js[0].ID != third.ID {
			t.Fatalf("claimed %+v", js)
		}
		fourth := enqueue(t, s, store.Job{Kind: "k", Key: "rule:1:rec:9", RunAt: now.Add(time.Hour)})
		if fourth.ID == third.ID {
			t.Fatal("enqueue replaced a running job")
		}
		if js, _ := s.ListJobs(ctx, store.JobFilter{KeyPrefix: "rule:1:rec:9"}); len(js) != 3 {
			t.Fatalf("%d jobs with the key, want 3 (cancelled, running, pending)", len(js))
		}
	})
}

func TestJobClaimLeaseAndTakeover(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := jobT0
		atClock(s, &now)
		a := enqueue(t, s, store.Job{Kind: "k", RunAt: jobT0.Add(-time.Second)})
		b := enqueue(t, s, store.Job{Kind: "k"})
		enqueue(t, s, store.Job{Kind: "k", RunAt: jobT0.Add(time.Hour)}) // not due
		enqueue(t, s, store.Job{Kind: "other"})                          // not a claimed kind

		js := claim(t, s, "A", now, 10)
		if len(js) != 2 || js[0].ID != a.ID || js[1].ID != b.ID {
			t.Fatalf("claimed %v, want the two due jobs in run_at order", js)
		}
		for _, j := range js {
			if j.Status != store.JobRunning || j.LockedBy != "A" || j.Attempts != 1 || !j.LeaseUntil.Equal(now.Add(time.Minute)) {
				t.Fatalf("claimed job = %+v", j)
			}
		}
		if js := claim(t, s, "B", now.Add(59*time.Second), 10); len(js) != 0 {
			t.Fatalf("B claimed %d leased jobs", len(js))
		}
		if js := claim(t, s, "B", now, 0); len(js) != 0 {
			t.Fatal("limit 0 claimed jobs")
		}

		// The lease expires (A died): B takes over, A's claim is lost.
		later := now.Add(61 * time.Second)
		taken := claim(t, s, "B", later, 1)
		if len(taken) != 1 || taken[0].ID != a.ID || taken[0].Attempts != 2 || taken[0].LockedBy != "B" {
			t.Fatalf("takeover = %+v", taken)
		}
		if _, err := s.BeginJob(ctx, &js[0], later, time.Minute); !errors.Is(err, store.ErrJobLost) {
			t.Fatalf("A's begin after takeover: %v", err)
		}
		if _, err := s.FailJob(ctx, &js[0], later, "x", later); !errors.Is(err, store.ErrJobLost) {
			t.Fatalf("A's fail after takeover: %v", err)
		}
		tx, err := s.BeginJob(ctx, &taken[0], later, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if !tx.Now.Equal(later) {
			t.Errorf("job tx.Now = %v", tx.Now)
		}
		done := later.Add(1500 * time.Millisecond)
		if err := store.FinishJob(ctx, tx, &taken[0], done); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		got := getJob(t, s, a.ID)
		if got.Status != store.JobDone || got.LockedBy != "B" || !got.StartedAt.Equal(later) || !got.FinishedAt.Equal(done) ||
			got.DurationMS != 1500 || !got.LeaseUntil.IsZero() || got.Attempts != 2 {
			t.Fatalf("done job = %+v", got)
		}
		if _, err := s.BeginJob(ctx, &taken[0], done, time.Minute); !errors.Is(err, store.ErrJobLost) {
			t.Fatalf("begin of a done job: %v", err)
		}

		// A rolled-back job transaction leaves the claim as it was.
		tx, err = s.BeginJob(ctx, &js[1], now, time.Minute)
		if err == nil {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := getJob(t, s, b.ID); got.Status != store.JobRunning || got.LockedBy != "A" {
			t.Fatalf("after rollback: %+v", got)
		}
	})
}

func TestJobLeaseExpiredOnLastAttemptIsDead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		now := jobT0
		atClock(s, &now)
		j := enqueue(t, s, store.Job{Kind: "k", MaxAttempts: 2})
		for i := 1; i <= 2; i++ {
			if js := claim(t, s, "A", now, 1); len(js) != 1 || js[0].Attempts != i {
				t.Fatalf("claim %d = %+v", i, js)
			}
			now = now.Add(2 * time.Minute) // the runner dies; the lease expires
		}
		if js := claim(t, s, "A", now, 1); len(js) != 0 {
			t.Fatalf("claimed a job past its last attempt: %+v", js)
		}
		if got := getJob(t, s, j.ID); got.Status != store.JobDead || !strings.Contains(got.LastError, "lease expired") {
			t.Fatalf("job = %+v", got)
		}
	})
}

func TestJobFailRetryDeadAndSupersede(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := jobT0
		atClock(s, &now)
		j := enqueue(t, s, store.Job{Kind: "k", MaxAttempts: 2})
		js := claim(t, s, "A", now, 1)
		js[0].StartedAt = now
		status, err := s.FailJob(ctx, &js[0], now.Add(time.Second), "boom 1", now.Add(time.Minute))
		if err != nil || status != store.JobPending {
			t.Fatalf("fail 1 = %s, %v", status, err)
		}
		got := getJob(t, s, j.ID)
		if got.Status != store.JobPending || got.LastError != "boom 1" || !got.RunAt.Equal(now.Add(time.Minute)) ||
			got.Attempts != 1 || got.DurationMS != 1000 || !got.LeaseUntil.IsZero() {
			t.Fatalf("after fail 1: %+v", got)
		}
		if js := claim(t, s, "A", now.Add(59*time.Second), 1); len(js) != 0 {
			t.Fatal("claimed before the retry time")
		}
		js = claim(t, s, "A", now.Add(time.Minute), 1)
		long := strings.Repeat("é", 3000) // 6000 bytes: cut on a character boundary
		status, err = s.FailJob(ctx, &js[0], now.Add(time.Minute), long, now.Add(time.Hour))
		if err != nil || status != store.JobDead {
			t.Fatalf("fail 2 = %s, %v", status, err)
		}
		got = getJob(t, s, j.ID)
		if got.Status != store.JobDead || got.Attempts != 2 || !strings.HasPrefix(got.LastError, "éé") || len(got.LastError) > 4010 {
			t.Fatalf("after fail 2: status %s attempts %d error %d bytes", got.Status, got.Attempts, len(got.LastError))
		}
		if js := claim(t, s, "A", now.Add(2*time.Hour), 1); len(js) != 0 {
			t.Fatal("claimed a dead job")
		}

		// A failing keyed job whose key got a newer pending job meanwhile
		// is cancelled: the newer plan wins.
		k := enqueue(t, s, store.Job{Kind: "k", Key: "plan"})
		js = claim(t, s, "A", now, 1)
		if len(js) != 1 || js[0].ID != k.ID {
			t.Fatalf("claimed %+v", js)
		}
		newer := enqueue(t, s, store.Job{Kind: "k", Key: "plan", RunAt: now.Add(time.Hour)})
		status, err = s.FailJob(ctx, &js[0], now, "boom", now.Add(time.Minute))
		if err != nil || status != store.JobCancelled {
			t.Fatalf("superseded fail = %s, %v", status, err)
		}
		if got := getJob(t, s, k.ID); got.Status != store.JobCancelled || !strings.Contains(got.LastError, "superseded") {
			t.Fatalf("superseded job = %+v", got)
		}
		if got := getJob(t, s, newer.ID); got.Status != store.JobPending {
			t.Fatalf("newer job = %+v", got)
		}

		// Release: back to pending, the attempt not counted.
		r := enqueue(t, s, store.Job{Kind: "k"})
		js = claim(t, s, "A", now, 1)
		if len(js) != 1 || js[0].ID != r.ID {
			t.Fatalf("claimed %+v", js)
		}
		if err := s.ReleaseJob(ctx, &js[0], now); err != nil {
			t.Fatal(err)
		}
		if got := getJob(t, s, r.ID); got.Status != store.JobPending || got.Attempts != 0 {
			t.Fatalf("released job = %+v", got)
		}
		if err := s.ReleaseJob(ctx, &js[0], now); !errors.Is(err, store.ErrJobLost) {
			t.Fatalf("second release: %v", err)
		}
	})
}

func TestJobListAndPurge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := jobT0
		atClock(s, &now)
		var ids []string
		for i, key := range []string{"a_1", "a%1", "ab1", "b"} {
			now = jobT0.Add(time.Duration(i) * time.Second)
			kind := "k"
			if i == 3 {
				kind = "other"
			}
			ids = append(ids, enqueue(t, s, store.Job{Kind: kind, Key: key}).ID)
		}
		list := func(f store.JobFilter) []string {
			t.Helper()
			js, err := s.ListJobs(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, j := range js {
				out = append(out, j.Key)
			}
			return out
		}
		eq := func(got []string, want ...string) {
			t.Helper()
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("got %v, want %v", got, want)
			}
		}
		eq(list(store.JobFilter{}), "b", "ab1", "a%1", "a_1") // newest first
		eq(list(store.JobFilter{Kind: "k", Limit: 2}), "ab1", "a%1")
		eq(list(store.JobFilter{KeyPrefix: "a_"}), "a_1") // _ and % are literal
		eq(list(store.JobFilter{KeyPrefix: "a%"}), "a%1")
		eq(list(store.JobFilter{KeyPrefix: "a"}), "ab1", "a%1", "a_1")
		eq(list(store.JobFilter{Status: store.JobDone}))
		if _, err := s.ListJobs(ctx, store.JobFilter{Limit: store.MaxLimit + 1}); !errs.Is(err, errs.Invalid) {
			t.Errorf("limit too large: %v", err)
		}

		// Run the first two: one done long ago, one recently; cancel the third.
		for i, js := range [][]store.Job{claim(t, s, "A", now, 1), claim(t, s, "A", now, 1)} {
			tx, err := s.BeginJob(ctx, &js[0], now, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			finished := jobT0.Add(-40 * 24 * time.Hour)
			if i == 1 {
				finished = jobT0
			}
			if err := store.FinishJob(ctx, tx, &js[0], finished); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error { _, err := store.CancelJobs(ctx, tx, "ab1"); return err }); err != nil {
			t.Fatal(err)
		}
		eq(list(store.JobFilter{Status: store.JobDone}), "a%1", "a_1")
		n, err := s.PurgeJobs(ctx, jobT0.Add(-30*24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("purge = %d, %v", n, err)
		}
		eq(list(store.JobFilter{}), "b", "ab1", "a%1")
		if n, _ := s.PurgeJobs(ctx, jobT0.Add(time.Hour)); n != 2 {
			t.Fatalf("second purge = %d, want the done and the cancelled job", n)
		}
		eq(list(store.JobFilter{}), "b")
		_ = ids
	})
}
