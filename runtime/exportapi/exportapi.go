// Package exportapi serves list exports (engine/export): POST
// /api/apps/:app/modules/:module/exports answers the file, or 202 with
// the ID of an export job when the list is over the service's threshold;
// GET /api/exports/:id shows the job's progress and, once done, its
// download link; GET /api/exports/:id/download?token=… serves the file to
// its creator until the link expires (410 after). GET
// /api/apps/:app/dashboards/:key/widgets/:widget/export?format=…&from=…
// exports what a dashboard widget shows, with the dashboard filters'
// values in the query string as GET …/dashboards/:key/data takes them.
package exportapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/dashboard"
	"github.com/tessera-app/tessera/engine/export"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/runtime/httpx"
)

type handler struct{ exports *export.Service }

// Bind registers the export routes on g (behind httpx.RequireUser).
func Bind(g *echo.Group, s *export.Service) {
	h := handler{exports: s}
	g.POST("/apps/:app/modules/:module/exports", h.create)
	g.GET("/exports/:id", h.status)
	g.GET("/exports/:id/download", h.download)
	g.GET("/apps/:app/dashboards/:key/widgets/:widget/export", h.widget)
}

func options(c echo.Context) export.Options {
	o := export.Options{Locale: httpx.Locale(c)}
	if u := httpx.User(c); u != nil {
		o.TimeZone = u.TimeZone
	}
	return o
}

func (h handler) create(c echo.Context) error {
	var req export.Request
	if err := httpx.Decode(c, &req, true); err != nil {
		return err
	}
	ctx := httpx.ReplicaContext(c)
	p, err := h.exports.Prepare(ctx, record.Actor{User: httpx.User(c), Via: "api"}, c.Param("app"), c.Param("module"), req, options(c))
	if err != nil {
		return err
	}
	return h.answer(c, p)
}

// answer writes the file of p, or starts its job when it is large.
func (h handler) answer(c echo.Context, p *export.Plan) error {
	ctx := httpx.ReplicaContext(c)
	if h.exports.Async(p) {
		id, err := h.exports.Start(ctx, p)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/api/exports/"+id)
		return c.JSON(http.StatusAccepted, map[string]any{"id": id, "status": "pending", "total": p.Total})
	}
	attach(c, p.Filename(), p.ContentType())
	c.Response().WriteHeader(http.StatusOK)
	// Everything that can be the request's fault was checked by Prepare;
	// a failure now (the connection, the database) ends the body early,
	// and the client sees a truncated file rather than a valid one.
	return h.exports.Write(ctx, p, c.Response(), nil)
}

// widget answers a widget's data as a file; a record-list widget over the
// threshold runs as an export job, as a list export does (202).
func (h handler) widget(c echo.Context) error {
	p := dashboard.Params{}
	for k, v := range c.QueryParams() {
		if len(v) > 0 && k != "format" {
			p[k] = v[0]
		}
	}
	ctx := httpx.ReplicaContext(c)
	plan, err := h.exports.PrepareWidget(ctx, httpx.User(c), c.Param("app"), c.Param("key"), c.Param("widget"), c.QueryParam("format"), p, options(c))
	if err != nil {
		return err
	}
	return h.answer(c, plan)
}

// attach sets the headers of a file download.
func attach(c echo.Context, name, contentType string) {
	hdr := c.Response().Header()
	hdr.Set(echo.HeaderContentType, contentType)
	hdr.Set(echo.HeaderContentDisposition, "attachment; filename*=UTF-8''"+url.PathEscape(name))
}

func (h handler) status(c echo.Context) error {
	st, err := h.exports.StatusOf(c.Request().Context(), httpx.User(c), c.Param("id"), httpx.Locale(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (h handler) download(c echo.Context) error {
	ctx := c.Request().Context()
	row, err := h.exports.Open(ctx, httpx.User(c), c.Param("id"), c.QueryParam("token"))
	if errors.Is(err, export.ErrExpired) {
		// 410 has no error code of its own in engine/errs: answered here,
		// in the same problem form as every other error.
		c.Response().Header().Set(echo.HeaderContentType, "application/problem+json; charset=utf-8")
		c.Response().WriteHeader(http.StatusGone)
		return json.NewEncoder(c.Response()).Encode(httpx.Problem{Type: "about:blank", Title: http.StatusText(http.StatusGone),
			Status: http.StatusGone, Code: "gone", Detail: i18n.T(httpx.Locale(c), i18n.M("export.expired"))})
	}
	if err != nil {
		return err
	}
	attach(c, row.Filename, contentType(row.Format))
	c.Response().Header().Set(echo.HeaderContentLength, strconv.FormatInt(row.Size, 10))
	c.Response().WriteHeader(http.StatusOK)
	return h.exports.Copy(ctx, row, c.Response())
}

func contentType(format string) string {
	p := export.Plan{Request: export.Request{Format: format}}
	return p.ContentType()
}
