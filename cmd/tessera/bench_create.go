package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// createWarmup records go through each path before the clock starts, so
// connections, prepared statements and the module cache are warm.
const createWarmup = 50

// benchCreates creates cfg.creates records three ways, each into its own
// module of the same schema, with cfg.clients concurrent workers: through
// the API; by calling the record service directly (validation, the
// transaction, its hooks, no HTTP); and with one hand-written INSERT per
// row (autocommit, as the API commits each record on its own).
func benchCreates(ctx context.Context, env *benchEnv, cfg benchConfig, rep *report) error {
	rows := benchRows(createWarmup+cfg.creates, 1)
	paths := []struct {
		module string
		work   func(context.Context, *benchEnv, *meta.Module, []benchRow) (func(int) error, error)
	}{{"deal_api", apiCreates}, {"deal_engine", engineCreates}, {"deal_sql", sqlCreates}}
	var durs []time.Duration
	for _, p := range paths {
		m, err := env.createModule(ctx, p.module)
		if err != nil {
			return err
		}
		work, err := p.work(ctx, env, m, rows)
		if err != nil {
			return err
		}
		d, err := warmThenTime(ctx, cfg.clients, len(rows), work)
		if err != nil {
			return fmt.Errorf("creates into %s: %w", p.module, err)
		}
		if err := checkCount(ctx, env, m, len(rows)); err != nil {
			return err
		}
		durs = append(durs, d)
	}
	rate := func(d time.Duration) float64 { return float64(cfg.creates) / d.Seconds() }
	perRow := func(d time.Duration) string { return fmtDur(d / time.Duration(cfg.creates)) }
	api, engine, sql := durs[0], durs[1], durs[2]
	rep.add(reportRow{
		name:   fmt.Sprintf("create: 1 record per request/statement, %d clients", cfg.clients),
		metric: "rows/s", api: fmtRate(rate(api)), engine: fmtRate(rate(engine)), sql: fmtRate(rate(sql)),
		ratio: rate(sql) / rate(api), target: createTarget,
	})
	// Wall time over rows: the cost of one row at this concurrency.
	rep.add(reportRow{metric: "wall/row", api: perRow(api), engine: perRow(engine), sql: perRow(sql)})
	return nil
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
	args := make([][]any, len(rows))
	for i, r := range rows {
		a, err := fieldArgs(d, m, r)
		if err != nil {
			return nil, err
		}
		args[i] = a
	}
	q := insertSQL(d, m.Table, 1)
	return func(i int) error {
		_, err := env.s.W.ExecContext(ctx, q, rowArgs(d, env.s.Now(), env.userID, args[i])...)
		return err
	}, nil
}

// warmThenTime runs work for items [0, createWarmup) untimed, then times
// the rest.
func warmThenTime(ctx context.Context, workers, n int, work func(int) error) (time.Duration, error) {
	if _, err := runPool(ctx, workers, 0, createWarmup, work); err != nil {
		return 0, err
	}
	return runPool(ctx, workers, createWarmup, n, work)
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
