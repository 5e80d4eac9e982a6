package main

// `tessera bench` measures what the HTTP API costs over hand-written SQL
// on the same database: record creates, and list pages over a large
// table. It exists to keep the engine honest about its overhead, so it
// prints figures and targets but only fails when something breaks, never
// because a ratio is above its target.
//
// The files bench_*.go hold the parts: bench_env.go sets up a store, a
// real HTTP server and the test modules; bench_create.go and bench_list.go
// measure; this file parses flags, picks the databases and prints.

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tessera-app/tessera/engine/store"
)

// benchEnvURL names the PostgreSQL database the bench uses by default: the
// test database, never the production one ($TESSERA_DATABASE_URL).
const benchEnvURL = "TESSERA_TEST_DATABASE_URL"

// Targets: the API may cost this many times the hand-written SQL.
const (
	createTarget = 2.5
	// createTxTarget: the API's create over a hand-written transaction
	// making the same INSERT and audit INSERT.
	createTxTarget = 1.5
	listTarget     = 1.5
)

// benchConfig holds the bench flags.
type benchConfig struct {
	creates, rows, clients int
	// importRows, importRounds and exportRows size the import and export
	// parts (bench_import.go).
	importRows, importRounds, exportRows int
	database, only                       string
	cpuProfile                           string
	// grouping is group commit on SQLite (off: every write commits alone,
	// for before/after figures).
	grouping bool
	// sections, when set, runs only these parts (see benchSections).
	sections map[string]bool
}

// benchSections are the parts of a bench run, in order; dashboard reads
// the rows lists loads, so it brings lists along.
var benchSections = []string{"creates", "writers", "mixed", "rules", "flows", "expr", "lists", "dashboard", "live", "scope", "inbox", "import", "export"}

// runs reports whether section is part of this run.
func (c benchConfig) runs(section string) bool {
	return c.sections == nil || c.sections[section] || (section == "lists" && c.sections["dashboard"])
}

