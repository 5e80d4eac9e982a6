// Package approvalapi serves approvals: process definitions under
// /api/apps/:app/approvals (administrators change them; anyone signed in
// reads them, their diagram and their figures), submitting records and
// reading their instances, the inbox across apps, and the actions on
// instances and tasks.
package approvalapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/approval"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/runtime/httpx"
)

type input struct {
	approval.Process
	// Version on replace: the version being replaced.
	Version int `json:"version"`
}

// Bind registers the routes on g (signed-in users).
func Bind(g *echo.Group, svc *approval.Service) {
	admin := httpx.AdminOnly("access.admin_only.approvals")
	base := "/apps/:app/approvals"
	g.GET(base, func(c echo.Context) error {
		ps, err := svc.Processes(ctx(c), c.Param("app"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"approvals": ps})
	})
	g.POST(base, func(c echo.Context) error {
		var in approval.Process
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		p, err := svc.Create(ctx(c), c.Param("app"), &in)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, p)
	}, admin)
	g.GET(base+"/:key", func(c echo.Context) error {
		p, err := svc.Process(ctx(c), c.Param("app"), c.Param("key"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, p)
	})
	g.PUT(base+"/:key", func(c echo.Context) error {
		var in input
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		p, err := svc.Replace(ctx(c), c.Param("app"), c.Param("key"), &in.Process, in.Version)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, p)
	}, admin)
	g.DELETE(base+"/:key", func(c echo.Context) error {
		if err := svc.Delete(ctx(c), c.Param("app"), c.Param("key")); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}, admin)
	g.GET(base+"/:key/diagram", func(c echo.Context) error {
		src, err := svc.Diagram(ctx(c), c.Param("app"), c.Param("key"), httpx.Locale(c))
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "text/vnd.mermaid; charset=utf-8", []byte(src))
	})
	g.GET(base+"/:key/stats", func(c echo.Context) error {
		from, to, err := period(c)
		if err != nil {
			return err
		}
		st, err := svc.Stats(ctx(c), c.Param("app"), c.Param("key"), from, to)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"steps": st})
	})

	rec := "/apps/:app/modules/:module/records/:id/approvals"
	g.POST(rec, func(c echo.Context) error {
		var in approval.Submission
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		inst, err := svc.Submit(ctx(c), record.Actor{User: httpx.User(c), Via: "api"}, c.Param("app"), c.Param("module"), c.Param("id"), in)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, inst)
	})
	g.GET(rec, func(c echo.Context) error {
		is, err := svc.RecordInstances(ctx(c), httpx.User(c), c.Param("app"), c.Param("module"), c.Param("id"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"approvals": is})
	})

	g.GET("/approvals", func(c echo.Context) error {
		limit, _ := strconv.Atoi(c.QueryParam("limit"))
		items, next, err := svc.Inbox(ctx(c), httpx.User(c), c.QueryParam("box"), c.QueryParam("cursor"), limit)
		if err != nil {
			return err
		}
		out := map[string]any{"items": items}
		if next != "" {
			out["next_cursor"] = next
		}
		return c.JSON(http.StatusOK, out)
	})
	g.GET("/approvals/:instance", func(c echo.Context) error {
		inst, err := svc.InstanceFor(ctx(c), httpx.User(c), c.Param("instance"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, inst)
	})
	g.POST("/approvals/:instance/tasks/:task/:action", func(c echo.Context) error {
		var in approval.Decision
		if err := optional(c, &in); err != nil {
			return err
		}
		inst, err := svc.Act(ctx(c), httpx.User(c), c.Param("instance"), c.Param("task"), c.Param("action"), in)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, inst)
	})
	for action, fn := range map[string]func(*approval.Service, echo.Context, string) (*approval.Instance, error){
		"withdraw": func(s *approval.Service, c echo.Context, comment string) (*approval.Instance, error) {
			return s.Withdraw(ctx(c), httpx.User(c), c.Param("instance"), comment)
		},
		"remind": func(s *approval.Service, c echo.Context, comment string) (*approval.Instance, error) {
			return s.Remind(ctx(c), httpx.User(c), c.Param("instance"), comment)
		},
	} {
		g.POST("/approvals/:instance/"+action, func(c echo.Context) error {
			var in struct {
				Comment string `json:"comment"`
			}
			if err := optional(c, &in); err != nil {
				return err
			}
			inst, err := fn(svc, c, in.Comment)
			if err != nil {
				return err
			}
			return c.JSON(http.StatusOK, inst)
		})
	}
}

// ctx is the request's context, with the caller's language for the
// reasons in approval histories.
func ctx(c echo.Context) context.Context {
	return approval.WithLocale(c.Request().Context(), httpx.Locale(c))
}

// optional decodes a body that may be absent (no body: no options).
func optional(c echo.Context, v any) error {
	if c.Request().ContentLength == 0 {
		return nil
	}
	return httpx.Decode(c, v, true)
}

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"approvalapi.bad_time": {i18n.EN: "\"{param}\" must be a date (YYYY-MM-DD) or an RFC 3339 time, not \"{value}\".", i18n.ZhCN: "“{param}”必须是日期（YYYY-MM-DD）或 RFC 3339 时间，而不是“{value}”。"},
	})
}

// period reads ?from&to (RFC 3339 or YYYY-MM-DD).
func period(c echo.Context) (time.Time, time.Time, error) {
	var out [2]time.Time
	for i, name := range []string{"from", "to"} {
		v := c.QueryParam(name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.Parse("2006-01-02", v); err != nil {
				return out[0], out[1], errs.New(errs.Invalid, "approvalapi.bad_time", "param", name, "value", v)
			}
		}
		out[i] = t
	}
	return out[0], out[1], nil
}
