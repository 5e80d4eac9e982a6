package importapi_test

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// BenchmarkImport uploads an xlsx of IMPORT_BENCH_ROWS rows (default
// 100,000), dry-runs it and runs it as the import job, through the record
// write path with audit and a rule on, and reports rows per second of the run and of
// the dry run, and the peak Go heap over the whole. Not part of the tests:
//
//	IMPORT_BENCH_ROWS=100000 go test -run - -bench Import -benchtime 1x ./runtime/importapi
func BenchmarkImport(b *testing.B) {
	rows := 100_000
	if n, err := strconv.Atoi(os.Getenv("IMPORT_BENCH_ROWS")); err == nil && n > 0 {
		rows = n
	}
	dialects := map[string]func(testing.TB) *store.Store{"sqlite": storetest.SQLite}
	if os.Getenv("TESSERA_TEST_DATABASE_URL") != "" {
		dialects["postgres"] = storetest.Postgres
	}
	file := benchFile(b, rows)
	for name, open := range dialects {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				benchImport(b, open(b), file, rows)
			}
		})
	}
}

func benchFile(b *testing.B, rows int) []byte {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	_ = sw.SetRow("A1", []any{"Name", "Code", "Amount", "Qty", "Closed", "Won"})
	for i := 1; i <= rows; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		_ = sw.SetRow(cell, []any{fmt.Sprintf("Customer %d", i), fmt.Sprintf("C%07d", i), float64(i%100000) / 100, i,
			time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%700), i%2 == 0})
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func benchImport(b *testing.B, s *store.Store, file []byte, rows int) {
	e := apitest.New(b, s, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	e.Do(b, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": apitest.Label("CRM")}).Want(b, 201)
	f := func(typ string, extra ...any) map[string]any {
		xf := map[string]any{"type": typ}
		for i := 0; i+1 < len(extra); i += 2 {
			xf[extra[i].(string)] = extra[i+1]
		}
		return map[string]any{"x-field": xf}
	}
	e.Do(b, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "customer", "label": apitest.Label("Customers"), "schema": map[string]any{
		"properties": map[string]any{"name": f("text"), "code": f("text", "unique", true), "amount": f("currency"), "qty": f("integer"),
			"closed": f("date"), "won": f("boolean")},
	}}).Want(b, 201)
	// A rule on the module: its condition is evaluated in every row's
	// write, and the rows it holds for (one in ten) leave a job.
	e.Do(b, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "big", "label": apitest.Label("Big"), "module": "customer",
		"trigger": map[string]any{"type": "created"}, "condition": "amount > 900",
		"actions": []any{map[string]any{"type": "set", "values": map[string]string{"qty": "qty + 1"}}}}).Want(b, 201)
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	runtime.GC()
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	t0 := time.Now()
	up := upload(b, e, "admin", "customer", "bench.xlsx", file, nil).Want(b, 201)
	if up.Num("rows") != float64(rows) {
		b.Fatalf("upload: %d rows", int(up.Num("rows")))
	}
	tUpload := time.Since(t0)
	body := map[string]any{"mapping": up.Obj("mapping"), "mode": "upsert", "key": "code"}
	t1 := time.Now()
	d := e.Do(b, "admin", "POST", "/api/imports/"+up.Str("id")+"/dry-run", body).Want(b, 200)
	tDry := time.Since(t1)
	if d.Num("created") != float64(rows) {
		b.Fatalf("dry run: %s", d.Body[:min(len(d.Body), 500)])
	}
	e.Do(b, "admin", "POST", "/api/imports/"+up.Str("id")+"/run", body).Want(b, 202)
	t2 := time.Now()
	e.RunJobs(b)
	tRun := time.Since(t2)
	close(stop)
	<-done
	st := e.Do(b, "admin", "GET", "/api/imports/"+up.Str("id"), nil).Want(b, 200)
	if st.Str("status") != "done" || st.Num("counts.created") != float64(rows) {
		b.Fatalf("run: %s", st.Body)
	}
	b.ReportMetric(float64(rows)/tRun.Seconds(), "run-rows/s")
	b.ReportMetric(float64(rows)/tDry.Seconds(), "dry-rows/s")
	b.ReportMetric(tUpload.Seconds(), "upload-s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(len(file))/(1<<20), "file-MB")
}
