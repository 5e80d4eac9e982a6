// Package store is Tessera's only door to the database. It hides the two
// dialects (embedded SQLite, PostgreSQL) behind one API: system migrations,
// metadata persistence, the DDL sync that keeps each module's real table in
// step with its schema, and record reads and writes. Authorization and
// validation happen above it (engine/record); the store trusts its caller
// and only ever builds SQL from validated metadata keys, with every value
// bound as a parameter.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // driver "sqlite"

	"github.com/tessera-app/tessera/migrations"
)

// Store holds the database handles and the dialect.
type Store struct {
	// W takes every write. On SQLite it is a single connection (SQLite has
	// one writer anyway; queuing in Go beats SQLITE_BUSY retries).
	W *sql.DB
	// R serves reads: a pool of read-only connections on SQLite, a second
	// pool on PostgreSQL (so reads never wait for a writer's connection).
	R *sql.DB
	D Dialect
	// Now is the clock; tests replace it.
	Now func() time.Time
	// JobsCommitted, when set, is called after a transaction of InTx that
	// enqueued jobs commits — the job runner's Notify, so after-commit work
	// starts at once instead of at the runner's next poll. It must not
	// block.
	JobsCommitted func()

	url string // the PostgreSQL URL ("" on SQLite), for Listen

	stmts stmtCache // prepared record reads (stmts.go)

	// group shares write transactions on SQLite (group.go); nil on
	// PostgreSQL, where every transaction has a connection of its own.
	group *committer

	// rep is the read replica, when attached (replica.go).
	rep *replica
}

// Open connects to PostgreSQL when url is set (postgres://…), otherwise to
// the SQLite file tessera.db inside dataDir (created if missing).
func Open(ctx context.Context, dataDir, url string) (*Store, error) {
	s := &Store{Now: func() time.Time { return time.Now().UTC() }, url: url}
	var err error
	if url != "" {
		if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
			return nil, fmt.Errorf("database URL must start with postgres:// (got %q)", redact(url))
		}
		s.D = postgresDialect{}
		if s.W, err = sql.Open("pgx", url); err != nil {
			return nil, err
		}
		s.W.SetMaxOpenConns(20)
		s.W.SetMaxIdleConns(20)
		s.W.SetConnMaxIdleTime(5 * time.Minute)
		// Reads get a pool of their own, as on SQLite. Code running inside
		// a write transaction (hooks reading metadata through a cache, say)
		// reads through R: on a shared pool, 20 transactions holding every
		// connection while waiting for a row lock one of them holds, whose
		// owner waits for a connection to read, would wait forever.
		if s.R, err = sql.Open("pgx", url); err != nil {
			s.W.Close()
			return nil, err
		}
		s.R.SetMaxOpenConns(10)
		s.R.SetMaxIdleConns(4)
		s.R.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		if err := os.MkdirAll(dataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		path := filepath.Join(dataDir, "tessera.db")
		s.D = sqliteDialect{}
		if s.W, err = sql.Open("sqlite", sqliteDSN(path, false)); err != nil {
			return nil, err
		}
		s.W.SetMaxOpenConns(1)
		s.W.SetConnMaxIdleTime(0)
		if s.R, err = sql.Open("sqlite", sqliteDSN(path, true)); err != nil {
			return nil, err
		}
		s.R.SetMaxOpenConns(8)
		s.group = &committer{s: s}
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to %s: %w", s.D.Name(), err)
	}
	return s, nil
}

func sqliteDSN(path string, readOnly bool) string {
	q := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=case_sensitive_like(1)" +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_time_format=sqlite"
	if readOnly {
		// Reads map the file (the OS page cache is shared by every
		// connection) instead of each connection's 2 MiB page cache; counts
		// over half of a 100k-row table went from ~400 ms to ~40 ms.
		q += "&_pragma=query_only(1)&_pragma=mmap_size(268435456)"
	} else {
		q += "&_txlock=immediate"
	}
	return "file:" + path + "?" + q
}

func redact(url string) string {
	if i := strings.Index(url, "@"); i > 0 {
		return "…" + url[i:]
	}
	return url
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.W.PingContext(ctx); err != nil {
		return err
	}
	if s.R != s.W {
		return s.R.PingContext(ctx)
	}
	return nil
}

// Close releases the connections.
func (s *Store) Close() error {
	if s.rep != nil {
		s.rep.close()
		s.rep = nil
	}
	s.stmts.closeAll()
	if s.R != nil && s.R != s.W {
		s.R.Close()
	}
	if s.W != nil {
		return s.W.Close()
	}
	return nil
}

// Migrate applies the embedded system migrations for the dialect.
func (s *Store) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations.FS, s.D.Name())
	if err != nil {
		return err
	}
	dialect := goose.DialectSQLite3
	if s.D.Name() == "postgres" {
		dialect = goose.DialectPostgres
	}
	// Out-of-order migrations are applied too: parallel branches of work may
	// number theirs so that an older one lands after a newer one.
	p, err := goose.NewProvider(dialect, s.W, sub, goose.WithAllowOutofOrder(true))
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// Tx is a write transaction with one clock reading shared by every step.
type Tx struct {
	*sql.Tx
	D   Dialect
	Now time.Time
	// enqueued records that EnqueueJob added a job in this transaction.
	enqueued bool
	// buf, when set, holds append-only rows until Flush (bulk.go).
	buf *bulk
	// grouped marks a member of a shared transaction (group.go): its
	// statements run to the end even when its request is cancelled, since
	// SQLite answers an interrupted write by rolling back the whole
	// transaction — every other member's changes too.
	grouped  bool
	prepared *writeStmts // the writer's prepared statements (group.go); nil: none
	memo     map[any]any // values read once per transaction (Memo)
}

