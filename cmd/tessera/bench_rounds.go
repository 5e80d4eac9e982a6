package main

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Issue 10 item 9: every list figure is the median of several rounds, with
// the spread of the rounds beside it; in each round every step (API,
// engine, hand SQL) runs a batch of requests, one request of each step in
// turn, and the order of the steps is reversed every other round, so that
// neither side always runs first on warmer caches. The machine is shared with other work, which is why
// a single long run means little and the rounds' spread is shown.
const (
	roundCount     = 7  // rounds per case
	roundRequests  = 40 // requests per step per round (one client)
	slowRequests   = 4  // the same for cases that count (total=…)
	roundWarmup    = 10 // untimed requests per step before the first round
	concRequests   = 400
	concRoundCount = 5
)

// roundTimes are the timings of steps run in rounds.
type roundTimes struct {
	p50 [][]time.Duration // [step][round]: each round's median
	all [][]time.Duration // [step]: every request
	// cpu is the process's CPU time (user + system) spent during each
	// step's requests, [step]. Other processes' load stretches wall
	// times, not this; on SQLite it is all of a request's work, on
	// PostgreSQL all but the database server's.
	cpu []time.Duration
}

// roundsOf runs steps in roundCount rounds of roundRequests requests each
// (slowRequests when slow), alternating their order.
func roundsOf(steps []func() error, slow bool) (*roundTimes, error) {
	per := roundRequests
	if slow {
		per = slowRequests
	}
	for _, step := range steps {
		for i := 0; i < min(roundWarmup, per*2); i++ {
			if err := step(); err != nil {
				return nil, err
			}
		}
	}
	rt := &roundTimes{p50: make([][]time.Duration, len(steps)), all: make([][]time.Duration, len(steps)), cpu: make([]time.Duration, len(steps))}
	for round := 0; round < roundCount; round++ {
		order := make([]int, len(steps))
		for i := range order {
			order[i] = i
		}
		if round%2 == 1 {
			slices.Reverse(order)
		}
		// Request by request in turn within the round, so that every step
		// sees the same moment's load on a shared machine.
		times := make([][]time.Duration, len(steps))
		for i := 0; i < per; i++ {
			for _, j := range order {
				c0, t0 := processCPU(), time.Now()
				if err := steps[j](); err != nil {
					return nil, err
				}
				times[j] = append(times[j], time.Since(t0))
				rt.cpu[j] += processCPU() - c0
			}
		}
		for j := range steps {
			rt.all[j] = append(rt.all[j], times[j]...)
			rt.p50[j] = append(rt.p50[j], median(times[j]))
		}
	}
	return rt, nil
}

// cpuPerRequest is step's mean CPU time per request.
func (rt *roundTimes) cpuPerRequest(step int) time.Duration {
	return rt.cpu[step] / time.Duration(len(rt.all[step]))
}

// medians is the median of step's round medians.
func (rt *roundTimes) medians(step int) time.Duration { return median(rt.p50[step]) }

// ratios are, round by round, step a's median over step b's.
func (rt *roundTimes) ratios(a, b int) ratioSpread {
	var rs []float64
	for i := range rt.p50[a] {
		rs = append(rs, ratio(rt.p50[a][i], rt.p50[b][i]))
	}
	return spreadOf(rs)
}

// ratioSpread is the median of per-round ratios with their range.
type ratioSpread struct{ median, lo, hi float64 }

func spreadOf(rs []float64) ratioSpread {
	s := slices.Clone(rs)
	slices.Sort(s)
	return ratioSpread{median: s[(len(s)-1)/2], lo: s[0], hi: s[len(s)-1]}
}

func (r ratioSpread) spread() string { return fmt.Sprintf("%.2f–%.2f", r.lo, r.hi) }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// concTimes are concurrent rounds: per round, the wall time per request
// and the p99 latency, of the API and of the hand-written SQL.
type concTimes struct {
	api, sql, apiP99, sqlP99 []time.Duration
}

// concurrentRounds runs concRequests requests over clients goroutines,
// through the API and then the SQL (the other way round every other
// round), concRoundCount times.
func concurrentRounds(clients int, api, sql func() error) (*concTimes, error) {
	ct := &concTimes{}
	for round := 0; round < concRoundCount; round++ {
		first, second := api, sql
		if round%2 == 1 {
			first, second = sql, api
		}
		w1, p1, err := concurrently(clients, first)
		if err != nil {
			return nil, err
		}
		w2, p2, err := concurrently(clients, second)
		if err != nil {
			return nil, err
		}
		if round%2 == 1 {
			w1, p1, w2, p2 = w2, p2, w1, p1
		}
		ct.api, ct.apiP99 = append(ct.api, w1), append(ct.apiP99, p1)
		ct.sql, ct.sqlP99 = append(ct.sql, w2), append(ct.sqlP99, p2)
	}
	return ct, nil
}

func (ct *concTimes) ratios() ratioSpread {
	var rs []float64
	for i := range ct.api {
		rs = append(rs, ratio(ct.api[i], ct.sql[i]))
	}
	return spreadOf(rs)
}

func (ct *concTimes) median(ds []time.Duration) time.Duration { return median(ds) }

// concurrently runs concRequests calls of fn over clients goroutines and
// returns the wall time per call and the p99 latency.
func concurrently(clients int, fn func() error) (perCall, p99 time.Duration, err error) {
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	lat := make([]time.Duration, 0, concRequests)
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for next.Add(1) <= concRequests {
				t0 := time.Now()
				if err := fn(); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	if firstErr != nil {
		return 0, 0, firstErr
	}
	slices.Sort(lat)
	return wall / concRequests, lat[len(lat)*99/100], nil
}
