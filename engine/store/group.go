package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit (SQLite). SQLite has one writer, so concurrent write
// transactions take turns on the writer connection anyway; what each turn
// costs beyond its statements is the commit: the WAL frames of every page
// it dirtied (the table's, its indexes', the audit log's, the jobs'),
// and the checkpoints those frames bring about. The committer lets
// the transactions that queue for the writer share one: while a member runs,
// the ones arriving wait for their turn; each runs inside a savepoint of
// the open transaction (released when it returns nil, rolled back to when
// it fails, so one member's failure undoes only its own changes), and the
// member that finds nobody waiting after it commits for all. Every member
// returns only after that commit: its answer never tells of a change that
// is not committed. With nobody else writing, a group is one member and
// costs two statements (SAVEPOINT, RELEASE) more than a plain
// transaction.
const (
	// groupMax bounds a group, so a steady queue cannot hold the first
	// member's answer back indefinitely.
	groupMax = 64
	// groupAge bounds it in time too: a member arriving later than this
	// after the group began waits for the next one.
	groupAge = 20 * time.Millisecond
)

// committer serializes the write transactions of InTx on SQLite and
// groups them.
type committer struct {
	s *Store
	// turn is held by the member running in the open transaction (and by
	// whoever begins or commits it).
	turn sync.Mutex
	// waiting counts the members queued for the turn: the member ending
	// its turn commits only when it is zero.
	waiting atomic.Int32
	open    *group // the group with an open transaction, nil between groups
	// members and commits count what ran, for GroupStats.
	members, commits atomic.Int64
	stmts            writeStmts  // the members' statements, prepared
	off              atomic.Bool // SetGrouping(false): InTx runs transactions of their own
}

// writeStmts keeps the statements members run prepared on the writer
// connection, so SQLite parses each once, not once per write (preparing was
// a fifth of a create's time in its transaction). A statement cannot be
// prepared on the connection while a group's transaction holds it, so a
// query seen for the first time runs unprepared and is noted; it is
// prepared before the next group begins, when the connection is free.
// PostgreSQL needs none of this: pgx caches prepared statements per
// connection by itself.
type writeStmts struct {
	mu      sync.Mutex
	ready   map[string]*sql.Stmt
	pending map[string]bool
}

// writeStmtsMax bounds the cache: module schemas change, and every shape
// of INSERT or UPDATE (the fields given) is a statement of its own.
// Past it, new statements are parsed each time, as without a cache.
const writeStmtsMax = 1000

// get returns q prepared, or nil (and notes q) when it is not yet.
func (c *writeStmts) get(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.ready[q]; ok {
		return st
	}
	if len(c.ready)+len(c.pending) < writeStmtsMax {
		if c.pending == nil {
			c.pending = map[string]bool{}
		}
		c.pending[q] = true
	}
	return nil
}

