// Package notifyapi serves a user's in-app notifications (left by rules):
// GET /api/notifications[?unread=true], POST /api/notifications/:id/read.
package notifyapi

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// Bind registers the routes on g (signed-in users; each sees their own).
func Bind(g *echo.Group, s *store.Store) {
	g.GET("/notifications", func(c echo.Context) error {
		unread, _ := strconv.ParseBool(c.QueryParam("unread"))
		limit, _ := strconv.Atoi(c.QueryParam("limit"))
		list, err := s.Notifications(c.Request().Context(), httpx.User(c).ID, unread, limit)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"notifications": list})
	})
	g.POST("/notifications/:id/read", func(c echo.Context) error {
		if err := s.MarkRead(c.Request().Context(), httpx.User(c).ID, c.Param("id")); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
}
