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
	"net/url"
	"os"
	"strings"
	"testing"

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
