// Package relatedapi serves the 360° view of a record (engine/related):
// GET /apps/:app/modules/:module/records/:id/related and …/timeline.
package relatedapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/related"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// Bind registers the routes on g.
func Bind(g *echo.Group, metaSvc *meta.Service, svc *related.Service) {
	h := handler{meta: metaSvc, svc: svc}
	base := "/apps/:app/modules/:module/records/:id"
	g.GET(base+"/related", h.related)
	g.GET(base+"/timeline", h.timeline)
}

type handler struct {
	meta *meta.Service
	svc  *related.Service
}

func actor(c echo.Context) record.Actor { return record.Actor{User: httpx.User(c), Via: "api"} }

func recordID(c echo.Context) string { return strings.ToLower(c.Param("id")) }

// request reads the path's module and the ?limit= every route takes.
func (h handler) request(c echo.Context) (*meta.Module, int, error) {
	m, err := h.meta.Module(c.Request().Context(), c.Param("app"), c.Param("module"))
	if err != nil {
		return nil, 0, err
	}
	s := c.QueryParam("limit")
	if s == "" {
		return m, 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > related.MaxTimelineLimit {
		return nil, 0, errs.New(errs.Invalid, "http.bad_param", "name", "limit")
	}
	return m, n, nil
}

// related answers every relation's count and first page, or with
// ?module=&field= the next page of one relation (?cursor=, ?limit=).
func (h handler) related(c echo.Context) error {
	ctx := c.Request().Context()
	m, limit, err := h.request(c)
	if err != nil {
		return err
	}
	if other := c.QueryParam("module"); other != "" {
		om, err := h.meta.Module(ctx, c.Param("app"), other)
		if err != nil {
			return err
		}
		page, err := h.svc.Page(ctx, actor(c), m, recordID(c), om, c.QueryParam("field"),
			store.ListQuery{Limit: limit, Cursor: c.QueryParam("cursor"), Sort: c.QueryParam("sort")})
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, page)
	}
	rels, err := h.svc.Related(ctx, actor(c), m, recordID(c), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"related": rels})
}

func (h handler) timeline(c echo.Context) error {
	ctx := c.Request().Context()
	m, limit, err := h.request(c)
	if err != nil {
		return err
	}
	page, err := h.svc.Timeline(ctx, actor(c), m, recordID(c), limit, c.QueryParam("cursor"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}
