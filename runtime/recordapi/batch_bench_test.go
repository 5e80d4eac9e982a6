package recordapi_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// BenchmarkBatchCreate creates 500 records through the HTTP API: 500
// single POSTs one after the other, one per-item batch, and one atomic
// batch (one transaction). Each op is 500 records, so ns/op compare
// directly; records/s is reported too. Not part of the tests:
//
//	go test -run - -bench BatchCreate -benchtime 5x ./runtime/recordapi
func BenchmarkBatchCreate(b *testing.B) {
	const n = 500
	dialects := map[string]func(testing.TB) *store.Store{"sqlite": storetest.SQLite}
	if os.Getenv(storetest.EnvURL) != "" {
		dialects["postgres"] = storetest.Postgres
	}
	for name, open := range dialects {
		b.Run(name, func(b *testing.B) {
			e := apitest.New(b, open(b), time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
			e.Do(b, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": apitest.Label("CRM")}).Want(b, 201)
			f := func(typ string) map[string]any { return map[string]any{"x-field": map[string]any{"type": typ}} }
			e.Do(b, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "deal", "label": apitest.Label("Deal"), "schema": map[string]any{
				"properties": map[string]any{"name": f("text"), "amount": f("number"), "stage": f("text")},
			}}).Want(b, 201)
			seq := 0
			data := func() map[string]any {
				seq++
				return map[string]any{"name": fmt.Sprint("Deal ", seq), "amount": seq % 1000, "stage": "new"}
			}
			items := func() []any {
				out := make([]any, n)
				for i := range out {
					out[i] = map[string]any{"op": "create", "data": data()}
				}
				return out
			}
			report := func(b *testing.B) {
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
			}
			b.Run("single", func(b *testing.B) {
				for range b.N {
					for range n {
						e.Do(b, "admin", "POST", dealURL, data()).Want(b, 201)
					}
				}
				report(b)
			})
			for _, atomic := range []bool{false, true} {
				b.Run(map[bool]string{false: "batch-per-item", true: "batch-atomic"}[atomic], func(b *testing.B) {
					for range b.N {
						b.StopTimer()
						body := map[string]any{"atomic": atomic, "items": items()}
						b.StartTimer()
						if r := e.Do(b, "admin", "POST", batchURL, body).Want(b, 200); r.Num("written") != n {
							b.Fatalf("written %v", r.Num("written"))
						}
					}
					report(b)
				})
			}
		})
	}
}
