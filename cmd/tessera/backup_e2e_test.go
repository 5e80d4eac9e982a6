package main

// Backups with the real binary: `tessera backup` while four clients keep
// creating records, then `tessera restore` into the stopped installation.
// Every record whose create was answered before the backup started is
// back; none whose create started after the backup finished is.

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

func TestBackupUnderWriteLoad(t *testing.T) {
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
			p := startServe(t, bin, env)
			c := login(t, p)
			c.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "b", "label": apitest.Label("B")}).Want(t, 201)
			c.Do(t, "admin", "POST", "/api/apps/b/modules", map[string]any{"key": "note", "label": apitest.Label("Note"),
				"schema": map[string]any{"properties": map[string]any{"name": map[string]any{"x-field": map[string]any{"type": "text"}}}}}).Want(t, 201)

			// Four writers; each create is remembered with when it was sent
			// and when it was answered.
			type created struct{ sent, answered time.Time }
			var mu sync.Mutex
			ids := map[string]created{}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var werr error
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						sent := time.Now()
						r, err := c.Try("admin", "POST", "/api/apps/b/modules/note/records", map[string]any{"name": fmt.Sprintf("w%d-%d", w, i)})
						mu.Lock()
						if err != nil || r.Status != 201 {
							if werr == nil {
								werr = fmt.Errorf("create: %v %v", err, r)
							}
						} else {
							ids[r.Str("id")] = created{sent, time.Now()}
						}
						mu.Unlock()
					}
				}()
			}
			count := func() int { mu.Lock(); defer mu.Unlock(); return len(ids) }
			for deadline := time.Now().Add(20 * time.Second); count() < 100 && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}

			out := filepath.Join(t.TempDir(), "tessera.backup")
			started := time.Now()
			msg := runBinary(t, bin, env, "backup", "--out", out)
			finished := time.Now()
			if !strings.Contains(msg, "backup of the "+dialect) {
				t.Errorf("backup output: %s", msg)
			}
			time.Sleep(300 * time.Millisecond) // more writes after the backup
			close(stop)
			wg.Wait()
			if werr != nil {
				t.Fatal(werr)
			}
			var before, after int
			for _, cr := range ids {
				if cr.answered.Before(started) {
					before++
				}
				if cr.sent.After(finished) {
					after++
				}
			}
			if before < 100 || after == 0 {
				t.Fatalf("the load did not surround the backup: %d creates before it, %d after", before, after)
			}

			// A backup never overwrites a file.
			if msg, err := runBinaryErr(bin, env, "backup", "--out", out); err == nil || !strings.Contains(msg, "already exists") {
				t.Errorf("backup over an existing file: %v %s", err, msg)
			}
			// A restore under a running SQLite server is refused and changes nothing.
			if dialect == "sqlite" {
				if msg, err := runBinaryErr(bin, env, "restore", out); err == nil || !strings.Contains(msg, "stop it before restoring") {
					t.Errorf("restore while serving: %v %s", err, msg)
				}
			}
			// Not a backup at all.
			junk := filepath.Join(t.TempDir(), "junk")
			os.WriteFile(junk, []byte("hello"), 0o600)

			p.cmd.Process.Signal(syscall.SIGTERM)
			p.exit(t, 20*time.Second)
			if msg, err := runBinaryErr(bin, env, "restore", junk); err == nil || !strings.Contains(msg, "not a") {
				t.Errorf("restore of a junk file: %v %s", err, msg)
			}
			msg = runBinary(t, bin, env, "restore", out)
			if !strings.Contains(msg, "migrations applied") {
				t.Errorf("restore output: %s", msg)
			}

			p = startServe(t, bin, env)
			c = login(t, p)
			restored := map[string]bool{}
			for cursor := ""; ; {
				r := c.Do(t, "admin", "GET", "/api/apps/b/modules/note/records?limit=500&cursor="+url.QueryEscape(cursor), nil).Want(t, 200)
				for _, rec := range r.List("records") {
					restored[rec.(map[string]any)["id"].(string)] = true
				}
				if cursor = r.Str("next_cursor"); cursor == "" {
					break
				}
			}
			var missing, late, unknown int
			for id, cr := range ids {
				if cr.answered.Before(started) && !restored[id] {
					missing++
				}
				if cr.sent.After(finished) && restored[id] {
					late++
				}
			}
			for id := range restored {
				if _, ok := ids[id]; !ok {
					unknown++
				}
			}
			if missing > 0 || late > 0 || unknown > 0 {
				t.Errorf("restored %d records: %d committed before the backup are missing, %d created after it are present, %d unknown",
					len(restored), missing, late, unknown)
			}
			t.Logf("%s: %d records committed before the backup, %d restored, %d created after it", dialect, before, len(restored), after)
			p.cmd.Process.Signal(syscall.SIGTERM)
			p.exit(t, 20*time.Second)
		})
	}
}

func login(t *testing.T, p *serveProc) *apitest.Env {
	t.Helper()
	c := client(t, p)
	c.Tokens["admin"] = c.Do(t, "", "POST", "/api/auth/login", map[string]string{"email": "admin@example.com", "password": apitest.Password}).Want(t, 200).Str("token")
	return c
}

// runBinaryErr runs the binary and returns its output and error, for
// commands that are expected to fail.
func runBinaryErr(bin string, env []string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}
