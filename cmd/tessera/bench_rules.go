package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// The rules bench: record creates through the API into a module with no
// rules, then into the same module with 10 active after-save rules (their
// conditions evaluated in every write's transaction; the ones that hold
// leave a job). The target is the write path within 1.3× with the rules.
const (
	ruleCount  = 10
	ruleTarget = 1.3
)

func benchRules(ctx context.Context, env *benchEnv, cfg benchConfig, rep *report) error {
	rows := benchRows(createWarmup+cfg.creates, 4)
	var durs [2]time.Duration
	for i, withRules := range []bool{false, true} {
		m, err := env.createModule(ctx, fmt.Sprintf("ruled%d", i))
		if err != nil {
			return err
		}
		if withRules {
			for r := 0; r < ruleCount; r++ {
				body, _ := json.Marshal(map[string]any{
					"key": fmt.Sprintf("bench_rule_%d", r), "label": map[string]string{"en": "Bench"}, "module": m.Key,
					"trigger":   map[string]any{"type": "saved"},
					"condition": fmt.Sprintf(`amount > %d && stage == "won" && region in ["east", "north"] && score >= %d`, 1000*r, r),
					"actions":   []any{map[string]any{"type": "set", "values": map[string]string{"score": "score + 1"}}},
				})
				if err := env.do(ctx, http.MethodPost, "/api/apps/"+benchApp+"/rules", body, http.StatusCreated, nil); err != nil {
					return fmt.Errorf("create rule: %w", err)
				}
			}
		}
		work, err := apiCreates(ctx, env, m, rows)
		if err != nil {
			return err
		}
		if durs[i], err = warmThenTime(ctx, cfg.clients, len(rows), work); err != nil {
			return err
		}
	}
	rate := func(d time.Duration) float64 { return float64(cfg.creates) / d.Seconds() }
	// Columns: API with 10 rules | — | API with none; ratio none/with.
	rep.add(reportRow{
		name:   fmt.Sprintf("create through the API: %d active rules vs none (columns: rules | none)", ruleCount),
		metric: "rows/s", api: fmtRate(rate(durs[1])), sql: fmtRate(rate(durs[0])),
		ratio: rate(durs[0]) / rate(durs[1]), target: ruleTarget,
	})
	return nil
}
