package exportapi_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/export"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// BenchmarkExport writes a list of EXPORT_BENCH_ROWS rows (default
// 100,000; the figure is 1,000,000) as xlsx and csv through the
// export service — the same page-by-page read path as the API — and
// reports rows per second and the peak Go heap while it ran, which must
// not grow with the row count. Not part of the tests:
//
//	EXPORT_BENCH_ROWS=1000000 go test -run - -bench Export -benchtime 1x ./runtime/exportapi
func BenchmarkExport(b *testing.B) {
	rows := 100_000
	if n, err := strconv.Atoi(os.Getenv("EXPORT_BENCH_ROWS")); err == nil && n > 0 {
		rows = n
	}
	dialects := map[string]func(testing.TB) *store.Store{"sqlite": storetest.SQLite}
	if os.Getenv("TESSERA_TEST_DATABASE_URL") != "" {
		dialects["postgres"] = storetest.Postgres
	}
	for name, open := range dialects {
		b.Run(name, func(b *testing.B) {
			e, a := benchSeed(b, open(b), rows)
			for _, format := range []string{"csv", "xlsx"} {
				b.Run(format, func(b *testing.B) {
					benchExport(b, e, a, format, rows)
				})
			}
		})
	}
}

func benchSeed(b *testing.B, s *store.Store, n int) (*apitest.Env, record.Actor) {
	ctx := context.Background()
	e := apitest.New(b, s, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	e.Do(b, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": apitest.Label("CRM")}).Want(b, 201)
	f := func(typ string) map[string]any { return map[string]any{"x-field": map[string]any{"type": typ}} }
	e.Do(b, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "deal", "label": apitest.Label("Deals"), "schema": map[string]any{
		"properties": map[string]any{"name": f("text"), "amount": f("currency"), "qty": f("integer"), "closed": f("date"), "won": f("boolean")},
	}}).Want(b, 201)
	m, err := e.Svc.Meta.Module(ctx, "crm", "deal")
	if err != nil {
		b.Fatal(err)
	}
	admin := e.IDs["admin"]
	// Straight INSERTs in batches: the benchmark is of the export, not
	// of the write path.
	const batch = 200
	cols := `"id", "version", "created_at", "updated_at", "created_by", "updated_by", "owner_id", "name", "amount", "qty", "closed", "won"`
	for start := 0; start < n; start += batch {
		k := min(batch, n-start)
		var sb strings.Builder
		fmt.Fprintf(&sb, "INSERT INTO %s (%s) VALUES ", store.Quote(m.Table), cols)
		args := make([]any, 0, k*12)
		for i := 0; i < k; i++ {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			r := start + i
			at := store.TimeArg(s.D, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r)*time.Second))
			won := any(r%2 == 0)
			if s.D.Name() == "sqlite" {
				won = int64(r % 2)
			}
			closed := any(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r%700).Format(store.DateLayout))
			args = append(args, store.NewID(), 1, at, at, admin, admin, admin,
				fmt.Sprintf("Deal %d, \"quoted\"", r), float64(r%100000)/100, int64(r), closed, won)
		}
		if _, err := s.W.ExecContext(ctx, store.Rebind(s.D, sb.String()), args...); err != nil {
			b.Fatal(err)
		}
	}
	u, err := s.UserByID(ctx, admin)
	if err != nil {
		b.Fatal(err)
	}
	return e, record.Actor{User: u, Via: "bench"}
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func benchExport(b *testing.B, e *apitest.Env, a record.Actor, format string, rows int) {
	ctx := context.Background()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
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
	var w countingWriter
	start := time.Now()
	for b.Loop() {
		p, err := e.Svc.Exports.Prepare(ctx, a, "crm", "deal", export.Request{Format: format}, export.Options{Locale: "en"})
		if err != nil {
			b.Fatal(err)
		}
		if p.Total != int64(rows) {
			b.Fatalf("%d rows to export, want %d", p.Total, rows)
		}
		if err := e.Svc.Exports.Write(ctx, p, io.Writer(&w), nil); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	close(stop)
	<-done
	b.ReportMetric(float64(rows)*float64(b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(w.n)/float64(b.N)/(1<<20), "file-MB")
}
