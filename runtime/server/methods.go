package server

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/errs"
)

// Methods: a path that exists but not for the method sent is a 405 with
// an Allow header, HEAD is served wherever GET is (Handler), and OPTIONS
// answers with the Allow header. Echo's router would answer 405 itself, but the
// catch-all routes (unknown /api paths are problem documents even without
// a sign-in, and group middleware registers catch-alls of its own) win
// over its method check, so the not-found handler decides from the route
// table instead.

// routeTable answers which methods a request path has routes for.
type routeTable struct {
	routes []routePattern
}

type routePattern struct {
	segs   []string // ":name" matches one segment; a last "*" matches the rest
	method string
}

// newRouteTable indexes the routes of e (call it once every route is
// registered).
func newRouteTable(e *echo.Echo) *routeTable {
	t := &routeTable{}
	for _, r := range e.Routes() {
		if !standardMethod(r.Method) || strings.HasSuffix(r.Path, "*") {
			continue
		}
		t.routes = append(t.routes, routePattern{segs: strings.Split(r.Path, "/"), method: r.Method})
	}
	return t
}

func standardMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// WrongMethodRoute names the routes shadow adds: they answer 405 and are
// no endpoints.
const WrongMethodRoute = "wrong-method"

// shadow routes to notFound the methods a path lacks that a more general
// path beside it has: echo's router falls through from a static segment to
// a parameter, so GET …/records/batch (which has POST only) would otherwise
// read the record "batch". Call it after newRouteTable: the routes it adds
// are no routes of the table.
func (t *routeTable) shadow(e *echo.Echo) {
	done := map[string]bool{}
	for _, specific := range t.routes {
		for _, general := range t.routes {
			path := strings.Join(specific.segs, "/")
			key := general.method + " " + path
			if done[key] || !t.moreGeneral(general, specific) || t.has(specific.segs, general.method) {
				continue
			}
			done[key] = true
			e.Add(general.method, path, t.notFound).Name = WrongMethodRoute
		}
	}
}

// moreGeneral reports whether g's path matches s's as a parameter where s
// has a fixed segment (…/records/:id against …/records/batch).
func (t *routeTable) moreGeneral(g, s routePattern) bool {
	return matchSegs(g.segs, s.segs) && !slices.Equal(g.segs, s.segs)
}

// has reports whether the path pattern segs has a route for method.
func (t *routeTable) has(segs []string, method string) bool {
	for _, r := range t.routes {
		if r.method == method && slices.Equal(r.segs, segs) {
			return true
		}
	}
	return false
}

// allow returns the methods path has routes for, as an Allow header value
// ("" when the path has none): HEAD beside GET, and OPTIONS. Only the most
// specific paths matching count (…/records/batch, not …/records/:id).
func (t *routeTable) allow(path string) string {
	segs := strings.Split(path, "/")
	var matched []routePattern
	for _, r := range t.routes {
		if matchSegs(r.segs, segs) {
			matched = append(matched, r)
		}
	}
	var ms []string
	for _, r := range matched {
		if slices.ContainsFunc(matched, func(s routePattern) bool { return t.moreGeneral(r, s) }) {
			continue
		}
		if !slices.Contains(ms, r.method) {
			ms = append(ms, r.method)
			if r.method == http.MethodGet {
				ms = append(ms, http.MethodHead)
			}
		}
	}
	if len(ms) == 0 {
		return ""
	}
	ms = append(ms, http.MethodOptions)
	slices.Sort(ms)
	return strings.Join(ms, ", ")
}

func matchSegs(pattern, path []string) bool {
	if len(pattern) != len(path) {
		return false
	}
	for i, p := range pattern {
		if strings.HasPrefix(p, ":") {
			if path[i] == "" {
				return false
			}
		} else if p != path[i] {
			return false
		}
	}
	return true
}

// notFound is the handler of every unrouted request: 405 (or the answer
// to OPTIONS) when the path exists for other methods, else 404.
func (t *routeTable) notFound(c echo.Context) error {
	allow := t.allow(echo.GetPath(c.Request()))
	if allow == "" {
		return echo.ErrNotFound
	}
	c.Response().Header().Set(echo.HeaderAllow, allow)
	if c.Request().Method == http.MethodOptions {
		return c.NoContent(http.StatusNoContent)
	}
	return errs.New(errs.MethodNotAllowed, "http.wrong_method", "method", method(c), "allowed", allow)
}

// Handler is the server: echo, with HEAD requests served as GET.
type Handler struct {
	*echo.Echo
}

type headKey struct{}

// ServeHTTP routes HEAD as GET. Only echo sees GET: the net/http server
// still answers the client's HEAD request, so it discards the body (and
// keeps its Content-Length), and every GET route answers HEAD. (Echo
// routes on the request it is given, so a middleware cannot do this.)
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		r = r.WithContext(context.WithValue(r.Context(), headKey{}, true))
		r.Method = http.MethodGet
	}
	h.Echo.ServeHTTP(w, r)
}

// method is the method the client sent (HEAD for a HEAD served as GET).
func method(c echo.Context) string {
	if head, _ := c.Request().Context().Value(headKey{}).(bool); head {
		return http.MethodHead
	}
	return c.Request().Method
}
