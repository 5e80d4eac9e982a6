package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tessera-app/tessera/engine/expr"
)

// exprTarget is the floor: condition evaluations per second on one
// core for a four-term condition.
const exprTarget = 2_000_000

// benchExpr times a four-term rule condition evaluated on one goroutine
// (one core), directly (Program.Run, the rule engine's in-transaction
// path skips nothing but the pool) and through the bounded pool (Bool).
func benchExpr(ctx context.Context, env *benchEnv, rep *report) error {
	m, err := env.createModule(ctx, "exprs")
	if err != nil {
		return err
	}
	p, err := expr.Compile(`amount > 1000 && stage == "won" && region in ["east", "north"] && !active`, m, "bool")
	if err != nil {
		return err
	}
	vars := expr.Vars{Record: map[string]any{"amount": json.Number("2500.50"), "stage": "won", "region": "east", "active": false}, Now: time.Now()}
	measure := func(eval func() error) (float64, error) {
		n, start := 0, time.Now()
		for time.Since(start) < time.Second {
			for i := 0; i < 1000; i++ {
				if err := eval(); err != nil {
					return 0, err
				}
			}
			n += 1000
		}
		return float64(n) / time.Since(start).Seconds(), nil
	}
	direct, err := measure(func() error { _, err := p.Run(vars); return err })
	if err != nil {
		return err
	}
	pooled, err := measure(func() error { _, err := p.Bool(ctx, vars); return err })
	if err != nil {
		return err
	}
	rep.note("expression: 4-term condition, one core, direct (Run)", "evals/s", fmtRate(direct)+" "+verdict(direct >= exprTarget, fmt.Sprintf("target ≥ %s/s", groupDigits(exprTarget))))
	rep.note("expression: same through the bounded pool (Bool)", "evals/s", fmtRate(pooled))
	return nil
}

func verdict(ok bool, target string) string {
	if ok {
		return "(OK, " + target + ")"
	}
	return "(ABOVE TARGET: " + target + ")"
}
