// Package cluster keeps the in-memory caches of several Tessera processes
// (nodes) over one database in step. Every change of cached metadata,
// permissions or sessions increments its kind's row of cache_versions
// (store.BumpCacheTx, in the changing transaction where it can); a Watcher
// in each process drops the caches of a kind when its version moves.
//
// On PostgreSQL the Watcher listens on store.CacheChannel over a
// connection of its own, so other nodes' changes reach it within
// milliseconds of their commit; it reconnects with backoff when that
// connection drops. On both dialects it also polls cache_versions (every
// Poll, 2 s by default): the fallback that bounds how stale a node can be
// while its connection is down, and how a server on SQLite hears of a CLI
// command that changed its database.
package cluster

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/tessera-app/tessera/engine/store"
)

// DefaultPoll is how often a Watcher reads cache_versions.
const DefaultPoll = 2 * time.Second

// Watcher calls the invalidation functions registered for a kind when
// another process (or this one) changed it.
type Watcher struct {
	Store *store.Store
	Log   *slog.Logger
	// Poll is the interval of the polling fallback (0: DefaultPoll).
	Poll time.Duration
	// MinBackoff and MaxBackoff bound the wait between reconnections of
	// the listening connection (0: 100 ms and 5 s); it doubles while
	// connecting fails.
	MinBackoff, MaxBackoff time.Duration

	mu       sync.Mutex
	funcs    map[string][]func()
	versions map[string]int64 // as last read; nil before the first read
	// listening is whether the PostgreSQL listener is connected (tests).
	listening bool
	conns     int    // connections the listener made (tests)
	pid       uint32 // the listening backend's process id (tests)

	checking sync.Mutex // one check at a time (the poll's, the listener's)
	started  bool       // Start has made its first reading (or tried to)

	cancel context.CancelFunc
	done   sync.WaitGroup
}

// New returns a Watcher over s; Start starts it.
func New(s *store.Store, log *slog.Logger) *Watcher {
	if log == nil {
		log = slog.Default()
	}
	return &Watcher{Store: s, Log: log, funcs: map[string][]func(){}}
}

// On registers fn to drop the caches of kind. fn must be quick and must
// not block (it runs on the watcher's goroutines).
func (w *Watcher) On(kind string, fn func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.funcs == nil {
		w.funcs = map[string][]func(){}
	}
	w.funcs[kind] = append(w.funcs[kind], fn)
}

// invalidate calls kind's functions.
func (w *Watcher) invalidate(kind string) {
	w.mu.Lock()
	fns := append([]func(){}, w.funcs[kind]...)
	w.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// Start reads the current versions and starts polling and, on
// PostgreSQL, listening, until Stop or ctx ends.
func (w *Watcher) Start(ctx context.Context) {
	ctx, w.cancel = context.WithCancel(ctx)
	w.check(ctx)
	w.mu.Lock()
	w.started = true
	w.mu.Unlock()
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		w.pollLoop(ctx)
	}()
	if w.Store.D.Name() == "postgres" {
		w.done.Add(1)
		go func() {
			defer w.done.Done()
			w.listenLoop(ctx)
		}()
	}
}

// Stop stops the watcher and waits for its goroutines.
func (w *Watcher) Stop() {
	if w.cancel != nil {
		w.cancel()
	}
	w.done.Wait()
}

func (w *Watcher) poll() time.Duration {
	if w.Poll > 0 {
		return w.Poll
	}
	return DefaultPoll
}

func (w *Watcher) pollLoop(ctx context.Context) {
	t := time.NewTicker(w.poll())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.check(ctx)
		}
	}
}

// check reads cache_versions and invalidates every kind whose version
// differs from the last reading. A failed read invalidates nothing (and
// the next one compares with the last good reading); when the first good
// reading comes only after Start, every kind is invalidated, as changes
// before it went unseen.
func (w *Watcher) check(ctx context.Context) {
	w.checking.Lock()
	defer w.checking.Unlock()
	v, err := w.Store.CacheVersions(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.Log.Warn("cluster: cache versions not read", "err", err)
		}
		return
	}
	w.mu.Lock()
	prev, late := w.versions, w.started
	w.versions = v
	var all []string
	if prev == nil && late {
		for kind := range w.funcs {
			all = append(all, kind)
		}
	}
	w.mu.Unlock()
	if prev == nil {
		for _, kind := range all {
			w.invalidate(kind)
		}
		return
	}
	for kind, n := range v {
		if prev[kind] != n {
			w.invalidate(kind)
		}
	}
}

func (w *Watcher) minBackoff() time.Duration {
	if w.MinBackoff > 0 {
		return w.MinBackoff
	}
	return 100 * time.Millisecond
}

func (w *Watcher) maxBackoff() time.Duration {
	if w.MaxBackoff > 0 {
		return w.MaxBackoff
	}
	return 5 * time.Second
}

// listenLoop keeps a listening connection, reconnecting with backoff.
func (w *Watcher) listenLoop(ctx context.Context) {
	backoff := w.minBackoff()
	for ctx.Err() == nil {
		connected, err := w.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		if connected {
			backoff = w.minBackoff()
		}
		w.Log.Warn("cluster: cache notifications interrupted; polling meanwhile", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		if backoff *= 2; backoff > w.maxBackoff() {
			backoff = w.maxBackoff()
		}
	}
}

// listen connects, then delivers notifications until the connection
// fails; connected says whether it got as far as listening.
func (w *Watcher) listen(ctx context.Context) (connected bool, err error) {
	conn, schema, err := w.Store.Listen(ctx, store.CacheChannel)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.Background())
	w.mu.Lock()
	w.listening = true
	w.conns++
	w.pid = conn.PgConn().PID()
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.listening = false
		w.mu.Unlock()
	}()
	// Changes made while no connection listened were missed: read the
	// versions now that one does (the poll may not have run meanwhile).
	w.check(ctx)
	prefix := schema + "/"
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		if kind, ok := strings.CutPrefix(n.Payload, prefix); ok {
			w.invalidate(kind)
		}
	}
}

// Listening reports whether the PostgreSQL listener is connected, how
// many connections it has made so far and the backend process id of the
// last one.
func (w *Watcher) Listening() (ok bool, conns int, pid uint32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.listening, w.conns, w.pid
}
