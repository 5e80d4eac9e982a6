// Package metaapi serves the metadata API: apps and modules (the form
// engine). Reads are open to signed-in users; changes need an admin.
package metaapi

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// Principals loads a user's roles (access.Service); nil means only
// administrators may change metadata.
type Principals interface {
	Principal(ctx context.Context, u *access.User) (*access.Principal, error)
}

// Bind registers /apps and /apps/:app/modules routes on g. Apps are the
// administrators'; a module may also be created, replaced or deleted by
// whoever holds the "manage" permission on it (a grant on module "*" covers
// new modules of the app).
func Bind(g *echo.Group, svc *meta.Service, principals Principals) {
	admin := httpx.AdminOnly("access.admin_only.apps")
	manager := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			module := c.Param("module")
			if module == "" {
				module = access.Wildcard
			}
			if err := canManage(c, principals, c.Param("app"), module, moduleName(c, svc, module)); err != nil {
				return err
			}
			return next(c)
		}
	}
	g.POST("/apps", func(c echo.Context) error {
		var in meta.AppInput
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		a, err := svc.CreateApp(c.Request().Context(), in)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, a)
	}, admin)
	g.GET("/apps", func(c echo.Context) error {
		apps, err := svc.Repo.Apps(c.Request().Context())
		if err != nil {
			return err
		}
		p, err := principalOf(c, principals)
		if err != nil {
			return err
		}
		shown := []*meta.App{}
		for _, a := range apps {
			if p != nil && p.InApp(a.Key) {
				shown = append(shown, a)
			}
		}
		return c.JSON(http.StatusOK, map[string]any{"apps": shown})
	})
	g.GET("/apps/:app", func(c echo.Context) error {
		a, err := svc.Repo.App(c.Request().Context(), c.Param("app"))
		if err != nil {
			return err
		}
		// An app the user holds no permission in is answered as absent,
		// as the list leaves it out.
		p, err := principalOf(c, principals)
		if err != nil {
			return err
		}
		if p == nil || !p.InApp(a.Key) {
			return errs.New(errs.NotFound, "store.app_not_found", "key", a.Key)
		}
		return c.JSON(http.StatusOK, a)
	})
	g.PATCH("/apps/:app", func(c echo.Context) error {
		var in struct {
			Label meta.Label `json:"label"`
		}
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		a, err := svc.UpdateApp(c.Request().Context(), c.Param("app"), in.Label)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, a)
	}, admin)
	g.DELETE("/apps/:app", func(c echo.Context) error {
		if err := svc.DeleteApp(c.Request().Context(), c.Param("app")); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}, admin)

	g.POST("/apps/:app/modules", func(c echo.Context) error {
		var in meta.ModuleInput
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		if err := canManage(c, principals, c.Param("app"), in.Key, meta.Named{Key: in.Key, Label: in.Label}); err != nil {
			return err
		}
		m, err := svc.CreateModule(c.Request().Context(), c.Param("app"), in, httpx.User(c).ID)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, m)
	})
	g.GET("/apps/:app/modules", func(c echo.Context) error {
		ctx := c.Request().Context()
		if _, err := svc.Repo.App(ctx, c.Param("app")); err != nil {
			return err
		}
		mods, err := svc.Repo.Modules(ctx, c.Param("app"))
		if err != nil {
			return err
		}
		shown := []*meta.Module{}
		for _, m := range mods {
			v, err := viewOf(c, svc, principals, m)
			if err != nil {
				return err
			}
			if v != nil {
				shown = append(shown, v)
			}
		}
		return c.JSON(http.StatusOK, map[string]any{"modules": shown})
	})
	g.GET("/apps/:app/modules/:module", func(c echo.Context) error {
		m, err := svc.Module(c.Request().Context(), c.Param("app"), c.Param("module"))
		if err != nil {
			return err
		}
		v, err := viewOf(c, svc, principals, m)
		if err != nil {
			return err
		}
		if v == nil {
			return record.Forbidden(m, access.ActRead)
		}
		return c.JSON(http.StatusOK, v)
	})
	g.PUT("/apps/:app/modules/:module", func(c echo.Context) error {
		var in meta.ModuleInput
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		m, err := svc.UpdateModule(c.Request().Context(), c.Param("app"), c.Param("module"), in, httpx.User(c).ID)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, m)
	}, manager)
	g.DELETE("/apps/:app/modules/:module", func(c echo.Context) error {
		if err := svc.DeleteModule(c.Request().Context(), c.Param("app"), c.Param("module")); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}, manager)
	g.GET("/apps/:app/modules/:module/versions", func(c echo.Context) error {
		m, err := svc.Module(c.Request().Context(), c.Param("app"), c.Param("module"))
		if err != nil {
			return err
		}
		hide, err := hiddenFor(c, svc, principals, m)
		if err != nil {
			return err
		}
		if hide == nil {
			return record.Forbidden(m, access.ActRead)
		}
		vs, err := svc.Versions(c.Request().Context(), c.Param("app"), c.Param("module"))
		if err != nil {
			return err
		}
		for i := range vs {
			vs[i].Schema = meta.WithoutFields(vs[i].Schema, hide)
		}
		return c.JSON(http.StatusOK, map[string]any{"versions": vs})
	})
}

