package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tessera-app/tessera/engine/export"
	"github.com/tessera-app/tessera/engine/importer"
	"github.com/tessera-app/tessera/engine/store"
)

// The import and export benches (issue 9's targets): a generated xlsx of
// --import-rows rows imported through engine/importer — every row through
// the record write path, a rule on the module and the audit log on — in
// --import-rounds rounds, each into a fresh module; and an export of
// --export-rows rows as csv and xlsx. Both report their rate and their
// peak memory: the Go heap's high-water mark (sampled) and the process's
// peak resident set (VmHWM, reset before the measured part by writing 5 to
// /proc/self/clear_refs, after the heap left by earlier parts was handed
// back to the system), so the figure is that of the import or the export,
// not of the seeding before it.
const (
	importTarget = 10_000 // rows/s
	exportRSS    = 300    // MB of resident memory at most
)

// importSchema is the imported module: the bench fields with a unique
// code, the key of the upsert.
const importSchema = `{
  "type": "object",
  "properties": {
    "name":       {"maxLength": 200, "x-field": {"type": "text", "label": {"en": "Name"}}},
    "code":       {"x-field": {"type": "text", "unique": true, "label": {"en": "Code"}}},
    "amount":     {"minimum": 0, "x-field": {"type": "currency", "label": {"en": "Amount"}}},
    "stage":      {"x-field": {"type": "select", "label": {"en": "Stage"}, "options": [
                    {"value": "new"}, {"value": "qualified"}, {"value": "negotiation"}, {"value": "won"}, {"value": "lost"}]}},
    "close_date": {"x-field": {"type": "date", "label": {"en": "Close date"}}},
    "score":      {"minimum": 0, "maximum": 1000, "x-field": {"type": "integer", "label": {"en": "Score"}}},
    "active":     {"x-field": {"type": "boolean", "label": {"en": "Active"}}},
    "email":      {"x-field": {"type": "email", "label": {"en": "Email"}}}
  },
  "required": ["name"]
}`

func benchImport(ctx context.Context, env *benchEnv, cfg benchConfig, rep *report, progress func(string, ...any)) error {
	file, err := importFile(cfg.importRows)
	if err != nil {
		return err
	}
	progress("importing a %s-row xlsx (%.1f MB) %d times", groupDigits(int64(cfg.importRows)), float64(len(file))/(1<<20), cfg.importRounds)
	var rates, perCPU []float64
	var heap uint64
	var rss, base, anon int64
	for round := range cfg.importRounds {
		r, mem, err := importRound(ctx, env, fmt.Sprintf("imported%d", round), file, cfg.importRows)
		if err != nil {
			return fmt.Errorf("round %d: %w", round+1, err)
		}
		rates = append(rates, r)
		perCPU = append(perCPU, float64(cfg.importRows)/mem.cpu.Seconds())
		heap, rss, base, anon = max(heap, mem.heap), max(rss, mem.rss), max(base, mem.base), max(anon, mem.anon)
	}
	med, spread := medianSpread(rates)
	rep.note(fmt.Sprintf("import a %s-row xlsx (upsert by key, a rule, audit on; median of %d, range %s)",
		groupDigits(int64(cfg.importRows)), len(rates), spread),
		"rows/s", fmtRate(med)+" "+against(med >= importTarget, "target ≥ "+fmtRate(importTarget)))
	cmed, cspread := medianSpread(perCPU)
	rep.note("  the same per second of this process's CPU time (user + system; the machine's load aside)", "rows/CPU-s", fmtRate(cmed)+" ("+cspread+")")
	rep.note("import peak memory: Go heap / process RSS (anonymous part; RSS before the import)", "MB",
		fmt.Sprintf("%.0f / %.0f (%.0f; %.0f)", mb(int64(heap)), mb(rss), mb(anon), mb(base)))
	return nil
}

