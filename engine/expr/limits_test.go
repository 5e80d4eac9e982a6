package expr

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
)

// wantKey asserts an Invalid error with message key key.
func wantKey(t *testing.T, what string, err error, key string) {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Invalid || e.Msg.Key != key {
		t.Errorf("%s: %v, want Invalid %s", what, err, key)
	}
}

func TestSourceLimits(t *testing.T) {
	m := testModule(t)
	_, err := Compile(strings.Repeat(" ", MaxLen-1)+"1", m, "")
	if err != nil {
		t.Errorf("at the length limit: %v", err)
	}
	_, err = Compile(strings.Repeat(" ", MaxLen)+"1", m, "")
	wantKey(t, "too long", err, "expr.x.too_long.at")

	_, err = Compile(strings.Repeat("1 + ", 400)+"1", m, "") // 801 nodes
	if err != nil {
		t.Errorf("under the node limit: %v", err)
	}
	_, err = Compile(strings.Repeat("1 + ", 600)+"1", m, "") // 1201 nodes
	wantKey(t, "many nodes", err, "expr.x.too_complex.at")
	_, err = Compile(strings.Repeat("[", 600)+strings.Repeat("]", 600), m, "")
	wantKey(t, "deep nesting", err, "expr.x.too_deep.at")
}

// Builtins that could grow values beyond the budgets, or loop without
// bounds, are not available.
func TestDisabledBuiltins(t *testing.T) {
	m := testModule(t)
	for _, src := range []string{
		`repeat("a", 1000000)`,
		`reduce(1..10, #acc + #)`,
		`reduce(1..10, #acc + #, 0)`,
		`flatten([[1], [2]])`,
		`toJSON(extra)`,
		`fromJSON(name)`,
		`toBase64(name)`,
		`fromBase64(name)`,
		`uniq(tags)`,
		`sortBy(tags, #)`,
		`groupBy(tags, #)`,
		`toPairs(extra)`,
		`timezone("UTC")`,
		`splitAfter(name, ",")`,
	} {
		_, err := Compile(src, m, "")
		e, ok := errs.As(err)
		if !ok || e.Code != errs.Invalid {
			t.Errorf("%s: %v, want Invalid", src, err)
		}
	}
	_, err := Compile(`repeat("a", 3)`, m, "")
	wantKey(t, "repeat", err, "expr.x.disabled.at")
	_, err = Compile(`reduce(1..3, #acc + #)`, m, "")
	wantKey(t, "reduce", err, "expr.x.disabled.at")
}

// bigVars has a 1 MiB text field and a JSON list of 1000 items.
func bigVars() Vars {
	list := make([]any, 1000)
	for i := range list {
		list[i] = float64(i)
	}
	return Vars{Record: map[string]any{"name": strings.Repeat("x", 1<<20), "extra": list, "qty": int64(3)}, Now: clockNow}
}

