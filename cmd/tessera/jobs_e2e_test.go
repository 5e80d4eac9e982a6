package main

// End-to-end tests of durable jobs with the real binary in real
// processes: a process killed (SIGKILL) in the middle of a job, and two
// processes sharing one PostgreSQL database. They use the test-only job
// kind test.effect (TESSERA_TEST_JOBS=1), whose effect is a row in
// test_job_effects made inside the job's transaction.

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// buildBinary builds cmd/tessera into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "tessera")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// processEnv is the environment of the test's tessera processes: the
// developer's TESSERA_* variables removed, then extra added.
func processEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TESSERA_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// serveProc is a running `tessera serve`.
type serveProc struct {
	cmd  *exec.Cmd
	out  *output
	done chan struct{}
	err  error // Wait's result, once done is closed
}

func startServe(t *testing.T, bin string, env []string) *serveProc {
	t.Helper()
	p := &serveProc{cmd: exec.Command(bin, "serve", "--addr", "127.0.0.1:0"), out: newOutput(), done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("output of process %d:\n%s", p.cmd.Process.Pid, p.out)
		}
	})
	select {
	case <-p.out.url:
	case <-p.done:
		t.Fatalf("serve exited: %v\n%s", p.err, p.out)
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start\n%s", p.out)
	}
	return p
}

// waitLog waits for a line of the process's output matching re and
// returns its first group.
func (p *serveProc) waitLog(t *testing.T, re *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(p.out.String()); m != nil {
			return m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %q in the output after %v", re, timeout)
	return ""
}

// exit waits for the process to end.
func (p *serveProc) exit(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		t.Fatalf("process %d did not exit within %v", p.cmd.Process.Pid, timeout)
		return nil
	}
}

func runBinary(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tessera %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// jobState is what the database says about the test jobs.
type jobState struct {
	status   map[string]string // job id → status
	attempts map[string]int
	by       map[string]string // job id → locked_by
	effects  map[string]int    // job id → rows in test_job_effects
	count    map[string]int    // status → jobs
}

func readJobs(t *testing.T, s *store.Store) jobState {
	t.Helper()
	st := jobState{status: map[string]string{}, attempts: map[string]int{}, by: map[string]string{}, effects: map[string]int{}, count: map[string]int{}}
	rows, err := s.R.Query(`SELECT id, status, attempts, COALESCE(locked_by, '') FROM jobs WHERE kind = 'test.effect'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, status, by string
		var n int
		if err := rows.Scan(&id, &status, &n, &by); err != nil {
			t.Fatal(err)
		}
		st.status[id], st.attempts[id], st.by[id] = status, n, by
		st.count[status]++
	}
	rows.Close()
	rows, err = s.R.Query(`SELECT job_id, count(*) FROM test_job_effects GROUP BY job_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		st.effects[id] = n
	}
	return st
}

// waitAllDone waits until every one of n test jobs is done.
func waitAllDone(t *testing.T, s *store.Store, n int, timeout time.Duration) jobState {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := readJobs(t, s)
		if st.count["done"] == n {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: jobs by status %v", timeout, st.count)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// exactlyOnce checks that every job took effect exactly once.
func exactlyOnce(t *testing.T, st jobState, n int) {
	t.Helper()
	if len(st.status) != n || len(st.effects) != n {
		t.Fatalf("%d jobs, %d with effects; want %d each", len(st.status), len(st.effects), n)
	}
	for id := range st.status {
		if st.effects[id] != 1 {
			t.Errorf("job %s took effect %d times", id, st.effects[id])
		}
	}
}

// openDB opens the processes' database from the test.
func openDB(t *testing.T, data, url string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), data, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var blockingRE = regexp.MustCompile(`msg="test job blocking" job=(\S+)`)

// A serve process is killed (SIGKILL) while one job's effect is made but
// not committed and others are still pending; after a restart every job
// is done and took effect exactly once.
func TestJobsSurviveKill(t *testing.T) {
	bin := buildBinary(t)
	base := os.Getenv(storetest.EnvURL)
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			data, url := t.TempDir(), ""
			if dialect == "postgres" {
				if base == "" {
					t.Skip(storetest.EnvURL + " not set")
				}
				url, _ = storetest.SchemaURL(t, base)
			}
			// The default lease (minutes): the blocked job is taken over
			// through the dead process's heartbeat, or at start on SQLite.
			env := processEnv("TESSERA_DATA="+data, "TESSERA_DATABASE_URL="+url, "TESSERA_TEST_JOBS=1", "TESSERA_JOBS_POLL=50ms")
			const n = 50
			first := startServe(t, bin, env)
			// Job 20's first attempt makes its effect, then hangs.
			runBinary(t, bin, env, "jobs", "enqueue-test", "--count", fmt.Sprint(n), "--sleep", "40ms", "--block", "20")
			blocked := first.waitLog(t, blockingRE, 30*time.Second)
			if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			first.exit(t, 10*time.Second)

			db := openDB(t, data, url)
			st := readJobs(t, db)
			t.Logf("at the kill: %v", st.count)
			if st.status[blocked] != "running" || st.effects[blocked] != 0 {
				t.Fatalf("blocked job: status %q, %d effects; want running with its effect rolled back", st.status[blocked], st.effects[blocked])
			}
			if st.count["pending"] == 0 || len(st.status) != n {
				t.Fatalf("jobs by status %v: want %d, some still pending", st.count, n)
			}
			for id, status := range st.status {
				if status != "done" && st.effects[id] != 0 {
					t.Errorf("unfinished job %s (%s) has %d effects", id, status, st.effects[id])
				}
			}

			restarted := time.Now()
			second := startServe(t, bin, env)
			st = waitAllDone(t, db, n, 40*time.Second)
			t.Logf("every job done %v after the restart", time.Since(restarted).Round(100*time.Millisecond))
			exactlyOnce(t, st, n)
			if st.attempts[blocked] != 2 {
				t.Errorf("blocked job: %d attempts, want 2 (killed, then taken over)", st.attempts[blocked])
			}
			if took := time.Since(restarted); took > 30*time.Second {
				t.Errorf("the jobs of the killed process took %v after the restart, want ≤ 30 s", took)
			}
			// A graceful stop ends cleanly.
			second.cmd.Process.Signal(syscall.SIGTERM)
			if err := second.exit(t, 20*time.Second); err != nil {
				t.Errorf("exit after SIGTERM: %v", err)
			}
		})
	}
}

