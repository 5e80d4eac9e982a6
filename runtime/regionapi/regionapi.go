// Package regionapi serves the shipped China administrative divisions
// (engine/region) that region fields store: GET /api/regions, the
// picker's tree. It needs no sign-in, since public forms (外链表单) have
// region fields too and the list is public data.
package regionapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/region"
)

// Regions is the answer of GET /api/regions.
type Regions struct {
	Source  string        `json:"source"`
	Level   string        `json:"level"`
	Regions []region.Node `json:"regions"`
}

// Bind registers the route on g (no sign-in needed).
func Bind(g *echo.Group) {
	g.GET("/regions", func(c echo.Context) error {
		level := c.QueryParam("level")
		if level == "" {
			level = "city"
		}
		max, ok := region.LevelNames[level]
		if !ok {
			return errs.New(errs.Invalid, "http.bad_param", "name", "level")
		}
		return c.JSON(http.StatusOK, Regions{Source: region.Source(), Level: level, Regions: region.Tree(max)})
	})
}
