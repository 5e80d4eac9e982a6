package main

// Two `tessera serve` processes (nodes) on one PostgreSQL schema: a schema
// change, a role change, a sign-out and a disabled user on node A take
// effect on node B within a second — B's caches of modules, roles and
// sessions hear of them through cache_versions and NOTIFY (engine/cluster).
// With a streaming read replica as well (TestTwoNodesWithReplica), B's
// reports read the replica, except for a user who just wrote; a replica
// that goes away leaves reports answering from the primary; no job runs
// twice.

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

func TestTwoNodesSeeEachOthersChanges(t *testing.T) {
	base := os.Getenv(storetest.EnvURL)
	if base == "" {
		t.Skip(storetest.EnvURL + " not set")
	}
	bin := buildBinary(t)
	dburl, _ := storetest.SchemaURL(t, base)
	n := twoNodes(t, bin, dburl, nil, nil)
	n.changesReachB(t)
	n.stop(t)
}

// nodes are two serve processes on one database, with a client of each
// (one admin token valid on both).
type nodes struct {
	bin          string
	env          []string // node A's environment (for CLI commands)
	nodeA, nodeB *serveProc
	a, b         *apitest.Env
}

// twoNodes migrates dburl, creates the admin and starts nodes A and B with
// their extra environment.
func twoNodes(t *testing.T, bin, dburl string, extraA, extraB []string) *nodes {
	t.Helper()
	envA := processEnv(append([]string{"TESSERA_DATA=" + t.TempDir(), "TESSERA_DATABASE_URL=" + dburl}, extraA...)...)
	envB := processEnv(append([]string{"TESSERA_DATA=" + t.TempDir(), "TESSERA_DATABASE_URL=" + dburl}, extraB...)...)
	runBinary(t, bin, envA, "migrate")
	runBinary(t, bin, envA, "user", "create", "--email", "admin@example.com", "--password", apitest.Password, "--admin")
	n := &nodes{bin: bin, env: envA, nodeA: startServe(t, bin, envA), nodeB: startServe(t, bin, envB)}
	n.a, n.b = login(t, n.nodeA), client(t, n.nodeB)
	n.b.Tokens["admin"] = n.a.Tokens["admin"] // sessions live in the database: one token, both nodes
	return n
}

func (n *nodes) stop(t *testing.T) {
	t.Helper()
	for _, p := range []*serveProc{n.nodeA, n.nodeB} {
		p.cmd.Process.Signal(syscall.SIGTERM)
		if err := p.exit(t, 20*time.Second); err != nil {
			t.Errorf("serve exited with %v", err)
		}
	}
}

