package main

// tessera loadtest: its refusal of targets that are not this machine
// (checked before anything is sent, and again by the dialer), its flags,
// its percentiles, and a real run of the binary against a real `serve`
// on each dialect.

import (
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// countingListener accepts connections and counts them; nothing else.
func countingListener(t *testing.T, addr string) (net.Listener, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	return ln, &n
}

// ownAddress is a non-loopback IPv4 address of one of this machine's
// interfaces, or "" when there is none.
func ownAddress(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}

// onlyLoopback makes this machine seem to have no address but loopback.
func onlyLoopback(t *testing.T) {
	saved := interfaceAddrs
	interfaceAddrs = func() ([]net.Addr, error) {
		return []net.Addr{&net.IPNet{IP: net.IPv4(127, 0, 0, 1), Mask: net.CIDRMask(8, 32)}, &net.IPNet{IP: net.IPv6loopback, Mask: net.CIDRMask(128, 128)}}, nil
	}
	t.Cleanup(func() { interfaceAddrs = saved })
}

func TestLoadtestTargetsOnlyThisMachine(t *testing.T) {
	for _, raw := range []string{
		"http://127.0.0.1:8080", "http://127.0.0.2:8080/", "http://[::1]:8080", "http://localhost:8080", "https://LOCALHOST",
		"http://[::ffff:127.0.0.1]:80",
	} {
		if _, err := localTarget(raw); err != nil {
			t.Errorf("%s refused: %v", raw, err)
		}
	}
	if own := ownAddress(t); own != "" {
		if _, err := localTarget("http://" + own + ":8080"); err != nil {
			t.Errorf("this machine's own address %s refused: %v", own, err)
		}
	}
	for raw, want := range map[string]string{
		"http://8.8.8.8:80":               "refusing http://8.8.8.8:80: a load test only targets this machine",
		"http://[2001:4860:4860::8888]/":  "2001:4860:4860::8888 is none of them",
		"http://example.com:8080":         `"example.com" is a name, which is not resolved`,
		"http://127.0.0.1.nip.io:8080":    `"127.0.0.1.nip.io" is a name`,
		"http://localhost.example.com":    `is a name`,
		"http://0.0.0.0:8080":             "0.0.0.0 is none of them",
		"ftp://127.0.0.1/":                "must start with http:// or https://",
		"127.0.0.1:8080":                  "is not a URL like http://127.0.0.1:8080",
		"localhost:8080":                  "must start with http:// or https://",
		"http://admin:pw@127.0.0.1:8080/": "must be only scheme, host, port and path",
		"http://:8080":                    "has no host",
	} {
		_, err := localTarget(raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %q", raw, err, want)
		}
	}
}

// A target that is an address of this machine's but (as the test
// pretends) not local is refused by Main before any connection: the
// listener there sees none. The dialer refuses it too, should a URL get
// past the first check (a localhost that resolves elsewhere).
func TestLoadtestRefusalSendsNothing(t *testing.T) {
	cleanEnv(t)
	own := ownAddress(t)
	if own == "" {
		t.Skip("this machine has no address but loopback")
	}
	ln, accepted := countingListener(t, net.JoinHostPort(own, "0"))
	onlyLoopback(t)
	target := "http://" + ln.Addr().String()
	_, err := run(t, "loadtest", "--url", target, "--users", "2", "--duration", "1s")
	if err == nil || !strings.Contains(err.Error(), "refusing "+target) || !strings.Contains(err.Error(), own+" is none of them") {
		t.Fatalf("loadtest of a non-local address: %v", err)
	}

	hc := &http.Client{Transport: localTransport(1)}
	_, err = hc.Get(target + "/healthz")
	if err == nil || !strings.Contains(err.Error(), "refusing to connect to "+ln.Addr().String()) {
		t.Errorf("the dialer let %s through: %v", target, err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := accepted.Load(); n != 0 {
		t.Errorf("%d connections reached the refused target", n)
	}

	// The same listener, local again, is reached by the same dialer.
	interfaceAddrs = net.InterfaceAddrs
	if res, err := hc.Get(target + "/healthz"); err == nil {
		res.Body.Close()
	}
	time.Sleep(100 * time.Millisecond)
	if accepted.Load() == 0 {
		t.Error("the dialer refused this machine's own address")
	}
}

// No proxy from the environment carries the load elsewhere.
func TestLoadtestIgnoresProxies(t *testing.T) {
	proxy, proxied := countingListener(t, "127.0.0.1:0")
	target, direct := countingListener(t, "127.0.0.1:0")
	t.Setenv("HTTP_PROXY", "http://"+proxy.Addr().String())
	t.Setenv("http_proxy", "http://"+proxy.Addr().String())
	hc := &http.Client{Transport: localTransport(1)}
	if res, err := hc.Get("http://" + target.Addr().String() + "/"); err == nil {
		res.Body.Close()
	}
	time.Sleep(100 * time.Millisecond)
	if proxied.Load() != 0 || direct.Load() == 0 {
		t.Errorf("%d connections to the proxy, %d to the target", proxied.Load(), direct.Load())
	}
}

func TestLoadtestFlags(t *testing.T) {
	cleanEnv(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--users", "0"}, "--users must be 1–5000"},
		{[]string{"--users", "5001"}, "--users must be 1–5000"},
		{[]string{"--duration", "0s"}, "--duration must be more than 0"},
		{[]string{"--duration", "25h"}, "at most 24h"},
		{[]string{"--requests", "-1"}, "--requests must be 0 or more"},
		{[]string{"--think", "-1s"}, "--think must be 0 or more"},
		{[]string{"--seed", "-5"}, "--seed must be 0–100000"},
		{[]string{"--frobnicate"}, "frobnicate"},
		{[]string{"extra"}, "usage"},
	} {
		_, err := run(t, append([]string{"loadtest"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("loadtest %v: %v, want %q", c.args, err, c.want)
		}
	}
	if out, _ := run(t, "help"); !strings.Contains(out, "tessera loadtest [--url http://127.0.0.1:8080] [--users 20] [--duration 1m]") {
		t.Errorf("help does not show loadtest:\n%s", out)
	}
	// A local server that is not there: a clear error, after the checks.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	_, err := run(t, "loadtest", "--url", "http://"+addr, "--duration", "1s")
	if err == nil || !strings.Contains(err.Error(), "signing in as admin@example.com") {
		t.Errorf("no server: %v", err)
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 95: 95 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond} {
		if got := percentile(d, p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if got := percentile(d[:1], 99); got != time.Millisecond {
		t.Errorf("p99 of one = %v", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of none = %v", got)
	}
	if got := percentile(d[:10], 95); got != 10*time.Millisecond {
		t.Errorf("p95 of ten = %v", got)
	}
}

// opLineRE is one operation's line of the report.
var opLineRE = regexp.MustCompile(`(?m)^\s*(\w+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)ms\s+([\d.]+)ms\s+([\d.]+)ms\s+([\d.]+)ms\s*$`)

// The real binary against a real serve: every operation is measured, with
// no errors; a bound on the requests ends the run early; what the run made
// is removed; a non-local target is refused by the binary.
func TestLoadtestE2E(t *testing.T) {
	bin := buildBinary(t)
	base := os.Getenv(storetest.EnvURL)
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			data, dburl := t.TempDir(), ""
			if dialect == "postgres" {
				if base == "" {
					t.Skip(storetest.EnvURL + " not set")
				}
				dburl, _ = storetest.SchemaURL(t, base)
			}
			env := processEnv("TESSERA_DATA="+data, "TESSERA_DATABASE_URL="+dburl, "TESSERA_LOADTEST_PASSWORD="+apitest.Password)
			runBinary(t, bin, env, "migrate")
			runBinary(t, bin, env, "user", "create", "--email", "admin@example.com", "--password", apitest.Password, "--admin")
			p := startServe(t, bin, env)
			c := login(t, p)

			out := runBinary(t, bin, env, "loadtest", "--url", c.URL, "--users", "10", "--duration", "5s", "--think", "20ms", "--seed", "600")
			t.Logf("%s:\n%s", dialect, out)
			ops := map[string][]string{}
			for _, m := range opLineRE.FindAllStringSubmatch(out, -1) {
				ops[m[1]] = m[2:]
			}
			for _, op := range loadOps {
				m, ok := ops[op]
				if !ok {
					t.Errorf("no line for %s", op)
					continue
				}
				n, _ := strconv.Atoi(m[0])
				p50, _ := strconv.ParseFloat(m[3], 64)
				p99, _ := strconv.ParseFloat(m[5], 64)
				if n < 10 || m[1] != "0" || p50 <= 0 || p99 < p50 {
					t.Errorf("%s: %d done, %s errors, p50 %vms, p99 %vms", op, n, m[1], p50, p99)
				}
			}
			if !regexp.MustCompile(`requests in 5(\.\d+)?s by 10 users: [\d.]+ requests/s, 0 errors`).MatchString(out) {
				t.Errorf("no summary line with 0 errors")
			}
			if !strings.Contains(out, "clean-up: app loadtest_") || !strings.Contains(out, "10 users disabled") {
				t.Errorf("no clean-up")
			}
			for _, a := range c.Do(t, "admin", "GET", "/api/apps", nil).Want(t, 200).List("apps") {
				t.Errorf("an app is left: %v", a)
			}
			// Its users are disabled, and its administrator session ended.
			users := c.Do(t, "admin", "GET", "/api/users?limit=200", nil).Want(t, 200)
			var lt, active int
			for _, u := range users.List("users") {
				u := u.(map[string]any)
				if strings.HasPrefix(u["email"].(string), "loadtest_") {
					lt++
					if u["disabled"] != true {
						active++
					}
				}
			}
			if lt != 10 || active != 0 {
				t.Errorf("%d load test users, %d not disabled: %s", lt, active, users.Body)
			}
			if !strings.Contains(p.out.String(), "path=/api/auth/logout status=204") {
				t.Errorf("the administrator's session was not ended")
			}

			// At most 40 requests: the run ends long before its 60 s.
			started := time.Now()
			out = runBinary(t, bin, env, "loadtest", "--url", c.URL, "--users", "4", "--duration", "60s", "--think", "0", "--requests", "40", "--seed", "0", "--keep")
			if time.Since(started) > 30*time.Second {
				t.Errorf("--requests 40 ran %v", time.Since(started))
			}
			m := regexp.MustCompile(`(\d+) requests in .* 0 errors`).FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("--requests 40:\n%s", out)
			}
			if n, _ := strconv.Atoi(m[1]); n == 0 || n > 40 {
				t.Errorf("--requests 40: %d requests\n%s", n, out)
			}
			if strings.Contains(out, "clean-up") || len(c.Do(t, "admin", "GET", "/api/apps", nil).Want(t, 200).List("apps")) != 1 {
				t.Errorf("--keep did not keep the app:\n%s", out)
			}

			// Not this machine: refused at once by the binary.
			started = time.Now()
			msg, err := runBinaryErr(bin, env, "loadtest", "--url", "http://8.8.8.8:80", "--users", "200", "--duration", "10m")
			if err == nil || !strings.Contains(msg, "refusing http://8.8.8.8:80: a load test only targets this machine") {
				t.Errorf("loadtest of 8.8.8.8: %v %s", err, msg)
			}
			if d := time.Since(started); d > 5*time.Second {
				t.Errorf("the refusal took %v", d)
			}
		})
	}
}
