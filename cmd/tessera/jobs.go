package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/store"
)

// The job runner's tuning comes from the environment:
//
//	TESSERA_JOBS_WORKERS  jobs run at once (default 4 on PostgreSQL, 1 on SQLite)
//	TESSERA_JOBS_LEASE    how long one attempt may run before it is cancelled and taken over (default 5m;
//	                      a dead process's jobs are taken over sooner, through its stale heartbeat)
//	TESSERA_JOBS_POLL     how often an idle runner looks for due jobs (default 1s)
//
// TESSERA_TEST_JOBS=1 registers the test-only kind test.effect (see
// testEffect) and enables `tessera jobs enqueue-test`; the end-to-end tests
// (crash, two processes) use them.
const (
	envJobsWorkers = "TESSERA_JOBS_WORKERS"
	envJobsLease   = "TESSERA_JOBS_LEASE"
	envJobsPoll    = "TESSERA_JOBS_POLL"
	envTestJobs    = "TESSERA_TEST_JOBS"
	testEffectKind = "test.effect"
)

// configureJobs applies the environment to the runner and registers the
// test kind when asked.
func configureJobs(ctx context.Context, r *jobs.Runner, s *store.Store, log *slog.Logger) error {
	if v := os.Getenv(envJobsWorkers); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("%s: want a positive number, got %q", envJobsWorkers, v)
		}
		r.Workers = n
	}
	for _, d := range []struct {
		env string
		to  *time.Duration
	}{{envJobsLease, &r.Lease}, {envJobsPoll, &r.PollInterval}} {
		if v := os.Getenv(d.env); v != "" {
			x, err := time.ParseDuration(v)
			if err != nil || x <= 0 {
				return fmt.Errorf("%s: want a positive duration such as 30s, got %q", d.env, v)
			}
			*d.to = x
		}
	}
	if os.Getenv(envTestJobs) == "1" {
		if _, err := s.W.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS test_job_effects (job_id TEXT NOT NULL, runner TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("create test_job_effects: %w", err)
		}
		r.Handle(testEffectKind, testEffect(log))
		log.Warn("test job kind enabled", "kind", testEffectKind)
	}
	return nil
}

// testPayload is the payload of a test.effect job.
type testPayload struct {
	SleepMS int `json:"sleep_ms"`
	// Block makes the first attempt hang, its effect made but not
	// committed, until the process dies or the lease ends.
	Block bool `json:"block,omitempty"`
}

// testEffect is the test.effect handler: it makes its effect — a row
// (job id, runner) in test_job_effects, which has no unique constraint so
// a duplicate would show — then takes sleep_ms, all inside the job's
// transaction.
func testEffect(log *slog.Logger) jobs.Handler {
	return func(ctx context.Context, tx *store.Tx, j *jobs.Job) error {
		var p testPayload
		if err := json.Unmarshal(j.Payload, &p); err != nil {
			return err
		}
		q := fmt.Sprintf(`INSERT INTO test_job_effects (job_id, runner) VALUES (%s, %s)`, tx.D.Placeholder(1), tx.D.Placeholder(2))
		if _, err := tx.ExecContext(ctx, q, j.ID, j.LockedBy); err != nil {
			return err
		}
		if p.Block && j.Attempts == 1 {
			log.Info("test job blocking", "job", j.ID)
			<-ctx.Done()
			return ctx.Err()
		}
		select {
		case <-time.After(time.Duration(p.SleepMS) * time.Millisecond):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

const jobsUsage = `usage:
  tessera jobs list [--kind K] [--status pending|running|done|dead|cancelled] [--key-prefix P] [--limit N] [--data DIR] [--database URL]`

// jobsCmd is `tessera jobs …`.
func jobsCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(jobsUsage)
	}
	switch args[0] {
	case "list":
		return jobsList(ctx, args[1:], stdout)
	case "enqueue-test": // hidden: for the end-to-end tests
		return jobsEnqueueTest(ctx, args[1:], stdout)
	}
	return fmt.Errorf("unknown jobs command %q\n%s", args[0], jobsUsage)
}

func jobsList(ctx context.Context, args []string, stdout io.Writer) error {
	var cfg Config
	var f jobs.Filter
	fs := flag.NewFlagSet("jobs list", flag.ContinueOnError)
	bindConfig(fs, &cfg)
	fs.StringVar(&f.Kind, "kind", "", "only jobs of this kind")
	fs.StringVar(&f.Status, "status", "", "only jobs in this status")
	fs.StringVar(&f.KeyPrefix, "key-prefix", "", "only jobs whose key starts so")
	fs.IntVar(&f.Limit, "limit", 50, "at most this many (newest first)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	js, err := jobs.List(ctx, s, f)
	if err != nil {
		return err
	}
	for _, j := range js {
		line := []string{j.CreatedAt.Format(time.RFC3339), j.ID, j.Kind, j.Status,
			fmt.Sprintf("attempts=%d/%d", j.Attempts, j.MaxAttempts), "run_at=" + j.RunAt.Format(time.RFC3339)}
		if j.Key != "" {
			line = append(line, "key="+j.Key)
		}
		if j.Serial != "" {
			line = append(line, "serial="+j.Serial)
		}
		if !j.FinishedAt.IsZero() {
			line = append(line, fmt.Sprintf("ms=%d", j.DurationMS))
		}
		if j.LockedBy != "" {
			line = append(line, "by="+j.LockedBy)
		}
		if j.LastError != "" {
			line = append(line, "error="+strconv.Quote(j.LastError))
		}
		fmt.Fprintln(stdout, strings.Join(line, " "))
	}
	return nil
}

func jobsEnqueueTest(ctx context.Context, args []string, stdout io.Writer) error {
	if os.Getenv(envTestJobs) != "1" {
		return errors.New("enqueue-test is for tests: set " + envTestJobs + "=1")
	}
	var cfg Config
	var count, block int
	var sleep time.Duration
	fs := flag.NewFlagSet("jobs enqueue-test", flag.ContinueOnError)
	bindConfig(fs, &cfg)
	fs.IntVar(&count, "count", 10, "number of test.effect jobs")
	fs.DurationVar(&sleep, "sleep", 100*time.Millisecond, "how long each job takes")
	fs.IntVar(&block, "block", 0, "1-based number of a job whose first attempt hangs (0: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	start := s.Now()
	err = s.InTx(ctx, func(tx *store.Tx) error {
		for i := 1; i <= count; i++ {
			p, _ := json.Marshal(testPayload{SleepMS: int(sleep.Milliseconds()), Block: i == block})
			// Distinct run_at values keep the run order the enqueue order.
			j := jobs.Job{Kind: testEffectKind, Payload: p, RunAt: start.Add(time.Duration(i) * time.Microsecond)}
			if err := jobs.Enqueue(ctx, tx, j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "enqueued %d %s jobs\n", count, testEffectKind)
	return nil
}
