// Package storetest opens fresh, migrated stores for tests: always an
// SQLite database in a temporary directory, and a PostgreSQL database in a
// throwaway schema when TESSERA_TEST_DATABASE_URL is set. Suites written
// against Each therefore form the store's conformance suite on both
// dialects.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tessera-app/tessera/engine/store"
)

// EnvURL names the PostgreSQL test database.
const EnvURL = "TESSERA_TEST_DATABASE_URL"

// Each runs fn once per available dialect as a subtest named after it.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	if os.Getenv(EnvURL) != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
	}
}

// EachShared runs fn once per available dialect with open, which opens
// another store on one database each time it is called: as several
// processes would, with connections of their own.
func EachShared(t *testing.T, fn func(t *testing.T, open func() *store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		fn(t, func() *store.Store { return Open(t, dir, "") })
	})
	if base := os.Getenv(EnvURL); base != "" {
		t.Run("postgres", func(t *testing.T) {
			u, _ := SchemaURL(t, base)
			fn(t, func() *store.Store { return Open(t, "", u) })
		})
	}
}

// Open opens and migrates the store of dataDir or url (see store.Open),
// closed when the test ends.
func Open(t testing.TB, dataDir, url string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dataDir, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// SQLite opens a migrated store in t.TempDir().
func SQLite(t testing.TB) *store.Store {
	t.Helper()
	return Open(t, t.TempDir(), "")
}

// Postgres opens a migrated store in a new schema of the test database; the
// schema is dropped when the test ends. It skips when no URL is set.
func Postgres(t testing.TB) *store.Store {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		t.Skip(EnvURL + " not set")
	}
	u, _ := SchemaURL(t, base)
	return Open(t, "", u)
}

// SchemaURL creates a fresh schema in the database at base and returns a
// URL whose connections use it (search_path), plus the schema name.
func SchemaURL(t testing.TB, base string) (string, string) {
	t.Helper()
	schema := "test_" + strings.ReplaceAll(uuid.NewString()[:13], "-", "")
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}

// Exec runs a statement on the store's writer, failing the test on error.
func Exec(t testing.TB, s *store.Store, q string, args ...any) {
	t.Helper()
	if _, err := s.W.Exec(q, args...); err != nil {
		t.Fatal(fmt.Errorf("%s: %w", q, err))
	}
}

// EnvReplicaURL names a streaming replica of the PostgreSQL test database
// (.ci/replica-setup makes one on port 5433).
const EnvReplicaURL = "TESSERA_TEST_DATABASE_REPLICA_URL"

// ReplicaURL returns the replica's URL with schemaURL's search_path (the
// schema reaches the replica through replication), and holds for the rest
// of the test an advisory lock on the primary that every replica test
// takes, so that a test pausing replay (PauseReplay) never runs beside
// another one reading the replica, in this package or another. It skips,
// saying why, when either test URL is unset.
func ReplicaURL(t testing.TB, schemaURL string) string {
	t.Helper()
	base, rep := os.Getenv(EnvURL), os.Getenv(EnvReplicaURL)
	if base == "" || rep == "" {
		t.Skip("the replica tests need " + EnvURL + " and " + EnvReplicaURL + " (.ci/replica-setup makes a replica)")
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_lock(7357001)`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(7357001)`)
		conn.Close()
		db.Close()
	})
	su, err := url.Parse(schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	ru, err := url.Parse(rep)
	if err != nil {
		t.Fatal(err)
	}
	q := ru.Query()
	q.Set("search_path", su.Query().Get("search_path"))
	ru.RawQuery = q.Encode()
	return ru.String()
}

// PauseReplay pauses WAL replay on the replica at replicaURL (its reads
// then show the primary as it was) until the returned function, or the end
// of the test, resumes it.
func PauseReplay(t testing.TB, replicaURL string) (resume func()) {
	t.Helper()
	db, err := sql.Open("pgx", replicaURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`SELECT pg_wal_replay_pause()`); err != nil {
		db.Close()
		t.Fatal(fmt.Errorf("pause replay (.ci/replica-setup grants it to the test role): %w", err))
	}
	done := false
	resume = func() {
		if done {
			return
		}
		done = true
		if _, err := db.Exec(`SELECT pg_wal_replay_resume()`); err != nil {
			t.Error(err)
		}
		db.Close()
	}
	t.Cleanup(resume)
	return resume
}

// CaughtUp waits until the replica at replicaURL has replayed everything
// the primary at primaryURL has written so far.
func CaughtUp(t testing.TB, primaryURL, replicaURL string) {
	t.Helper()
	p, err := sql.Open("pgx", primaryURL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r, err := sql.Open("pgx", replicaURL)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var lsn string
	if err := p.QueryRow(`SELECT pg_current_wal_lsn()::text`).Scan(&lsn); err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		var ok bool
		if err := r.QueryRow(`SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn`, lsn).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		if time.Since(start) > 2*time.Minute { // it may trail a bulk load elsewhere on the cluster
			t.Fatalf("the replica has not replayed %s after 2 minutes", lsn)
		}
	}
}

// Proxy forwards TCP connections to a database until closed, when it drops
// them all: a database that goes away.
type Proxy struct {
	// URL is the target's URL with the proxy's address.
	URL   string
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

// StartProxy starts a proxy to the database at target, closed when the
// test ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln}
	addr := u.Host
	u.Host = ln.Addr().String()
	p.URL = u.String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, d)
			p.mu.Unlock()
			go func() { io.Copy(d, c); d.Close() }()
			go func() { io.Copy(c, d); c.Close() }()
		}
	}()
	t.Cleanup(p.Close)
	return p
}

// Close stops accepting and drops every forwarded connection.
func (p *Proxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
