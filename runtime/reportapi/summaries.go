package reportapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/summary"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// Live aggregates (engine/summary), for administrators: the summaries of
// an app with their status, a check of each against its GROUP BY, and a
// rebuild of them all as jobs.

type summaryHandler struct{ sums *summary.Service }

func init() { binders = append(binders, bindSummaries) }

func bindSummaries(g *echo.Group, s Services) {
	if s.Summaries == nil {
		return
	}
	h := summaryHandler{sums: s.Summaries}
	admin := httpx.AdminOnly("summary.admin_only")
	base := "/apps/:app/summaries"
	g.GET(base, h.list, admin)
	g.POST(base+"/check", h.check, admin)
	g.POST(base+"/rebuild", h.rebuild, admin)
}

func (h summaryHandler) list(c echo.Context) error {
	all, err := h.sums.List(c.Request().Context(), c.Param("app"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"summaries": all})
}

func (h summaryHandler) check(c echo.Context) error {
	drift, err := h.sums.Check(c.Request().Context(), c.Param("app"))
	if err != nil {
		return err
	}
	wrong := 0
	for _, d := range drift {
		if d.Wrong > 0 || d.Error != "" {
			wrong++
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"summaries": drift, "drifting": wrong})
}

func (h summaryHandler) rebuild(c echo.Context) error {
	n, err := h.sums.EnqueueRebuild(c.Request().Context(), c.Param("app"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"enqueued": n})
}