// importFile is the bench's xlsx: a header row of the field labels and
// rows from the bench's fixed seed, each with its own code.
func importFile(n int) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return nil, err
	}
	if err := sw.SetRow("A1", []any{"Name", "Code", "Amount", "Stage", "Close date", "Score", "Active", "Email"}); err != nil {
		return nil, err
	}
	for i, r := range benchRows(n, 9) {
		amount, _ := strconv.ParseFloat(r.amount, 64)
		day, _ := time.Parse(store.DateLayout, r.closeDate)
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, []any{r.name, fmt.Sprintf("C%07d", i), amount, r.stage, day, r.score, r.active, r.email}); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// importRound creates module key with a rule and imports file into it as
// the import job does, timing the job alone (not the upload, which reads
// the file once to count its rows).
func importRound(ctx context.Context, env *benchEnv, key string, file []byte, rows int) (float64, memPeak, error) {
	body, _ := json.Marshal(map[string]any{"key": key, "label": map[string]string{"en": key}, "schema": json.RawMessage(importSchema)})
	if err := env.do(ctx, http.MethodPost, "/api/apps/"+benchApp+"/modules", body, http.StatusCreated, nil); err != nil {
		return 0, memPeak{}, err
	}
	// One after-save rule: its condition is evaluated in every row's
	// write, and the rows it holds for (about one in ten) leave a job.
	rule, _ := json.Marshal(map[string]any{"key": key + "_big", "label": map[string]string{"en": "Big won deals"}, "module": key,
		"trigger": map[string]any{"type": "created"}, "condition": `amount > 5000 && stage == "won"`,
		"actions": []any{map[string]any{"type": "set", "values": map[string]string{"score": "score + 100"}}}})
	if err := env.do(ctx, http.MethodPost, "/api/apps/"+benchApp+"/rules", rule, http.StatusCreated, nil); err != nil {
		return 0, memPeak{}, fmt.Errorf("create rule: %w", err)
	}
	imp := env.svc.Imports
	opts := importer.Options{Locale: "en"}
	up, err := imp.Create(ctx, env.actor, benchApp, key, importer.Upload{Filename: "bench.xlsx"}, file, opts)
	if err != nil {
		return 0, memPeak{}, fmt.Errorf("upload: %w", err)
	}
	if up.Rows != int64(rows) || len(up.Mapping) != 8 {
		return 0, memPeak{}, fmt.Errorf("upload: %d rows, mapping %v", up.Rows, up.Mapping)
	}
	req := importer.Request{Mapping: up.Mapping, Mode: importer.ModeUpsert, Key: "code"}
	if _, err := imp.Start(ctx, env.actor.User, up.ID, req, opts); err != nil {
		return 0, memPeak{}, err
	}
	jobs, err := env.s.ClaimJobs(ctx, "bench", []string{importer.JobKind}, env.s.Now(), time.Hour, 1)
	if err != nil || len(jobs) != 1 {
		return 0, memPeak{}, fmt.Errorf("claim the import job: %d jobs, %v", len(jobs), err)
	}
	w := watchMemory()
	start, cpu0 := time.Now(), cpuTime()
	err = imp.Run(ctx, &jobs[0])
	d := time.Since(start)
	mem := w.stop()
	mem.cpu = cpuTime() - cpu0
	if err != nil {
		return 0, memPeak{}, err
	}
	got, err := imp.Get(ctx, env.actor.User, up.ID, "en")
	if err != nil {
		return 0, memPeak{}, err
	}
	if got.Status != "done" || got.Counts.Created != int64(rows) || got.Counts.Failed != 0 {
		return 0, memPeak{}, fmt.Errorf("import ended %s with %+v (%s)", got.Status, got.Counts, got.Error)
	}
	var audited, ruled int
	if err := env.s.R.QueryRowContext(ctx, store.Rebind(env.s.D, `SELECT COUNT(*) FROM audit_log WHERE module = ? AND via = 'import'`), key).Scan(&audited); err != nil {
		return 0, memPeak{}, err
	}
	if err := env.s.R.QueryRowContext(ctx, store.Rebind(env.s.D, `SELECT COUNT(*) FROM jobs WHERE kind = 'rule.run' AND CAST(payload AS TEXT) LIKE ?`), `%"`+key+`"%`).Scan(&ruled); err != nil {
		return 0, memPeak{}, err
	}
	if audited != rows || ruled == 0 || ruled >= rows {
		return 0, memPeak{}, fmt.Errorf("import left %d history entries and %d rule jobs for %d rows", audited, ruled, rows)
	}
	return float64(rows) / d.Seconds(), mem, nil
}

