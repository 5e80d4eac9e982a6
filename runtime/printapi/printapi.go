// Package printapi serves print templates (engine/printtpl) under
// /api/apps/:app/print-templates and renders a record to PDF with one at
// /api/apps/:app/modules/:module/records/:id/print/:template.
//
// Administrators write templates; anyone who may read a template's module
// lists, reads and renders it. Rendering runs as the caller: the record
// and the child rows are those in their read scope, and a field hidden
// from them is left out of the document (its block line, column or
// placeholder prints nothing) rather than refused, so one template serves
// every role.
package printapi

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/printtpl"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/runtime/httpx"
)

type handler struct{ tpl *printtpl.Service }

// Bind registers the print routes on g.
func Bind(g *echo.Group, svc *printtpl.Service) {
	h := handler{tpl: svc}
	base := "/apps/:app/print-templates"
	g.GET(base, h.list)
	g.POST(base, h.create, httpx.RequireAdmin)
	g.GET(base+"/:key", h.get)
	g.PUT(base+"/:key", h.replace, httpx.RequireAdmin)
	g.DELETE(base+"/:key", h.delete, httpx.RequireAdmin)
	g.GET("/apps/:app/modules/:module/records/:id/print/:template", h.render)
}

func actor(c echo.Context) record.Actor { return record.Actor{User: httpx.User(c), Via: "api"} }

// view is a template as answered: its definition and, localized, what no
// longer holds (a field or module deleted since it was saved). A template
// with problems is kept and listed, but not rendered until fixed.
type view struct {
	*printtpl.Template
	Problems []httpx.ProblemField `json:"problems"`
}

func present(c echo.Context, t *printtpl.Template) view {
	v := view{Template: t, Problems: []httpx.ProblemField{}}
	loc := httpx.Locale(c)
	for _, p := range t.Problems {
		v.Problems = append(v.Problems, httpx.ProblemField{Field: p.Field, Code: p.Code, Message: i18n.T(loc, p.Msg)})
	}
	return v
}

func (h handler) list(c echo.Context) error {
	ts, err := h.tpl.List(c.Request().Context(), actor(c), c.Param("app"))
	if err != nil {
		return err
	}
	out := make([]view, len(ts))
	for i, t := range ts {
		out[i] = present(c, t)
	}
	return c.JSON(http.StatusOK, map[string]any{"print_templates": out})
}

func (h handler) get(c echo.Context) error {
	t, err := h.tpl.Get(c.Request().Context(), actor(c), c.Param("app"), c.Param("key"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, present(c, t))
}

func (h handler) create(c echo.Context) error {
	var in printtpl.Template
	if err := httpx.Decode(c, &in, true); err != nil {
		return err
	}
	in.ID, in.Version = "", 0
	t, err := h.tpl.Create(c.Request().Context(), c.Param("app"), &in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, present(c, t))
}

// replace stores a new definition; "version", when sent, must be the
// current one (409 otherwise), so two editors do not overwrite each other.
func (h handler) replace(c echo.Context) error {
	var in printtpl.Template
	if err := httpx.Decode(c, &in, true); err != nil {
		return err
	}
	t, err := h.tpl.Replace(c.Request().Context(), c.Param("app"), c.Param("key"), &in, in.Version)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, present(c, t))
}

func (h handler) delete(c echo.Context) error {
	if err := h.tpl.Delete(c.Request().Context(), c.Param("app"), c.Param("key")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// render answers the PDF, built in memory first so that a failure half
// way is a problem document, not a truncated file.
func (h handler) render(c echo.Context) error {
	o := printtpl.RenderOptions{Locale: httpx.Locale(c)}
	if u := httpx.User(c); u != nil {
		o.TimeZone = u.TimeZone
	}
	var buf bytes.Buffer
	title, err := h.tpl.Render(c.Request().Context(), actor(c), c.Param("app"), c.Param("module"), c.Param("id"),
		c.Param("template"), o, &buf)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", disposition(title, c.Param("template")))
	return c.Blob(http.StatusOK, "application/pdf", buf.Bytes())
}

// disposition names the file after the document's title (UTF-8, RFC 6266
// filename*), with an ASCII fallback of the template key for old clients.
func disposition(title, key string) string {
	name := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || strings.ContainsRune(`/\"`, r) {
			return -1
		}
		return r
	}, strings.TrimSpace(title))
	if name == "" {
		name = key
	}
	return `inline; filename="` + key + `.pdf"; filename*=UTF-8''` + url.PathEscape(name+".pdf")
}