// principalOf is the signed-in user's principal (nil when there is none
// to judge by: no user, or no principals to load it from).
func principalOf(c echo.Context, principals Principals) (*access.Principal, error) {
	u := httpx.User(c)
	if u != nil && u.IsAdmin {
		return &access.Principal{User: u}, nil
	}
	if u == nil || principals == nil {
		return nil, nil
	}
	return principals.Principal(c.Request().Context(), u)
}

// moduleName is how a refusal names module key of the request's app: by
// its label when it exists (any error is left to the handler to report).
func moduleName(c echo.Context, svc *meta.Service, key string) meta.Named {
	if key != access.Wildcard {
		if m, err := svc.Module(c.Request().Context(), c.Param("app"), key); err == nil {
			return m.Named()
		}
	}
	return meta.Named{Key: key}
}

// canManage lets administrators and holders of "manage" on app/module
// through; name is how the refusal names the module.
func canManage(c echo.Context, principals Principals, app, module string, name meta.Named) error {
	u := httpx.User(c)
	if u != nil && u.IsAdmin {
		return nil
	}
	if u != nil && principals != nil {
		p, err := principals.Principal(c.Request().Context(), u)
		if err != nil {
			return err
		}
		if p.Rights(app, module).Can(access.ActManage) {
			return nil
		}
	}
	return errs.New(errs.Forbidden, "access.manage_required", "module", name)
}

// viewOf is module m as the signed-in user may see it: whole for
// administrators and managers of the module, without the fields hidden
// from the user for readers, nil for those who may not read it.
func viewOf(c echo.Context, svc *meta.Service, principals Principals, m *meta.Module) (*meta.Module, error) {
	hide, err := hiddenFor(c, svc, principals, m)
	if err != nil || hide == nil {
		return nil, err
	}
	if len(hide) == 0 {
		return m, nil
	}
	v := *m
	v.Schema = meta.WithoutFields(m.Schema, hide)
	if hide[v.TitleKey] {
		v.TitleKey = ""
	}
	return &v, nil
}

// hiddenFor returns the fields of m hidden from the user (empty: none), or
// nil when the user may not see the module at all.
func hiddenFor(c echo.Context, svc *meta.Service, principals Principals, m *meta.Module) (map[string]bool, error) {
	u := httpx.User(c)
	if u != nil && u.IsAdmin {
		return map[string]bool{}, nil
	}
	if u == nil || principals == nil {
		return nil, nil
	}
	p, err := principals.Principal(c.Request().Context(), u)
	if err != nil {
		return nil, err
	}
	if p.Rights(m.AppKey, m.Key).Can(access.ActManage) {
		return map[string]bool{}, nil
	}
	mods, err := svc.AppModules(c.Request().Context(), m.AppKey)
	if err != nil {
		return nil, err
	}
	r := p.EffectiveRights(m, mods) // computed fields as hidden as what they read
	if !r.Can(access.ActRead) {
		return nil, nil
	}
	hide := map[string]bool{}
	for _, f := range m.Fields {
		if r.Hidden(f.Key) || f.Archived {
			hide[f.Key] = true
		}
	}
	return hide, nil
}