// benchExport exports --export-rows rows as csv and as xlsx, the way an
// export job writes them (engine/export, page after page of the list),
// to a writer that only counts.
func benchExport(ctx context.Context, env *benchEnv, cfg benchConfig, rep *report, progress func(string, ...any)) error {
	m, err := env.createModule(ctx, "exported")
	if err != nil {
		return err
	}
	progress("loading %s rows to export", groupDigits(int64(cfg.exportRows)))
	// In slices, so the rows generated never sit in memory all at once.
	const slice = 50_000
	for from := 0; from < cfg.exportRows; from += slice {
		rows := benchRows(min(slice, cfg.exportRows-from), uint64(100+from/slice))
		if err := bulkLoad(ctx, env, m, rows, func(int) string { return env.userID }); err != nil {
			return fmt.Errorf("bulk load: %w", err)
		}
	}
	if err := analyze(ctx, env.s, m.Table); err != nil {
		return err
	}
	for _, format := range []string{"csv", "xlsx"} {
		progress("exporting them as %s", format)
		w := watchMemory()
		start := time.Now()
		p, err := env.svc.Exports.Prepare(ctx, env.actor, benchApp, m.Key, export.Request{Format: format}, export.Options{Locale: "en"})
		if err != nil {
			return err
		}
		if p.Total != int64(cfg.exportRows) {
			return fmt.Errorf("%s export of %d rows, want %d", format, p.Total, cfg.exportRows)
		}
		var out countingWriter
		if err := env.svc.Exports.Write(ctx, p, &out, nil); err != nil {
			return fmt.Errorf("%s export: %w", format, err)
		}
		d := time.Since(start)
		mem := w.stop()
		rep.note(fmt.Sprintf("export %s rows as %s (%.0f MB file)", groupDigits(int64(cfg.exportRows)), format, mb(out.n)),
			"rows/s", fmtRate(float64(cfg.exportRows)/d.Seconds()))
		rep.note(fmt.Sprintf("export %s peak memory: Go heap / process RSS (anonymous part; RSS before the export)", format),
			"MB", fmt.Sprintf("%.0f / %.0f (%.0f; %.0f) ", mb(int64(mem.heap)), mb(mem.rss), mb(mem.anon), mb(mem.base))+
				against(mem.rss > 0 && mb(mem.rss) <= exportRSS, fmt.Sprintf("target RSS ≤ %d MB", exportRSS)))
	}
	return nil
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// memPeak is what a measured part took at most: the Go heap in use, and
// the process's resident set (0 where /proc does not say), base being the
// resident set when the part began.
type memPeak struct {
	heap      uint64
	rss, base int64
	// anon is the peak of the resident set's anonymous part (RssAnon):
	// what the process allocated, without the file pages it maps — on
	// SQLite the read connections map the database file (mmap_size), and
	// the pages a scan touches count in the resident set while they are
	// the system's page cache, shared and dropped under pressure.
	anon int64
	cpu  time.Duration // the process's CPU time over the part, where measured
}

// cpuTime is the process's CPU time so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// memWatch samples the heap while a part runs.
type memWatch struct {
	peak       atomic.Uint64
	anon       atomic.Int64
	done, quit chan struct{}
	base       int64
}

// watchMemory hands the memory earlier parts left back to the system,
// resets the process's peak resident set and starts sampling the heap.
func watchMemory() *memWatch {
	runtime.GC()
	debug.FreeOSMemory()
	w := &memWatch{done: make(chan struct{}), quit: make(chan struct{})}
	w.base = procStatus("VmRSS")
	// Linux: 5 resets VmHWM to the current resident set.
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	go func() {
		defer close(w.done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > w.peak.Load() {
				w.peak.Store(ms.HeapInuse)
			}
			if a := procStatus("RssAnon"); a > w.anon.Load() {
				w.anon.Store(a)
			}
			select {
			case <-w.quit:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *memWatch) stop() memPeak {
	close(w.quit)
	<-w.done
	return memPeak{heap: w.peak.Load(), rss: procStatus("VmHWM"), base: w.base, anon: w.anon.Load()}
}

// procStatus reads a size field of /proc/self/status in bytes (0 when
// there is none).
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// against says whether a figure meets its target.
func against(ok bool, target string) string {
	if ok {
		return "(OK, " + target + ")"
	}
	return "(MISSES TARGET: " + target + ")"
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

// medianSpread is the median of xs and their range as "min–max".
func medianSpread(xs []float64) (float64, string) {
	s := slices.Clone(xs)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return med, fmtRate(s[0]) + "–" + fmtRate(s[len(s)-1])
}
