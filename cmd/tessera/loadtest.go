package main

// tessera loadtest: a mixed CRM-like workload driven over HTTP against a
// running server on this machine. It sets up an app of its own (accounts,
// deals with a lookup, a pipeline on the deal stage, a dashboard), a role
// and N users, signs each in, and lets every user loop through a list with
// a filter and a sort, a record page, a create, an update, a stage
// transition and a dashboard load, with a think time between them. It
// prints throughput, p50/p95/p99 per operation and the errors, then
// removes what it made (the app is deleted, the users are disabled).
//
// It refuses any target that is not this machine: the host must be
// 127.0.0.1 (any loopback address), ::1, localhost or an address of one
// of this machine's interfaces. Names other than localhost are not
// resolved, proxies from the environment are not used, redirects are not
// followed, and every connection's resolved address is checked again
// before it is opened.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"
)

// loadOps are the operations of a virtual user's loop, in loop order.
var loadOps = []string{"list", "record", "create", "update", "transition", "dashboard"}

// interfaceAddrs lists this machine's interface addresses; a variable so
// that a test can pretend an interface address is not local.
var interfaceAddrs = net.InterfaceAddrs

type loadConfig struct {
	url      string
	users    int
	duration time.Duration
	requests int64
	think    time.Duration
	seed     int
	email    string
	password string
	keep     bool
}

func loadtestCmd(ctx context.Context, args []string, stdout io.Writer) error {
	var cfg loadConfig
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.StringVar(&cfg.url, "url", "http://127.0.0.1:8080", "the server to load: 127.0.0.1, ::1, localhost or an address of this machine only")
	fs.IntVar(&cfg.users, "users", 20, "virtual users, each signed in as a user of its own (1–5000)")
	fs.DurationVar(&cfg.duration, "duration", time.Minute, "how long the users loop (at most 24h)")
	fs.Int64Var(&cfg.requests, "requests", 0, "stop after this many requests of the loop in all (0: only --duration bounds the run)")
	fs.DurationVar(&cfg.think, "think", time.Second, "mean think time between a user's requests (each pause is 0.5–1.5× it)")
	fs.IntVar(&cfg.seed, "seed", 1000, "deals created before the users start (0–100000)")
	fs.StringVar(&cfg.email, "email", "admin@example.com", "an administrator, to set the app and the users up with")
	fs.StringVar(&cfg.password, "password", "", "the administrator's password (default $TESSERA_LOADTEST_PASSWORD, else make run's tessera-admin)")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the app, role and users afterwards (default: delete the app and role, disable the users)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errUsage
	}
	if cfg.password == "" {
		cfg.password = envOr("TESSERA_LOADTEST_PASSWORD", "tessera-admin")
	}
	switch {
	case cfg.users < 1 || cfg.users > 5000:
		return fmt.Errorf("loadtest: --users must be 1–5000, not %d", cfg.users)
	case cfg.duration <= 0 || cfg.duration > 24*time.Hour:
		return fmt.Errorf("loadtest: --duration must be more than 0 and at most 24h, not %v", cfg.duration)
	case cfg.requests < 0:
		return fmt.Errorf("loadtest: --requests must be 0 or more, not %d", cfg.requests)
	case cfg.think < 0:
		return fmt.Errorf("loadtest: --think must be 0 or more, not %v", cfg.think)
	case cfg.seed < 0 || cfg.seed > 100000:
		return fmt.Errorf("loadtest: --seed must be 0–100000, not %d", cfg.seed)
	}
	base, err := localTarget(cfg.url)
	if err != nil {
		return err
	}
	return runLoad(ctx, cfg, base, stdout)
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

