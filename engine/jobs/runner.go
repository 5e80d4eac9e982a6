package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/tessera-app/tessera/engine/store"
)

// Defaults of a Runner.
const (
	DefaultLease        = 5 * time.Minute
	DefaultPollInterval = time.Second
	DefaultHeartbeat    = 3 * time.Second
	DefaultNodeTimeout  = 15 * time.Second
	DefaultRetention    = 30 * 24 * time.Hour
	DefaultPurgeEvery   = time.Hour
	// MaxBackoff caps the delay between attempts.
	MaxBackoff = time.Hour
)

// Backoff is the default delay before retrying after failed attempt n
// (1-based): 2^n seconds, capped at MaxBackoff, of which a random half is
// taken off (jitter) so that jobs failing together do not retry together.
func Backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := MaxBackoff
	if attempt < 12 { // 2^12 s > 1 h
		d = min(time.Duration(math.Pow(2, float64(attempt)))*time.Second, MaxBackoff)
	}
	return d/2 + time.Duration(mrand.Int64N(int64(d/2)+1))
}

// Runner claims due jobs and runs them with their kinds' handlers. Set the
// exported fields before Start; zero values take the defaults.
type Runner struct {
	Store *store.Store
	Log   *slog.Logger
	// Now is the runner's clock (default: the store's).
	Now func() time.Time
	// ID names this runner in jobs' locked_by (default host:pid:random).
	ID string
	// Workers is how many jobs run at once (default 4 on PostgreSQL, 1 on
	// SQLite, whose single writer connection runs one job transaction at a
	// time anyway).
	Workers int
	// Lease is how long one attempt may run (default DefaultLease): a
	// handler's context ends then, and a job whose runner has not finished
	// it by then is claimed again even if the runner looks alive.
	Lease time.Duration
	// Heartbeat is how often the runner tells the database it is alive
	// (default DefaultHeartbeat); NodeTimeout is how long a runner may go
	// unseen before its running jobs are taken over by the next claim
	// (default DefaultNodeTimeout). So the jobs of a killed process run
	// again within about NodeTimeout, not Lease.
	Heartbeat   time.Duration
	NodeTimeout time.Duration
	// PollInterval is how often the runner looks for due jobs when idle
	// (default DefaultPollInterval); Notify looks at once.
	PollInterval time.Duration
	// Backoff gives the delay after failed attempt n (default Backoff).
	Backoff func(attempt int) time.Duration
	// Retention is how long done and cancelled jobs are kept (default
	// DefaultRetention; negative keeps them forever); PurgeEvery is how
	// often they are purged (default DefaultPurgeEvery).
	Retention  time.Duration
	PurgeEvery time.Duration

	mu         sync.Mutex
	handlers   map[string]kindHandler
	started    bool
	stopped    bool
	cancelLoop context.CancelFunc
	cancelJobs context.CancelFunc
	loopDone   chan struct{}
	beatDone   chan struct{}
	running    sync.WaitGroup
	wake       chan struct{}
	lastPurge  time.Time
	purgers    []purger
}

// purger is a periodic clean-up run with the runner's purge (OnPurge).
type purger struct {
	name string
	fn   func(ctx context.Context, now time.Time) (int64, error)
}

// OnPurge adds fn to the runner's periodic purge (every PurgeEvery, on
// every runner, whatever Retention says): it is called with the runner's
// clock and returns how many things it removed (logged). A failure is
// logged and tried again at the next purge. Register before Start.
func (r *Runner) OnPurge(name string, fn func(ctx context.Context, now time.Time) (int64, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.purgers = append(r.purgers, purger{name: name, fn: fn})
}

// NewRunner returns a runner over s with no handlers; log nil means
// slog.Default().
func NewRunner(s *store.Store, log *slog.Logger) *Runner {
	return &Runner{Store: s, Log: log, handlers: map[string]kindHandler{}, wake: make(chan struct{}, 1)}
}

// kindHandler is a kind's handler: exactly one of the two is set.
type kindHandler struct {
	inTx     Handler
	external ExternalHandler
}

// ExternalHandler runs a job whose effect is outside the database (an HTTP
// call, an email). It runs with no transaction open; when it succeeds the
// runner marks the job done in a short transaction of its own. Its effect
// is therefore at least once (a crash between the call and the mark runs
// it again): pass job.ID along as an idempotency key where the receiver
// supports one.
type ExternalHandler func(ctx context.Context, job *Job) error

// Handle registers the handler of a job kind (before Start; a later
// registration replaces an earlier one). The runner only claims jobs of
// registered kinds, so processes that lack a kind leave its jobs to others.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = kindHandler{inTx: h}
}

