// Package poolapi serves pools (公海, engine/pool) under
// /api/apps/:app/pools: administrators define them; those a pool grants
// list its records, claim one (within the pool's claim limit) and assign
// records to others in a batch.
package poolapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/pool"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/runtime/httpx"
	"github.com/tessera-app/tessera/runtime/recordapi"
)

type handler struct{ pools *pool.Service }

// Bind registers the pool routes on g.
func Bind(g *echo.Group, svc *pool.Service) {
	h := handler{pools: svc}
	base := "/apps/:app/pools"
	g.GET(base, h.list)
	g.POST(base, h.create, httpx.RequireAdmin)
	g.GET(base+"/:key", h.get)
	g.PUT(base+"/:key", h.replace, httpx.RequireAdmin)
	g.DELETE(base+"/:key", h.delete, httpx.RequireAdmin)
	g.GET(base+"/:key/records", h.records)
	g.POST(base+"/:key/records/:id/claim", h.claim)
	g.POST(base+"/:key/assign", h.assign)
	g.POST(base+"/:key/reclaim", h.reclaim, httpx.RequireAdmin)
}

func actor(c echo.Context) record.Actor { return record.Actor{User: httpx.User(c), Via: "api"} }

func (h handler) list(c echo.Context) error {
	ps, err := h.pools.List(c.Request().Context(), actor(c), c.Param("app"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"pools": ps})
}

// mine is a pool with the caller's claims in the running period.
type mine struct {
	*pool.Pool
	Claimed *claimed `json:"claimed,omitempty"`
}

type claimed struct {
	Count int `json:"count"`
	Limit int `json:"limit"`
}

func (h handler) get(c echo.Context) error {
	ctx, app, key := c.Request().Context(), c.Param("app"), c.Param("key")
	p, err := h.pools.Get(ctx, actor(c), app, key)
	if err != nil {
		return err
	}
	out := mine{Pool: p}
	if p.ClaimLimit != nil {
		n, limit, err := h.pools.Claimed(ctx, actor(c), app, key)
		if err != nil {
			return err
		}
		out.Claimed = &claimed{Count: n, Limit: limit}
	}
	return c.JSON(http.StatusOK, out)
}

func (h handler) create(c echo.Context) error {
	var in pool.Pool
	if err := httpx.Decode(c, &in, true); err != nil {
		return err
	}
	in.Version = 0
	p, err := h.pools.Create(c.Request().Context(), c.Param("app"), &in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, p)
}

// replace stores a new definition; "version" must be the current one.
func (h handler) replace(c echo.Context) error {
	var in pool.Pool
	if err := httpx.Decode(c, &in, true); err != nil {
		return err
	}
	p, err := h.pools.Replace(c.Request().Context(), c.Param("app"), c.Param("key"), &in, in.Version)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (h handler) delete(c echo.Context) error {
	if err := h.pools.Delete(c.Request().Context(), c.Param("app"), c.Param("key")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h handler) records(c echo.Context) error {
	q, err := recordapi.ListQuery(c)
	if err != nil {
		return err
	}
	page, err := h.pools.PoolRecords(c.Request().Context(), actor(c), c.Param("app"), c.Param("key"), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (h handler) claim(c echo.Context) error {
	rec, err := h.pools.Claim(c.Request().Context(), actor(c), c.Param("app"), c.Param("key"), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rec)
}

func (h handler) assign(c echo.Context) error {
	var in pool.Assignment
	if err := httpx.Decode(c, &in, true); err != nil {
		return err
	}
	out, err := h.pools.Assign(c.Request().Context(), actor(c), c.Param("app"), c.Param("key"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (h handler) reclaim(c echo.Context) error {
	n, err := h.pools.ReclaimNow(c.Request().Context(), c.Param("app"), c.Param("key"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"reclaimed": n})
}