// localTarget checks that raw is an http(s) URL of this machine and
// returns it without a trailing slash. Nothing is sent and nothing is
// resolved.
func localTarget(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("loadtest: --url %q is not a URL like http://127.0.0.1:8080: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("loadtest: --url %q must start with http:// or https://", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("loadtest: --url %q must be only scheme, host, port and path", raw)
	}
	host := u.Hostname()
	if host == "" {
		return "", fmt.Errorf("loadtest: --url %q has no host", raw)
	}
	if !strings.EqualFold(host, "localhost") {
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return "", fmt.Errorf("loadtest: refusing %s: a load test only targets this machine — 127.0.0.1, ::1, localhost or an address of its own interfaces — and %q is a name, which is not resolved", raw, host)
		}
		if ok, err := isLocalIP(ip); err != nil {
			return "", fmt.Errorf("loadtest: reading this machine's addresses: %v", err)
		} else if !ok {
			return "", fmt.Errorf("loadtest: refusing %s: a load test only targets this machine — 127.0.0.1, ::1, localhost or an address of its own interfaces — and %s is none of them", raw, ip)
		}
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// isLocalIP says whether ip is a loopback address or one of this
// machine's interface addresses.
func isLocalIP(ip netip.Addr) (bool, error) {
	ip = ip.Unmap().WithZone("")
	if ip.IsLoopback() {
		return true, nil
	}
	addrs, err := interfaceAddrs()
	if err != nil {
		return false, err
	}
	for _, a := range addrs {
		var ipa net.IP
		switch a := a.(type) {
		case *net.IPNet:
			ipa = a.IP
		case *net.IPAddr:
			ipa = a.IP
		}
		if own, ok := netip.AddrFromSlice(ipa); ok && own.Unmap() == ip {
			return true, nil
		}
	}
	return false, nil
}

// localTransport is the shared Transport of every virtual user: sized to
// users, no proxy, and a dialer that refuses (before connecting) any
// resolved address that is not local, so that "localhost" mapped to
// another machine is refused too.
func localTransport(users int) *http.Transport {
	d := &net.Dialer{
		Timeout:   10 * time.Second,
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("loadtest: refusing to connect to %s", address)
			}
			ok, err := isLocalIP(ap.Addr())
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("loadtest: refusing to connect to %s: not an address of this machine", address)
			}
			return nil
		},
	}
	return &http.Transport{
		Proxy:               nil,
		DialContext:         d.DialContext,
		MaxIdleConns:        users + 16,
		MaxIdleConnsPerHost: users + 16,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
}

// ltClient is one signed-in client of the API.
type ltClient struct {
	base  string
	hc    *http.Client
	token string
}

// ltError is a request that failed: a transport error or an unexpected
// status, with the server's problem detail.
type ltError struct{ msg string }

func (e *ltError) Error() string { return e.msg }

// do sends one request and decodes the JSON answer into out (when not
// nil); any status but want is an error.
func (c *ltClient) do(ctx context.Context, method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept-Language", "en")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return &ltError{fmt.Sprintf("%s %s: %v", method, path, err)}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return &ltError{fmt.Sprintf("%s %s: reading the answer: %v", method, path, err)}
	}
	if res.StatusCode != want {
		return &ltError{fmt.Sprintf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, problemText(b))}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return &ltError{fmt.Sprintf("%s %s: the answer is not JSON: %v", method, path, err)}
		}
	}
	return nil
}

// problemText is the detail of a problem document and its field errors,
// else the start of the body.
func problemText(b []byte) string {
	var p struct {
		Title, Detail string
		Errors        []struct{ Field, Message string }
	}
	if json.Unmarshal(b, &p) == nil && (p.Detail != "" || p.Title != "") {
		s := p.Detail
		if s == "" {
			s = p.Title
		}
		for _, e := range p.Errors {
			s += fmt.Sprintf("; %s: %s", e.Field, e.Message)
		}
		return s
	}
	if len(b) > 200 {
		b = b[:200]
	}
	return strings.TrimSpace(string(b))
}

// recorder collects the durations and errors of the loop's requests.
type recorder struct {
	mu        sync.Mutex
	durs      map[string][]time.Duration
	errs      map[string]int
	firstErrs []string
	sent      atomic.Int64
}

func newRecorder() *recorder {
	return &recorder{durs: map[string][]time.Duration{}, errs: map[string]int{}}
}

func (r *recorder) add(op string, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs[op]++
		if len(r.firstErrs) < 5 {
			r.firstErrs = append(r.firstErrs, op+": "+err.Error())
		}
		return
	}
	r.durs[op] = append(r.durs[op], d)
}

// percentile is the nearest-rank p-th percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + "ms"
}

// ltSetup is what the set-up made.
type ltSetup struct {
	app, role, dashboard string
	accounts             []string
	userIDs              []string
	clients              []*ltClient
}

