package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// createWarmup records go through each path before the clock starts, so
// connections, prepared statements and the module cache are warm.
const createWarmup = 50

// createRounds: the creates of each path are split into this many rounds,
// the paths taking turns (in reverse order every other round), so every
// path sees the same load from the rest of the machine; ratios are per
// round, reported as the median with the range.
const createRounds = 6

// benchCreates creates cfg.creates records four ways, each into its own
// module of the same schema, with cfg.clients concurrent workers: through
// the API; by calling the record service directly (validation, the
// transaction, its hooks, no HTTP); with one hand-written INSERT per row
// (autocommit, as the API commits each record on its own); and with a
// hand-written transaction doing the same INSERT plus the audit INSERT
// every API create also makes.
func benchCreates(ctx context.Context, env *benchEnv, cfg benchConfig, rep *report) error {
	rows := benchRows(createWarmup+cfg.creates, 1)
	paths := []struct {
		module string
		work   func(context.Context, *benchEnv, *meta.Module, []benchRow) (func(int) error, error)
	}{{"deal_api", apiCreates}, {"deal_engine", engineCreates}, {"deal_sql", sqlCreates}, {"deal_sqlaudit", sqlAuditCreates},
		{"deal_apisolo", apiCreates}} // the last with group commit off
	const solo = 4
	works := make([]func(int) error, len(paths))
	mods := make([]*meta.Module, len(paths))
	for k, p := range paths {
		m, err := env.createModule(ctx, p.module)
		if err != nil {
			return err
		}
		if works[k], err = p.work(ctx, env, m, rows); err != nil {
			return err
		}
		env.s.SetGrouping(cfg.grouping && k != solo)
		_, err = runPool(ctx, cfg.clients, 0, createWarmup, works[k])
		env.s.SetGrouping(cfg.grouping)
		if err != nil {
			return fmt.Errorf("creates into %s: %w", p.module, err)
		}
		mods[k] = m
	}
	rounds := min(createRounds, cfg.creates)
	totals := make([]time.Duration, len(paths))
	perRound := make([][]float64, len(paths)) // seconds per row, by round
	for r := 0; r < rounds; r++ {
		from := createWarmup + r*cfg.creates/rounds
		to := createWarmup + (r+1)*cfg.creates/rounds
		for j := range paths {
			k := j
			if r%2 == 1 {
				k = len(paths) - 1 - j
			}
			env.s.SetGrouping(cfg.grouping && k != solo)
			d, err := runPool(ctx, cfg.clients, from, to, works[k])
			env.s.SetGrouping(cfg.grouping)
			if err != nil {
				return fmt.Errorf("creates into %s: %w", paths[k].module, err)
			}
			totals[k] += d
			perRound[k] = append(perRound[k], d.Seconds()/float64(to-from))
		}
	}
	for _, m := range mods {
		if err := checkCount(ctx, env, m, len(rows)); err != nil {
			return err
		}
	}
	rate := func(d time.Duration) float64 { return float64(cfg.creates) / d.Seconds() }
	perRow := func(d time.Duration) string { return fmtDur(d / time.Duration(cfg.creates)) }
	api, engine, sql, sqlAudit := totals[0], totals[1], totals[2], totals[3]
	vsSQL, lo, hi := roundRatios(perRound[0], perRound[2])
	rep.add(reportRow{
		name:   fmt.Sprintf("create: 1 record per request/statement, %d clients", cfg.clients),
		metric: "rows/s", api: fmtRate(rate(api)), engine: fmtRate(rate(engine)), sql: fmtRate(rate(sql)),
		ratio: vsSQL, target: createTarget,
	})
	// Wall time over rows: the cost of one row at this concurrency.
	rep.add(reportRow{name: fmt.Sprintf("  (API/SQL: median of %d rounds, range %.2f–%.2f×)", rounds, lo, hi),
		metric: "wall/row", api: perRow(api), engine: perRow(engine), sql: perRow(sql)})
	vsTx, lo, hi := roundRatios(perRound[0], perRound[3])
	rep.add(reportRow{
		name:   "create vs a hand-written tx: INSERT + audit INSERT",
		metric: "rows/s", api: fmtRate(rate(api)), engine: fmtRate(rate(engine)), sql: fmtRate(rate(sqlAudit)),
		ratio: vsTx, target: createTxTarget,
	})
	rep.add(reportRow{name: fmt.Sprintf("  (median of %d rounds, range %.2f–%.2f×)", rounds, lo, hi),
		metric: "wall/row", sql: perRow(sqlAudit)})
	if env.s.D.Name() == "sqlite" && cfg.grouping {
		// Columns: API with group commit | — | API without; ratio without/with.
		gain, lo, hi := roundRatios(perRound[solo], perRound[0])
		rep.add(reportRow{
			name:   "create through the API: group commit vs one commit each (columns: group | each)",
			metric: "rows/s", api: fmtRate(rate(api)), sql: fmtRate(rate(totals[solo])), ratio: gain,
		})
		txs, commits := env.s.GroupStats()
		rep.add(reportRow{name: fmt.Sprintf("  (median of %d rounds, range %.2f–%.2f×; %s transactions in %s commits so far)",
			rounds, lo, hi, groupDigits(txs), groupDigits(commits))})
	}
	return nil
}

