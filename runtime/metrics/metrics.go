// Package metrics exposes Tessera's Prometheus metrics: HTTP requests by
// route and status, the database pools, the job queue, rule runs and
// refused sign-ins, the read replica. Each server has its own registry (no global state), so
// several servers in one test process do not share counters.
//
// The access log and the request metrics are fed by the same middleware
// with the same status (runtime/server requestLog), so they agree.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tessera-app/tessera/engine/store"
)

// Metrics holds the collectors of one server.
type Metrics struct {
	Registry *prometheus.Registry

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	ruleRuns *prometheus.CounterVec
	refusals *prometheus.CounterVec
}

// New registers the collectors for a server over s: the Go runtime and the
// process, both database pools, the job queue (read at scrape time), and
// the counters the server and the engine feed.
func New(s *store.Store) *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tessera_http_requests_total",
		Help: "HTTP requests answered, by method, route (the route pattern, not the path) and the status sent.",
	}, []string{"method", "route", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "tessera_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by method, route and status.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method", "route", "status"})
	m.ruleRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tessera_rule_runs_total",
		Help: "Rule runs logged, by outcome (ok, skipped, failed); a job retried after a rollback counts each attempt.",
	}, []string{"outcome"})
	m.refusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tessera_login_refusals_total",
		Help: "Refused sign-ins by reason: bad_credentials, disabled, or the limit that refused it (limit_account_address, limit_address).",
	}, []string{"reason"})
	m.Registry.MustRegister(m.requests, m.latency, m.ruleRuns, m.refusals,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(s.W, "write"),
		&jobQueue{s: s},
		replicaStats{s: s},
	)
	if s.R != nil && s.R != s.W {
		m.Registry.MustRegister(collectors.NewDBStatsCollector(s.R, "read"))
	}
	if db := s.ReplicaDB(); db != nil { // attached before the server is built (serve)
		m.Registry.MustRegister(collectors.NewDBStatsCollector(db, "replica"))
	}
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Request counts one answered request.
func (m *Metrics) Request(method, route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	st := strconv.Itoa(status)
	m.requests.WithLabelValues(method, route, st).Inc()
	m.latency.WithLabelValues(method, route, st).Observe(d.Seconds())
}

// RuleRun counts one logged rule run.
func (m *Metrics) RuleRun(outcome string) {
	if m != nil {
		m.ruleRuns.WithLabelValues(outcome).Inc()
	}
}

// LoginRefused counts one refused sign-in.
func (m *Metrics) LoginRefused(reason string) {
	if m != nil {
		m.refusals.WithLabelValues(reason).Inc()
	}
}

// jobQueue reads the queue when scraped: the depth and the age of the
// oldest job per kind and state. A failed read reports an invalid metric,
// which fails the scrape visibly rather than showing an empty queue.
type jobQueue struct{ s *store.Store }

var (
	jobDepth = prometheus.NewDesc("tessera_jobs_queued", "Unfinished jobs by kind and state (due, scheduled, running).",
		[]string{"kind", "state"}, nil)
	jobAge = prometheus.NewDesc("tessera_jobs_oldest_age_seconds",
		"Age of the oldest unfinished job by kind and state: how long the oldest due job has waited, or the oldest running one has run (scheduled: 0 until due).",
		[]string{"kind", "state"}, nil)
)

func (q *jobQueue) Describe(ch chan<- *prometheus.Desc) { ch <- jobDepth; ch <- jobAge }

func (q *jobQueue) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := q.s.Now()
	stats, err := q.s.JobQueueStats(ctx, now)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(jobDepth, err)
		return
	}
	for _, st := range stats {
		age := now.Sub(st.Oldest).Seconds()
		if age < 0 || st.Oldest.IsZero() {
			age = 0
		}
		ch <- prometheus.MustNewConstMetric(jobDepth, prometheus.GaugeValue, float64(st.Count), st.Kind, st.State)
		ch <- prometheus.MustNewConstMetric(jobAge, prometheus.GaugeValue, age, st.Kind, st.State)
	}
}

// replicaStats reports the read replica (engine/store replica.go) when one
// is attached: whether it serves, its lag, the queries it answered and the
// replica-eligible ones the primary answered instead, by reason.
type replicaStats struct{ s *store.Store }

var (
	replicaUp   = prometheus.NewDesc("tessera_replica_up", "1 when the read replica answers as a standby, 0 when reads fall back to the primary for it.", nil, nil)
	replicaLag  = prometheus.NewDesc("tessera_replica_lag_seconds", "How old the primary state the read replica shows is (measured by WAL position every interval).", nil, nil)
	replicaLagB = prometheus.NewDesc("tessera_replica_lag_bytes", "WAL the read replica had not replayed at the last check.", nil, nil)
	replicaRead = prometheus.NewDesc("tessera_replica_reads_total", "Report, dashboard and export queries the read replica answered.", nil, nil)
	replicaFall = prometheus.NewDesc("tessera_replica_fallbacks_total",
		"Report, dashboard and export queries the primary answered instead of the replica, by reason: recent_write (the user's own write not replayed yet), lag (behind the bound), down, error (failed on the replica, run again on the primary).",
		[]string{"reason"}, nil)
)

func (r replicaStats) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{replicaUp, replicaLag, replicaLagB, replicaRead, replicaFall} {
		ch <- d
	}
}

func (r replicaStats) Collect(ch chan<- prometheus.Metric) {
	if !r.s.HasReplica() {
		return
	}
	st := r.s.ReplicaStats()
	up := 0.0
	if st.Up {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(replicaUp, prometheus.GaugeValue, up)
	if st.Lag >= 0 {
		ch <- prometheus.MustNewConstMetric(replicaLag, prometheus.GaugeValue, st.Lag.Seconds())
	}
	ch <- prometheus.MustNewConstMetric(replicaLagB, prometheus.GaugeValue, float64(st.LagBytes))
	ch <- prometheus.MustNewConstMetric(replicaRead, prometheus.CounterValue, float64(st.Reads))
	for reason, n := range st.Fallbacks {
		ch <- prometheus.MustNewConstMetric(replicaFall, prometheus.CounterValue, float64(n), reason)
	}
}
