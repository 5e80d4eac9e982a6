// Package calendarapi serves business calendars: GET /api/calendars/:key
// for anyone signed in (due times and inboxes are counted in them), PUT for
// administrators (working days and hours, time zone, holidays and make-up
// workdays).
package calendarapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/calendar"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// Bind registers the routes on g (signed-in users).
func Bind(g *echo.Group, svc *calendar.Service) {
	g.GET("/calendars/:key", func(c echo.Context) error {
		cal, err := svc.Get(c.Request().Context(), c.Param("key"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, cal)
	})
	g.PUT("/calendars/:key", func(c echo.Context) error {
		var in calendar.Calendar
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		cal, err := svc.Put(c.Request().Context(), httpx.User(c).ID, c.Param("key"), &in)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, cal)
	}, httpx.AdminOnly("access.admin_only.calendars"))
}
