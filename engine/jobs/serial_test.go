package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

// A claim takes only the first due job of a serial, and none while one of
// the serial runs; an earlier job waiting out its backoff does not hold
// the line.
func TestSerialClaimTakesOneAtATime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		_, c := setup(t, s)
		var a []string
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for range 3 {
				id, err := jobs.EnqueueID(ctx, tx, jobs.Job{Kind: "effect", Serial: "a"})
				if err != nil {
					return err
				}
				a = append(a, id)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		b := enqueue(t, s, jobs.Job{Kind: "effect", Serial: "b"})
		free := enqueue(t, s, jobs.Job{Kind: "effect"})
		claim := func() []string {
			t.Helper()
			js, err := s.ClaimJobs(ctx, "r1", []string{"effect"}, c.Now(), time.Hour, 10)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, j := range js {
				ids = append(ids, j.ID)
			}
			slices.Sort(ids)
			return ids
		}
		want := []string{a[0], b, free}
		slices.Sort(want)
		if got := claim(); !slices.Equal(got, want) {
			t.Fatalf("first claim %v, want the first of a, b and the unserialized job %v", got, want)
		}
		if got := claim(); len(got) != 0 {
			t.Fatalf("claimed %v while a's first job runs", got)
		}
		if got := get(t, s, a[0]); got.Serial != "a" {
			t.Fatalf("serial not stored: %+v", got)
		}
		// a's first job fails: pending again in a minute. The next of a
		// runs meanwhile.
		j := get(t, s, a[0])
		if _, err := s.FailJob(ctx, j, c.Now(), "boom", c.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got := claim(); !slices.Equal(got, []string{a[1]}) {
			t.Fatalf("after a's first failed, claim %v, want a's second %s", got, a[1])
		}
		// Due again, the first job waits for the running second.
		c.Advance(2 * time.Minute)
		if got := claim(); len(got) != 0 {
			t.Fatalf("claimed %v while a's second job runs", got)
		}
	})
}

// Two runners with four workers each (on PostgreSQL they truly run at
// once) run three serials of 12 jobs: a serial's jobs never overlap and
// run in the order they were enqueued, and each takes effect once.
func TestSerialJobsRunInOrderAcrossRunners(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.Exec(t, s, `CREATE TABLE effects (job_id TEXT NOT NULL, runner TEXT NOT NULL, note TEXT NOT NULL DEFAULT '')`)
		var mu sync.Mutex
		inFlight := map[string]int{}
		order := map[string][]int{}
		var overlap error
		h := func(ctx context.Context, tx *store.Tx, j *jobs.Job) error {
			var p struct {
				N int `json:"n"`
			}
			if err := json.Unmarshal(j.Payload, &p); err != nil {
				return err
			}
			mu.Lock()
			inFlight[j.Serial]++
			if inFlight[j.Serial] > 1 && overlap == nil {
				overlap = fmt.Errorf("serial %s: job %d started while another of it ran", j.Serial, p.N)
			}
			order[j.Serial] = append(order[j.Serial], p.N)
			mu.Unlock()
			time.Sleep(3 * time.Millisecond) // long enough for another worker to claim
			mu.Lock()
			inFlight[j.Serial]--
			mu.Unlock()
			return effect(ctx, tx, j, "")
		}
		var runners []*jobs.Runner
		for i := range 2 {
			r := jobs.NewRunner(s, quiet)
			r.ID = fmt.Sprintf("runner-%d", i)
			r.PollInterval = 10 * time.Millisecond
			if s.D.Name() == "postgres" {
				r.Workers = 4
			}
			r.Handle("effect", h)
			runners = append(runners, r)
		}
		serials := []string{"x", "y", "z"}
		const per = 12
		// Enqueued in separate transactions, interleaved, as writes would.
		for n := range per {
			for _, sr := range serials {
				enqueue(t, s, jobs.Job{Kind: "effect", Serial: sr, Payload: json.RawMessage(fmt.Sprintf(`{"n":%d}`, n))})
			}
		}
		for _, r := range runners {
			r.Start(ctx)
		}
		waitDone(t, s, 60*time.Second)
		for _, r := range runners {
			if err := r.Stop(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if overlap != nil {
			t.Fatal(overlap)
		}
		for _, sr := range serials {
			want := make([]int, per)
			for i := range want {
				want[i] = i
			}
			if !slices.Equal(order[sr], want) {
				t.Errorf("serial %s ran in order %v, want %v", sr, order[sr], want)
			}
		}
		got := effects(t, s)
		if len(got) != per*len(serials) {
			t.Fatalf("%d jobs took effect, want %d", len(got), per*len(serials))
		}
		for id, n := range got {
			if n != 1 {
				t.Errorf("job %s took effect %d times", id, n)
			}
		}
	})
}