// prepare prepares the noted statements on db. It runs between groups,
// holding the turn but no connection; a statement that does not prepare
// (its table was dropped meanwhile) is forgotten.
func (c *writeStmts) prepare(db *sql.DB) {
	c.mu.Lock()
	qs := c.pending
	c.pending = nil
	c.mu.Unlock()
	for q := range qs {
		st, err := db.Prepare(q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if c.ready == nil {
			c.ready = map[string]*sql.Stmt{}
		}
		c.ready[q] = st
		c.mu.Unlock()
	}
}

// SetGrouping turns group commit on SQLite on (the default) or off, for
// benches comparing the two; it does nothing on PostgreSQL. Transactions
// under way finish as they began.
func (s *Store) SetGrouping(on bool) {
	if s.group != nil {
		s.group.off.Store(!on)
	}
}

// GroupStats returns how many write transactions InTx ran and in how many
// commits, since the store was opened (0, 0 on PostgreSQL, which does not
// group). Their quotient is the mean group size.
func (s *Store) GroupStats() (transactions, commits int64) {
	if s.group == nil {
		return 0, 0
	}
	return s.group.members.Load(), s.group.commits.Load()
}

// group is one shared transaction and what its members wait for.
type group struct {
	tx       *sql.Tx
	began    time.Time
	members  int
	enqueued bool          // a member enqueued a job: wake the runner after the commit
	done     chan struct{} // closed after the commit (or rollback)
	err      error         // the commit's error, set before done closes
}

// errGroupLost is what the other members of a group get when the shared
// transaction itself failed (not a member's statement, which its
// savepoint undoes): SQLite rolled it back, so none of them committed.
var errGroupLost = errors.New("store: the shared write transaction was lost")

// run runs fn as a member of a group and returns once the group has
// committed (fn's own error when fn failed: its changes were undone).
func (c *committer) run(ctx context.Context, fn func(tx *Tx) error) (err error) {
	c.waiting.Add(1)
	c.turn.Lock()
	c.waiting.Add(-1)
	g := c.open
	if g == nil {
		c.stmts.prepare(c.s.W)
		// The transaction belongs to the group, not to this member's
		// request: a cancelled request must not roll the others back.
		sqlTx, err := c.s.W.BeginTx(context.Background(), nil)
		if err != nil {
			c.turn.Unlock()
			return err
		}
		g = &group{tx: sqlTx, began: time.Now(), done: make(chan struct{})}
		c.open = g
	}
	g.members++
	c.members.Add(1)
	panicked, own, lost := c.member(ctx, g, fn)
	if lost != nil {
		// The transaction is gone with every member's changes: end the
		// group now, each member learns it from g.err.
		c.open = nil
		g.tx.Rollback()
		g.err = fmt.Errorf("%w: %w", errGroupLost, lost)
		close(g.done)
		c.turn.Unlock()
	} else if c.waiting.Load() == 0 || g.members >= groupMax || time.Since(g.began) >= groupAge {
		c.open = nil
		g.err = g.tx.Commit()
		c.commits.Add(1)
		if g.err == nil && g.enqueued && c.s.JobsCommitted != nil {
			c.s.JobsCommitted()
		}
		close(g.done)
		c.turn.Unlock()
	} else {
		c.turn.Unlock()
		<-g.done
	}
	if panicked != nil {
		panic(panicked)
	}
	if own != nil {
		return own
	}
	return g.err
}

// member runs fn inside a savepoint of g's transaction. own is fn's error
// (its savepoint rolled back); lost is set when the shared transaction
// did not survive; panicked is what fn panicked with, after the savepoint
// was rolled back (to be raised again in the caller's goroutine once the
// group is taken care of).
func (c *committer) member(ctx context.Context, g *group, fn func(tx *Tx) error) (panicked any, own, lost error) {
	if err := ctx.Err(); err != nil {
		return nil, err, nil // gave up while waiting for its turn: nothing ran
	}
	if _, err := g.tx.Exec(`SAVEPOINT tessera_member`); err != nil {
		return nil, err, err
	}
	tx := &Tx{Tx: g.tx, D: c.s.D, Now: c.s.Now(), grouped: true, prepared: &c.stmts}
	func() {
		defer func() {
			if p := recover(); p != nil {
				panicked = p
				own = fmt.Errorf("store: write transaction panicked: %v", p)
			}
		}()
		own = fn(tx)
	}()
	if own == nil && ctx.Err() != nil {
		// The request went away meanwhile. Its statements ran to their end
		// (see Tx.grouped); its changes go, as on a transaction of its own,
		// which the cancellation rolls back.
		own = ctx.Err()
	}
	if own != nil {
		if _, err := g.tx.Exec(`ROLLBACK TO SAVEPOINT tessera_member`); err != nil {
			return panicked, own, err
		}
	}
	if _, err := g.tx.Exec(`RELEASE SAVEPOINT tessera_member`); err != nil {
		return panicked, own, err
	}
	if own == nil && tx.enqueued {
		g.enqueued = true
	}
	return panicked, own, nil
}
