// Package actionapi serves buttons (rules with a manual trigger,
// engine/rule/manual.go): the buttons a caller may press on a module or a
// record, pressing one on a record, and on a list's selected rows.
package actionapi

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/rule"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// Bind registers the routes on g.
func Bind(g *echo.Group, metaSvc *meta.Service, rules *rule.Engine) {
	h := handler{meta: metaSvc, rules: rules}
	mod := "/apps/:app/modules/:module"
	g.GET(mod+"/actions", h.list)
	g.POST(mod+"/actions/:key", h.pressMany)
	g.POST(mod+"/records/:id/actions/:key", h.press)
}

type handler struct {
	meta  *meta.Service
	rules *rule.Engine
}

func actor(c echo.Context) record.Actor { return record.Actor{User: httpx.User(c), Via: "api"} }

func (h handler) module(c echo.Context) (*meta.Module, error) {
	return h.meta.Module(c.Request().Context(), c.Param("app"), c.Param("module"))
}

// list: ?record= narrows to one record (its update scope, and whether each
// button's condition holds for it).
func (h handler) list(c echo.Context) error {
	m, err := h.module(c)
	if err != nil {
		return err
	}
	bs, err := h.rules.Buttons(c.Request().Context(), actor(c), m, strings.ToLower(c.QueryParam("record")))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"actions": bs})
}

type pressBody struct {
	Input map[string]any `json:"input"`
	IDs   []string       `json:"ids"` // the bulk press only
}

func (h handler) press(c echo.Context) error {
	m, err := h.module(c)
	if err != nil {
		return err
	}
	var in pressBody
	if c.Request().ContentLength != 0 {
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
	}
	res, err := h.rules.Press(c.Request().Context(), actor(c), m, c.Param("key"), strings.ToLower(c.Param("id")), in.Input)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// pressResult is one row's outcome of a bulk press.
type pressResult struct {
	ID     string             `json:"id"`
	Status int                `json:"status"`
	Result *rule.ButtonResult `json:"result,omitempty"`
	Error  *httpx.Problem     `json:"error,omitempty"`
}

func (h handler) pressMany(c echo.Context) error {
	m, err := h.module(c)
	if err != nil {
		return err
	}
	var in pressBody
	if err := httpx.Decode(c, &in, true); err != nil {
		return err
	}
	rows, err := h.rules.PressMany(c.Request().Context(), actor(c), m, c.Param("key"), in.IDs, in.Input)
	if err != nil {
		return err
	}
	loc := httpx.Locale(c)
	out := make([]pressResult, len(rows))
	done := 0
	for i, r := range rows {
		out[i] = pressResult{ID: r.ID, Status: http.StatusOK, Result: r.Result}
		if r.Error != nil {
			p := httpx.ProblemOf(loc, r.Error)
			out[i] = pressResult{ID: r.ID, Status: p.Status, Error: &p}
			continue
		}
		done++
	}
	return c.JSON(http.StatusOK, map[string]any{"done": done, "failed": len(rows) - done, "results": out})
}
