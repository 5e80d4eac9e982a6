// Package reportapi serves the report engine: query specs and their
// drill-down (this file), and the dashboards (dash's files), under
// /api/apps/:app/.
package reportapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/dashboard"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/report"
	"github.com/tessera-app/tessera/engine/summary"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// Services are what the routes need; files of this package add theirs.
type Services struct {
	Reports    *report.Service
	Dashboards *dashboard.Service
	Summaries  *summary.Service
}

// binders are the route sets of this package's files (each file appends
// its own in an init function), so files do not edit each other's code.
var binders []func(g *echo.Group, s Services)

func init() { binders = append(binders, bindQuery) }

// Bind registers every route set on g.
func Bind(g *echo.Group, s Services) {
	for _, b := range binders {
		b(g, s)
	}
}

func actor(c echo.Context) record.Actor { return record.Actor{User: httpx.User(c), Via: "api"} }

type queryHandler struct{ reports *report.Service }

func bindQuery(g *echo.Group, s Services) {
	h := queryHandler{reports: s.Reports}
	g.POST("/apps/:app/query", h.query)
	g.POST("/apps/:app/query/drill", h.drill)
}

// drillInput is the body of a drill-down request.
type drillInput struct {
	Spec report.Spec    `json:"spec"`
	Cell map[string]any `json:"cell"`
}

func (h queryHandler) query(c echo.Context) error {
	var spec report.Spec
	if err := httpx.Decode(c, &spec, true); err != nil {
		return err
	}
	res, err := h.reports.Run(httpx.ReplicaContext(c), actor(c), c.Param("app"), spec, options(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h queryHandler) drill(c echo.Context) error {
	var in drillInput
	if err := httpx.Decode(c, &in, true); err != nil {
		return err
	}
	filter, page, err := h.reports.Drill(httpx.ReplicaContext(c), actor(c), c.Param("app"), in.Spec, in.Cell, options(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"filter": filter, "records": page.Records, "next_cursor": page.Next})
}

// options are the viewer's locale and time zone.
func options(c echo.Context) report.Options {
	o := report.Options{Locale: httpx.Locale(c)}
	if u := httpx.User(c); u != nil {
		o.TimeZone = u.TimeZone
	}
	return o
}
