package main

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/runtime/recordapi"
)

const (
	listWarmup = 20  // untimed rounds per case: caches, plans, connections
	listReps   = 200 // timed rounds per case: API, service and SQL in turn
	// listClients is the concurrency of the concurrent list rows.
	listClients = 8
	// A case stops early after listBudget once it has listMinReps rounds,
	// so a slow page (a count over many rows) cannot stretch the run.
	listBudget  = 10 * time.Second
	listMinReps = 15
	// The bulk load writes multi-row INSERTs in big transactions: the
	// fastest portable load, and it keeps a 100k-row SQLite load to seconds.
	loadPerStmt = 500
	loadPerTx   = 25000
)

// benchLists loads cfg.rows rows by hand into a fresh module, then times
// list pages through the API against the same queries written by hand.
func benchLists(ctx context.Context, env *benchEnv, cfg benchConfig, rep *report, progress func(string, ...any)) error {
	m, err := env.createModule(ctx, "pipeline")
	if err != nil {
		return err
	}
	start := time.Now()
	if err := bulkLoad(ctx, env, m, benchRows(cfg.rows, 2), func(int) string { return env.userID }); err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	if err := analyze(ctx, env.s, m.Table); err != nil {
		return err
	}
	load := time.Since(start)
	rep.note(fmt.Sprintf("bulk load %s rows (%d-row INSERTs, %d-row tx) + ANALYZE",
		groupDigits(int64(cfg.rows)), loadPerStmt, loadPerTx), "rows/s",
		fmtRate(float64(cfg.rows)/load.Seconds())+" ("+load.Round(100*time.Millisecond).String()+")")

	progress("timing list pages (%d rounds of %d requests per case, then %d clients at once)", roundCount, roundRequests, listClients)
	if err := benchBaseline(ctx, env, rep); err != nil {
		return err
	}
	for _, c := range listCases(env.s.D, m.Table) {
		if err := c.measure(ctx, env, m, rep); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
	}
	return nil
}

// bulkLoad inserts rows with creation times one second apart, ending now;
// owner(i) owns row i.
func bulkLoad(ctx context.Context, env *benchEnv, m *meta.Module, rows []benchRow, owner func(int) string) error {
	t0 := env.s.Now().Add(-time.Duration(len(rows)) * time.Second)
	for start := 0; start < len(rows); start += loadPerTx {
		end := min(start+loadPerTx, len(rows))
		own := func(i int) string { return owner(start + i) }
		if err := loadTx(ctx, env, m, rows[start:end], t0.Add(time.Duration(start)*time.Second), own); err != nil {
			return err
		}
	}
	return nil
}

