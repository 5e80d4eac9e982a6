package reportapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/dashboard"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// Dashboards: definitions under /api/apps/:app/dashboards (private ones
// for anyone signed in; shared ones for administrators and designers of
// the modules they read, see dashboard.Service.mayPublish) and the data
// of every widget in one call.

type dashboardHandler struct{ dash *dashboard.Service }

func init() { binders = append(binders, bindDashboards) }

func bindDashboards(g *echo.Group, s Services) {
	if s.Dashboards == nil {
		return
	}
	h := dashboardHandler{dash: s.Dashboards}
	base := "/apps/:app/dashboards"
	g.GET(base, h.list)
	g.POST(base, h.create)
	g.GET(base+"/:key", h.get)
	g.PUT(base+"/:key", h.replace)
	g.DELETE(base+"/:key", h.delete)
	g.GET(base+"/:key/data", h.data)
}

func (h dashboardHandler) list(c echo.Context) error {
	ds, err := h.dash.List(c.Request().Context(), httpx.User(c), c.Param("app"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"dashboards": ds})
}

func (h dashboardHandler) create(c echo.Context) error {
	var in dashboard.Dashboard
	if err := httpx.Decode(c, &in, true); err != nil {
		return err
	}
	d, err := h.dash.Create(c.Request().Context(), httpx.User(c), c.Param("app"), &in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, d)
}

func (h dashboardHandler) get(c echo.Context) error {
	d, err := h.dash.Get(c.Request().Context(), httpx.User(c), c.Param("app"), c.Param("key"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (h dashboardHandler) replace(c echo.Context) error {
	var in dashboard.Dashboard
	if err := httpx.Decode(c, &in, true); err != nil {
		return err
	}
	d, err := h.dash.Replace(c.Request().Context(), httpx.User(c), c.Param("app"), c.Param("key"), &in, in.Version)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (h dashboardHandler) delete(c echo.Context) error {
	if err := h.dash.Delete(c.Request().Context(), httpx.User(c), c.Param("app"), c.Param("key")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// data answers {"widgets": {key: data or {"error"}}}; the query string
// carries the dashboard filters' values.
func (h dashboardHandler) data(c echo.Context) error {
	p := dashboard.Params{}
	for k, v := range c.QueryParams() {
		if len(v) > 0 {
			p[k] = v[0]
		}
	}
	o := options(c)
	out, err := h.dash.Data(httpx.ReplicaContext(c), dashboard.View{User: httpx.User(c), Locale: o.Locale, TimeZone: o.TimeZone},
		c.Param("app"), c.Param("key"), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"widgets": out})
}
