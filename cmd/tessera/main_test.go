package main

// End-to-end tests of the binary's entry point: Main runs exactly as
// main() does, with real flags, a real listener on port 0 and a real
// database (SQLite in a temporary directory; PostgreSQL in a throwaway
// schema when TESSERA_TEST_DATABASE_URL is set).

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/store/storetest"
)

// output is a goroutine-safe stdout/stderr that also reports the URL the
// server prints when it is ready.
type output struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	url  chan string
	sent bool
}

var urlRE = regexp.MustCompile(`Tessera is running at (http://\S+)`)

func newOutput() *output { return &output{url: make(chan string, 1)} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	if !o.sent {
		if m := urlRE.FindSubmatch(o.buf.Bytes()); m != nil {
			o.sent = true
			o.url <- string(m[1])
		}
	}
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// cleanEnv hides TESSERA_* variables of the developer's shell, so only
// the flags given count.
func cleanEnv(t *testing.T) {
	for _, o := range options {
		t.Setenv(o.env, "")
		os.Unsetenv(o.env)
	}
}

// run calls Main to completion and returns its output.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out := newOutput()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := Main(ctx, args, out, out)
	return out.String(), err
}

// dialects yields the database flags per available dialect.
func dialects(t *testing.T, fn func(t *testing.T, db []string)) {
	t.Run("sqlite", func(t *testing.T) {
		cleanEnv(t)
		fn(t, []string{"--data", t.TempDir()})
	})
	base := os.Getenv(storetest.EnvURL)
	t.Run("postgres", func(t *testing.T) {
		if base == "" {
			t.Skip(storetest.EnvURL + " not set")
		}
		cleanEnv(t)
		u, _ := storetest.SchemaURL(t, base)
		fn(t, []string{"--data", t.TempDir(), "--database", u})
	})
}

func TestUsage(t *testing.T) {
	cleanEnv(t)
	if _, err := run(t); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("no arguments: %v", err)
	}
	if _, err := run(t, "frobnicate"); err == nil || !strings.Contains(err.Error(), "frobnicate") {
		t.Errorf("unknown command: %v", err)
	}
	if _, err := run(t, "user", "delete"); err == nil {
		t.Error("user delete: no error")
	}
	out, err := run(t, "help")
	if err != nil || !strings.Contains(out, "tessera serve") {
		t.Errorf("help: %v, %q", err, out)
	}
	if _, err := run(t, "serve", "--no-such-flag"); err == nil {
		t.Error("unknown flag: no error")
	}
	if _, err := run(t, "serve", "--trusted-proxies", "10.0.0.0/8, proxy.local", "--data", t.TempDir()); err == nil ||
		!strings.Contains(err.Error(), `"proxy.local"`) {
		t.Errorf("bad trusted proxy: %v", err)
	}
	if _, err := run(t, "migrate", "--database", "mysql://x", "--data", t.TempDir()); err == nil || !strings.Contains(err.Error(), "postgres://") {
		t.Errorf("non-postgres URL: %v", err)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	dialects(t, func(t *testing.T, db []string) {
		for i := range 2 {
			out, err := run(t, append([]string{"migrate"}, db...)...)
			if err != nil {
				t.Fatalf("migrate #%d: %v\n%s", i+1, err, out)
			}
			if !strings.Contains(out, "migrations applied") {
				t.Errorf("migrate #%d output: %q", i+1, out)
			}
		}
	})
}

func TestUserCreate(t *testing.T) {
	dialects(t, func(t *testing.T, db []string) {
		args := append([]string{"user", "create", "--email", "Boss@Example.com", "--password", "s3cret-pass", "--admin"}, db...)
		out, err := run(t, args...)
		if err != nil || !strings.Contains(out, "created user boss@example.com") || !strings.Contains(out, "admin=true") {
			t.Fatalf("user create: %v, %q", err, out)
		}
		if _, err := run(t, args...); err == nil {
			t.Error("creating the same user twice: no error")
		}
		out, err = run(t, append(args, "--if-missing")...)
		if err != nil || !strings.Contains(out, "already exists") {
			t.Errorf("--if-missing: %v, %q", err, out)
		}
		if _, err := run(t, append([]string{"user", "create", "--email", "x@example.com", "--password", "short"}, db...)...); err == nil {
			t.Error("short password: no error")
		}
		if _, err := run(t, append([]string{"user", "create", "--email", "not-an-email", "--password", "long-enough"}, db...)...); err == nil {
			t.Error("bad email: no error")
		}
	})
}

