// Package ruleapi serves the rule engine's API under /api/apps/:app/rules:
// CRUD, enable/disable, the run log and a dry run. Rules change how data is
// written, so changing them is for administrators; reading them and their
// runs is for anyone signed in who may see the app's modules.
package ruleapi

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/rule"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// input is a rule as clients send it; version guards a replace.
type input struct {
	rule.Rule
	Version int `json:"version"`
}

// BindPublic registers the inbound webhook URL, POST /hooks/:token, which
// needs no sign-in: the token in the URL is the secret.
func BindPublic(g *echo.Group, e *rule.Engine) {
	g.POST("/hooks/:token", func(c echo.Context) error {
		var body map[string]any
		if err := httpx.Decode(c, &body, false); err != nil {
			return err
		}
		rec, created, err := e.Inbound(c.Request().Context(), c.Param("token"), body)
		if err != nil {
			return err
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		return c.JSON(status, map[string]any{"id": rec["id"], "version": rec["version"]})
	})
}

// Bind registers the routes on g.
func Bind(g *echo.Group, e *rule.Engine) {
	base := "/apps/:app/rules"
	g.GET(base, func(c echo.Context) error {
		rules, err := e.Rules(c.Request().Context(), c.Param("app"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"rules": rules})
	}, httpx.AdminOnly("access.admin_only.rules_read"))
	g.POST(base, func(c echo.Context) error {
		var in input
		in.Enabled = true
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		r, err := e.Create(c.Request().Context(), c.Param("app"), &in.Rule)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, r)
	}, httpx.AdminOnly("access.admin_only.rules"))
	g.GET(base+"/:key", func(c echo.Context) error {
		r, err := e.Rule(c.Request().Context(), c.Param("app"), c.Param("key"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, r)
	}, httpx.AdminOnly("access.admin_only.rules_read"))
	g.PUT(base+"/:key", func(c echo.Context) error {
		var in input
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		r, err := e.Replace(c.Request().Context(), c.Param("app"), c.Param("key"), &in.Rule, in.Version)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, r)
	}, httpx.AdminOnly("access.admin_only.rules"))
	g.PATCH(base+"/:key", func(c echo.Context) error {
		var in struct {
			Enabled *bool `json:"enabled"`
		}
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		if in.Enabled == nil {
			return errs.Fields(errs.Field("enabled", "required", "rule.enabled_required"))
		}
		r, err := e.SetEnabled(c.Request().Context(), c.Param("app"), c.Param("key"), *in.Enabled)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, r)
	}, httpx.AdminOnly("access.admin_only.rules"))
	g.DELETE(base+"/:key", func(c echo.Context) error {
		if err := e.Delete(c.Request().Context(), c.Param("app"), c.Param("key")); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}, httpx.AdminOnly("access.admin_only.rules"))
	g.GET(base+"/:key/runs", func(c echo.Context) error {
		limit, _ := strconv.Atoi(c.QueryParam("limit"))
		runs, err := e.Runs(c.Request().Context(), c.Param("app"), c.Param("key"), limit)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"runs": runs})
	}, httpx.AdminOnly("access.admin_only.rules_read"))
	// The rule runs on one record, newest first (any rule of the app).
	g.GET("/apps/:app/modules/:module/records/:id/rule-runs", func(c echo.Context) error {
		limit, _ := strconv.Atoi(c.QueryParam("limit"))
		runs, err := e.RecordRuns(c.Request().Context(), c.Param("app"), c.Param("module"), c.Param("id"), limit)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"runs": runs})
	}, httpx.AdminOnly("access.admin_only.rules_read"))
	g.POST(base+"/:key/dry-run", func(c echo.Context) error {
		var in struct {
			Record string `json:"record"`
		}
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		actor := record.Actor{User: httpx.User(c), Via: "api"}
		res, err := e.DryRun(c.Request().Context(), actor, c.Param("app"), c.Param("key"), in.Record)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, res)
	}, httpx.AdminOnly("access.admin_only.rules"))
}