// Each runaway expression is stopped by a budget, fast.
func TestEvaluationBudgets(t *testing.T) {
	m := testModule(t)
	v := bigVars()
	doubling := "let a0 = name;"
	for i := 1; i < 40; i++ {
		doubling += fmt.Sprintf(" let a%d = a%d + a%d;", i, i-1, i-1)
	}
	doubling += " len(a39)"
	for _, c := range []struct{ src, key string }{
		// Ranges count against the memory budget before they are built.
		{`1..100000000 | filter(# > 0) | len()`, "expr.eval.memory"},
		{`len(1..100000000)`, "expr.eval.memory"},
		{`count(1..1000, count(1..1000, true) > 0)`, "expr.eval.memory"},
		{`map(1..99999, qty) | map(#) | len()`, "expr.eval.memory"},
		// Loops over the record's own data count steps.
		{`sum(extra, count(extra, # >= 0))`, "expr.eval.steps"},
		{`all(extra, all(extra, all(extra, true)))`, "expr.eval.steps"},
		// Text building counts bytes.
		{doubling, "expr.eval.text"},
		{`map(1..50, name + "!") | len()`, "expr.eval.text"},
		{`all(1..100, upper(name) != "")`, "expr.eval.text"},
		{`len(replace(name, "x", "xxxxxxxx"))`, "expr.eval.text"},
		{`len(concat(name, name, name, name, name))`, "expr.eval.text"},
		{`len(join(map(1..10, name), ""))`, "expr.eval.text"},
		{`len(split(name, ""))`, "expr.eval.text"},
		{`let s = join(map(1..8, name)); len(s + s)`, "expr.eval.text"},
	} {
		p, err := Compile(c.src, m, "")
		if err != nil {
			t.Errorf("%.60s: compile: %v", c.src, err)
			continue
		}
		start := time.Now()
		_, err = p.Run(v)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%.60s: took %v", c.src, d)
		}
		wantKey(t, c.src, err, c.key)
	}
	// Within the budgets, large inputs still evaluate.
	for src, want := range map[string]any{
		`len(name + "!")`:                      num("1048577"),
		`count(1..99999, # % 2 == 0)`:          num("49999"),
		`count(extra, # > 500)`:                num("499"),
		`len(upper(name))`:                     num("1048576"),
		`name contains "y"`:                    false,
		`count(extra, count(1..90, true) > 0)`: num("1000"),
	} {
		eq(t, m, v, src, want)
	}
}

// Eval gives up at EvalTimeout and tells the evaluation to stop.
func TestEvalTimeout(t *testing.T) {
	m := testModule(t)
	p, err := Compile(`count(1..99999, upper("abc") != "")`, m, "")
	if err != nil {
		t.Fatal(err)
	}
	old := EvalTimeout
	EvalTimeout = time.Microsecond
	_, err = p.Eval(context.Background(), Vars{})
	EvalTimeout = old
	wantKey(t, "timeout", err, "expr.eval.timeout")

	// A stopped evaluation ends at its next step.
	var stop atomic.Bool
	stop.Store(true)
	start := time.Now()
	_, err = p.run(Vars{}, &stop)
	if time.Since(start) > time.Second {
		t.Errorf("stopped evaluation ran on for %v", time.Since(start))
	}
	wantKey(t, "stopped", p.evalError(err), "expr.eval.timeout")

	// With the normal timeout, the same kind of program finishes.
	q, _ := Compile(`count(1..2000, upper("abc") != "")`, m, "")
	if out, err := q.Eval(context.Background(), Vars{}); err != nil || out != num("2000") {
		t.Errorf("normal run: %v, %v", out, err)
	}
}

// A burst of (cheap) evaluations much larger than the pool all complete.
func TestPoolBurst(t *testing.T) {
	m := testModule(t)
	p, err := Compile(`count(1..20, # % 3 == 0) + qty`, m, "number")
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	errc := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			out, err := p.Eval(context.Background(), Vars{Record: map[string]any{"qty": 1}})
			if err == nil && out != num("7") {
				err = fmt.Errorf("got %v", out)
			}
			errc <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzProgram: whatever the source, Compile and Run never panic, and
// every failure is an Invalid *errs.Error.
func FuzzProgram(f *testing.F) {
	for _, s := range []string{
		`amount > 1000 && stage == "won" && region in ["east","north"] && !closed`,
		`concat(upper(name), "-", string(qty))`, `filter(tags, # startsWith "v") | map(upper(#))`,
		`let x = amount ?? 0; x * 2 > 10 ? "big" : "small"`, `changed("stage") && old.stage == "new"`,
		`addMonths(due, qty) < today`, `extra?.list[0] + 1`, `{"a": [1, 2, 3][1:]}`, `1..10 | sum()`,
		`user.id == owner`, `date("2026-01-31")`, `-amount % 3`, `now - at > duration("1h")`, `#`, `(`, `"\u00e9"`,
	} {
		f.Add(s)
	}
	m := testModule(f)
	v := sampleVars()
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Compile(src, m, "")
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("compile %q: %v", src, err)
			}
			return
		}
		if _, err := p.Run(v); err != nil && !errs.Is(err, errs.Invalid) {
			t.Fatalf("run %q: %v", src, err)
		}
	})
}
