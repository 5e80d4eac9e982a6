package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/tessera-app/tessera/engine/meta"
)

// The pipeline bench: stage moves through POST …/transitions/{key} on a
// module with a pipeline (the fsm machine built per call, the roles,
// guard and required-field checks, the stage-history row) against plain
// PATCHes of the same field on the same schema without one. Both go
// through the API with the same concurrency; each record is moved by one
// request at a time (its version is known), round and round the cycle
// new → qualified → negotiation → won → lost → new. Three rounds each,
// alternating; the figure is the median round, the spread the slowest and
// fastest. Target: transitions within 1.5× of plain updates.
const (
	flowTarget  = 1.5
	flowRecords = 200
	flowRounds  = 3
)

// benchCycle is the pipeline's transitions, in the order a record goes.
var benchCycle = []struct{ key, from, to string }{
	{"qualify", "new", "qualified"}, {"negotiate", "qualified", "negotiation"}, {"win", "negotiation", "won"},
	{"lose", "won", "lost"}, {"reopen", "lost", "new"},
}

func benchFlows(ctx context.Context, env *benchEnv, cfg benchConfig, rep *report) error {
	flowMod, err := env.createModule(ctx, "deal_flow")
	if err != nil {
		return err
	}
	plainMod, err := env.createModule(ctx, "deal_plain")
	if err != nil {
		return err
	}
	if err := createBenchPipeline(ctx, env, flowMod); err != nil {
		return err
	}
	moves := cfg.creates
	paths := []*movePath{
		{name: "transition", m: flowMod, move: apiTransition},
		{name: "engine", m: flowMod, move: engineTransition},
		{name: "plain", m: plainMod, move: apiPatch},
	}
	for _, p := range paths {
		if err := p.seed(ctx, env); err != nil {
			return fmt.Errorf("%s records: %w", p.name, err)
		}
		// Warm: connections, statements, caches.
		if _, err := p.run(ctx, env, cfg.clients, createWarmup); err != nil {
			return fmt.Errorf("%s warm-up: %w", p.name, err)
		}
	}
	for round := 0; round < flowRounds; round++ {
		for _, p := range paths {
			d, err := p.run(ctx, env, cfg.clients, moves)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			p.rates = append(p.rates, float64(moves)/d.Seconds())
		}
	}
	if err := checkHistory(ctx, env, flowMod, paths[0].done+paths[1].done); err != nil {
		return err
	}
	tr, eng, plain := paths[0], paths[1], paths[2]
	rep.add(reportRow{
		name:   fmt.Sprintf("stage moves, %d clients: transition POST vs plain PATCH (columns: transition | engine Fire | PATCH)", cfg.clients),
		metric: "moves/s", api: fmtRate(tr.median()), engine: fmtRate(eng.median()), sql: fmtRate(plain.median()),
		ratio: plain.median() / tr.median(), target: flowTarget,
	})
	rep.add(reportRow{metric: "spread", api: tr.spread(), engine: eng.spread(), sql: plain.spread()})
	return nil
}

// createBenchPipeline puts a pipeline on m.stage: the cycle, a guard on
// win and a field negotiation requires, as a real pipeline has.
func createBenchPipeline(ctx context.Context, env *benchEnv, m *meta.Module) error {
	var states, trs []any
	for _, s := range []string{"new", "qualified", "negotiation", "won", "lost"} {
		st := map[string]any{"key": s, "label": map[string]string{"en": s}, "probability": 50}
		switch s {
		case "negotiation":
			st["required"] = []string{"amount"}
		case "won":
			st["kind"] = "won"
		case "lost":
			st["kind"] = "lost"
		}
		states = append(states, st)
	}
	for _, c := range benchCycle {
		t := map[string]any{"key": c.key, "label": map[string]string{"en": c.key}, "from": []string{c.from}, "to": c.to}
		if c.key == "win" {
			t["guard"] = `amount > 0 && close_date != nil`
			t["message"] = map[string]string{"en": "Needs an amount and a close date"}
		}
		trs = append(trs, t)
	}
	body, _ := json.Marshal(map[string]any{"key": "bench_pipeline", "label": map[string]string{"en": "Bench"}, "module": m.Key,
		"field": "stage", "states": states, "transitions": trs})
	return env.do(ctx, http.MethodPost, "/api/apps/"+benchApp+"/flows", body, http.StatusCreated, nil)
}

