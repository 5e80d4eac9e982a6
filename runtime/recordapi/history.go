package recordapi

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/audit"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// BindHistory registers GET /apps/:app/modules/:module/records/:id/history
// on g: the record's audit entries, newest first ({"entries": [...],
// "next_cursor": "..."}; ?limit= and ?cursor= page through them). A
// deleted record keeps its history; one that never existed is a 404.
func BindHistory(g *echo.Group, metaSvc *meta.Service, log *audit.Log) {
	g.GET("/apps/:app/modules/:module/records/:id/history", func(c echo.Context) error {
		m, err := metaSvc.Module(c.Request().Context(), c.Param("app"), c.Param("module"))
		if err != nil {
			return err
		}
		limit := 0
		if s := c.QueryParam("limit"); s != "" {
			if limit, err = strconv.Atoi(s); err != nil || limit < 1 {
				return errs.New(errs.Invalid, "http.bad_param", "name", "limit")
			}
		}
		page, err := log.History(c.Request().Context(), actor(c), m, recordID(c), limit, c.QueryParam("cursor"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, page)
	})
}

// AuditRequest is middleware that tells the audit log who is calling:
// the channel ("api"), the client address and user agent, and the
// signed-in user once authentication has run. Sign-in attempts and
// metadata changes are logged with it.
func AuditRequest(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		info := &audit.Request{
			Via: audit.ViaAPI, RemoteAddr: c.RealIP(), UserAgent: r.UserAgent(),
			User: func() string {
				if u := httpx.User(c); u != nil {
					return u.ID
				}
				return ""
			},
		}
		c.SetRequest(r.WithContext(audit.WithRequest(r.Context(), info)))
		return next(c)
	}
}