// HandleExternal registers the handler of a kind whose work is outside the
// database. Use it for anything slow that writes nothing (webhooks,
// mail): a Handler holds its write transaction while it runs, and on
// SQLite that transaction holds the only writer connection, so every
// other write in the process waits for it.
func (r *Runner) HandleExternal(kind string, h ExternalHandler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = kindHandler{external: h}
}

// Kinds lists the registered kinds, sorted.
func (r *Runner) Kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	kinds := make([]string, 0, len(r.handlers))
	for k := range r.handlers {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds
}

func (r *Runner) handler(kind string) (kindHandler, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h, ok := r.handlers[kind]
	return h, ok
}

// Notify makes a started runner look for due jobs now instead of at its
// next poll (e.g. after a commit that enqueued a job). It never blocks.
func (r *Runner) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return r.Store.Now()
}

func (r *Runner) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}

func (r *Runner) lease() time.Duration {
	if r.Lease > 0 {
		return r.Lease
	}
	return DefaultLease
}

func (r *Runner) heartbeatEvery() time.Duration {
	if r.Heartbeat > 0 {
		return r.Heartbeat
	}
	return DefaultHeartbeat
}

func (r *Runner) nodeTimeout() time.Duration {
	if r.NodeTimeout > 0 {
		return r.NodeTimeout
	}
	return DefaultNodeTimeout
}

func (r *Runner) workers() int {
	switch {
	case r.Workers > 0:
		return r.Workers
	case r.Store.D.Name() == "sqlite":
		return 1
	}
	return 4
}

func (r *Runner) backoff(attempt int) time.Duration {
	if r.Backoff != nil {
		return r.Backoff(attempt)
	}
	return Backoff(attempt)
}

// id returns the runner's ID, choosing one on first use.
func (r *Runner) id() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ID == "" {
		host, _ := os.Hostname()
		b := make([]byte, 3)
		rand.Read(b)
		r.ID = fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	return r.ID
}

// Start starts the poll loop and returns at once. Ending ctx stops
// claiming jobs (as Stop does), but lets running ones finish; Stop waits
// for them. Start on a started runner does nothing.
func (r *Runner) Start(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return
	}
	r.started = true
	loopCtx, cancelLoop := context.WithCancel(ctx)
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	r.cancelLoop, r.cancelJobs = cancelLoop, cancelJobs
	r.loopDone = make(chan struct{})
	r.beatDone = make(chan struct{})
	go r.beat(jobCtx)
	go r.loop(loopCtx, jobCtx)
}

// beat writes the runner's heartbeat every Heartbeat until the runner
// stops (ctx is the jobs' context: it ends after the running jobs, so the
// heartbeat covers them to the end), then removes it.
func (r *Runner) beat(ctx context.Context) {
	defer close(r.beatDone)
	t := time.NewTicker(r.heartbeatEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := r.Store.JobNodeStopped(wctx, r.id()); err != nil {
				r.log().Warn("jobs: cannot remove the heartbeat", "err", err)
			}
			return
		case <-t.C:
			wctx, cancel := context.WithTimeout(ctx, r.nodeTimeout())
			err := r.Store.JobHeartbeat(wctx, r.id(), r.now())
			cancel()
			if err != nil && ctx.Err() == nil {
				r.log().Warn("jobs: heartbeat failed (another process may take over this one's jobs)", "err", err)
			}
		}
	}
}

// Stop stops claiming jobs and waits for the running ones until ctx ends;
// then it cancels their contexts (their transactions roll back and the
// jobs go back to pending, the attempt not counted) and returns ctx's
// error. Stop on a runner that is not running does nothing.
func (r *Runner) Stop(ctx context.Context) error {
	r.mu.Lock()
	if !r.started || r.stopped {
		r.mu.Unlock()
		return nil
	}
	r.stopped = true
	r.mu.Unlock()
	r.cancelLoop()
	done := make(chan struct{})
	go func() {
		<-r.loopDone
		r.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		r.cancelJobs()
		<-r.beatDone
		return nil
	case <-ctx.Done():
	}
	r.log().Warn("jobs: stop timed out; interrupting running jobs")
	r.cancelJobs()
	select {
	case <-done:
		<-r.beatDone
	case <-time.After(10 * time.Second):
		r.log().Error("jobs: running jobs did not stop")
	}
	return ctx.Err()
}

// loop claims jobs while workers are free and runs each in a goroutine.
func (r *Runner) loop(ctx, jobCtx context.Context) {
	defer close(r.loopDone)
	n := r.workers()
	sem := make(chan struct{}, n)
	poll := r.PollInterval
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	r.log().Info("jobs: runner started", "runner", r.id(), "workers", n, "kinds", r.Kinds())
	r.takeOverOnStart(ctx)
	for ctx.Err() == nil {
		r.maybePurge(ctx)
		if free := n - len(sem); free > 0 {
			js, err := r.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				r.log().Error("jobs: claim failed", "err", err)
			}
			for i := range js {
				j := &js[i]
				sem <- struct{}{}
				r.running.Add(1)
				go func() {
					defer func() {
						<-sem
						r.running.Done()
						r.Notify()
					}()
					r.execute(jobCtx, j)
				}()
			}
			if len(js) == free {
				continue // there may be more: claim again when a worker frees up
			}
		}
		select {
		case <-ctx.Done():
		case <-r.wake:
		case <-time.After(poll):
		}
	}
}

