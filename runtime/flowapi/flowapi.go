// Package flowapi serves the stage pipelines: their definitions under
// /api/apps/:app/flows (changes for administrators; reading for anyone who
// may read the module), their diagram and figures, and on records the
// transitions on offer, firing one, the stage history and the board.
package flowapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/flow"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// input is a pipeline as clients send it: version guards a replace;
// move_to maps states the replace removes to the states their records
// move to.
type input struct {
	flow.Flow
	MoveTo map[string]string `json:"move_to"`
}

type handler struct {
	flows *flow.Service
	meta  *meta.Service
}

// Bind registers the routes on g.
func Bind(g *echo.Group, flows *flow.Service, metaSvc *meta.Service) {
	h := handler{flows: flows, meta: metaSvc}
	admin := httpx.AdminOnly("access.admin_only.flows")
	base := "/apps/:app/flows"
	g.GET(base, h.list)
	g.POST(base, h.create, admin)
	g.GET(base+"/:key", h.get)
	g.PUT(base+"/:key", h.replace, admin)
	g.DELETE(base+"/:key", h.delete, admin)
	g.GET(base+"/:key/diagram", h.diagram)
	g.GET(base+"/:key/stats", h.stats)
	rec := "/apps/:app/modules/:module/records/:id"
	g.GET(rec+"/transitions", h.options)
	g.POST(rec+"/transitions/:key", h.fire)
	g.GET(rec+"/stage-history", h.history)
	g.GET("/apps/:app/modules/:module/board", h.board)
}

func actor(c echo.Context) record.Actor { return record.Actor{User: httpx.User(c), Via: "api"} }

func (h handler) module(c echo.Context) (*meta.Module, error) {
	return h.meta.Module(c.Request().Context(), c.Param("app"), c.Param("module"))
}

// recordID is the :id in canonical (lower-case) form, as record paths use.
func recordID(c echo.Context) string { return strings.ToLower(c.Param("id")) }

func (h handler) list(c echo.Context) error {
	fs, err := h.flows.Visible(c.Request().Context(), actor(c), c.Param("app"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"flows": fs})
}

func (h handler) create(c echo.Context) error {
	var in input
	if err := httpx.Decode(c, &in, true); err != nil {
		return err
	}
	if in.MoveTo != nil {
		return errs.Fields(errs.Field("move_to", "not_allowed", "flowapi.move_on_create"))
	}
	f, err := h.flows.Create(c.Request().Context(), c.Param("app"), &in.Flow)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, f)
}

func (h handler) get(c echo.Context) error {
	f, err := h.flows.VisibleFlow(c.Request().Context(), actor(c), c.Param("app"), c.Param("key"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, f)
}

func (h handler) replace(c echo.Context) error {
	var in input
	if err := httpx.Decode(c, &in, true); err != nil {
		return err
	}
	f, err := h.flows.Replace(c.Request().Context(), actor(c), c.Param("app"), c.Param("key"), &in.Flow, in.Version, in.MoveTo)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, f)
}

func (h handler) delete(c echo.Context) error {
	if err := h.flows.Delete(c.Request().Context(), actor(c), c.Param("app"), c.Param("key"), c.QueryParam("move_to")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// diagram answers the Mermaid source as text.
func (h handler) diagram(c echo.Context) error {
	ctx := c.Request().Context()
	if _, err := h.flows.VisibleFlow(ctx, actor(c), c.Param("app"), c.Param("key")); err != nil {
		return err
	}
	src, err := h.flows.Diagram(ctx, c.Param("app"), c.Param("key"), httpx.Locale(c))
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "text/vnd.mermaid; charset=utf-8", []byte(src))
}

func (h handler) stats(c echo.Context) error {
	from, err := instant(c, "from")
	if err != nil {
		return err
	}
	to, err := instant(c, "to")
	if err != nil {
		return err
	}
	st, err := h.flows.Stats(c.Request().Context(), actor(c), c.Param("app"), c.Param("key"), from, to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

// instant reads a query parameter as an RFC 3339 instant or a date
// (00:00 UTC); absent is the zero time.
func instant(c echo.Context, name string) (time.Time, error) {
	s := c.QueryParam(name)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errs.New(errs.Invalid, "http.bad_param", "name", name)
	}
	return t, nil
}

func (h handler) options(c echo.Context) error {
	m, err := h.module(c)
	if err != nil {
		return err
	}
	opts, err := h.flows.Options(c.Request().Context(), actor(c), m, recordID(c), httpx.Locale(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"transitions": opts})
}

// fire answers the moved record, or 202 with the approval instance the
// transition started.
func (h handler) fire(c echo.Context) error {
	m, err := h.module(c)
	if err != nil {
		return err
	}
	var in struct {
		Version int64          `json:"version"`
		Values  map[string]any `json:"values"`
	}
	if err := httpx.Decode(c, &in, true); err != nil {
		return err
	}
	out, err := h.flows.Fire(c.Request().Context(), actor(c), m, recordID(c), c.QueryParam("flow"), c.Param("key"), in.Version, in.Values)
	if err != nil {
		return err
	}
	if out.Approval != "" {
		return c.JSON(http.StatusAccepted, map[string]any{"instance": map[string]any{"id": out.Approval, "status": "pending"}})
	}
	return c.JSON(http.StatusOK, out.Record)
}

func (h handler) history(c echo.Context) error {
	m, err := h.module(c)
	if err != nil {
		return err
	}
	hist, err := h.flows.History(c.Request().Context(), actor(c), m, recordID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"history": hist})
}

func (h handler) board(c echo.Context) error {
	m, err := h.module(c)
	if err != nil {
		return err
	}
	q := flow.BoardQuery{Flow: c.QueryParam("flow"), Filter: c.QueryParam("filter"), Sum: c.QueryParam("sum"),
		Sort: c.QueryParam("sort"), State: c.QueryParam("state"), Cursor: c.QueryParam("cursor")}
	if s := c.QueryParam("limit"); s != "" {
		if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit < 1 {
			return errs.New(errs.Invalid, "http.bad_param", "name", "limit")
		}
	}
	if s := c.QueryParam("expand"); s != "" {
		q.Expand = strings.Split(s, ",")
	}
	b, err := h.flows.Board(c.Request().Context(), actor(c), m, q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, b)
}