func runLoad(ctx context.Context, cfg loadConfig, base string, stdout io.Writer) error {
	hc := &http.Client{
		Transport: localTransport(cfg.users),
		Timeout:   2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	defer hc.CloseIdleConnections()
	admin := &ltClient{base: base, hc: hc}
	var login struct{ Token string }
	if err := admin.do(ctx, "POST", "/api/auth/login", map[string]string{"email": cfg.email, "password": cfg.password}, 200, &login); err != nil {
		return fmt.Errorf("loadtest: signing in as %s: %v", cfg.email, err)
	}
	admin.token = login.Token
	// The administrator's session ends with the run (after the clean-up,
	// deferred below it).
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := admin.do(ctx, "POST", "/api/auth/logout", nil, 204, nil); err != nil {
			fmt.Fprintf(stdout, "signing out: %v\n", err)
		}
	}()
	// The run's name: the time and two random characters, so that two
	// runs never share an app, a role or user emails.
	var r [2]byte
	rand.Read(r[:])
	run := strconv.FormatInt(time.Now().Unix(), 36) + strconv.FormatInt(int64(r[0])%36, 36) + strconv.FormatInt(int64(r[1])%36, 36)
	st := &ltSetup{app: "loadtest_" + run, role: "loadtest_" + run, dashboard: "sales"}
	fmt.Fprintf(stdout, "loadtest: %d users for %v against %s (app %s, %d deals seeded, think %v", cfg.users, cfg.duration, base, st.app, cfg.seed, cfg.think)
	if cfg.requests > 0 {
		fmt.Fprintf(stdout, ", at most %d requests", cfg.requests)
	}
	fmt.Fprintln(stdout, ")")

	started := time.Now()
	setupErr := setupLoad(ctx, cfg, admin, st, stdout)
	if !cfg.keep {
		defer cleanupLoad(context.WithoutCancel(ctx), admin, st, stdout)
	}
	if setupErr != nil {
		return fmt.Errorf("loadtest: set-up: %v", setupErr)
	}
	fmt.Fprintf(stdout, "set-up: app, %d accounts, %d deals, %d users signed in, in %v\n", len(st.accounts), cfg.seed, len(st.clients), time.Since(started).Round(time.Millisecond))

	rec := newRecorder()
	runCtx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	begin := time.Now()
	var wg sync.WaitGroup
	for i, c := range st.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := &vuser{c: c, st: st, rec: rec, cfg: cfg, stop: cancel, rnd: mrand.New(mrand.NewPCG(uint64(i), uint64(begin.UnixNano())))}
			u.loop(runCtx)
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	cancel()
	return loadReport(stdout, rec, elapsed, cfg)
}

func loadReport(stdout io.Writer, rec *recorder, elapsed time.Duration, cfg loadConfig) error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation \tcount\terrors\treq/s\tp50\tp95\tp99\tmax\t")
	var total, totalErrs int
	for _, op := range loadOps {
		d := rec.durs[op]
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		n := len(d)
		total += n + rec.errs[op]
		totalErrs += rec.errs[op]
		var mx time.Duration
		if n > 0 {
			mx = d[n-1]
		}
		fmt.Fprintf(tw, "%-10s\t%d\t%d\t%.1f\t%s\t%s\t%s\t%s\t\n", op, n, rec.errs[op], float64(n)/elapsed.Seconds(),
			ms(percentile(d, 50)), ms(percentile(d, 95)), ms(percentile(d, 99)), ms(mx))
	}
	fmt.Fprintf(tw, "total     \t%d\t%d\t%.1f\t\t\t\t\t\n", total-totalErrs, totalErrs, float64(total-totalErrs)/elapsed.Seconds())
	tw.Flush()
	fmt.Fprintf(stdout, "%d requests in %v by %d users: %.1f requests/s, %d errors\n", total, elapsed.Round(time.Millisecond), cfg.users, float64(total)/elapsed.Seconds(), totalErrs)
	if totalErrs == 0 {
		return nil
	}
	fmt.Fprintln(stdout, "first errors:")
	for _, e := range rec.firstErrs {
		fmt.Fprintln(stdout, "  "+e)
	}
	return fmt.Errorf("loadtest: %d of %d requests failed", totalErrs, total)
}

// parallel runs fn(i) for i < n on at most workers goroutines and
// returns the first error.
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}

