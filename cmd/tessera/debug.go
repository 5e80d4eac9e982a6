package main

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/tessera-app/tessera/runtime/server"
)

// startDebug serves the operators' listener: the Prometheus metrics and
// the Go profiler, without a sign-in, on a mux of its own (importing
// net/http/pprof registers on http.DefaultServeMux, which nothing here
// serves). It is off unless --debug-addr names an address; one that is not
// a loopback address is allowed (a private monitoring network) but logged
// as a warning, because anyone who reaches it can profile the server.
func startDebug(addr string, svc *server.Services, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
		log.Warn("debug listener is reachable from other machines: /debug/pprof/ and /metrics need no sign-in", "addr", ln.Addr().String())
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", svc.Metrics.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: ln.Addr().String(), Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			log.Error("debug listener stopped", "err", err)
		}
	}()
	return srv, nil
}
