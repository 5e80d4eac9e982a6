// Package formulaapi serves the progress of recomputing a module's stored
// formulas and rollups after a schema change:
// GET /api/apps/:app/modules/:module/recompute → {status, done, total}.
package formulaapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// Bind registers the route on g; like schema changes, it is for
// administrators.
func Bind(g *echo.Group, modules *meta.Service, records *record.Service) {
	g.GET("/apps/:app/modules/:module/recompute", func(c echo.Context) error {
		ctx := c.Request().Context()
		m, err := modules.Module(ctx, c.Param("app"), c.Param("module"))
		if err != nil {
			return err
		}
		p, err := records.RecomputeStatus(ctx, m)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, p)
	}, httpx.AdminOnly("access.admin_only.recompute"))
}