func ltLabel(en, zh string) map[string]string { return map[string]string{"en": en, "zh-CN": zh} }

// The pipeline of the load test's deals: lead and qualified are initial;
// each open state moves on, and every open deal may be lost.
var ltNext = map[string][]string{"lead": {"qualify"}, "qualified": {"propose"}, "proposal": {"win", "lose"}}
var ltTo = map[string]string{"qualify": "qualified", "propose": "proposal", "win": "won", "lose": "lost"}

func setupLoad(ctx context.Context, cfg loadConfig, admin *ltClient, st *ltSetup, stdout io.Writer) error {
	app := "/api/apps/" + st.app
	if err := admin.do(ctx, "POST", "/api/apps", map[string]any{"key": st.app, "label": ltLabel("Load test", "压力测试")}, 201, nil); err != nil {
		return err
	}
	account := map[string]any{"x-title": "name", "required": []string{"name"}, "properties": map[string]any{
		"name": map[string]any{"maxLength": 100, "x-field": map[string]any{"type": "text", "label": ltLabel("Name", "名称")}},
		"tier": map[string]any{"x-field": map[string]any{"type": "select", "label": ltLabel("Tier", "等级"),
			"options": []any{map[string]any{"value": "a"}, map[string]any{"value": "b"}, map[string]any{"value": "c"}}}},
	}}
	if err := admin.do(ctx, "POST", app+"/modules", map[string]any{"key": "account", "label": ltLabel("Account", "客户"), "schema": account}, 201, nil); err != nil {
		return err
	}
	stages := []any{}
	for _, s := range []string{"lead", "qualified", "proposal", "won", "lost"} {
		stages = append(stages, map[string]any{"value": s})
	}
	deal := map[string]any{"x-title": "name", "required": []string{"name"}, "properties": map[string]any{
		"name":     map[string]any{"maxLength": 100, "x-field": map[string]any{"type": "text", "label": ltLabel("Name", "名称")}},
		"account":  map[string]any{"x-field": map[string]any{"type": "lookup", "module": "account", "label": ltLabel("Account", "客户")}},
		"stage":    map[string]any{"x-field": map[string]any{"type": "select", "options": stages, "label": ltLabel("Stage", "阶段")}},
		"amount":   map[string]any{"minimum": 0, "x-field": map[string]any{"type": "currency", "indexed": true, "label": ltLabel("Amount", "金额")}},
		"close_on": map[string]any{"x-field": map[string]any{"type": "date", "label": ltLabel("Close on", "预计成交")}},
	}}
	if err := admin.do(ctx, "POST", app+"/modules", map[string]any{"key": "deal", "label": ltLabel("Deal", "商机"), "schema": deal}, 201, nil); err != nil {
		return err
	}
	state := func(key string, p int, kind string, initial bool) map[string]any {
		return map[string]any{"key": key, "label": ltLabel(key, key), "probability": p, "kind": kind, "initial": initial}
	}
	tr := func(key string, from any, to string) map[string]any {
		return map[string]any{"key": key, "label": ltLabel(key, key), "from": from, "to": to}
	}
	flow := map[string]any{"key": "sales", "label": ltLabel("Sales", "销售漏斗"), "module": "deal", "field": "stage",
		"states": []any{state("lead", 10, "open", true), state("qualified", 30, "open", true), state("proposal", 60, "open", false),
			state("won", 100, "won", false), state("lost", 0, "lost", false)},
		"transitions": []any{tr("qualify", []string{"lead"}, "qualified"), tr("propose", []string{"qualified"}, "proposal"),
			tr("win", []string{"proposal"}, "won"), tr("lose", []string{"lead", "qualified", "proposal"}, "lost")}}
	if err := admin.do(ctx, "POST", app+"/flows", flow, 201, nil); err != nil {
		return err
	}
	perms := []any{
		map[string]any{"app": st.app, "module": "account", "actions": []string{"read"}},
		map[string]any{"app": st.app, "module": "deal", "actions": []string{"create", "read", "update"}, "scope": map[string]string{"update": "own"}},
	}
	if err := admin.do(ctx, "POST", "/api/roles", map[string]any{"key": st.role, "label": ltLabel("Load test", "压力测试"), "permissions": perms}, 201, nil); err != nil {
		return err
	}
	widgets := []any{
		map[string]any{"key": "total", "type": "kpi", "x": 0, "y": 0, "w": 4, "h": 2, "title": ltLabel("Pipeline", "商机总额"),
			"query": map[string]any{"module": "deal", "measures": []any{map[string]any{"op": "sum", "field": "amount"}}}},
		map[string]any{"key": "by_stage", "type": "bar", "x": 4, "y": 0, "w": 8, "h": 4, "title": ltLabel("By stage", "按阶段"),
			"query": map[string]any{"module": "deal", "dimensions": []any{map[string]any{"field": "stage"}},
				"measures": []any{map[string]any{"op": "count"}, map[string]any{"op": "sum", "field": "amount"}}}},
		map[string]any{"key": "funnel", "type": "funnel", "x": 0, "y": 4, "w": 12, "h": 4, "title": ltLabel("Funnel", "漏斗"),
			"query": map[string]any{"source": "pipeline.funnel", "module": "deal", "params": map[string]any{"flow": "sales", "sum": "amount"}}},
	}
	if err := admin.do(ctx, "POST", app+"/dashboards", map[string]any{"key": st.dashboard, "label": ltLabel("Sales", "销售"),
		"roles": []string{st.role}, "widgets": widgets}, 201, nil); err != nil {
		return err
	}

	// Accounts and deals, 500 to a batch.
	var accounts []any
	for i := range 100 {
		accounts = append(accounts, map[string]any{"op": "create", "data": map[string]any{"name": fmt.Sprintf("Account %03d", i), "tier": []string{"a", "b", "c"}[i%3]}})
	}
	var created struct {
		Items []struct{ Record struct{ ID string } }
	}
	if err := admin.do(ctx, "POST", app+"/modules/account/records/batch", map[string]any{"atomic": true, "items": accounts}, 200, &created); err != nil {
		return err
	}
	for _, it := range created.Items {
		st.accounts = append(st.accounts, it.Record.ID)
	}
	if len(st.accounts) != 100 {
		return fmt.Errorf("%d accounts created, want 100", len(st.accounts))
	}
	rnd := mrand.New(mrand.NewPCG(1, 2))
	for done := 0; done < cfg.seed; {
		var items []any
		for ; done < cfg.seed && len(items) < 500; done++ {
			items = append(items, map[string]any{"op": "create", "data": dealValues(rnd, st, done)})
		}
		if err := admin.do(ctx, "POST", app+"/modules/deal/records/batch", map[string]any{"atomic": true, "items": items}, 200, nil); err != nil {
			return err
		}
	}

	// The users, created and signed in four at a time (passwords are
	// hashed with argon2id on both ends of this).
	secret := make([]byte, 12)
	rand.Read(secret)
	password := hex.EncodeToString(secret)
	st.userIDs = make([]string, cfg.users)
	clients := make([]*ltClient, cfg.users)
	email := func(i int) string { return fmt.Sprintf("%s-%d@loadtest.invalid", st.app, i) }
	err := parallel(ctx, cfg.users, 4, func(ctx context.Context, i int) error {
		var u struct{ ID string }
		if err := admin.do(ctx, "POST", "/api/users", map[string]any{"email": email(i), "password": password,
			"name": fmt.Sprintf("Load test %d", i), "roles": []string{st.role}, "locale": "en"}, 201, &u); err != nil {
			return err
		}
		st.userIDs[i] = u.ID
		c := &ltClient{base: admin.base, hc: admin.hc}
		var login struct{ Token string }
		if err := c.do(ctx, "POST", "/api/auth/login", map[string]string{"email": email(i), "password": password}, 200, &login); err != nil {
			return err
		}
		c.token = login.Token
		clients[i] = c
		return nil
	})
	if err != nil {
		return err
	}
	st.clients = clients
	return nil
}

