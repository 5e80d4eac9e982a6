// Package web serves the runtime web app (the React SPA built by
// `npm run build` into runtime/web/dist) at /app/, embedded in the binary.
//
// A clone that never ran the web build has only dist/.keep: Go still
// builds and tests, and /app/ shows a placeholder page saying how to build
// the UI. Hashed assets (/app/assets/…) are cached for a year; index.html
// is never cached, and every deep link below /app/ that is not a file gets
// index.html, so the client router shows it (an SPA fallback).
package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

//go:embed all:dist
var dist embed.FS

//go:embed placeholder.html
var placeholder []byte

// Prefix is where the app is served.
const Prefix = "/app/"

// NoncePlaceholder is the text vite writes where each response puts its
// CSP nonce (vite.config.ts: html.cspNonce). Ant Design injects its style
// elements at run time; they carry this nonce, so the policy needs no
// 'unsafe-inline'.
const NoncePlaceholder = "__CSP_NONCE__"

// App is the built web app, or the placeholder when none was built.
type App struct {
	files fs.FS
	index []byte // nil: not built
}

// Embedded returns the app embedded in this binary.
func Embedded() *App { return New(mustSub(dist, "dist")) }

// New serves the app in files (a vite build: index.html, assets/…).
func New(files fs.FS) *App {
	a := &App{files: files}
	if b, err := fs.ReadFile(files, "index.html"); err == nil {
		a.index = b
	}
	return a
}

// Built reports whether a web build is embedded (false: the placeholder).
func (a *App) Built() bool { return a.index != nil }

// Bind registers GET /app and /app/* on e, and GET / redirecting to /app/.
func (a *App) Bind(e *echo.Echo) {
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusFound, Prefix) })
	e.GET("/app", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, Prefix) })
	e.GET(Prefix+"*", a.serve)
}

func (a *App) serve(c echo.Context) error {
	name := strings.TrimPrefix(path.Clean("/"+c.Param("*")), "/")
	if !a.Built() {
		return page(c, placeholder, PlaceholderCSP)
	}
	if name != "" && name != "index.html" {
		if b, err := fs.ReadFile(a.files, name); err == nil {
			return a.asset(c, name, b)
		}
		// A missing hashed asset is a 404, never the page: a stale tab
		// asking for last week's chunk must not parse HTML as script.
		if strings.HasPrefix(name, "assets/") {
			return echo.ErrNotFound
		}
	}
	nonce := newNonce()
	return page(c, bytes.ReplaceAll(a.index, []byte(NoncePlaceholder), []byte(nonce)), AppCSP(nonce))
}

func (a *App) asset(c echo.Context, name string, b []byte) error {
	h := c.Response().Header()
	if strings.HasPrefix(name, "assets/") {
		// vite puts a content hash in every file name under assets/.
		h.Set(echo.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		h.Set(echo.HeaderCacheControl, "no-cache")
	}
	if isWorker(name) {
		h.Set("Content-Security-Policy", WorkerCSP)
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = http.DetectContentType(b)
	}
	return c.Blob(http.StatusOK, ct, b)
}

// isWorker reports whether name is the form validation worker script
// (src/render/validate.worker.ts, emitted by vite as
// assets/validate.worker-<hash>.js).
func isWorker(name string) bool {
	base := path.Base(name)
	return strings.HasPrefix(base, "validate.worker-") && strings.HasSuffix(base, ".js")
}

func page(c echo.Context, body []byte, csp string) error {
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, "no-cache")
	h.Set("Content-Security-Policy", csp)
	return c.HTMLBlob(http.StatusOK, body)
}

// AppCSP is the app page's policy: scripts, styles, images, fonts and
// connections from this origin only; no inline script and no eval; style
// elements only with this response's nonce (Ant Design's CSS-in-JS, and
// src/csp.ts for the few libraries that create style elements without
// passing it on); no framing, no plugins. Style attributes are allowed
// (style-src-attr): components set them with setAttribute (antd's
// auto-sizing text areas), and a style attribute cannot run script.
func AppCSP(nonce string) string {
	n := "'nonce-" + nonce + "'"
	return "default-src 'self'; script-src 'self'; style-src 'self' " + n + "; style-src-elem 'self' " + n + "; " +
		"style-src-attr 'unsafe-inline'; " +
		"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self'; " +
		"object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
}

// WorkerCSP is the policy of the form validation worker. Ajv compiles each
// module's JSON Schema into a JavaScript function (new Function), which the
// page's policy forbids; a dedicated worker runs under its own script's
// policy, so the compilation happens there, with no DOM, no storage and no
// way to reach the page but postMessage — and the page itself keeps a
// policy without 'unsafe-eval'.
const WorkerCSP = "default-src 'none'; script-src 'self' 'unsafe-eval'"

// PlaceholderCSP allows only the placeholder page's own style sheet.
var PlaceholderCSP = "default-src 'self'; style-src 'sha256-" + placeholderStyleHash() + "'; " +
	"object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

func newNonce() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // dir is a constant embedded above
	}
	return s
}

// placeholderStyleHash is the SHA-256 of the placeholder's <style> text.
func placeholderStyleHash() string {
	s := string(placeholder)
	i, j := strings.Index(s, "<style>"), strings.Index(s, "</style>")
	if i < 0 || j < i {
		return ""
	}
	h := sha256.Sum256([]byte(s[i+len("<style>") : j]))
	return base64.StdEncoding.EncodeToString(h[:])
}
