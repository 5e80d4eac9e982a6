package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/runtime/web"
)

func serve(t *testing.T, app *web.App) *httptest.Server {
	t.Helper()
	e := echo.New()
	app.Bind(e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

type reply struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, srv *httptest.Server, path string) reply {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, string(b)}
}

var built = fstest.MapFS{
	"index.html":                     {Data: []byte(`<!doctype html><meta property="csp-nonce" nonce="__CSP_NONCE__"><script type="module" nonce="__CSP_NONCE__" src="/app/assets/index-abc123.js"></script><div id="root"></div>`)},
	"assets/index-abc123.js":         {Data: []byte(`console.log("app")`)},
	"assets/index-abc123.css":        {Data: []byte(`body{}`)},
	"assets/validate.worker-9f8e.js": {Data: []byte(`self.onmessage=()=>{}`)},
	"favicon.svg":                    {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
}

func TestBuiltApp(t *testing.T) {
	srv := serve(t, web.New(built))
	nonceRE := regexp.MustCompile(`nonce="([A-Za-z0-9_-]{20,})"`)

	t.Run("home redirects to /app/", func(t *testing.T) {
		r := get(t, srv, "/")
		if r.status != http.StatusFound || r.header.Get("Location") != "/app/" {
			t.Fatalf("GET / = %d %q", r.status, r.header.Get("Location"))
		}
	})
	for _, p := range []string{"/app/", "/app/crm/deal", "/app/crm/deal/0190d1a2-0000-7000-8000-000000000000", "/app/notifications", "/app/index.html"} {
		t.Run("page "+p, func(t *testing.T) {
			r := get(t, srv, p)
			if r.status != 200 || !strings.Contains(r.body, `<div id="root">`) {
				t.Fatalf("GET %s = %d %q", p, r.status, r.body)
			}
			if cc := r.header.Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("index Cache-Control = %q", cc)
			}
			m := nonceRE.FindStringSubmatch(r.body)
			if m == nil || strings.Contains(r.body, web.NoncePlaceholder) {
				t.Fatalf("nonce not filled in: %s", r.body)
			}
			csp := r.header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "style-src-elem 'self' 'nonce-"+m[1]+"'") || strings.Contains(csp, "unsafe-eval") ||
				strings.Count(csp, "unsafe-inline") != 1 || !strings.Contains(csp, "style-src-attr 'unsafe-inline'") ||
				!strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("page policy = %q", csp)
			}
		})
	}
	t.Run("each page gets its own nonce", func(t *testing.T) {
		a, b := get(t, srv, "/app/"), get(t, srv, "/app/")
		if nonceRE.FindString(a.body) == nonceRE.FindString(b.body) {
			t.Error("two pages share a nonce")
		}
	})
	t.Run("hashed assets cache for a year", func(t *testing.T) {
		r := get(t, srv, "/app/assets/index-abc123.js")
		if r.status != 200 || r.body != `console.log("app")` {
			t.Fatalf("asset = %d %q", r.status, r.body)
		}
		if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
			t.Errorf("asset Cache-Control = %q", cc)
		}
		if ct := r.header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
			t.Errorf("asset Content-Type = %q", ct)
		}
		if ct := get(t, srv, "/app/assets/index-abc123.css").header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
			t.Errorf("css Content-Type = %q", ct)
		}
	})
	t.Run("missing asset is a 404, not the page", func(t *testing.T) {
		if r := get(t, srv, "/app/assets/index-old999.js"); r.status != http.StatusNotFound {
			t.Fatalf("missing asset = %d %q", r.status, r.body)
		}
	})
	t.Run("other files are revalidated", func(t *testing.T) {
		r := get(t, srv, "/app/favicon.svg")
		if r.status != 200 || r.header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("favicon = %d %q", r.status, r.header.Get("Cache-Control"))
		}
	})
	t.Run("only the validation worker may compile code", func(t *testing.T) {
		r := get(t, srv, "/app/assets/validate.worker-9f8e.js")
		if r.status != 200 || r.header.Get("Content-Security-Policy") != web.WorkerCSP {
			t.Fatalf("worker = %d %q", r.status, r.header.Get("Content-Security-Policy"))
		}
		if csp := get(t, srv, "/app/assets/index-abc123.js").header.Get("Content-Security-Policy"); strings.Contains(csp, "eval") {
			t.Errorf("app script policy = %q", csp)
		}
	})
	t.Run("path traversal stays inside the app", func(t *testing.T) {
		r := get(t, srv, "/app/../../etc/passwd")
		if strings.Contains(r.body, "root:") {
			t.Fatal("served a file outside the app")
		}
	})
}

func TestPlaceholder(t *testing.T) {
	srv := serve(t, web.New(fstest.MapFS{".keep": {Data: []byte("x")}}))
	for _, p := range []string{"/app/", "/app/crm/deal"} {
		r := get(t, srv, p)
		if r.status != 200 || !strings.Contains(r.body, "npm run build") || !strings.Contains(r.body, "/api/auth/login") {
			t.Fatalf("GET %s = %d %q", p, r.status, r.body)
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'sha256-") || strings.Contains(csp, "unsafe") {
			t.Errorf("placeholder policy = %q", csp)
		}
	}
}

// TestEmbedded checks the real embedded tree: the placeholder on a clean
// clone, the app after `npm run build`.
func TestEmbedded(t *testing.T) {
	app := web.Embedded()
	r := get(t, serve(t, app), "/app/")
	want := "npm run build"
	if app.Built() {
		want = `<div id="root">`
	}
	if r.status != 200 || !strings.Contains(r.body, want) {
		t.Fatalf("embedded /app/ = %d, want %q in %q", r.status, want, r.body)
	}
}