// loadTx inserts rows in one transaction, loadPerStmt rows per statement,
// each statement shape prepared once.
func loadTx(ctx context.Context, env *benchEnv, m *meta.Module, rows []benchRow, t0 time.Time, owner func(int) string) error {
	d := env.s.D
	tx, err := env.s.W.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmts := map[int]*sql.Stmt{} // by rows per statement: the full size and the tail
	for i := 0; i < len(rows); i += loadPerStmt {
		chunk := rows[i:min(i+loadPerStmt, len(rows))]
		stmt, ok := stmts[len(chunk)]
		if !ok {
			if stmt, err = tx.PrepareContext(ctx, insertSQL(d, m.Table, len(chunk))); err != nil {
				return err
			}
			stmts[len(chunk)] = stmt
		}
		args := make([]any, 0, len(chunk)*15)
		for j, r := range chunk {
			f, err := fieldArgs(d, m, r)
			if err != nil {
				return err
			}
			args = append(args, rowArgs(d, t0.Add(time.Duration(i+j)*time.Second), owner(i+j), f)...)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// analyze refreshes planner statistics, as a database that has grown to
// this size on its own would have them.
func analyze(ctx context.Context, s *store.Store, table string) error {
	q := "ANALYZE " + store.Quote(table)
	if s.D.Name() == "sqlite" {
		q = "ANALYZE" // also fills sqlite_stat1 for the indexes
	}
	_, err := s.W.ExecContext(ctx, q)
	return err
}

// benchBaseline times the cheapest authenticated request: HTTP, routing,
// middleware and the session lookup, without any record work. It is the
// fixed cost every list request pays on top of its queries.
func benchBaseline(ctx context.Context, env *benchEnv, rep *report) error {
	var times []time.Duration
	for i := 0; i < listWarmup+listReps; i++ {
		t0 := time.Now()
		if err := env.do(ctx, http.MethodGet, "/api/auth/me", nil, http.StatusOK, nil); err != nil {
			return err
		}
		if i >= listWarmup {
			times = append(times, time.Since(t0))
		}
	}
	st := summarize(times)
	rep.note("GET /api/auth/me (HTTP + session lookup only)", "mean/p50", fmtDur(st.mean)+" / "+fmtDur(st.p50))
	return nil
}

// listCase is one list page: the query, as the API and the record service
// take it, and the hand-written SQL the store should be running for it.
type listCase struct {
	name  string
	lq    store.ListQuery
	count string // count(*) for total=true, "" otherwise
	page  string
	args  []any
}

// path is the API request for the case.
func (c listCase) path(m *meta.Module) string {
	q := url.Values{"limit": {strconv.Itoa(c.lq.Limit)}}
	if c.lq.Filter != "" {
		q.Set("filter", c.lq.Filter)
	}
	if c.lq.Sort != "" {
		q.Set("sort", c.lq.Sort)
	}
	switch {
	case c.lq.Total && c.lq.TotalCap > 0:
		q.Set("total", "true") // counts up to recordapi.TotalCap
	case c.lq.Total:
		q.Set("total", "exact")
	}
	return recordsPath(m) + "?" + q.Encode()
}

// listCases mirror what engine/store/list.go generates: the same
// conditions, and the same ORDER BY including the id tie-breaker (in the
// direction of the last key) and, on SQLite, the NULLS FIRST/LAST terms
// that make nullable fields sort NULL as largest like PostgreSQL does.
func listCases(d store.Dialect, table string) []listCase {
	nulls := func(clause string) string {
		if d.Name() == "sqlite" {
			return " " + clause
		}
		return ""
	}
	from := "SELECT " + benchColumns + " FROM " + store.Quote(table) + ` WHERE "deleted_at" IS NULL`
	countFrom := "SELECT count(*) FROM " + store.Quote(table) + ` WHERE "deleted_at" IS NULL`

	const wonFilter = `amount > 5000 && stage in ["won","negotiation"]`
	wonWhere := ` AND "amount" > ? AND "stage" IN (?, ?)`
	wonOrder := ` ORDER BY "amount" DESC` + nulls("NULLS FIRST") + `, "name"` + nulls("NULLS LAST") + `, "id" LIMIT 51`
	wonArgs := []any{int64(5000), "won", "negotiation"}

	const rangeFilter = `amount >= 4000 && amount < 4100`
	rangeWhere := ` AND "amount" >= ? AND "amount" < ?`
	rangeOrder := ` ORDER BY "amount"` + nulls("NULLS LAST") + `, "id" LIMIT 51`

	cases := []listCase{
		{
			name: "list: " + wonFilter + ", sort -amount,name",
			lq:   store.ListQuery{Filter: wonFilter, Sort: "-amount,name", Limit: 50},
			page: from + wonWhere + wonOrder, args: wonArgs,
		},
		{
			name: "list: " + rangeFilter + " (indexed), sort amount",
			lq:   store.ListQuery{Filter: rangeFilter, Sort: "amount", Limit: 50},
			page: from + rangeWhere + rangeOrder, args: []any{int64(4000), int64(4100)},
		},
		{
			name: fmt.Sprintf("list: same with total=true (count up to %s + page)", groupDigits(recordapi.TotalCap)),
			lq:   store.ListQuery{Filter: wonFilter, Sort: "-amount,name", Limit: 50, Total: true, TotalCap: recordapi.TotalCap},
			count: fmt.Sprintf("SELECT count(*) FROM (SELECT 1 FROM %s WHERE \"deleted_at\" IS NULL%s LIMIT %d) AS capped",
				store.Quote(table), wonWhere, recordapi.TotalCap+1),
			page: from + wonWhere + wonOrder, args: wonArgs,
		},
		{
			name:  "list: same with total=exact (count + page)",
			lq:    store.ListQuery{Filter: wonFilter, Sort: "-amount,name", Limit: 50, Total: true},
			count: countFrom + wonWhere, page: from + wonWhere + wonOrder, args: wonArgs,
		},
		{
			name: "list: no filter, default sort -created_at",
			lq:   store.ListQuery{Limit: 50},
			page: from + ` ORDER BY "created_at" DESC, "id" DESC LIMIT 51`,
		},
	}
	for i := range cases {
		cases[i].page = store.Rebind(d, cases[i].page)
		cases[i].count = store.Rebind(d, cases[i].count)
	}
	return cases
}

// measure checks that the API and the SQL return the same page, then
// times the API, the record service and the SQL in rounds (roundsOf),
// one client at a time and then listClients at once.
func (c listCase) measure(ctx context.Context, env *benchEnv, m *meta.Module, rep *report) error {
	path := c.path(m)
	matches, err := c.check(ctx, env, path)
	if err != nil {
		return err
	}
	api := func() error { return env.do(ctx, http.MethodGet, path, nil, http.StatusOK, nil) }
	sqlStep := func() error { _, _, err := c.runSQL(ctx, env.s); return err }
	prepared, closePrepared, err := prepareHandSQL(ctx, c, env.s.R)
	if err != nil {
		return err
	}
	defer closePrepared()
	steps := []func() error{
		api,
		func() error {
			p, err := env.svc.Records.ListRows(ctx, env.actor, m, c.lq, nil)
			if err == nil {
				p.Rows.Release()
			}
			return err
		},
		sqlStep,
		func() error { _, _, err := prepared.run(ctx); return err },
	}
	res, err := roundsOf(steps, c.slow())
	if err != nil {
		return err
	}
	a, e, s := res.medians(0), res.medians(1), res.medians(2)
	r := res.ratios(0, 2)
	rep.add(reportRow{name: c.name, metric: fmt.Sprintf("p50, median of %d rounds", len(res.p50[0])),
		api: fmtDur(a), engine: fmtDur(e), sql: fmtDur(s), ratio: r.median, spread: r.spread(), target: listTarget})
	rp := res.ratios(0, 3)
	rep.add(reportRow{name: "  hand SQL prepared once instead", metric: "p50, median of rounds",
		sql: fmtDur(res.medians(3)), ratio: rp.median, spread: rp.spread(), target: listTarget})
	cpu := func(step int) string { return fmtDur(res.cpuPerRequest(step)) }
	what := "CPU of this process per request"
	if env.s.D.Name() == "postgres" {
		what += " (not the database server's)"
	}
	rep.add(reportRow{name: "  " + what, metric: "mean", api: cpu(0), engine: cpu(1), sql: cpu(2),
		ratio: ratio(res.cpuPerRequest(0), res.cpuPerRequest(2))})
	all := [3]stats{summarize(res.all[0]), summarize(res.all[1]), summarize(res.all[2])}
	rep.add(reportRow{name: fmt.Sprintf("  (%s matching rows; %d requests each)", groupDigits(matches), len(res.all[0])), metric: "mean / p95 of all",
		api: fmtDur(all[0].mean) + " / " + fmtDur(all[0].p95), engine: fmtDur(all[1].mean) + " / " + fmtDur(all[1].p95),
		sql: fmtDur(all[2].mean) + " / " + fmtDur(all[2].p95)})
	if c.slow() {
		return nil // counts under concurrency measure the database, not the API
	}
	conc, err := concurrentRounds(listClients, api, sqlStep)
	if err != nil {
		return err
	}
	r = conc.ratios()
	rep.add(reportRow{name: fmt.Sprintf("  same, %d clients at once (API vs hand SQL, %d rounds)", listClients, len(conc.api)),
		metric: "time per request", api: fmtDur(conc.median(conc.api)), sql: fmtDur(conc.median(conc.sql)),
		ratio: r.median, spread: r.spread(), target: listTarget})
	rep.add(reportRow{name: "", metric: "p99 latency", api: fmtDur(conc.median(conc.apiP99)), sql: fmtDur(conc.median(conc.sqlP99))})
	return nil
}

// slow says whether the case counts (total=…): it takes fewer requests
// per round, so that its rounds still fit in the time a case may take.
func (c listCase) slow() bool { return c.count != "" }

// timeRounds runs steps in turn, round after round (listWarmup untimed,
// then up to listReps timed, stopping after listBudget once listMinReps
// are done), and returns each step's timings.
func timeRounds(steps []func() error) ([][]time.Duration, error) {
	times := make([][]time.Duration, len(steps))
	start := time.Now()
	for i := 0; i < listWarmup+listReps; i++ {
		if len(times[0]) >= listMinReps && time.Since(start) > listBudget {
			break
		}
		for j, step := range steps {
			t0 := time.Now()
			if err := step(); err != nil {
				return nil, err
			}
			if i >= listWarmup {
				times[j] = append(times[j], time.Since(t0))
			}
		}
	}
	return times, nil
}

// check compares one API page with the hand-written result: same records
// in the same order, same total. It returns how many rows match the filter.
func (c listCase) check(ctx context.Context, env *benchEnv, path string) (int64, error) {
	var page struct {
		Records []struct {
			ID string `json:"id"`
		} `json:"records"`
		Total *int64 `json:"total"`
	}
	if err := env.do(ctx, http.MethodGet, path, nil, http.StatusOK, &page); err != nil {
		return 0, err
	}
	ids, total, err := c.runSQL(ctx, env.s)
	if err != nil {
		return 0, err
	}
	ids = ids[:min(len(ids), 50)]
	if len(ids) != len(page.Records) {
		return 0, fmt.Errorf("API returned %d records, SQL %d", len(page.Records), len(ids))
	}
	for i, raw := range ids {
		if id := fmt.Sprint(store.Decode(meta.Column{Kind: meta.ColRef}, raw)); page.Records[i].ID != id {
			return 0, fmt.Errorf("record %d: API has %s, SQL %s", i, page.Records[i].ID, id)
		}
	}
	if c.lq.TotalCap > 0 {
		total = min(total, int64(c.lq.TotalCap)) // the API says "10,000+" past the cap
	}
	if c.count != "" && (page.Total == nil || *page.Total != total) {
		return 0, fmt.Errorf("API total %v, SQL %d", deref(page.Total), total)
	}
	var matches int64
	err = env.s.R.QueryRowContext(ctx, countOf(c.page), c.args...).Scan(&matches)
	return matches, err
}

// countOf turns a page query into a count of everything its WHERE matches.
func countOf(page string) string {
	return "SELECT count(*) FROM (" + page[:len(page)-len(" LIMIT 51")] + ") AS matches"
}

// runSQL runs the hand-written queries, scanning every column of every row
// as the store does, and returns the page's raw ids and the count.
func (c listCase) runSQL(ctx context.Context, s *store.Store) (ids []any, total int64, err error) {
	return handSQL{c: c, db: s.R}.run(ctx)
}

// handSQL runs a case's hand-written queries as texts on the read pool,
// or, when prepared, through statements prepared once (as a hand-written
// program that prepares its queries would: on SQLite the API's own reads
// are prepared, on PostgreSQL pgx prepares both sides anyway).
type handSQL struct {
	c           listCase
	db          *sql.DB
	count, page *sql.Stmt
}

func prepareHandSQL(ctx context.Context, c listCase, db *sql.DB) (handSQL, func(), error) {
	h := handSQL{c: c, db: db}
	var err error
	if c.count != "" {
		if h.count, err = db.PrepareContext(ctx, c.count); err != nil {
			return h, nil, err
		}
	}
	if h.page, err = db.PrepareContext(ctx, c.page); err != nil {
		return h, nil, err
	}
	return h, func() {
		if h.count != nil {
			h.count.Close()
		}
		h.page.Close()
	}, nil
}

func (h handSQL) run(ctx context.Context) (ids []any, total int64, err error) {
	if h.c.count != "" {
		row := h.db.QueryRowContext
		if h.count != nil {
			row = func(ctx context.Context, _ string, args ...any) *sql.Row {
				return h.count.QueryRowContext(ctx, args...)
			}
		}
		if err := row(ctx, h.c.count, h.c.args...).Scan(&total); err != nil {
			return nil, 0, err
		}
	}
	var rows *sql.Rows
	if h.page != nil {
		rows, err = h.page.QueryContext(ctx, h.c.args...)
	} else {
		rows, err = h.db.QueryContext(ctx, h.c.page, h.c.args...)
	}
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	vals := make([]any, 16)
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, 0, err
		}
		ids = append(ids, vals[0]) // decoded only by check, off the clock
	}
	return ids, total, rows.Err()
}

type stats struct{ mean, p50, p95 time.Duration }

func summarize(ds []time.Duration) stats {
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	n := len(sorted)
	return stats{
		mean: sum / time.Duration(n),
		p50:  sorted[(n-1)/2],
		p95:  sorted[int(math.Ceil(0.95*float64(n)))-1],
	}
}

func ratio(api, sql time.Duration) float64 { return float64(api) / float64(sql) }

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