func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseBenchFlags(args, stderr)
	if err != nil {
		return err
	}
	targets, err := benchTargets(cfg)
	if err != nil {
		return err
	}
	if cfg.cpuProfile != "" {
		stop, err := startCPUProfile(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	fmt.Fprintf(stdout, "tessera bench — %s %s/%s, %d CPUs; %d creates by %d clients, lists over %d rows\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cfg.creates, cfg.clients, cfg.rows)
	for _, t := range targets {
		if err := runTarget(ctx, cfg, t, stdout, stderr); err != nil {
			return fmt.Errorf("bench %s: %w", t.name, err)
		}
	}
	return nil
}

func parseBenchFlags(args []string, stderr io.Writer) (benchConfig, error) {
	var cfg benchConfig
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.creates, "creates", 5000, "records to create through the API (and by hand-written SQL)")
	fs.IntVar(&cfg.rows, "rows", 100000, "rows in the table the list pages read")
	fs.IntVar(&cfg.clients, "clients", 8, "concurrent clients for the creates")
	fs.IntVar(&cfg.importRows, "import-rows", 100_000, "rows of the xlsx the import part imports")
	fs.IntVar(&cfg.importRounds, "import-rounds", 3, "times the import part imports it (the median is reported)")
	fs.IntVar(&cfg.exportRows, "export-rows", 1_000_000, "rows the export part exports as csv and xlsx")
	fs.StringVar(&cfg.database, "database", os.Getenv(benchEnvURL),
		"PostgreSQL URL; a throwaway schema is created in it and dropped ($"+benchEnvURL+")")
	fs.StringVar(&cfg.only, "only", "", "run only sqlite or postgres")
	fs.BoolVar(&cfg.grouping, "group-commit", true, "SQLite: concurrent write transactions share commits (false: each commits alone)")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (client and server) to this file")
	only := fs.String("sections", "", "run only these comma-separated parts: "+strings.Join(benchSections, ","))
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if *only != "" {
		cfg.sections = map[string]bool{}
		for _, s := range strings.Split(*only, ",") {
			if s = strings.TrimSpace(s); !slices.Contains(benchSections, s) {
				return cfg, fmt.Errorf("bench: unknown section %q (want some of %s)", s, strings.Join(benchSections, ","))
			}
			cfg.sections[s] = true
		}
	}
	if cfg.creates < 1 || cfg.rows < 1 || cfg.clients < 1 || cfg.importRows < 1 || cfg.importRounds < 1 || cfg.exportRows < 1 {
		return cfg, errors.New("bench: --creates, --rows, --clients, --import-rows, --import-rounds and --export-rows must be positive")
	}
	return cfg, nil
}

// startCPUProfile profiles the process: the server runs in it, so the
// profile shows where a request's time goes beyond its SQL.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// benchTarget is one database to measure. open returns a migrated store
// and the function that removes everything the bench created.
type benchTarget struct {
	name string
	open func(ctx context.Context) (*store.Store, func(), error)
}

func benchTargets(cfg benchConfig) ([]benchTarget, error) {
	var out []benchTarget
	if cfg.only == "" || cfg.only == "sqlite" {
		out = append(out, benchTarget{"sqlite", openSQLiteBench})
	}
	if cfg.only == "" || cfg.only == "postgres" {
		switch {
		case cfg.database != "":
			base := cfg.database
			out = append(out, benchTarget{"postgres", func(ctx context.Context) (*store.Store, func(), error) {
				return openPostgresBench(ctx, base)
			}})
		case cfg.only == "postgres":
			return nil, errors.New("bench: --only postgres needs --database or $" + benchEnvURL)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("bench: --only must be sqlite or postgres, not %q", cfg.only)
	}
	return out, nil
}

// openSQLiteBench opens a fresh database in a temporary directory, so the
// bench never touches a real data directory.
func openSQLiteBench(ctx context.Context) (*store.Store, func(), error) {
	dir, err := os.MkdirTemp("", "tessera-bench-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	s, err := openMigrated(ctx, dir, "")
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return s, func() { s.Close(); cleanup() }, nil
}

// openPostgresBench creates schema bench_<random> and connects with it as
// the search path, so the bench shares nothing with what is already in
// the database; the cleanup drops the schema.
func openPostgresBench(ctx context.Context, base string) (*store.Store, func(), error) {
	var rnd [6]byte
	rand.Read(rnd[:])
	schema := "bench_" + hex.EncodeToString(rnd[:])
	u, err := url.Parse(base)
	if err != nil {
		return nil, nil, fmt.Errorf("database URL: %w", err)
	}
	if err := adminExec(ctx, base, "CREATE SCHEMA "+schema); err != nil {
		return nil, nil, err
	}
	// Drop with a fresh context: the schema must go even after Ctrl-C.
	drop := func() { adminExec(context.Background(), base, "DROP SCHEMA "+schema+" CASCADE") }
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := openMigrated(ctx, "", u.String())
	if err != nil {
		drop()
		return nil, nil, err
	}
	return s, func() { s.Close(); drop() }, nil
}

func openMigrated(ctx context.Context, dir, url string) (*store.Store, error) {
	s, err := store.Open(ctx, dir, url)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return s, nil
}

func adminExec(ctx context.Context, dsn, stmt string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}

// runTarget measures one database and prints its table.
func runTarget(ctx context.Context, cfg benchConfig, t benchTarget, stdout, stderr io.Writer) error {
	s, cleanup, err := t.open(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	s.SetGrouping(cfg.grouping)
	env, err := newBenchEnv(ctx, s)
	if err != nil {
		return err
	}
	defer env.close()
	progress := func(format string, args ...any) {
		fmt.Fprintf(stderr, "bench %s: "+format+"\n", append([]any{t.name}, args...)...)
	}

	rep := &report{}
	if cfg.runs("creates") {
		progress("creating %d records (API, record service, SQL)", cfg.creates)
		if err := benchCreates(ctx, env, cfg, rep); err != nil {
			return err
		}
	}
	if cfg.runs("writers") {
		progress("%d writers creating records with a lookup", lookupWriters)
		if err := benchLookupWriters(ctx, env, cfg, rep); err != nil {
			return fmt.Errorf("writers: %w", err)
		}
	}
	if cfg.runs("mixed") {
		if err := benchMixed(ctx, env, cfg, rep, progress); err != nil {
			return fmt.Errorf("mixed: %w", err)
		}
	}
	if cfg.runs("rules") {
		progress("creating %d records with and without %d active rules", cfg.creates, ruleCount)
		if err := benchRules(ctx, env, cfg, rep); err != nil {
			return fmt.Errorf("rules: %w", err)
		}
	}
	if cfg.runs("flows") {
		progress("moving records through a pipeline and by plain updates")
		if err := benchFlows(ctx, env, cfg, rep); err != nil {
			return fmt.Errorf("pipelines: %w", err)
		}
	}
	if cfg.runs("expr") {
		if err := benchExpr(ctx, env, rep); err != nil {
			return fmt.Errorf("expressions: %w", err)
		}
	}
	if cfg.runs("lists") {
		progress("loading %d rows for the list pages", cfg.rows)
		if err := benchLists(ctx, env, cfg, rep, progress); err != nil {
			return err
		}
	}
	if cfg.runs("dashboard") {
		progress("timing a %d-widget dashboard over the same rows", len(benchWidgets))
		if err := benchDashboard(ctx, env, rep); err != nil {
			return fmt.Errorf("dashboard: %w", err)
		}
	}
	if cfg.runs("live") {
		if err := benchLive(ctx, env, cfg, rep, progress); err != nil {
			return fmt.Errorf("live aggregates: %w", err)
		}
	}
	if cfg.runs("scope") {
		progress("loading %d rows owned by %d reps for the record-scope pages", cfg.rows, scopeReps)
		if err := benchScope(ctx, env, cfg, rep); err != nil {
			return fmt.Errorf("record scope: %w", err)
		}
	}
	if cfg.runs("inbox") {
		if err := benchInbox(ctx, env, rep, progress); err != nil {
			return fmt.Errorf("approval inbox: %w", err)
		}
	}
	if cfg.runs("import") {
		if err := benchImport(ctx, env, cfg, rep, progress); err != nil {
			return fmt.Errorf("import: %w", err)
		}
	}
	if cfg.runs("export") {
		if err := benchExport(ctx, env, cfg, rep, progress); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	fmt.Fprintf(stdout, "\n== %s (%s) ==\n", t.name, env.version)
	rep.print(stdout)
	return nil
}

// report collects the table rows of one database.
type report struct{ rows []reportRow }

// reportRow is one line: a measurement through the API and its SQL
// equivalent, plus the same work as a direct call to the engine's record
// service (no HTTP, no JSON, no session lookup), which splits the API's
// overhead into what the engine adds and what the HTTP layer adds. ratio
// is the API's cost over SQL's (time, not rate); target 0 marks an
// informational line.
type reportRow struct {
	name, metric     string
	api, engine, sql string
	ratio            float64
	spread           string // the range of the ratio over rounds, when measured in rounds
	target           float64
	// goal is a target that is not a ratio (a rate, a latency), printed
	// as given; met says whether the figure reached it.
	goal string
	met  bool
}

func (r *report) add(row reportRow) { r.rows = append(r.rows, row) }

// note adds a line with a single figure and no comparison.
func (r *report) note(name, metric, value string) {
	r.rows = append(r.rows, reportRow{name: name, metric: metric, api: value})
}

func (r *report) print(w io.Writer) {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\tmetric\tAPI\tengine\thand SQL\tAPI/SQL\ttarget\tresult")
	for _, row := range r.rows {
		ratio, target, result := "", "", ""
		if row.ratio > 0 {
			ratio = fmt.Sprintf("%.2f×", row.ratio)
			if row.spread != "" {
				ratio += " (" + row.spread + ")"
			}
		}
		if row.goal != "" {
			target, result = row.goal, "OK"
			if !row.met {
				result = "MISSED"
			}
		}
		if row.target > 0 {
			target = fmt.Sprintf("≤ %.1f×", row.target)
			result = "OK"
			if row.ratio > row.target {
				result = "ABOVE TARGET"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.name, row.metric, row.api, row.engine, row.sql, ratio, target, result)
	}
	tw.Flush()
	// tabwriter pads empty trailing cells; drop the padding.
	for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

// fmtRate prints a rate with thousands separators ("12,345/s").
func fmtRate(perSec float64) string { return groupDigits(int64(perSec+0.5)) + "/s" }

func fmtDur(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0fms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1fms", ms)
	}
	return fmt.Sprintf("%.2fms", ms)
}

func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
