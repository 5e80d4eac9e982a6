package main

// `tessera template …` against the database of a running `tessera serve`:
// the server picks up an install and an upgrade made by the CLI without a
// restart (cache_versions: NOTIFY on PostgreSQL, the watcher's poll on
// SQLite), and lint works offline with errors naming file and pointer.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

func TestTemplateCLIAgainstRunningServer(t *testing.T) {
	bin := buildBinary(t)
	example := filepath.Join("..", "..", "examples", "training-school")
	dbs := map[string]string{"sqlite": ""}
	if base := os.Getenv(storetest.EnvURL); base != "" {
		dbs["postgres"], _ = storetest.SchemaURL(t, base)
	}
	for name, url := range dbs {
		t.Run(name, func(t *testing.T) {
			env := processEnv("TESSERA_DATA="+t.TempDir(), "TESSERA_DATABASE_URL="+url)
			// Lint needs no database at all.
			if out := runBinary(t, bin, processEnv(), "template", "lint", example, "--sample-data"); !strings.Contains(out, "ok") {
				t.Fatalf("lint: %s", out)
			}
			bad := t.TempDir()
			copyDir(t, example, bad)
			rule := filepath.Join(bad, "rules", "payment_receipt.json")
			b, _ := os.ReadFile(rule)
			os.WriteFile(rule, []byte(strings.Replace(string(b), `"module": "payment"`, `"module": "invoice"`, 1)), 0o644)
			out, err := runBinaryErr(bin, processEnv("LANG=zh_CN.UTF-8"), "template", "lint", bad)
			if err == nil || !strings.Contains(out, "rules/payment_receipt.json#/module") || !strings.Contains(out, "模板包中没有该模块") {
				t.Fatalf("lint of a dangling reference: %v %s", err, out)
			}

			runBinary(t, bin, env, "migrate")
			runBinary(t, bin, env, "user", "create", "--email", "admin@example.com", "--password", apitest.Password, "--admin")
			srv := startServe(t, bin, env)
			c := login(t, srv)
			c.Do(t, "admin", "GET", "/api/apps/training_school", nil).Want(t, 404)
			if out := runBinary(t, bin, env, "template", "install", example, "--sample-data"); !strings.Contains(out, "installed training-school 1.0.0 as app training_school") {
				t.Fatalf("install: %s", out)
			}
			c.Do(t, "admin", "GET", "/api/apps/training_school/modules/course/records", nil).Want(t, 200)
			// The server has the module cached now; an upgrade by the CLI
			// adds a field, which the server must accept within seconds.
			v11 := t.TempDir()
			copyDir(t, example, v11)
			m := filepath.Join(v11, "template.json")
			b, _ = os.ReadFile(m)
			os.WriteFile(m, []byte(strings.Replace(string(b), `"1.0.0"`, `"1.1.0"`, 1)), 0o644)
			course := filepath.Join(v11, "modules", "course.json")
			b, _ = os.ReadFile(course)
			os.WriteFile(course, []byte(strings.Replace(string(b), `"lessons": {`,
				`"capacity": {"x-field": {"type": "integer", "label": {"zh-CN": "名额", "en": "Capacity"}}},
      "lessons": {`, 1)), 0o644)
			plan := runBinary(t, bin, env, "template", "upgrade", v11)
			if !strings.Contains(plan, "/schema/properties/capacity") || !strings.Contains(plan, "not applied") {
				t.Fatalf("plan: %s", plan)
			}
			recs := "/api/apps/training_school/modules/course/records"
			c.Do(t, "admin", "POST", recs, map[string]any{"name": "early", "fee": 1, "capacity": 9}).Want(t, 422)
			if out := runBinary(t, bin, env, "template", "upgrade", v11, "--yes"); !strings.Contains(out, "applied") {
				t.Fatalf("upgrade: %s", out)
			}
			start := time.Now()
			for {
				r, err := c.Try("admin", "POST", recs, map[string]any{"name": "late", "fee": 1, "capacity": 9})
				if err == nil && r.Status == 201 {
					t.Logf("server accepts the upgraded module after %v", time.Since(start).Round(time.Millisecond))
					break
				}
				if time.Since(start) > 10*time.Second {
					t.Fatalf("server still refuses the new field: %v", r)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if out := runBinary(t, bin, env, "template", "list"); !strings.Contains(out, "training_school\ttraining-school\t1.1.0") {
				t.Fatalf("list: %s", out)
			}
			exp := t.TempDir()
			runBinary(t, bin, env, "template", "export", "training_school", exp)
			if _, err := os.Stat(filepath.Join(exp, "modules", "course.json")); err != nil {
				t.Fatal(err)
			}
			runBinary(t, bin, env, "template", "uninstall", "training_school", "--purge")
			c.Do(t, "admin", "GET", "/api/apps/training_school", nil).Want(t, 404)
		})
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