// Two serve processes on one PostgreSQL database share 200 jobs: each
// job takes effect exactly once and both processes run some.
func TestJobsTwoProcessesShareWork(t *testing.T) {
	base := os.Getenv(storetest.EnvURL)
	if base == "" {
		t.Skip(storetest.EnvURL + " not set")
	}
	bin := buildBinary(t)
	url, _ := storetest.SchemaURL(t, base)
	env := processEnv("TESSERA_DATA="+t.TempDir(), "TESSERA_DATABASE_URL="+url, "TESSERA_TEST_JOBS=1",
		"TESSERA_JOBS_POLL=50ms", "TESSERA_JOBS_WORKERS=4")
	runBinary(t, bin, env, "migrate")
	procs := []*serveProc{startServe(t, bin, env), startServe(t, bin, env)}
	const n = 200
	runBinary(t, bin, env, "jobs", "enqueue-test", "--count", fmt.Sprint(n), "--sleep", "20ms")
	db := openDB(t, "", url)
	st := waitAllDone(t, db, n, 40*time.Second)
	exactlyOnce(t, st, n)
	perProcess := map[int]int{}
	for _, by := range st.by {
		for _, p := range procs {
			if strings.Contains(by, fmt.Sprintf(":%d:", p.cmd.Process.Pid)) {
				perProcess[p.cmd.Process.Pid]++
			}
		}
	}
	t.Logf("jobs per process: %v", perProcess)
	if len(perProcess) != 2 {
		t.Errorf("jobs per process %v: want both processes to run some", perProcess)
	}
	for _, p := range procs {
		p.cmd.Process.Signal(syscall.SIGTERM)
		if err := p.exit(t, 20*time.Second); err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	}
}

