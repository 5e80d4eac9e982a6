// Package dedupeapi serves the duplicate check's list and merge
// (engine/dedupe): GET /apps/:app/modules/:module/duplicates and
// POST …/records/:id/merge. The check itself answers on the record
// routes (runtime/recordapi/duplicates.go).
package dedupeapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/dedupe"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// Bind registers the routes on g.
func Bind(g *echo.Group, metaSvc *meta.Service, svc *dedupe.Service) {
	h := handler{meta: metaSvc, svc: svc}
	g.GET("/apps/:app/modules/:module/duplicates", h.list)
	g.POST("/apps/:app/modules/:module/records/:id/merge", h.merge)
}

type handler struct {
	meta *meta.Service
	svc  *dedupe.Service
}

func actor(c echo.Context) record.Actor { return record.Actor{User: httpx.User(c), Via: "api"} }

func (h handler) list(c echo.Context) error {
	ctx := c.Request().Context()
	m, err := h.meta.Module(ctx, c.Param("app"), c.Param("module"))
	if err != nil {
		return err
	}
	limit := 0
	if s := c.QueryParam("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 {
			return errs.New(errs.Invalid, "http.bad_param", "name", "limit")
		}
	}
	page, err := h.svc.Duplicates(ctx, actor(c), m, c.QueryParam("key"), c.QueryParam("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

type mergeBody struct {
	Others []string          `json:"others"`
	Values map[string]string `json:"values"`
}

func (h handler) merge(c echo.Context) error {
	ctx := c.Request().Context()
	m, err := h.meta.Module(ctx, c.Param("app"), c.Param("module"))
	if err != nil {
		return err
	}
	var in mergeBody
	if err := httpx.Decode(c, &in, true); err != nil {
		return err
	}
	if in.Values == nil {
		in.Values = map[string]string{}
	}
	rec, err := h.svc.Merge(ctx, actor(c), m, dedupe.MergeRequest{Survivor: strings.ToLower(c.Param("id")), Others: in.Others, Values: in.Values})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rec)
}
