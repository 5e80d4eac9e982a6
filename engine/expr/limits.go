package expr

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
)

// Limits for expressions, which are written by users and so untrusted.
// Every one of them bounds one way an expression could run away; together
// they bound any evaluation in time and memory:
//
//   - MaxLen, MaxDepth and MaxNodes (shared with filters) bound the
//     source before anything is compiled.
//   - MemoryBudget is expr-lang's own budget: every range (1..n), list
//     and map the VM builds counts its items against it, so 1..100000000
//     fails at once, before anything is allocated.
//   - MaxSteps bounds loop iterations: every predicate body (filter, map,
//     all, any, count, …) ticks a counter, so nested loops over the
//     record's own lists cannot multiply into billions of steps.
//   - MaxText bounds the bytes of text an evaluation builds (+ on text,
//     concat, upper, replace, join, …), so repeated doubling cannot
//     exhaust memory.
//   - Builtins that could grow values without counting them (repeat,
//     reduce, flatten, toJSON, …) are disabled; see allowedBuiltins.
//
// Between two ticks an expression does at most O(nodes × data) work, so
// with the counters above no expression can hang.
const (
	MemoryBudget = 100_000
	MaxSteps     = 100_000
	MaxText      = 4 << 20
	// CacheSize bounds the compiled-program cache (least recently used
	// programs are dropped first).
	CacheSize = 4096
)

// EvalTimeout bounds one Eval, queueing included. On timeout Eval returns
// an error at once; the evaluation itself is told to stop and does so at
// its next loop step or text-building call (and cannot exceed the budgets
// above in the meantime). The budgets keep a real evaluation to a few
// milliseconds even on large records; the timeout is the backstop, set
// well above that so that a loaded machine's scheduling delays do not
// fail conditions.
var EvalTimeout = 250 * time.Millisecond

// limitError is an evaluation stopped by a limit; key is its message.
type limitError struct {
	key string
	max int
}

func (e *limitError) Error() string { return fmt.Sprintf("%s (limit %d)", e.key, e.max) }

var errStopped = &limitError{key: "expr.eval.timeout"}

// state is one evaluation's private state, passed to the functions that
// need it as a hidden first argument ($st).
type state struct {
	steps int
	text  int
	stop  *atomic.Bool // set when the caller gave up (timeout)
	vars  Vars
	prog  *Program
}

// tick counts one loop step.
func (s *state) tick() error {
	s.steps++
	if s.steps > MaxSteps {
		return &limitError{key: "expr.eval.steps", max: MaxSteps}
	}
	if s.steps&255 == 0 && s.stopped() {
		return errStopped
	}
	return nil
}

// grow counts n bytes of text about to be built.
func (s *state) grow(n int) error {
	if n < 0 {
		n = 0
	}
	s.text += n
	if s.text > MaxText || n > MaxText {
		return &limitError{key: "expr.eval.text", max: MaxText}
	}
	if s.stopped() {
		return errStopped
	}
	return nil
}

func (s *state) stopped() bool { return s.stop != nil && s.stop.Load() }

// The worker pool: a fixed number of goroutines (GOMAXPROCS) evaluate
// queued programs, so a burst of evaluations cannot take more CPUs than
// the machine has, and a caller can stop waiting at its deadline.
type task struct {
	p    *Program
	v    Vars
	stop atomic.Bool
	done chan taskResult // buffered: a worker never blocks on a caller that left
}

type taskResult struct {
	out any
	err error
}

var workers struct {
	once  sync.Once
	queue chan *task
}

func startWorkers() {
	n := runtime.GOMAXPROCS(0)
	workers.queue = make(chan *task, 64*n)
	for i := 0; i < n; i++ {
		go worker()
	}
}

func worker() {
	for t := range workers.queue {
		if t.stop.Load() {
			t.done <- taskResult{err: errStopped}
			continue
		}
		out, err := t.p.safeRun(t.v, &t.stop)
		t.done <- taskResult{out: out, err: err}
	}
}

// submit evaluates on the pool within EvalTimeout and ctx.
func (p *Program) submit(ctx context.Context, v Vars) (any, error) {
	workers.once.Do(startWorkers)
	timer := time.NewTimer(EvalTimeout)
	defer timer.Stop()
	t := &task{p: p, v: v, done: make(chan taskResult, 1)}
	select {
	case workers.queue <- t:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timer.C:
		return nil, timeoutError()
	}
	select {
	case r := <-t.done:
		if r.err != nil {
			return nil, p.evalError(r.err)
		}
		return r.out, nil
	case <-ctx.Done():
		t.stop.Store(true)
		return nil, ctx.Err()
	case <-timer.C:
		t.stop.Store(true)
		return nil, timeoutError()
	}
}

func timeoutError() error {
	return errs.New(errs.Invalid, "expr.eval.timeout", "ms", EvalTimeout.Milliseconds())
}

// safeRun is run with a last line of defence: a panic outside the VM
// (which recovers its own) must not take a pool worker down.
func (p *Program) safeRun(v Vars, stop *atomic.Bool) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("expr: panic: %v", r)
		}
	}()
	return p.run(v, stop)
}