// takeOverOnStart makes, on SQLite, the jobs a dead process left running
// claimable at once (see store.AbandonJobsOfOthers); on PostgreSQL other
// live nodes may hold running jobs, and a dead node's are taken over once
// its heartbeat is older than NodeTimeout.
func (r *Runner) takeOverOnStart(ctx context.Context) {
	if r.Store.D.Name() != "sqlite" {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	n, err := r.Store.AbandonJobsOfOthers(wctx, r.id(), r.now())
	switch {
	case err != nil && ctx.Err() == nil:
		r.log().Error("jobs: cannot take over the jobs of a previous process", "err", err)
	case n > 0:
		r.log().Info("jobs: taking over jobs a previous process left running", "count", n)
	}
}

// claim claims up to n due jobs. The claim itself is not interrupted by
// ctx (a claim that commits while its caller gives up would strand its
// jobs until their leases expire).
func (r *Runner) claim(ctx context.Context, n int) ([]Job, error) {
	kinds := r.Kinds()
	if len(kinds) == 0 || ctx.Err() != nil {
		return nil, nil
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return r.Store.ClaimJobsAlive(cctx, r.id(), kinds, r.now(), r.lease(), r.nodeTimeout(), n)
}

// RunDue runs every due job once, synchronously, and returns how many it
// ran (successfully or not); a job's failure is recorded on the job, not
// returned. For tests (with a controlled Now) and tools.
func (r *Runner) RunDue(ctx context.Context) (int, error) {
	ran := 0
	seen := map[string]bool{}
	for {
		js, err := r.claim(ctx, 50)
		if err != nil || len(js) == 0 {
			return ran, err
		}
		again := false
		for i := range js {
			j := &js[i]
			if seen[j.ID] { // due again already (a zero backoff): leave it for the next call
				again = true
				r.release(ctx, j)
				continue
			}
			seen[j.ID] = true
			r.execute(ctx, j)
			ran++
		}
		if again {
			return ran, ctx.Err()
		}
	}
}

// execute runs one claimed job: in one transaction the claim is checked,
// the handler runs and the job is marked done.
func (r *Runner) execute(ctx context.Context, j *Job) {
	log := r.log().With("job", j.ID, "kind", j.Kind, "attempt", j.Attempts)
	h, ok := r.handler(j.Kind)
	if !ok { // cannot happen: only registered kinds are claimed
		r.release(ctx, j)
		return
	}
	jctx, cancel := context.WithTimeout(ctx, r.lease())
	defer cancel()
	if h.external != nil {
		r.executeExternal(ctx, jctx, h.external, j, log)
		return
	}
	tx, err := r.Store.BeginJob(jctx, j, r.now(), r.lease())
	if errors.Is(err, store.ErrJobLost) {
		log.Warn("jobs: claim lost before the job started (lease expired?)")
		return
	}
	if err == nil {
		rb := &rollbackFns{}
		hctx := context.WithValue(jctx, rollbackKey{}, rb)
		err = call(log, func() error { return h.inTx(hctx, tx, j) })
		if err == nil {
			err = store.FinishJob(jctx, tx, j, r.now())
		}
		if err == nil {
			err = tx.Commit()
		} else {
			tx.Rollback()
		}
		if err == nil {
			log.Debug("jobs: done", "ms", j.DurationMS)
			return
		}
		rb.run(ctx, log)
	}
	if ctx.Err() != nil { // shutting down (or the caller gave up): not the job's fault
		log.Info("jobs: interrupted; released", "err", err)
		r.release(ctx, j)
		return
	}
	r.fail(ctx, j, err, log)
}

// executeExternal runs a job of an ExternalHandler: the call with no
// transaction open, then the job marked done in a transaction of its own.
func (r *Runner) executeExternal(ctx, jctx context.Context, h ExternalHandler, j *Job, log *slog.Logger) {
	start := r.now()
	j.StartedAt = start
	err := call(log, func() error { return h(jctx, j) })
	if err == nil {
		var tx *store.Tx
		if tx, err = r.Store.BeginJob(jctx, j, start, r.lease()); err == nil {
			if err = store.FinishJob(jctx, tx, j, r.now()); err == nil {
				err = tx.Commit()
			} else {
				tx.Rollback()
			}
		}
		if errors.Is(err, store.ErrJobLost) {
			log.Warn("jobs: external job done after its claim was lost: another runner may repeat it")
			return
		}
		if err == nil {
			log.Debug("jobs: done", "ms", j.DurationMS)
			return
		}
	}
	if ctx.Err() != nil {
		log.Info("jobs: interrupted; released", "err", err)
		r.release(ctx, j)
		return
	}
	r.fail(ctx, j, err, log)
}

type rollbackKey struct{}

// rollbackFns are the OnRollback functions of one attempt.
type rollbackFns struct {
	mu  sync.Mutex
	fns []func(context.Context)
}

func (rb *rollbackFns) run(ctx context.Context, log *slog.Logger) {
	rb.mu.Lock()
	fns := rb.fns
	rb.fns = nil
	rb.mu.Unlock()
	for _, fn := range fns {
		func() {
			defer func() {
				if p := recover(); p != nil {
					log.Error("jobs: OnRollback function panicked", "panic", p)
				}
			}()
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			fn(fctx)
		}()
	}
}

// OnRollback registers fn to run after the job's transaction rolled back
// (the handler failed or panicked, or the commit failed), outside any
// transaction: the way for a handler to record something that must
// survive the rollback, such as its own failure. (A handler must not open
// a write transaction of its own while it runs: on SQLite the job's
// transaction holds the only writer connection, so that would wait
// forever.) It reports false, and fn never runs, when ctx is not a
// handler's.
func OnRollback(ctx context.Context, fn func(ctx context.Context)) bool {
	rb, ok := ctx.Value(rollbackKey{}).(*rollbackFns)
	if !ok {
		return false
	}
	rb.mu.Lock()
	rb.fns = append(rb.fns, fn)
	rb.mu.Unlock()
	return true
}

// call runs the handler, turning a panic into an error.
func call(log *slog.Logger, h func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
			log.Error("jobs: handler panicked", "panic", p, "stack", string(debug.Stack()))
		}
	}()
	return h()
}

