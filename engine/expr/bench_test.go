package expr

import (
	"context"
	"encoding/json"
	"testing"
)

// BenchmarkCondition4Terms measures a typical rule condition, on a record
// as the store returns it (the amount as json.Number, so the conversion
// to float64 is measured too). Run is the direct path (one goroutine, one
// core); Eval goes through the worker pool with its timeout; Eval-parallel
// keeps the pool busy from many goroutines. The target is two
// million evaluations per second per core on the direct path.
func BenchmarkCondition4Terms(b *testing.B) {
	m := testModule(b)
	p, err := Compile(`amount > 1000 && stage == "won" && region in ["east","north"] && !closed`, m, "bool")
	if err != nil {
		b.Fatal(err)
	}
	v := Vars{Record: map[string]any{
		"id": "0190c1a2-0000-7000-8000-000000000001", "name": "Big deal", "amount": json.Number("1500"),
		"stage": "won", "region": "north", "closed": false, "qty": int64(4), "due": "2026-06-30",
	}}
	evalsPerSec := func(b *testing.B) {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
	}
	b.Run("Run", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out, err := p.Run(v)
			if err != nil || out != true {
				b.Fatal(out, err)
			}
		}
		evalsPerSec(b)
	})
	b.Run("Eval", func(b *testing.B) {
		b.ReportAllocs()
		ctx := context.Background()
		for b.Loop() {
			ok, err := p.Bool(ctx, v)
			if err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
		evalsPerSec(b)
	})
	b.Run("Eval-parallel", func(b *testing.B) {
		b.ReportAllocs()
		ctx := context.Background()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if ok, err := p.Bool(ctx, v); err != nil || !ok {
					b.Error(ok, err)
					return
				}
			}
		})
		evalsPerSec(b)
	})
}

// BenchmarkCompile measures a cache miss (a new module version each
// time) and a cache hit.
func BenchmarkCompile(b *testing.B) {
	m := testModule(b)
	const src = `amount > 1000 && stage == "won" && region in ["east","north"] && !closed`
	b.Run("miss", func(b *testing.B) {
		mm := *m
		for b.Loop() {
			mm.Version++
			if _, err := Compile(src, &mm, "bool"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hit", func(b *testing.B) {
		for b.Loop() {
			if _, err := Compile(src, m, "bool"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
