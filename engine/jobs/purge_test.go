package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

// OnPurge clean-ups run with the runner's periodic purge, on its clock,
// even when jobs are kept forever; one failing does not stop the others.
func TestOnPurge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r, c := setup(t, s)
		r.Retention = -1 // jobs kept forever: the clean-ups still run
		r.PurgeEvery = 20 * time.Millisecond
		r.PollInterval = 10 * time.Millisecond
		calls := make(chan time.Time, 100)
		r.OnPurge("failing", func(context.Context, time.Time) (int64, error) { return 0, errors.New("boom") })
		r.OnPurge("counting", func(_ context.Context, now time.Time) (int64, error) {
			calls <- now
			return 1, nil
		})
		r.Purge(ctx)
		if now := <-calls; !now.Equal(c.Now()) {
			t.Fatalf("purge ran at %v, want the runner's clock %v", now, c.Now())
		}
		r.Start(ctx)
		defer r.Stop(ctx)
		for i := range 2 {
			select {
			case <-calls:
			case <-time.After(10 * time.Second):
				t.Fatalf("the runner's loop ran the clean-up %d times in 10 s, want 2", i)
			}
		}
		// A job done long ago stays (Retention < 0).
		id := enqueue(t, s, jobs.Job{Kind: "effect"})
		r2 := jobs.NewRunner(s, quiet)
		r2.Handle("effect", func(ctx context.Context, tx *store.Tx, j *jobs.Job) error { return effect(ctx, tx, j, "") })
		runDue(t, r2, 1)
		c.Advance(365 * 24 * time.Hour)
		r.Purge(ctx)
		if get(t, s, id).Status != jobs.StatusDone {
			t.Fatal("a job was purged with Retention < 0")
		}
	})
}
