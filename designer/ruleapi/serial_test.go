package ruleapi_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/store"
)

// Six rules fire on one record's creation, each adding one to the same
// field, and the background runner runs their jobs with four workers (on
// PostgreSQL truly at once). One record's rule jobs run one at a time, so
// none fails its version check or reads a stale record: every job is
// done on its first attempt, every run is ok, and the field counts all
// six.
func TestRuleJobsOfOneRecordRunInOrder(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const rules = 6
		for i := range rules {
			e.rule(t, map[string]any{"key": fmt.Sprintf("bump_%d", i), "label": label("Bump"), "module": "lead",
				"trigger": map[string]any{"type": "created"},
				"actions": []any{map[string]any{"type": "set", "values": map[string]string{"hits": `coalesce(hits, 0) + 1`}}}})
		}
		ctx := context.Background()
		e.svc.Jobs.PollInterval = 10 * time.Millisecond
		if e.s.D.Name() == "postgres" {
			e.svc.Jobs.Workers = 4
		}
		e.svc.Jobs.Backoff = func(int) time.Duration { return time.Hour } // a retry would show as a job left pending
		e.svc.Jobs.Start(ctx)
		t.Cleanup(func() { e.svc.Jobs.Stop(ctx) })
		lead := e.create(t, "lead", map[string]any{"name": "busy"})
		id := lead["id"].(string)
		deadline := time.Now().Add(30 * time.Second)
		var js []store.Job
		for {
			var err error
			if js, err = jobs.List(ctx, e.s, jobs.Filter{Kind: "rule.run", Limit: store.MaxLimit}); err != nil {
				t.Fatal(err)
			}
			open := 0
			for _, j := range js {
				if j.Status == jobs.StatusRunning || (j.Status == jobs.StatusPending && j.Attempts == 0) {
					open++
				}
			}
			if len(js) == rules && open == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("rule jobs not finished: %+v", js)
			}
			time.Sleep(20 * time.Millisecond)
		}
		e.svc.Rules.Flush()
		for _, j := range js {
			if j.Status != jobs.StatusDone || j.Attempts != 1 || j.LastError != "" {
				t.Errorf("job %s: status %s after %d attempts, error %q", j.ID, j.Status, j.Attempts, j.LastError)
			}
			if want := "record:crm/lead/" + id; j.Serial != want {
				t.Errorf("job %s serial %q, want %q", j.ID, j.Serial, want)
			}
		}
		r := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+id, nil).want(t, 200)
		if hits, _ := r.doc["hits"].(float64); int(hits) != rules {
			t.Errorf("hits = %v, want %d (one per rule)", r.doc["hits"], rules)
		}
		for i := range rules {
			for _, run := range e.runs(t, fmt.Sprintf("bump_%d", i)) {
				if run["outcome"] != "ok" {
					t.Errorf("bump_%d: run %v", i, run)
				}
			}
		}
	})
}
