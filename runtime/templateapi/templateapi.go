// Package templateapi serves template packages (engine/template) under
// /api/templates, for administrators only: list the installed ones, lint,
// install, plan and apply an upgrade, export, uninstall. A package is
// sent as the request body, a zip archive (application/zip); an export
// answers with one.
package templateapi

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/template"
	"github.com/tessera-app/tessera/runtime/httpx"
)

type handler struct{ svc *template.Service }

// Bind registers the template routes on g (signed-in users; each route
// admits administrators only).
func Bind(g *echo.Group, svc *template.Service) {
	h := handler{svc: svc}
	admin := httpx.AdminOnly("template.admin_only")
	g.GET("/templates", h.list, admin)
	g.POST("/templates", h.install, admin)
	g.POST("/templates/lint", h.lint, admin)
	g.GET("/templates/:app", h.get, admin)
	g.POST("/templates/:app/upgrade", h.upgrade, admin)
	g.GET("/templates/:app/export", h.export, admin)
	g.DELETE("/templates/:app", h.uninstall, admin)
}

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"template.admin_only": {i18n.EN: "Only administrators may manage templates.", i18n.ZhCN: "只有管理员可以管理模板。"},
		"template.no_body":    {i18n.EN: "Send the template package as the request body, a zip archive.", i18n.ZhCN: "请以 zip 压缩包作为请求体发送模板包。"},
	})
}

func actor(c echo.Context) record.Actor { return record.Actor{User: httpx.User(c), Via: "api"} }

// body reads the package zip of the request.
func body(c echo.Context) (map[string][]byte, error) {
	b, err := io.ReadAll(io.LimitReader(c.Request().Body, int64(template.MaxTotal)+1))
	if err != nil {
		return nil, errs.New(errs.TooLarge, "http.too_large")
	}
	if len(b) == 0 {
		return nil, errs.New(errs.Invalid, "template.no_body")
	}
	if len(b) > template.MaxTotal {
		return nil, errs.New(errs.TooLarge, "template.too_large", "max", template.MaxTotal>>20)
	}
	return template.ReadZip(b)
}

func (h handler) list(c echo.Context) error {
	all, err := h.svc.List(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"templates": all})
}

func (h handler) get(c echo.Context) error {
	in, err := h.svc.Get(c.Request().Context(), c.Param("app"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, in)
}

func (h handler) lint(c echo.Context) error {
	files, err := body(c)
	if err != nil {
		return err
	}
	if err := h.svc.Lint(c.Request().Context(), actor(c), files, c.QueryParam("sample_data") == "true"); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"ok": true})
}

func (h handler) install(c echo.Context) error {
	files, err := body(c)
	if err != nil {
		return err
	}
	in, err := h.svc.Install(c.Request().Context(), actor(c), files,
		template.InstallOptions{App: c.QueryParam("app"), SampleData: c.QueryParam("sample_data") == "true"})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, in)
}

// upgrade answers the plan; with apply=true it applies it too. Choices
// come as choose=<conflict id>=ours|theirs (repeated), prefer=ours|theirs
// decides the rest.
func (h handler) upgrade(c echo.Context) error {
	files, err := body(c)
	if err != nil {
		return err
	}
	o := template.UpgradeOptions{Apply: c.QueryParam("apply") == "true", Prefer: c.QueryParam("prefer"), Choices: map[string]string{}}
	for _, ch := range c.QueryParams()["choose"] {
		i := strings.LastIndexByte(ch, '=')
		if i < 0 {
			return errs.Fields(errs.Field("choose", "bad_choice", "template.bad_choice", "id", ch, "choice", ""))
		}
		o.Choices[ch[:i]] = ch[i+1:]
	}
	plan, err := h.svc.Upgrade(c.Request().Context(), actor(c), c.Param("app"), files, o)
	if err != nil {
		return err
	}
	plan.Localize(httpx.Locale(c))
	return c.JSON(http.StatusOK, plan)
}

func (h handler) export(c echo.Context) error {
	app := c.Param("app")
	files, err := h.svc.Export(c.Request().Context(), actor(c), app)
	if err != nil {
		return err
	}
	b, err := Zip(files)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+app+`.zip"`)
	return c.Blob(http.StatusOK, "application/zip", b)
}

func (h handler) uninstall(c echo.Context) error {
	if err := h.svc.Uninstall(c.Request().Context(), actor(c), c.Param("app"), c.QueryParam("purge") == "true"); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Zip packs package files into a zip archive, in path order.
func Zip(files map[string][]byte) ([]byte, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(files[n]); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