// dealValues are the fields of a new deal: a random account, amount and
// close date; stages lead or qualified (the initial ones).
func dealValues(rnd *mrand.Rand, st *ltSetup, n int) map[string]any {
	return map[string]any{
		"name":     fmt.Sprintf("Deal %d-%d", n, rnd.IntN(1000000)),
		"account":  st.accounts[rnd.IntN(len(st.accounts))],
		"stage":    []string{"lead", "qualified"}[rnd.IntN(2)],
		"amount":   float64(rnd.IntN(1000000)) / 10,
		"close_on": time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rnd.IntN(365)).Format("2006-01-02"),
	}
}

// cleanupLoad deletes the app (its modules, records, pipeline and
// dashboard) and the role, and disables the users; failures are reported,
// not fatal.
func cleanupLoad(ctx context.Context, admin *ltClient, st *ltSetup, stdout io.Writer) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var problems []string
	var disabled atomic.Int64
	err := parallel(ctx, len(st.userIDs), 4, func(ctx context.Context, i int) error {
		if st.userIDs[i] == "" {
			return nil
		}
		if err := admin.do(ctx, "PATCH", "/api/users/"+st.userIDs[i], map[string]any{"disabled": true}, 200, nil); err != nil {
			return err
		}
		disabled.Add(1)
		return nil
	})
	if err != nil {
		problems = append(problems, err.Error())
	}
	if err := admin.do(ctx, "DELETE", "/api/roles/"+st.role+"?force=true", nil, 204, nil); err != nil {
		problems = append(problems, err.Error())
	}
	// The dashboard first: an app whose dashboard is left is refused on
	// SQLite (a foreign key from dashboards to the app).
	if err := admin.do(ctx, "DELETE", "/api/apps/"+st.app+"/dashboards/"+st.dashboard, nil, 204, nil); err != nil {
		problems = append(problems, err.Error())
	}
	if err := admin.do(ctx, "DELETE", "/api/apps/"+st.app, nil, 204, nil); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		fmt.Fprintf(stdout, "clean-up incomplete (%d users disabled): %s\n", disabled.Load(), strings.Join(problems, "; "))
		return
	}
	fmt.Fprintf(stdout, "clean-up: app %s and role %s deleted, %d users disabled\n", st.app, st.role, disabled.Load())
}

