package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// A read replica (PostgreSQL streaming standby) serves the reads of
// reports, dashboards and exports — the requests and jobs that mark their
// context with ReadFromReplica; every other read, and every read of
// metadata, principals and sessions even in those requests, stays on the
// primary (R). The SQL is the same on both, scopes included: only the
// handle changes.
//
// Read-your-writes: the store notes when each user's write transaction
// commits (the user comes from WithWriter). A monitor reads the primary's
// pg_current_wal_lsn() and then the replica's pg_last_wal_replay_lsn()
// every interval; when the replica has replayed an LSN read from the
// primary at instant t, everything committed before t is on the replica
// (visibleAt). A user whose last commit is not before visibleAt reads from
// the primary. This costs writes nothing (no LSN query after each
// commit); the price is that a writer stays on the primary for about one
// interval plus the replica's lag. Writes are noted per process: a user
// whose next request reaches another node is covered there only through
// the lag bound (export jobs carry the primary's LSN, see
// PendingWriteLSN, so an export reads what its creator wrote on whichever
// node runs it).
//
// A replica that is down, not a standby, or behind by more than MaxLag
// (now − visibleAt) gets no reads; a query that fails on the replica is
// run again on the primary. Each such read is counted by reason.

// Reasons a replica-eligible read went to the primary.
const (
	FallbackRecentWrite = "recent_write" // the user's own write is not replayed yet
	FallbackLag         = "lag"          // the replica is behind by more than MaxLag
	FallbackDown        = "down"         // the replica does not answer or is not a standby
	FallbackError       = "error"        // the query failed on the replica and ran again on the primary
)

var fallbackReasons = []string{FallbackRecentWrite, FallbackLag, FallbackDown, FallbackError}

// Replica defaults.
const (
	DefaultReplicaMaxLag   = 10 * time.Second
	DefaultReplicaInterval = 250 * time.Millisecond
)

// ReplicaOptions tune a read replica.
type ReplicaOptions struct {
	// MaxLag is how far behind the replica may be and still serve reads
	// (DefaultReplicaMaxLag when zero).
	MaxLag time.Duration
	// Interval is how often the monitor measures the lag
	// (DefaultReplicaInterval when zero).
	Interval time.Duration
}

// ReplicaStats is what the monitor knows, for metrics and logs.
type ReplicaStats struct {
	Up bool
	// Lag is how old the primary state the replica shows is (now −
	// visibleAt); LagBytes the WAL not yet replayed at the last check.
	Lag       time.Duration
	LagBytes  int64
	LastError string
	// Reads counts queries the replica answered; Fallbacks the
	// replica-eligible ones the primary answered, by reason.
	Reads     int64
	Fallbacks map[string]int64
}

type lsnSample struct {
	at  time.Time
	lsn uint64
}

type replica struct {
	db       *sql.DB
	maxLag   time.Duration
	interval time.Duration
	stop     context.CancelFunc
	done     chan struct{}

	mu        sync.Mutex
	up        bool
	checked   time.Time   // the last good check
	visibleAt time.Time   // the primary as of this instant is on the replica
	samples   []lsnSample // primary LSNs not yet replayed, oldest first
	replay    uint64
	primary   uint64
	lastErr   string
	writes    map[string]time.Time // user → their last commit not known replayed

	reads     atomic.Int64
	fallbacks map[string]*atomic.Int64
}

// maxSamples bounds the samples kept while the replica is behind (at the
// default interval, ten minutes' worth); dropping the oldest only makes
// visibleAt older, never newer than the truth.
const maxSamples = 2400

