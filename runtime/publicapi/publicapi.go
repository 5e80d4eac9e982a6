// Package publicapi serves public forms and views (engine/publish): their
// administration under /api/apps/:app/public-forms and …/public-views, and
// the unauthenticated routes visitors reach with a token,
// /api/public/forms/:token and /api/public/views/:token.
package publicapi

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/publish"
	"github.com/tessera-app/tessera/runtime/httpx"
)

type handler struct {
	svc *publish.Service
	typ string
}

// Bind registers the administration routes on g (administrators only).
func Bind(g *echo.Group, svc *publish.Service) {
	for path, typ := range map[string]string{"public-forms": publish.TypeForm, "public-views": publish.TypeView} {
		h := handler{svc: svc, typ: typ}
		base := "/apps/:app/" + path
		g.GET(base, h.list, httpx.RequireAdmin)
		g.POST(base, h.create, httpx.RequireAdmin)
		g.GET(base+"/:key", h.get, httpx.RequireAdmin)
		g.PUT(base+"/:key", h.replace, httpx.RequireAdmin)
		g.DELETE(base+"/:key", h.delete, httpx.RequireAdmin)
		g.POST(base+"/:key/token", h.issue, httpx.RequireAdmin)
		g.DELETE(base+"/:key/token", h.revoke, httpx.RequireAdmin)
	}
}

// BindPublic registers the visitors' routes on g (no sign-in).
func BindPublic(g *echo.Group, svc *publish.Service) {
	h := handler{svc: svc}
	g.GET("/public/forms/:token", h.form)
	g.POST("/public/forms/:token", h.submit)
	g.GET("/public/views/:token", h.view)
	g.GET("/public/views/:token/records/:id", h.viewRecord)
}

// issued is a publication with its new token, shown this once.
type issued struct {
	*publish.Publication
	Secret string `json:"secret"`
	URL    string `json:"url"`
}

func (h handler) url(token string) string {
	if h.typ == publish.TypeForm {
		return "/api/public/forms/" + token
	}
	return "/api/public/views/" + token
}

func (h handler) list(c echo.Context) error {
	ps, err := h.svc.List(c.Request().Context(), c.Param("app"), h.typ)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"publications": ps})
}

func (h handler) get(c echo.Context) error {
	p, err := h.svc.Get(c.Request().Context(), c.Param("app"), h.typ, c.Param("key"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (h handler) create(c echo.Context) error {
	var in publish.Publication
	if err := httpx.Decode(c, &in, true); err != nil {
		return err
	}
	p, token, err := h.svc.Create(c.Request().Context(), c.Param("app"), h.typ, &in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, issued{Publication: p, Secret: token, URL: h.url(token)})
}

func (h handler) replace(c echo.Context) error {
	var in publish.Publication
	if err := httpx.Decode(c, &in, true); err != nil {
		return err
	}
	p, err := h.svc.Replace(c.Request().Context(), c.Param("app"), h.typ, c.Param("key"), &in, in.Version)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (h handler) delete(c echo.Context) error {
	if err := h.svc.Delete(c.Request().Context(), c.Param("app"), h.typ, c.Param("key")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h handler) issue(c echo.Context) error {
	token, err := h.svc.IssueToken(c.Request().Context(), c.Param("app"), h.typ, c.Param("key"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"secret": token, "url": h.url(token)})
}

func (h handler) revoke(c echo.Context) error {
	if err := h.svc.RevokeToken(c.Request().Context(), c.Param("app"), h.typ, c.Param("key")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h handler) form(c echo.Context) error {
	f, err := h.svc.Form(c.Request().Context(), c.Param("token"), c.RealIP(), httpx.Locale(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, f)
}

func (h handler) submit(c echo.Context) error {
	var values map[string]any
	if err := httpx.Decode(c, &values, false); err != nil {
		return err
	}
	out, err := h.svc.Submit(c.Request().Context(), c.Param("token"), c.RealIP(), httpx.Locale(c), values)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (h handler) view(c echo.Context) error {
	limit := 0
	if s := c.QueryParam("limit"); s != "" {
		var err error
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 {
			return errs.New(errs.Invalid, "http.bad_param", "name", "limit")
		}
	}
	page, err := h.svc.View(c.Request().Context(), c.Param("token"), c.RealIP(), httpx.Locale(c), c.QueryParam("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (h handler) viewRecord(c echo.Context) error {
	r, err := h.svc.ViewRecord(c.Request().Context(), c.Param("token"), c.RealIP(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}