// vuser is one virtual user: its client and the deals it created (the
// ones its role may update).
type vuser struct {
	c     *ltClient
	st    *ltSetup
	rec   *recorder
	cfg   loadConfig
	stop  context.CancelFunc
	rnd   *mrand.Rand
	seen  []string // ids of the last list page
	deals []ltDeal // its own deals, newest last
	open  []int    // indexes into deals still in an open state
}

type ltDeal struct {
	id      string
	version int
	stage   string
}

type ltRecord struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
	Stage   string `json:"stage"`
}

// ltFilters are the lists users look at: a filter and a sort each.
var ltFilters = [][2]string{
	{`stage in ["lead","qualified"] && amount > 50000`, "-amount"},
	{`account.tier == "a"`, "name"},
	{`owner == user.id`, "-created_at"},
	{`close_on >= "2026-06-01" && close_on < "2026-09-01"`, "close_on,-amount"},
	{`name startsWith "Deal 1"`, "-updated_at"},
}

func (u *vuser) loop(ctx context.Context) {
	deals := "/api/apps/" + u.st.app + "/modules/deal/records"
	for ctx.Err() == nil {
		for _, op := range loadOps {
			if !u.think(ctx) {
				return
			}
			var fn func(ctx context.Context) error
			switch op {
			case "list":
				f := ltFilters[u.rnd.IntN(len(ltFilters))]
				q := url.Values{"filter": {f[0]}, "sort": {f[1]}, "limit": {"50"}, "expand": {"account"}}
				if u.rnd.IntN(4) == 0 {
					q.Set("total", "true")
				}
				fn = func(ctx context.Context) error {
					var page struct{ Records []ltRecord }
					if err := u.c.do(ctx, "GET", deals+"?"+q.Encode(), nil, 200, &page); err != nil {
						return err
					}
					u.seen = u.seen[:0]
					for _, r := range page.Records {
						u.seen = append(u.seen, r.ID)
					}
					return nil
				}
			case "record":
				id := ""
				if len(u.seen) > 0 {
					id = u.seen[u.rnd.IntN(len(u.seen))]
				} else if len(u.deals) > 0 {
					id = u.deals[u.rnd.IntN(len(u.deals))].id
				}
				if id == "" {
					continue
				}
				fn = func(ctx context.Context) error {
					var r ltRecord
					if err := u.c.do(ctx, "GET", deals+"/"+id+"?expand=account,owner", nil, 200, &r); err != nil {
						return err
					}
					if r.ID != id {
						return &ltError{fmt.Sprintf("GET %s/%s: the answer is record %q", deals, id, r.ID)}
					}
					return nil
				}
			case "create":
				values := dealValues(u.rnd, u.st, len(u.deals))
				fn = func(ctx context.Context) error {
					var r ltRecord
					if err := u.c.do(ctx, "POST", deals, values, 201, &r); err != nil {
						return err
					}
					if r.ID == "" || r.Version != 1 || r.Stage != values["stage"] {
						return &ltError{fmt.Sprintf("POST %s: created %+v", deals, r)}
					}
					u.deals = append(u.deals, ltDeal{r.ID, r.Version, r.Stage})
					u.open = append(u.open, len(u.deals)-1)
					return nil
				}
			case "update":
				if len(u.deals) == 0 {
					continue
				}
				d := &u.deals[u.rnd.IntN(len(u.deals))]
				body := map[string]any{"version": d.version, "amount": float64(u.rnd.IntN(1000000)) / 10, "name": fmt.Sprintf("Deal %d", u.rnd.IntN(1000000))}
				fn = func(ctx context.Context) error {
					var r ltRecord
					if err := u.c.do(ctx, "PATCH", deals+"/"+d.id, body, 200, &r); err != nil {
						return err
					}
					if r.Version != d.version+1 {
						return &ltError{fmt.Sprintf("PATCH %s/%s: version %d after %d", deals, d.id, r.Version, d.version)}
					}
					d.version = r.Version
					return nil
				}
			case "transition":
				if len(u.open) == 0 {
					continue
				}
				k := u.rnd.IntN(len(u.open))
				d := &u.deals[u.open[k]]
				next := ltNext[d.stage]
				key := next[u.rnd.IntN(len(next))]
				fn = func(ctx context.Context) error {
					var r ltRecord
					if err := u.c.do(ctx, "POST", deals+"/"+d.id+"/transitions/"+key, map[string]any{"version": d.version}, 200, &r); err != nil {
						return err
					}
					if r.Stage != ltTo[key] || r.Version != d.version+1 {
						return &ltError{fmt.Sprintf("POST %s/%s/transitions/%s: stage %q version %d after %d", deals, d.id, key, r.Stage, r.Version, d.version)}
					}
					d.version, d.stage = r.Version, r.Stage
					if ltNext[d.stage] == nil {
						u.open = append(u.open[:k], u.open[k+1:]...)
					}
					return nil
				}
			case "dashboard":
				path := "/api/apps/" + u.st.app + "/dashboards/" + u.st.dashboard + "/data"
				fn = func(ctx context.Context) error {
					var data struct {
						Widgets map[string]struct {
							Error *struct{ Code, Message string }
						}
					}
					if err := u.c.do(ctx, "GET", path, nil, 200, &data); err != nil {
						return err
					}
					if len(data.Widgets) != 3 {
						return &ltError{fmt.Sprintf("GET %s: %d widgets, want 3", path, len(data.Widgets))}
					}
					for k, w := range data.Widgets {
						if w.Error != nil {
							return &ltError{fmt.Sprintf("GET %s: widget %s: %s (%s)", path, k, w.Error.Message, w.Error.Code)}
						}
					}
					return nil
				}
			}
			if u.cfg.requests > 0 && u.rec.sent.Add(1) > u.cfg.requests {
				u.stop()
				return
			}
			t0 := time.Now()
			err := fn(ctx)
			d := time.Since(t0)
			if ctx.Err() != nil {
				// The run ended during the request: neither a result nor
				// an error.
				return
			}
			u.rec.add(op, d, err)
			if len(u.deals) > 200 {
				u.trim()
			}
		}
	}
}

// trim forgets the older half of the user's deals.
func (u *vuser) trim() {
	drop := len(u.deals) / 2
	u.deals = append(u.deals[:0:0], u.deals[drop:]...)
	open := u.open[:0]
	for _, i := range u.open {
		if i >= drop {
			open = append(open, i-drop)
		}
	}
	u.open = open
}

// think waits 0.5–1.5× the think time; false when the run ended.
func (u *vuser) think(ctx context.Context) bool {
	if u.cfg.think == 0 {
		return ctx.Err() == nil
	}
	d := u.cfg.think/2 + time.Duration(u.rnd.Int64N(int64(u.cfg.think)+1))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
