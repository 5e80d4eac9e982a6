// Package notifyapi serves a user's in-app notifications (left by rules):
// GET /api/notifications[?unread=true], POST /api/notifications/:id/read.
package notifyapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// Bind registers the routes on g (signed-in users; each sees their own).
// A notification about a record shows the record's current title
// (record_title) when the reader may see it; its title is rendered in the
// reader's locale (httpx.Locale: Accept-Language, else their own).
func Bind(g *echo.Group, s *store.Store, mods *meta.Service, recs *record.Service) {
	g.GET("/notifications", func(c echo.Context) error {
		ctx := c.Request().Context()
		unread, _ := strconv.ParseBool(c.QueryParam("unread"))
		limit, _ := strconv.Atoi(c.QueryParam("limit"))
		list, err := s.Notifications(ctx, httpx.User(c).ID, unread, limit)
		if err != nil {
			return err
		}
		if err := titles(ctx, mods, recs, record.Actor{User: httpx.User(c), Via: "api"}, list); err != nil {
			return err
		}
		// In the reader's language now, not the recipient's when it was
		// sent (older rows only have that text).
		loc := httpx.Locale(c)
		for _, n := range list {
			if n.Message != nil {
				n.Title = i18n.T(loc, *n.Message)
			}
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

// titles fills in the record titles of list: one query per module.
func titles(ctx context.Context, mods *meta.Service, recs *record.Service, a record.Actor, list []*store.Notification) error {
	byModule := map[[2]string][]string{}
	for _, n := range list {
		if n.RecordID != "" {
			k := [2]string{n.App, n.Module}
			byModule[k] = append(byModule[k], n.RecordID)
		}
	}
	for k, ids := range byModule {
		m, err := mods.Module(ctx, k[0], k[1])
		if errs.Is(err, errs.NotFound) {
			continue // the module is gone
		}
		if err != nil {
			return err
		}
		ts, err := recs.Titles(ctx, a, m, ids)
		if errs.Is(err, errs.Forbidden) || errs.Is(err, errs.Unauthorized) {
			continue
		}
		if err != nil {
			return err
		}
		for _, n := range list {
			if n.App == k[0] && n.Module == k[1] {
				n.RecordTitle = ts[n.RecordID]
			}
		}
	}
	return nil
}