// movePath is one way of moving records round the cycle.
type movePath struct {
	name  string
	m     *meta.Module
	move  func(ctx context.Context, env *benchEnv, m *meta.Module, r *moveRecord, next int) (int64, error)
	recs  []*moveRecord
	next  int // the next record to move
	mu    sync.Mutex
	done  int
	rates []float64
}

// moveRecord is a record and where the client knows it is.
type moveRecord struct {
	mu      sync.Mutex
	id      string
	version int64
	step    int // index into benchCycle of its next move
}

func (p *movePath) seed(ctx context.Context, env *benchEnv) error {
	rows := benchRows(flowRecords, 9)
	for _, r := range rows {
		v := r.values()
		v["stage"] = "new"
		if r.amount == "0.00" {
			v["amount"] = json.Number("1") // the win guard wants an amount
		}
		body, _ := json.Marshal(v)
		var out struct {
			ID      string `json:"id"`
			Version int64  `json:"version"`
		}
		if err := env.do(ctx, http.MethodPost, recordsPath(p.m), body, http.StatusCreated, &out); err != nil {
			return err
		}
		p.recs = append(p.recs, &moveRecord{id: out.ID, version: out.Version})
	}
	return nil
}

// run makes n moves with the given number of clients; a record is moved
// by one client at a time.
func (p *movePath) run(ctx context.Context, env *benchEnv, clients, n int) (time.Duration, error) {
	return runPool(ctx, clients, 0, n, func(int) error {
		p.mu.Lock()
		r := p.recs[p.next%len(p.recs)]
		p.next++
		p.mu.Unlock()
		r.mu.Lock()
		defer r.mu.Unlock()
		v, err := p.move(ctx, env, p.m, r, r.step)
		if err != nil {
			return err
		}
		r.version, r.step = v, (r.step+1)%len(benchCycle)
		p.mu.Lock()
		p.done++
		p.mu.Unlock()
		return nil
	})
}

func apiTransition(ctx context.Context, env *benchEnv, m *meta.Module, r *moveRecord, step int) (int64, error) {
	body, _ := json.Marshal(map[string]any{"version": r.version})
	var out struct {
		Version int64 `json:"version"`
	}
	err := env.do(ctx, http.MethodPost, recordsPath(m)+"/"+r.id+"/transitions/"+benchCycle[step].key, body, http.StatusOK, &out)
	return out.Version, err
}

func engineTransition(ctx context.Context, env *benchEnv, m *meta.Module, r *moveRecord, step int) (int64, error) {
	out, err := env.svc.Flows.Fire(ctx, env.actor, m, r.id, "", benchCycle[step].key, r.version, nil)
	if err != nil {
		return 0, err
	}
	return out.Record["version"].(int64), nil
}

func apiPatch(ctx context.Context, env *benchEnv, m *meta.Module, r *moveRecord, step int) (int64, error) {
	body, _ := json.Marshal(map[string]any{"version": r.version, "stage": benchCycle[step].to})
	var out struct {
		Version int64 `json:"version"`
	}
	err := env.do(ctx, http.MethodPatch, recordsPath(m)+"/"+r.id, body, http.StatusOK, &out)
	return out.Version, err
}

// checkHistory makes sure every transition left its history row, so a
// path that skipped the work cannot look fast.
func checkHistory(ctx context.Context, env *benchEnv, m *meta.Module, moves int) error {
	var n int
	q := env.s.D.Placeholder(1)
	err := env.s.R.QueryRowContext(ctx, `SELECT count(*) FROM stage_history WHERE module = `+q+` AND from_state IS NOT NULL`, m.Key).Scan(&n)
	if err != nil {
		return err
	}
	if n != moves {
		return fmt.Errorf("stage history has %d moves, want %d", n, moves)
	}
	return nil
}

func (p *movePath) median() float64 {
	s := append([]float64(nil), p.rates...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func (p *movePath) spread() string {
	s := append([]float64(nil), p.rates...)
	sort.Float64s(s)
	return fmtRate(s[0]) + "–" + fmtRate(s[len(s)-1])
}