// AttachReplica connects the read replica at url (PostgreSQL only) and
// starts its monitor, which stops with Close. A replica that does not
// answer yet is attached anyway (reads go to the primary until it does);
// one that answers but is not a standby is refused, as is SQLite.
func (s *Store) AttachReplica(ctx context.Context, url string, o ReplicaOptions) error {
	if s.D.Name() != "postgres" {
		return errors.New("a read replica needs PostgreSQL (--database postgres://…): SQLite has no replicas")
	}
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		return fmt.Errorf("replica URL must start with postgres:// (got %q)", redact(url))
	}
	if s.rep != nil {
		return errors.New("a read replica is already attached")
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(10)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	r := &replica{db: db, maxLag: o.MaxLag, interval: o.Interval, writes: map[string]time.Time{},
		fallbacks: map[string]*atomic.Int64{}, done: make(chan struct{})}
	if r.maxLag <= 0 {
		r.maxLag = DefaultReplicaMaxLag
	}
	if r.interval <= 0 {
		r.interval = DefaultReplicaInterval
	}
	for _, k := range fallbackReasons {
		r.fallbacks[k] = new(atomic.Int64)
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var standby bool
	if err := db.QueryRowContext(cctx, `SELECT pg_is_in_recovery()`).Scan(&standby); err == nil && !standby {
		db.Close()
		return fmt.Errorf("the replica at %s is not a standby (pg_is_in_recovery() is false): point it at a streaming replica of the primary", redact(url))
	}
	r.check(cctx, s.R)
	mctx, stop := context.WithCancel(context.Background())
	r.stop = stop
	s.rep = r
	go r.monitor(mctx, s.R)
	return nil
}

// HasReplica reports whether a read replica is attached.
func (s *Store) HasReplica() bool { return s.rep != nil }

// ReplicaDB is the replica's pool (nil without one), for its pool metrics.
func (s *Store) ReplicaDB() *sql.DB {
	if s.rep == nil {
		return nil
	}
	return s.rep.db
}

// ReplicaStats reports the replica's state (the zero value without one).
func (s *Store) ReplicaStats() ReplicaStats {
	r := s.rep
	if r == nil {
		return ReplicaStats{}
	}
	r.mu.Lock()
	st := ReplicaStats{Up: r.upLocked(), LastError: r.lastErr, Lag: r.lagLocked()}
	if r.primary > r.replay {
		st.LagBytes = int64(r.primary - r.replay)
	}
	r.mu.Unlock()
	st.Reads = r.reads.Load()
	st.Fallbacks = make(map[string]int64, len(r.fallbacks))
	for k, n := range r.fallbacks {
		st.Fallbacks[k] = n.Load()
	}
	return st
}

func (r *replica) close() {
	r.stop()
	<-r.done
	r.db.Close()
}

// monitor checks every interval until ctx ends; a check's queries time
// out after four intervals (at least a second), so an unreachable replica
// delays the next check rather than hanging the monitor.
func (r *replica) monitor(ctx context.Context, primary *sql.DB) {
	defer close(r.done)
	timeout := max(time.Second, 4*r.interval)
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(r.interval):
			cctx, cancel := context.WithTimeout(ctx, timeout)
			r.check(cctx, primary)
			cancel()
		}
	}
}

// check reads the primary's LSN, then the replica's replay position: the
// replica having replayed a primary LSN read at t holds everything
// committed before t.
func (r *replica) check(ctx context.Context, primary *sql.DB) {
	at := time.Now()
	var cur string
	if err := primary.QueryRowContext(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&cur); err != nil {
		return // nothing to measure against; the replica's state stands
	}
	lsn, err := parseLSN(cur)
	if err != nil {
		return
	}
	var standby bool
	var replay sql.NullString
	err = r.db.QueryRowContext(ctx, `SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text`).Scan(&standby, &replay)
	var rl uint64
	if err == nil && (!standby || !replay.Valid) {
		err = errors.New("not a standby (pg_is_in_recovery() is false)")
	}
	if err == nil {
		rl, err = parseLSN(replay.String)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, lsnSample{at: at, lsn: lsn})
	if len(r.samples) > maxSamples {
		r.samples = r.samples[len(r.samples)-maxSamples:]
	}
	r.primary = lsn
	if err != nil {
		r.up, r.lastErr = false, err.Error()
		return
	}
	r.up, r.lastErr, r.checked, r.replay = true, "", time.Now(), rl
	i := -1
	for j, sm := range r.samples {
		if sm.lsn <= rl {
			i = j
		}
	}
	if i >= 0 {
		r.visibleAt = r.samples[i].at
		r.samples = r.samples[i+1:]
		for u, w := range r.writes {
			if w.Before(r.visibleAt) {
				delete(r.writes, u)
			}
		}
	}
}

// upLocked: the last check succeeded, and recently (a monitor stuck in
// timeouts is no news of a healthy replica).
func (r *replica) upLocked() bool {
	return r.up && time.Since(r.checked) < 4*r.interval+2*time.Second
}

// lagLocked is now − visibleAt; before the replica has replayed any
// sample, at least the age of the oldest one (-1 before any check).
func (r *replica) lagLocked() time.Duration {
	switch {
	case !r.visibleAt.IsZero():
		return time.Since(r.visibleAt)
	case len(r.samples) > 0:
		return time.Since(r.samples[0].at)
	}
	return -1
}

// route says whether a replica-eligible read of user (after the primary's
// LSN min, when set) may go to the replica, and if not why.
func (r *replica) route(user string, min uint64) (bool, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case !r.upLocked():
		return false, FallbackDown
	case r.visibleAt.IsZero() || r.lagLocked() > r.maxLag:
		return false, FallbackLag
	case min > r.replay:
		return false, FallbackRecentWrite
	}
	if w, ok := r.writes[user]; ok && !w.Before(r.visibleAt) {
		return false, FallbackRecentWrite
	}
	return true, ""
}

