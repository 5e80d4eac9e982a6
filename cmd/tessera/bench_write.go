package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// The write benches of issue 10 item 2: concurrent writers creating
// records with a lookup, and a mixed load of lists and creates. Both are
// closed loops (each client waits for its answer, then sends the next), so
// the figures are what that many busy clients see.
const (
	lookupWriters    = 8
	lookupTarget     = 1500 // creates/s, SQLite
	lookupAccounts   = 200  // the records the lookup points at
	mixedClients     = 16   // half list, half create
	mixedListTarget  = 30 * time.Millisecond
	mixedWriteTarget = 50 * time.Millisecond
	writeWarmup      = 20 // untimed requests per client
)

// lookupSchema is benchSchema plus a lookup to the accounts module.
func lookupSchema(target string) json.RawMessage {
	var doc map[string]any
	_ = json.Unmarshal([]byte(benchSchema), &doc)
	doc["properties"].(map[string]any)["account"] = map[string]any{
		"x-field": map[string]any{"type": "lookup", "module": target, "label": map[string]string{"en": "Account"}},
	}
	b, _ := json.Marshal(doc)
	return b
}

// benchLookupWriters times lookupWriters clients creating records whose
// lookup points at one of lookupAccounts existing records: every create
// checks its target inside the write transaction.
func benchLookupWriters(ctx context.Context, env *benchEnv, cfg benchConfig, rep *report) error {
	acct, err := env.createModule(ctx, "lk_account")
	if err != nil {
		return err
	}
	if err := bulkLoad(ctx, env, acct, benchRows(lookupAccounts, 5), func(int) string { return env.userID }); err != nil {
		return err
	}
	ids, err := liveIDs(ctx, env, acct)
	if err != nil {
		return err
	}
	deal, err := env.createModuleWith(ctx, "lk_deal", lookupSchema(acct.Key))
	if err != nil {
		return err
	}
	perClient := max(cfg.creates/lookupWriters, 10)
	per := writeWarmup + perClient
	rows := benchRows(lookupWriters*per, 6)
	bodies := make([][]byte, len(rows))
	for i, r := range rows {
		v := r.values()
		v["account"] = ids[i%len(ids)]
		bodies[i], _ = json.Marshal(v)
	}
	path := recordsPath(deal)
	work := func(c, k int) error {
		return env.do(ctx, http.MethodPost, path, bodies[c*per+k], http.StatusCreated, nil)
	}
	if _, _, err := timedPool(ctx, lookupWriters, 0, writeWarmup, work); err != nil {
		return err
	}
	lat, wall, err := timedPool(ctx, lookupWriters, writeWarmup, per, work)
	if err != nil {
		return err
	}
	if err := checkCount(ctx, env, deal, len(rows)); err != nil {
		return err
	}
	rate := float64(lookupWriters*perClient) / wall.Seconds()
	rep.add(reportRow{
		name:   fmt.Sprintf("create with a lookup, %d writers (closed loop)", lookupWriters),
		metric: "creates/s", api: fmtRate(rate),
		goal: "≥ " + fmtRate(lookupTarget), met: rate >= lookupTarget,
	})
	rep.add(reportRow{metric: "p50 / p99", api: fmtDur(pct(lat, 50)) + " / " + fmtDur(pct(lat, 99))})
	return nil
}

// benchMixed loads cfg.rows rows, then runs mixedClients clients at once:
// half load the default list page (50 rows, newest first), half create
// records into the same module. It reports each side's p50 and p99.
func benchMixed(ctx context.Context, env *benchEnv, cfg benchConfig, rep *report, progress func(string, ...any)) error {
	m, err := env.createModule(ctx, "mixed")
	if err != nil {
		return err
	}
	progress("loading %d rows for the mixed load", cfg.rows)
	if err := bulkLoad(ctx, env, m, benchRows(cfg.rows, 7), func(int) string { return env.userID }); err != nil {
		return err
	}
	if err := analyze(ctx, env.s, m.Table); err != nil {
		return err
	}
	writers := mixedClients / 2
	perClient := max(cfg.creates/writers, 50)
	per := writeWarmup + perClient
	rows := benchRows(writers*per, 8)
	bodies := make([][]byte, len(rows))
	for i, r := range rows {
		bodies[i] = r.body()
	}
	list := recordsPath(m) + "?limit=50"
	create := recordsPath(m)
	// Client c lists when c is even and creates when odd.
	work := func(c, k int) error {
		if c%2 == 0 {
			return env.do(ctx, http.MethodGet, list, nil, http.StatusOK, nil)
		}
		return env.do(ctx, http.MethodPost, create, bodies[(c/2)*per+k], http.StatusCreated, nil)
	}
	if _, _, err := timedPool(ctx, mixedClients, 0, writeWarmup, work); err != nil {
		return err
	}
	lat, _, err := timedPool(ctx, mixedClients, writeWarmup, per, work)
	if err != nil {
		return err
	}
	var lists, creates []time.Duration
	for c, ds := range lat.byClient {
		if c%2 == 0 {
			lists = append(lists, ds...)
		} else {
			creates = append(creates, ds...)
		}
	}
	l99, c99 := pct(latencies{all: lists}, 99), pct(latencies{all: creates}, 99)
	rep.add(reportRow{
		name:   fmt.Sprintf("mixed load, %d clients: half list pages (50 rows), half creates", mixedClients),
		metric: "p99 list", api: fmtDur(l99), goal: "≤ " + fmtDur(mixedListTarget), met: l99 <= mixedListTarget,
	})
	rep.add(reportRow{metric: "p99 create", api: fmtDur(c99), goal: "≤ " + fmtDur(mixedWriteTarget), met: c99 <= mixedWriteTarget})
	rep.add(reportRow{metric: "p50 list / create", api: fmtDur(pct(latencies{all: lists}, 50)) + " / " + fmtDur(pct(latencies{all: creates}, 50))})
	return nil
}

// latencies are the durations of a timed pool, all of them and by client.
type latencies struct {
	all      []time.Duration
	byClient [][]time.Duration
}

// timedPool runs clients goroutines at once, client c calling work(c, k)
// for k in [from, to), and times every call. The first error stops it.
func timedPool(ctx context.Context, clients, from, to int, work func(c, k int) error) (latencies, time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
		lat      = latencies{byClient: make([][]time.Duration, clients)}
	)
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ds := make([]time.Duration, 0, to-from)
			defer func() { lat.byClient[c] = ds }()
			for k := from; k < to && ctx.Err() == nil; k++ {
				t0 := time.Now()
				if err := work(c, k); err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
				ds = append(ds, time.Since(t0))
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	for _, ds := range lat.byClient {
		lat.all = append(lat.all, ds...)
	}
	return lat, wall, firstErr
}

// pct is the p-th percentile (nearest rank) of the durations.
func pct(l latencies, p float64) time.Duration {
	if len(l.all) == 0 {
		return 0
	}
	s := slices.Clone(l.all)
	slices.Sort(s)
	k := int(float64(len(s))*p/100+0.999999) - 1
	return s[min(max(k, 0), len(s)-1)]
}

// liveIDs are the ids of a module's records.
func liveIDs(ctx context.Context, env *benchEnv, m *meta.Module) ([]string, error) {
	rows, err := env.s.R.QueryContext(ctx, `SELECT "id" FROM `+store.Quote(m.Table)+` WHERE "deleted_at" IS NULL ORDER BY "id"`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id any
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		s, _ := store.Decode(meta.Column{Kind: meta.ColRef}, id).(string)
		ids = append(ids, strings.ToLower(s))
	}
	return ids, rows.Err()
}