// Memo returns the value kept under key in tx, reading it with read the
// first time tx asks. It is for facts a transaction may take as fixed once
// it has written to the table they are about — for example which live
// summaries of a module are ready: a summary build locks the module's table
// (PostgreSQL) or holds the one writer (SQLite), so after the first write
// the answer cannot change before this transaction ends. An error is not
// kept.
func Memo[T any](tx *Tx, key any, read func() (T, error)) (T, error) {
	if v, ok := tx.memo[key]; ok {
		return v.(T), nil
	}
	v, err := read()
	if err != nil {
		return v, err
	}
	if tx.memo == nil {
		tx.memo = map[any]any{}
	}
	tx.memo[key] = v
	return v, nil
}

// stmtCtx is the context a statement of tx runs with.
func (tx *Tx) stmtCtx(ctx context.Context) context.Context {
	if tx.grouped {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// stmt returns query prepared for tx, or nil.
func (tx *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if tx.prepared == nil {
		return nil
	}
	if st := tx.prepared.get(query); st != nil {
		return tx.Tx.StmtContext(ctx, st) // the connection's statement, not a new one
	}
	return nil
}

// ExecContext runs a statement in the transaction.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = tx.stmtCtx(ctx)
	if st := tx.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the transaction.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = tx.stmtCtx(ctx)
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query expected to return at most one row.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = tx.stmtCtx(ctx)
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}

// commit commits tx, notes the commit for read-your-writes (ctx's
// writer, when a replica is attached) and tells s.JobsCommitted when it
// enqueued jobs.
func (s *Store) commit(ctx context.Context, tx *Tx) error {
	if err := tx.Tx.Commit(); err != nil {
		return err
	}
	s.noteCommit(ctx)
	if tx.enqueued && s.JobsCommitted != nil {
		s.JobsCommitted()
	}
	return nil
}

// InTx runs fn in a write transaction, committing when it returns nil.
// Inside Atomic it joins Atomic's transaction instead. On SQLite the
// transaction may be shared with other callers' (group.go): fn's changes
// are its own all the same (a savepoint), and InTx returns only after the
// commit that holds them.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	if tx := ambient(ctx); tx != nil {
		return fn(tx)
	}
	if s.group != nil && !s.group.off.Load() {
		return s.group.run(ctx, fn)
	}
	sqlTx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	tx := &Tx{Tx: sqlTx, D: s.D, Now: s.Now()}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	return s.commit(ctx, tx)
}

// inSchemaTx runs a metadata change plus its DDL in one transaction. On
// SQLite, rebuilding a table requires foreign-key enforcement off for the
// duration (SQLite's documented 12-step procedure); the pragma cannot change
// inside a transaction, so it is set on the dedicated writer connection
// around it and the keys are re-checked before commit.
func (s *Store) inSchemaTx(ctx context.Context, fn func(tx *Tx) error) error {
	if tx := ambient(ctx); tx != nil {
		return fn(tx)
	}
	if s.D.Name() != "sqlite" {
		return s.InTx(ctx, fn)
	}
	conn, err := s.W.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys=OFF"); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), "PRAGMA foreign_keys=ON")
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	tx := &Tx{Tx: sqlTx, D: s.D, Now: s.Now()}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	var n int
	if err := sqlTx.QueryRowContext(ctx, "SELECT count(*) FROM pragma_foreign_key_check").Scan(&n); err != nil {
		sqlTx.Rollback()
		return err
	}
	if n > 0 {
		sqlTx.Rollback()
		return fmt.Errorf("schema change would break %d foreign key references", n)
	}
	return s.commit(ctx, tx)
}

type ambientKey struct{}

// Atomic runs fn so that everything it does through the store with the
// context it is given — every InTx, every metadata change with its DDL
// (both dialects have transactional DDL), every read — is one
// transaction, committed when fn returns nil and rolled back otherwise.
// Services that open their own transactions need no change to take part:
// a template install creates an app, its modules, pipelines, rules and
// sample records through the ordinary services, and a failure anywhere
// leaves the database as it was. On SQLite the transaction is a schema
// transaction (foreign keys off, checked before commit), as table
// rebuilds need.
//
// The writer is held for the whole of fn (on SQLite, the only one), and
// what fn's services cache while it runs may come from the uncommitted
// state: the caller drops those caches when Atomic returns with an error.
func (s *Store) Atomic(ctx context.Context, fn func(ctx context.Context) error) error {
	if ambient(ctx) != nil {
		return fn(ctx)
	}
	return s.inSchemaTx(ctx, func(tx *Tx) error {
		return fn(context.WithValue(ctx, ambientKey{}, tx))
	})
}

// InAtomic reports whether ctx runs inside Atomic.
func InAtomic(ctx context.Context) bool { return ambient(ctx) != nil }

func ambient(ctx context.Context) *Tx {
	tx, _ := ctx.Value(ambientKey{}).(*Tx)
	return tx
}

// rd is where reads made with ctx go: Atomic's transaction inside it (the
// read sees what the transaction wrote, and on SQLite the writer holds the
// only write connection), else the read pool.
func (s *Store) rd(ctx context.Context) queryer {
	if tx := ambient(ctx); tx != nil {
		return tx
	}
	return s.R
}

// queryer is what both *sql.DB and *Tx offer for reads.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}
