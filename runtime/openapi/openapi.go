// Package openapi generates the OpenAPI 3.1 document from the metadata.
package openapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/meta"
)

// Bind registers GET /openapi.json. PLACEHOLDER until the generator lands.
func Bind(g *echo.Group, svc *meta.Service) {
	g.GET("/openapi.json", func(c echo.Context) error {
		return c.JSON(http.StatusNotImplemented, map[string]string{"status": "not yet"})
	})
}
