package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// The rules bench: record creates through the API into a module with no
// rules, and into one with 10 active rules on create (their conditions
// evaluated in every write's transaction; the ones that hold leave a job,
// whose action — an update of the record — the job runner, started for
// the bench as serve starts it, really runs). The two take turns by
// rounds, in alternating order, so both see the same machine. A round
// with rules is timed until its last action has run, so the rules' whole
// cost is in the figure, not only the part inside the request. The target
// is the write path within 1.3× with the rules.
const (
	ruleCount  = 10
	ruleTarget = 1.3
	ruleRounds = 6
)

func benchRules(ctx context.Context, env *benchEnv, cfg benchConfig, rep *report) error {
	rows := benchRows(createWarmup+cfg.creates, 4)
	works := make([]func(int) error, 2)
	for i, withRules := range []bool{false, true} {
		m, err := env.createModule(ctx, fmt.Sprintf("ruled%d", i))
		if err != nil {
			return err
		}
		if withRules {
			for r := 0; r < ruleCount; r++ {
				body, _ := json.Marshal(map[string]any{
					"key": fmt.Sprintf("bench_rule_%d", r), "label": map[string]string{"en": "Bench"}, "module": m.Key,
					// On create only: the action's update does not fire the
					// rules again (on "saved" each would chain to MaxDepth);
					// score <= 90 keeps ten increments within its maximum.
					"trigger":   map[string]any{"type": "created"},
					"condition": fmt.Sprintf(`amount > %d && stage == "won" && region in ["east", "north"] && score >= %d && score <= 90`, 1000*r, r),
					"actions":   []any{map[string]any{"type": "set", "values": map[string]string{"score": "score + 1"}}},
				})
				if err := env.do(ctx, http.MethodPost, "/api/apps/"+benchApp+"/rules", body, http.StatusCreated, nil); err != nil {
					return fmt.Errorf("create rule: %w", err)
				}
			}
		}
		if works[i], err = apiCreates(ctx, env, m, rows); err != nil {
			return err
		}
	}
	env.svc.Jobs.Start(ctx)
	defer env.svc.Jobs.Stop(context.Background())
	jobs0, err := doneJobs(ctx, env)
	if err != nil {
		return err
	}
	for _, w := range works {
		if _, err := runPool(ctx, cfg.clients, 0, createWarmup, w); err != nil {
			return err
		}
	}
	if err := drainJobs(ctx, env); err != nil {
		return err
	}
	rounds := min(ruleRounds, cfg.creates)
	var per [2][]float64 // seconds per create, by round: none, rules
	var totals [2]time.Duration
	for r := 0; r < rounds; r++ {
		from := createWarmup + r*cfg.creates/rounds
		to := createWarmup + (r+1)*cfg.creates/rounds
		order := []int{0, 1}
		if r%2 == 1 {
			order = []int{1, 0}
		}
		for _, k := range order {
			start := time.Now()
			if _, err := runPool(ctx, cfg.clients, from, to, works[k]); err != nil {
				return err
			}
			if err := drainJobs(ctx, env); err != nil {
				return err
			}
			d := time.Since(start)
			totals[k] += d
			per[k] = append(per[k], d.Seconds()/float64(to-from))
		}
	}
	jobs, err := doneJobs(ctx, env)
	if err != nil {
		return err
	}
	if jobs == jobs0 {
		return errors.New("no rule action ran: the bench would measure nothing")
	}
	// A job retried (two actions updating one record at once, on
	// PostgreSQL's several workers: a version conflict) counts in the
	// time; one that gave up would mean actions that never ran.
	var dead, retried int
	if err := env.s.R.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE status = 'dead'), count(*) FILTER (WHERE attempts > 1)
		FROM jobs WHERE kind = 'rule.run'`).Scan(&dead, &retried); err != nil {
		return err
	}
	if dead > 0 {
		return fmt.Errorf("%d rule jobs failed for good", dead)
	}
	rate := func(d time.Duration) float64 { return float64(cfg.creates) / d.Seconds() }
	med, lo, hi := roundRatios(per[1], per[0])
	// Columns: API with 10 rules | — | API with none; ratio with/none.
	rep.add(reportRow{
		name:   fmt.Sprintf("create through the API: %d active rules vs none (columns: rules | none)", ruleCount),
		metric: "rows/s", api: fmtRate(rate(totals[1])), sql: fmtRate(rate(totals[0])),
		ratio: med, target: ruleTarget,
	})
	rep.add(reportRow{name: fmt.Sprintf("  (until every action ran; %s actions, %d retried; median of %d rounds, range %.2f–%.2f×)",
		groupDigits(jobs-jobs0), retried, rounds, lo, hi)})
	return nil
}

// doneJobs counts the rule jobs that have run.
func doneJobs(ctx context.Context, env *benchEnv) (int64, error) {
	var n int64
	err := env.s.R.QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE kind = 'rule.run' AND status = 'done'`).Scan(&n)
	return n, err
}

// drainJobs waits until no rule job is left to run (a minute at most).
func drainJobs(ctx context.Context, env *benchEnv) error {
	deadline := time.Now().Add(time.Minute)
	for {
		var n int
		if err := env.s.R.QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE kind = 'rule.run' AND status IN ('pending', 'running')`).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d rule jobs still waiting after a minute", n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
