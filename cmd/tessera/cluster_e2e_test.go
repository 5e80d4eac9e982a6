package main

// Two `tessera serve` processes (nodes) on one PostgreSQL schema: a schema
// change, a role change, a sign-out and a disabled user on node A take
// effect on node B within a second — B's caches of modules, roles and
// sessions hear of them through cache_versions and NOTIFY (engine/cluster).

import (
	"os"
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
	envA := processEnv("TESSERA_DATA="+t.TempDir(), "TESSERA_DATABASE_URL="+dburl)
	envB := processEnv("TESSERA_DATA="+t.TempDir(), "TESSERA_DATABASE_URL="+dburl)
	runBinary(t, bin, envA, "migrate")
	runBinary(t, bin, envA, "user", "create", "--email", "admin@example.com", "--password", apitest.Password, "--admin")
	nodeA, nodeB := startServe(t, bin, envA), startServe(t, bin, envB)
	a, b := login(t, nodeA), client(t, nodeB)
	b.Tokens["admin"] = a.Tokens["admin"] // sessions live in the database: one token, both nodes

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

	for _, p := range []*serveProc{nodeA, nodeB} {
		p.cmd.Process.Signal(syscall.SIGTERM)
		if err := p.exit(t, 20*time.Second); err != nil {
			t.Errorf("serve exited with %v", err)
		}
	}
}