// changesReachB makes app crm with module deal on A, a role sales and
// users rep (who keeps reading deals), out (signed out) and gone
// (disabled), and checks that each change on A takes effect on B within
// a second.
func (n *nodes) changesReachB(t *testing.T) {
	t.Helper()
	a, b := n.a, n.b
	// within retries call on B until ok says it sees the change, and
	// fails the test when that takes a second or more.
	within := func(what string, call func() *apitest.Response, ok func(*apitest.Response) bool) {
		t.Helper()
		start := time.Now()
		for {
			r := call()
			if ok(r) {
				took := time.Since(start)
				t.Logf("node B: %s after %v", what, took.Round(time.Millisecond))
				if took >= time.Second {
					t.Errorf("node B: %s only after %v", what, took)
				}
				return
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("node B: %s not within 10 s: %d %s", what, r.Status, r.Body)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	status := func(code int) func(*apitest.Response) bool {
		return func(r *apitest.Response) bool { return r.Status == code }
	}

	// A schema change: B has the module cached (it created a record), and
	// refuses a field the module does not have yet.
	a.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": apitest.Label("CRM")}).Want(t, 201)
	text := map[string]any{"x-field": map[string]any{"type": "text"}}
	mod := a.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "deal", "label": apitest.Label("Deal"),
		"schema": map[string]any{"properties": map[string]any{"name": text}}}).Want(t, 201)
	recs := "/api/apps/crm/modules/deal/records"
	b.Do(t, "admin", "POST", recs, map[string]any{"name": "before"}).Want(t, 201)
	b.Do(t, "admin", "POST", recs, map[string]any{"name": "early", "region": "east"}).Want(t, 422)
	a.Do(t, "admin", "PUT", "/api/apps/crm/modules/deal", map[string]any{"key": "deal", "label": apitest.Label("Deal"),
		"version": mod.Num("version"), "schema": map[string]any{"properties": map[string]any{"name": text, "region": text}}}).Want(t, 200)
	within("accepts the field added on A", func() *apitest.Response {
		r, err := b.Try("admin", "POST", recs, map[string]any{"name": "after", "region": "east"})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}, status(201))

	// A role change: rep may create deals through role "sales"; A takes
	// create away, and B refuses rep's next create.
	perm := func(actions ...string) map[string]any {
		return map[string]any{"key": "sales", "label": apitest.Label("Sales"), "permissions": []map[string]any{{
			"app": "crm", "module": "deal", "actions": actions, "scope": map[string]string{"read": "all", "update": "all"}}}}
	}
	a.Do(t, "admin", "POST", "/api/roles", perm("create", "read", "update")).Want(t, 201)
	users := map[string]string{}
	for _, who := range []string{"rep", "out", "gone"} {
		users[who] = a.Do(t, "admin", "POST", "/api/users", map[string]any{"email": who + "@example.com", "password": apitest.Password,
			"name": who, "roles": []string{"sales"}}).Want(t, 201).Str("id")
		tok := a.Do(t, "", "POST", "/api/auth/login", map[string]string{"email": who + "@example.com", "password": apitest.Password}).Want(t, 200).Str("token")
		a.Tokens[who], b.Tokens[who] = tok, tok
	}
	b.Do(t, "rep", "POST", recs, map[string]any{"name": "by rep"}).Want(t, 201)
	a.Do(t, "admin", "PUT", "/api/roles/sales", perm("read", "update")).Want(t, 200)
	within("refuses the create the role no longer grants", func() *apitest.Response {
		r, err := b.Try("rep", "POST", recs, map[string]any{"name": "refused"})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}, status(403))
	b.Do(t, "rep", "GET", recs, nil).Want(t, 200) // still a reader

	// A sign-out on A: B refuses the token (B had the session cached).
	b.Do(t, "out", "GET", "/api/auth/me", nil).Want(t, 200)
	a.Do(t, "out", "POST", "/api/auth/logout", nil).Want(t, 204)
	within("refuses the session signed out on A", func() *apitest.Response {
		r, err := b.Try("out", "GET", "/api/auth/me", nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}, status(401))

	// A user disabled on A: B refuses the user's session.
	b.Do(t, "gone", "GET", "/api/auth/me", nil).Want(t, 200)
	a.Do(t, "admin", "PATCH", "/api/users/"+users["gone"], map[string]any{"disabled": true}).Want(t, 200)
	within("refuses the user disabled on A", func() *apitest.Response {
		r, err := b.Try("gone", "GET", "/api/auth/me", nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}, status(401))
	b.Do(t, "admin", "GET", "/api/auth/me", nil).Want(t, 200) // others stay signed in
}

// The same two nodes with a streaming read replica (both read it; B
// through a proxy the test can close): the changes on A still reach B
// within a second; B's reports read the replica — shown by replay paused
// on it, when a user who did not write sees the old count and the one who
// just wrote on B sees theirs; with the replica gone, B's reports answer
// from the primary and the fallback metric counts them; every job runs
// exactly once.
func TestTwoNodesWithReplica(t *testing.T) {
	base := os.Getenv(storetest.EnvURL)
	if base == "" {
		t.Skip(storetest.EnvURL + " not set")
	}
	dburl, _ := storetest.SchemaURL(t, base)
	ru := storetest.ReplicaURL(t, dburl) // skips, saying why, without a replica
	bin := buildBinary(t)
	proxy := storetest.StartProxy(t, ru)
	common := []string{"TESSERA_TEST_JOBS=1", "TESSERA_JOBS_POLL=50ms", "TESSERA_DATABASE_REPLICA_MAX_LAG=60s"}
	n := twoNodes(t, bin, dburl, append(common, "TESSERA_DATABASE_REPLICA_URL="+ru),
		append(common, "TESSERA_DATABASE_REPLICA_URL="+proxy.URL))
	n.changesReachB(t)
	b := n.b
	report := func(who string) int {
		t.Helper()
		r := b.Do(t, who, "POST", "/api/apps/crm/query", map[string]any{"module": "deal",
			"measures": []any{map[string]any{"op": "count"}}}).Want(t, 200)
		return int(r.Num("rows.0.0"))
	}
	metric := func(series string) float64 {
		t.Helper()
		body := b.Do(t, "admin", "GET", "/metrics", nil).Want(t, 200).Body
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(body)
		if m == nil {
			return 0
		}
		v, err := strconv.ParseFloat(string(m[1]), 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	const reads = "tessera_replica_reads_total"
	fallback := func(reason string) string { return fmt.Sprintf(`tessera_replica_fallbacks_total{reason=%q}`, reason) }

	// Once the replica holds the three deals (and B has measured that it
	// does), rep's report on B is answered by it.
	storetest.CaughtUp(t, dburl, ru)
	deals := 0
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		before := metric(reads)
		deals = report("rep")
		if metric(reads) > before {
			break
		}
		if time.Since(start) > time.Minute { // the replica can trail a bulk load elsewhere by seconds
			t.Fatalf("node B's report did not read the replica within a minute (%s %v)", reads, metric(reads))
		}
	}
	if deals != 3 {
		t.Fatalf("rep's report on B counts %d deals, want 3", deals)
	}

	// Replay paused: the admin adds a deal on B. Their report on B reads
	// the primary (read-your-writes); rep's reads the replica, which does
	// not have it yet.
	resume := storetest.PauseReplay(t, ru)
	b.Do(t, "admin", "POST", "/api/apps/crm/modules/deal/records", map[string]any{"name": "while paused"}).Want(t, 201)
	recent, replicaReads := metric(fallback("recent_write")), metric(reads)
	if got := report("admin"); got != deals+1 {
		t.Errorf("the admin's report on B right after their write: %d deals, want %d", got, deals+1)
	}
	if got := metric(fallback("recent_write")); got <= recent {
		t.Errorf("%s did not move (%v) for the writer's report", fallback("recent_write"), got)
	}
	if got := report("rep"); got != deals {
		t.Errorf("rep's report on B with replay paused: %d deals, want the replica's %d", got, deals)
	}
	if got := metric(reads); got <= replicaReads {
		t.Errorf("%s did not move (%v) for rep's report", reads, got)
	}
	// A list export reads the replica the same way: rep's CSV lacks the
	// deal, the admin's has it (a header line, then a line per deal).
	csvLines := func(who string) int {
		t.Helper()
		body := b.Do(t, who, "POST", "/api/apps/crm/modules/deal/exports", map[string]any{"format": "csv", "fields": []string{"name"}}).Want(t, 200).Body
		return strings.Count(strings.TrimSpace(string(body)), "\n")
	}
	if got := csvLines("rep"); got != deals {
		t.Errorf("rep's export on B with replay paused: %d deals, want the replica's %d", got, deals)
	}
	if got := csvLines("admin"); got != deals+1 {
		t.Errorf("the admin's export on B right after their write: %d deals, want %d", got, deals+1)
	}
	resume()
	for start := time.Now(); report("rep") != deals+1; time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > time.Minute {
			t.Fatalf("rep's report on B still without the new deal a minute after replay resumed")
		}
	}

	// The replica goes away from B: the report still answers, from the
	// primary, and the fallbacks say so.
	proxy.Close()
	fell := metric(fallback("error")) + metric(fallback("down"))
	if got := report("rep"); got != deals+1 {
		t.Errorf("rep's report on B without the replica: %d deals, want %d", got, deals+1)
	}
	if got := metric(fallback("error")) + metric(fallback("down")); got <= fell {
		t.Errorf("no fallback counted with the replica gone (error+down %v)", got)
	}
	for start := time.Now(); metric("tessera_replica_up") != 0; time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("tessera_replica_up still 1 on B 10 s after the replica went away")
		}
	}
	if got := report("rep"); got != deals+1 {
		t.Errorf("rep's report on B with the replica down: %d deals, want %d", got, deals+1)
	}

	// Jobs are shared as before: each runs exactly once.
	const jobs = 100
	runBinary(t, bin, n.env, "jobs", "enqueue-test", "--count", strconv.Itoa(jobs), "--sleep", "10ms")
	exactlyOnce(t, waitAllDone(t, openDB(t, "", dburl), jobs, 40*time.Second), jobs)
	n.stop(t)
}
