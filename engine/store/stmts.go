package store

import (
	"context"
	"database/sql"
	"sync"

	"github.com/tessera-app/tessera/engine/meta"
)

// Record reads (lists, gets) run through prepared statements kept per
// module version, so SQLite does not parse and plan the same SELECT on
// every request (a tenth of a list request's time before).
//
// On PostgreSQL, pgx already does this: its default exec mode
// (QueryExecModeCacheStatement) prepares each distinct SQL text once per
// connection and keeps up to 512 of them. On SQLite (modernc), every
// db.Query prepares and finalizes, so the store keeps database/sql
// statements itself; database/sql prepares each lazily on every pooled
// connection it runs on.
//
// Statements are keyed by their text, which names the module version
// (tableRef's /* vN */): a schema change makes new texts, and the first
// read of a new version closes the statements of the older ones. Values
// are always bound parameters; only the text, built from validated keys,
// is cached.

// maxModuleStmts bounds the statements kept per module (filters of
// different shapes, limits): when full it starts over.
const maxModuleStmts = 64

type stmtCache struct {
	mu   sync.Mutex
	mods map[string]*moduleStmts // by module id
}

type moduleStmts struct {
	version int
	byText  map[string]*cachedStmt
}

// cachedStmt counts the queries starting on it, so that an eviction
// never closes a statement between its lookup and its query (a query
// already running keeps it open on its own: database/sql closes a
// statement only once its rows are closed).
type cachedStmt struct {
	stmt  *sql.Stmt
	users int
	dead  bool
}

// query runs a read of m's records on R (or on the read replica, when
// ctx allows it: PostgreSQL only, see replica.go).
func (s *Store) query(ctx context.Context, m *meta.Module, q string, args ...any) (*sql.Rows, error) {
	if tx := ambient(ctx); tx != nil {
		// Inside Atomic: the transaction's own view (see rd).
		return tx.QueryContext(ctx, q, args...)
	}
	if s.D.Name() != "sqlite" {
		return s.readQuery(ctx, q, args...)
	}
	cs, err := s.stmts.acquire(ctx, s.R, m, q)
	if err != nil {
		return nil, err
	}
	rows, err := cs.stmt.QueryContext(ctx, args...)
	s.stmts.release(cs)
	return rows, err
}

func (c *stmtCache) acquire(ctx context.Context, db *sql.DB, m *meta.Module, q string) (*cachedStmt, error) {
	c.mu.Lock()
	ms := c.mods[m.ID]
	if ms != nil && ms.version == m.Version {
		if cs := ms.byText[q]; cs != nil {
			cs.users++
			c.mu.Unlock()
			return cs, nil
		}
	}
	c.mu.Unlock()

	// Prepared outside the lock: preparing takes a connection.
	stmt, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	cs := &cachedStmt{stmt: stmt, users: 1}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mods == nil {
		c.mods = map[string]*moduleStmts{}
	}
	ms = c.mods[m.ID]
	switch {
	case ms != nil && ms.version > m.Version:
		// A reader still on an older version: run it, keep nothing.
		cs.dead = true
		return cs, nil
	case ms == nil || ms.version < m.Version || len(ms.byText) >= maxModuleStmts:
		if ms != nil {
			ms.closeAll()
		}
		ms = &moduleStmts{version: m.Version, byText: map[string]*cachedStmt{}}
		c.mods[m.ID] = ms
	}
	if old := ms.byText[q]; old != nil {
		// Another request prepared the same text meanwhile: use theirs.
		cs.dead = true
		c.closeIfIdle(cs)
		old.users++
		return old, nil
	}
	ms.byText[q] = cs
	return cs, nil
}

func (c *stmtCache) release(cs *cachedStmt) {
	c.mu.Lock()
	cs.users--
	c.closeIfIdle(cs)
	c.mu.Unlock()
}

func (c *stmtCache) closeIfIdle(cs *cachedStmt) {
	if cs.dead && cs.users == 0 && cs.stmt != nil {
		cs.stmt.Close()
		cs.stmt = nil
	}
}

// forget drops the statements of a module (deleted, or its table gone).
func (c *stmtCache) forget(moduleID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ms := c.mods[moduleID]; ms != nil {
		ms.closeAll()
		delete(c.mods, moduleID)
	}
}

func (ms *moduleStmts) closeAll() {
	for _, cs := range ms.byText {
		cs.dead = true
		if cs.users == 0 {
			cs.stmt.Close()
			cs.stmt = nil
		}
	}
}

// closeAll closes every cached statement (Close).
func (c *stmtCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, ms := range c.mods {
		ms.closeAll()
		delete(c.mods, id)
	}
}