func TestServe(t *testing.T) {
	dialects(t, func(t *testing.T, db []string) {
		const email, pw = "admin@example.com", "tessera-admin"
		if out, err := run(t, append([]string{"user", "create", "--email", email, "--password", pw, "--admin"}, db...)...); err != nil {
			t.Fatalf("user create: %v\n%s", err, out)
		}

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stdout, stderr := newOutput(), newOutput()
		done := make(chan error, 1)
		go func() {
			done <- Main(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, db...), stdout, stderr)
		}()
		var base string
		select {
		case base = <-stdout.url:
		case err := <-done:
			t.Fatalf("serve returned before it was ready: %v\nstdout: %s\nstderr: %s", err, stdout, stderr)
		case <-time.After(20 * time.Second):
			t.Fatalf("no URL printed\nstdout: %s\nstderr: %s", stdout, stderr)
		}
		if strings.HasSuffix(base, ":0") || strings.Contains(stdout.String(), "No users yet") {
			t.Errorf("startup output: %s", stdout)
		}

		// Health names the dialect in use.
		var health map[string]string
		getJSON(t, base+"/healthz", "", 200, &health)
		want := "sqlite"
		if len(db) > 2 {
			want = "postgres"
		}
		if health["status"] != "ok" || health["database"] != want {
			t.Errorf("healthz: %v", health)
		}

		// Sign in as the user created by the CLI, and use the token.
		res, err := http.Post(base+"/api/auth/login", "application/json",
			strings.NewReader(`{"email":"`+email+`","password":"`+pw+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		var login struct {
			Token string `json:"token"`
			User  struct {
				Email   string `json:"email"`
				IsAdmin bool   `json:"is_admin"`
			} `json:"user"`
		}
		json.NewDecoder(res.Body).Decode(&login)
		res.Body.Close()
		if res.StatusCode != 200 || login.Token == "" || login.User.Email != email || !login.User.IsAdmin {
			t.Fatalf("login: status %d, %+v", res.StatusCode, login)
		}
		var me map[string]any
		getJSON(t, base+"/api/auth/me", login.Token, 200, &me)
		if me["email"] != email {
			t.Errorf("me: %v", me)
		}
		getJSON(t, base+"/api/apps", "", 401, nil)

		// Cancelling the context shuts down gracefully: Main returns nil and
		// the port is closed.
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v after cancel, want nil\nstderr: %s", err, stderr)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not return after cancel")
		}
		if c, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
			c.Close()
			t.Error("still listening after shutdown")
		}
		if !strings.Contains(stderr.String(), "shutting down") {
			t.Errorf("no shutdown log: %s", stderr)
		}
	})
}

func TestServeAddressInUse(t *testing.T) {
	cleanEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	out, err := run(t, "serve", "--addr", ln.Addr().String(), "--data", t.TempDir())
	if err == nil {
		t.Fatalf("serve on a used port returned nil\n%s", out)
	}
}

func TestServeFreshDatabaseGreets(t *testing.T) {
	cleanEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := newOutput()
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, out, io.Discard)
	}()
	select {
	case <-out.url:
	case err := <-done:
		t.Fatalf("serve: %v\n%s", err, out)
	case <-time.After(20 * time.Second):
		t.Fatal("no URL printed")
	}
	// The greeting comes right after the URL line.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "/api/openapi.json") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "No users yet") {
		t.Errorf("fresh database without a hint to create a user: %s", out)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}

// getJSON GETs url (with a bearer token when given), checks the status
// and decodes the body into v (unless v is nil).
func getJSON(t *testing.T, url, token string, status int, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		t.Fatalf("GET %s: status %d, want %d: %s", url, res.StatusCode, status, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v: %s", url, err, body)
		}
	}
}