func (r *replica) noteWrite(user string, at time.Time) {
	r.mu.Lock()
	r.writes[user] = at
	r.mu.Unlock()
}

// failed counts a query the replica could not answer; a connection-level
// failure (not an error the server sent) marks it down until the next good
// check, so the requests after it do not each wait for it.
func (r *replica) failed(err error) {
	r.fallbacks[FallbackError].Add(1)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		r.mu.Lock()
		r.up, r.lastErr = false, err.Error()
		r.mu.Unlock()
	}
}

// parseLSN reads PostgreSQL's pg_lsn text form, "16/B374D848".
func parseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, fmt.Errorf("bad LSN %q", s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("bad LSN %q", s)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("bad LSN %q", s)
	}
	return h<<32 | l, nil
}

type replicaKey struct{}
type writerKey struct{}

type replicaRoute struct {
	user string
	min  uint64
}

// ReadFromReplica marks ctx as a report, dashboard or export read on behalf
// of user: the store's record reads under it (lists and counts, aggregates,
// pipeline analytics, records and users by id) may go to the replica.
// afterLSN, when not empty, is a primary LSN (from PendingWriteLSN) the
// replica must have replayed first. Writes made under ctx (an export's own
// row) do not count as the user's writes. Without a replica it changes
// nothing.
func ReadFromReplica(ctx context.Context, user, afterLSN string) context.Context {
	rt := replicaRoute{user: user}
	if afterLSN != "" {
		rt.min, _ = parseLSN(afterLSN)
	}
	return context.WithValue(ctx, replicaKey{}, rt)
}

// WithWriter names the user whose writes run under ctx, for
// read-your-writes (see ReadFromReplica).
func WithWriter(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, writerKey{}, user)
}

// noteCommit records that ctx's writer committed a write just now.
func (s *Store) noteCommit(ctx context.Context) {
	if s.rep == nil {
		return
	}
	if _, routed := ctx.Value(replicaKey{}).(replicaRoute); routed {
		return
	}
	if u, _ := ctx.Value(writerKey{}).(string); u != "" {
		s.rep.noteWrite(u, time.Now())
	}
}

// PendingWriteLSN is the primary's current LSN when user has a write this
// process has not yet seen on the replica, and "" otherwise (or without a
// replica): what a job reading for them elsewhere must wait for.
func (s *Store) PendingWriteLSN(ctx context.Context, user string) (string, error) {
	r := s.rep
	if r == nil {
		return "", nil
	}
	r.mu.Lock()
	w, ok := r.writes[user]
	pending := ok && !w.Before(r.visibleAt)
	r.mu.Unlock()
	if !pending {
		return "", nil
	}
	var lsn string
	err := s.R.QueryRowContext(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&lsn)
	return lsn, err
}

// replicaOr is the handle for a replica-eligible read under ctx, and
// whether it is the replica. Inside Atomic it is the transaction (rd).
func (s *Store) replicaOr(ctx context.Context) (queryer, bool) {
	r := s.rep
	if r == nil {
		return s.rd(ctx), false
	}
	rt, ok := ctx.Value(replicaKey{}).(replicaRoute)
	if !ok || ambient(ctx) != nil {
		return s.rd(ctx), false
	}
	if ok, why := r.route(rt.user, rt.min); !ok {
		r.fallbacks[why].Add(1)
		return s.R, false
	}
	r.reads.Add(1)
	return r.db, true
}

// readQuery runs a replica-eligible query: on the replica when ctx allows
// it, again on the primary when the replica fails it (a connection lost, a
// conflict with recovery, a table the replica has not replayed yet).
func (s *Store) readQuery(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	db, onReplica := s.replicaOr(ctx)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil && onReplica && ctx.Err() == nil {
		s.rep.failed(err)
		return s.R.QueryContext(ctx, q, args...)
	}
	return rows, err
}

// readRow is readQuery for a one-row query scanned into dest.
func (s *Store) readRow(ctx context.Context, q string, args []any, dest ...any) error {
	db, onReplica := s.replicaOr(ctx)
	err := db.QueryRowContext(ctx, q, args...).Scan(dest...)
	if err != nil && onReplica && ctx.Err() == nil && !errors.Is(err, sql.ErrNoRows) {
		s.rep.failed(err)
		return s.R.QueryRowContext(ctx, q, args...).Scan(dest...)
	}
	return err
}