// fail records a failed attempt outside the job's (rolled back)
// transaction.
func (r *Runner) fail(ctx context.Context, j *Job, jobErr error, log *slog.Logger) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	now := r.now()
	status, err := r.Store.FailJob(wctx, j, now, jobErr.Error(), now.Add(r.backoff(j.Attempts)))
	switch {
	case errors.Is(err, store.ErrJobLost):
		log.Warn("jobs: failed attempt not recorded: the claim is gone", "err", jobErr)
	case err != nil:
		log.Error("jobs: cannot record failed attempt (the lease will expire)", "err", jobErr, "record_err", err)
	case status == StatusDead:
		log.Error("jobs: dead after its last attempt", "err", jobErr, "max_attempts", j.MaxAttempts)
	default:
		log.Warn("jobs: attempt failed", "err", jobErr, "status", status, "retry_at", j.RunAt)
	}
}

// release gives a claimed job back without counting the attempt.
func (r *Runner) release(ctx context.Context, j *Job) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := r.Store.ReleaseJob(wctx, j, r.now()); err != nil && !errors.Is(err, store.ErrJobLost) {
		r.log().Error("jobs: cannot release job (the lease will expire)", "job", j.ID, "err", err)
	}
}

// maybePurge deletes old done and cancelled jobs, and runs the OnPurge
// clean-ups, every PurgeEvery.
func (r *Runner) maybePurge(ctx context.Context) {
	every := r.PurgeEvery
	if every <= 0 {
		every = DefaultPurgeEvery
	}
	if !r.lastPurge.IsZero() && time.Since(r.lastPurge) < every {
		return
	}
	r.lastPurge = time.Now()
	r.Purge(ctx)
}

// Purge runs the purge now: unless Retention is negative, done and
// cancelled jobs older than it go, and the heartbeats of nodes silent for
// a day; then each OnPurge clean-up runs. Failures are logged. The loop calls it every PurgeEvery; tests and tools may
// call it directly.
func (r *Runner) Purge(ctx context.Context) {
	keep := r.Retention
	if keep == 0 {
		keep = DefaultRetention
	}
	if keep >= 0 {
		if _, err := r.Store.PurgeJobNodes(ctx, r.now().Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
			r.log().Error("jobs: purge of old heartbeats failed", "err", err)
		}
		n, err := r.Store.PurgeJobs(ctx, r.now().Add(-keep))
		switch {
		case err != nil && ctx.Err() == nil:
			r.log().Error("jobs: purge failed", "err", err)
		case n > 0:
			r.log().Info("jobs: purged old jobs", "count", n)
		}
	}
	r.mu.Lock()
	ps := slices.Clone(r.purgers)
	r.mu.Unlock()
	for _, p := range ps {
		n, err := p.fn(ctx, r.now())
		switch {
		case err != nil && ctx.Err() == nil:
			r.log().Error("jobs: purge failed", "purge", p.name, "err", err)
		case n > 0:
			r.log().Info("jobs: purged", "purge", p.name, "count", n)
		}
	}
}