// Six clients create leads, each of which an after-save rule follows with
// a task, while the server is killed (SIGKILL) with the job runner's
// default lease (minutes): after a restart every lead has exactly one task
// within 30 s — the jobs the dead process held are taken over through its
// stale heartbeat (PostgreSQL) or at start (SQLite), not after the lease.
func TestRuleJobsAfterKill(t *testing.T) {
	bin := buildBinary(t)
	base := os.Getenv(storetest.EnvURL)
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			data, dburl := t.TempDir(), ""
			if dialect == "postgres" {
				if base == "" {
					t.Skip(storetest.EnvURL + " not set")
				}
				dburl, _ = storetest.SchemaURL(t, base)
			}
			env := processEnv("TESSERA_DATA="+data, "TESSERA_DATABASE_URL="+dburl)
			runBinary(t, bin, env, "migrate")
			runBinary(t, bin, env, "user", "create", "--email", "admin@example.com", "--password", apitest.Password, "--admin")
			first := startServe(t, bin, env)
			c := login(t, first)
			text := map[string]any{"x-field": map[string]any{"type": "text"}}
			c.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "s", "label": apitest.Label("Sales")}).Want(t, 201)
			c.Do(t, "admin", "POST", "/api/apps/s/modules", map[string]any{"key": "lead", "label": apitest.Label("Lead"),
				"schema": map[string]any{"properties": map[string]any{"name": text}}}).Want(t, 201)
			c.Do(t, "admin", "POST", "/api/apps/s/modules", map[string]any{"key": "task", "label": apitest.Label("Task"),
				"schema": map[string]any{"properties": map[string]any{"title": text,
					"lead": map[string]any{"x-field": map[string]any{"type": "lookup", "module": "lead", "on_delete": "cascade"}}}}}).Want(t, 201)
			c.Do(t, "admin", "POST", "/api/apps/s/rules", map[string]any{"key": "call", "label": apitest.Label("Call"), "module": "lead",
				"enabled": true, "trigger": map[string]any{"type": "created"},
				"actions": []any{map[string]any{"type": "task", "module": "task", "values": map[string]any{"title": `concat("Call ", name)`, "lead": "id"}}}}).Want(t, 201)

			// The burst: six clients, each creating a lead every 50 ms (about
			// what the runner keeps up with while it shares the database
			// with them), until the kill.
			var created atomic.Int64
			var wg sync.WaitGroup
			for w := range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						r, err := c.Try("admin", "POST", "/api/apps/s/modules/lead/records", map[string]any{"name": fmt.Sprintf("w%d-%d", w, i)})
						if err != nil {
							return // the server is gone
						}
						if r.Status == 201 {
							created.Add(1)
						}
						time.Sleep(50 * time.Millisecond)
					}
				}()
			}
			// Long enough for the runner to be busy with the rules' jobs
			// (it looks for due jobs every second) when the kill comes.
			burst := time.Now()
			for deadline := burst.Add(30 * time.Second); (created.Load() < 300 || time.Since(burst) < 5*time.Second) && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			first.exit(t, 10*time.Second)
			wg.Wait()

			db := openDB(t, data, dburl)
			var leads, tasks, running, pending int
			row := db.R.QueryRow(`SELECT (SELECT count(*) FROM ` + store.Quote(meta.TableName("s", "lead")) + ` WHERE deleted_at IS NULL),
				(SELECT count(*) FROM ` + store.Quote(meta.TableName("s", "task")) + ` WHERE deleted_at IS NULL),
				(SELECT count(*) FROM jobs WHERE status = 'running'), (SELECT count(*) FROM jobs WHERE status = 'pending')`)
			if err := row.Scan(&leads, &tasks, &running, &pending); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s at the kill: %d leads (%d answered), %d tasks; jobs %d running, %d pending", dialect, leads, created.Load(), tasks, running, pending)
			if leads < 300 || tasks == 0 {
				t.Fatalf("%d leads and %d tasks before the kill: want ≥ 300 leads and the rules at work", leads, tasks)
			}

			restarted := time.Now()
			second := startServe(t, bin, env)
			c = login(t, second)
			var missing, doubled int
			for {
				perLead := map[string]int{}
				for _, rec := range listAll(t, c, "/api/apps/s/modules/task/records") {
					if l, ok := rec["lead"].(string); ok {
						perLead[l]++
					}
				}
				all := listAll(t, c, "/api/apps/s/modules/lead/records")
				missing, doubled = 0, 0
				for _, rec := range all {
					switch n := perLead[rec["id"].(string)]; {
					case n == 0:
						missing++
					case n > 1:
						doubled++
					}
				}
				if doubled > 0 {
					t.Fatalf("%d leads have more than one task", doubled)
				}
				if missing == 0 {
					t.Logf("%s: all %d leads have exactly one task %v after the restart", dialect, len(all), time.Since(restarted).Round(100*time.Millisecond))
					break
				}
				if time.Since(restarted) > 30*time.Second {
					t.Fatalf("30 s after the restart %d of %d leads still have no task", missing, len(all))
				}
				time.Sleep(200 * time.Millisecond)
			}
			second.cmd.Process.Signal(syscall.SIGTERM)
			second.exit(t, 20*time.Second)
		})
	}
}

// listAll reads every record of a list, page by page.
func listAll(t *testing.T, c *apitest.Env, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for cursor := ""; ; {
		r := c.Do(t, "admin", "GET", path+"?limit=500&cursor="+url.QueryEscape(cursor), nil).Want(t, 200)
		for _, rec := range r.List("records") {
			out = append(out, rec.(map[string]any))
		}
		if cursor = r.Str("next_cursor"); cursor == "" {
			return out
		}
	}
}