// roundRatios divides a's per-round times by b's, round by round, and
// returns the median ratio and the range.
func roundRatios(a, b []float64) (med, lo, hi float64) {
	rs := make([]float64, len(a))
	for i := range a {
		rs[i] = a[i] / b[i]
	}
	slices.Sort(rs)
	n := len(rs)
	med = rs[n/2]
	if n%2 == 0 {
		med = (rs[n/2-1] + rs[n/2]) / 2
	}
	return med, rs[0], rs[n-1]
}

// apiCreates returns the work of creating row i through the API. Bodies
// are encoded up front: the client's JSON encoding is not the server's cost.
func apiCreates(ctx context.Context, env *benchEnv, m *meta.Module, rows []benchRow) (func(int) error, error) {
	bodies := make([][]byte, len(rows))
	for i, r := range rows {
		bodies[i] = r.body()
	}
	path := recordsPath(m)
	return func(i int) error {
		return env.do(ctx, http.MethodPost, path, bodies[i], http.StatusCreated, nil)
	}, nil
}

// engineCreates returns the work of creating row i with the record
// service, as the API handler does once it has decoded the body.
func engineCreates(ctx context.Context, env *benchEnv, m *meta.Module, rows []benchRow) (func(int) error, error) {
	inputs := make([]map[string]any, len(rows))
	for i, r := range rows {
		inputs[i] = r.values()
	}
	return func(i int) error {
		_, err := env.svc.Records.Create(ctx, env.actor, m, inputs[i])
		return err
	}, nil
}

// sqlCreates returns the work of inserting row i by hand, on the store's
// own writer pool (on SQLite its single connection, as for the API).
func sqlCreates(ctx context.Context, env *benchEnv, m *meta.Module, rows []benchRow) (func(int) error, error) {
	d := env.s.D
	args, err := allFieldArgs(d, m, rows)
	if err != nil {
		return nil, err
	}
	q := insertSQL(d, m.Table, 1)
	return func(i int) error {
		_, err := env.s.W.ExecContext(ctx, q, rowArgs(d, env.s.Now(), env.userID, args[i])...)
		return err
	}, nil
}

// allFieldArgs is fieldArgs of every row.
func allFieldArgs(d store.Dialect, m *meta.Module, rows []benchRow) ([][]any, error) {
	args := make([][]any, len(rows))
	for i, r := range rows {
		a, err := fieldArgs(d, m, r)
		if err != nil {
			return nil, err
		}
		args[i] = a
	}
	return args, nil
}

// sqlAuditCreates returns the work of creating row i the way a careful
// hand-written handler would: one transaction with the INSERT and the
// audit INSERT (its diff marshalled per row, as the API builds it).
func sqlAuditCreates(ctx context.Context, env *benchEnv, m *meta.Module, rows []benchRow) (func(int) error, error) {
	d := env.s.D
	args, err := allFieldArgs(d, m, rows)
	if err != nil {
		return nil, err
	}
	q := insertSQL(d, m.Table, 1)
	audit := store.Rebind(d, `INSERT INTO audit_log (id, at, actor, via, kind, action, app, module, record_id, diff, detail)
		VALUES (?, ?, ?, 'api', 'record', 'create', ?, ?, ?, ?, ?)`)
	return func(i int) error {
		now := env.s.Now()
		row := rowArgs(d, now, env.userID, args[i])
		diff := make(map[string]any, len(benchFields))
		for k, v := range rows[i].values() {
			diff[k] = map[string]any{"before": nil, "after": v}
		}
		doc, err := json.Marshal(diff)
		if err != nil {
			return err
		}
		tx, err := env.s.W.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, q, row...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, audit, store.NewID(), store.TimeArg(d, now), env.userID,
			m.AppKey, m.Key, row[0], string(doc), `{"version":1}`); err != nil {
			return err
		}
		return tx.Commit()
	}, nil
}

// runPool runs work(i) for every i in [from, to) on the given number of
// goroutines and returns the wall time. The first error stops the pool.
func runPool(ctx context.Context, workers, from, to int, work func(int) error) (time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := atomic.Int64{}
	next.Store(int64(from))
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= to {
					return
				}
				if err := work(i); err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return elapsed, firstErr
}

// checkCount makes sure every create landed, so a silently failing path
// cannot look fast.
func checkCount(ctx context.Context, env *benchEnv, m *meta.Module, want int) error {
	var n int
	q := `SELECT count(*) FROM ` + store.Quote(m.Table) + ` WHERE "deleted_at" IS NULL`
	if err := env.s.R.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("module %s has %d records, want %d", m.Key, n, want)
	}
	return nil
}
