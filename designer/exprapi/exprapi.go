// Package exprapi serves the expression editor of the designer: type-check
// an expression against a module, and evaluate it against a sample
// record or a stored one. Both are open to administrators and to anyone
// who may read the module; fields hidden from the caller do not exist for
// their expressions.
package exprapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// Principals loads a user's roles and departments (access.Service); nil
// means only administrators may use the endpoints.
type Principals interface {
	Principal(ctx context.Context, u *access.User) (*access.Principal, error)
}

// CheckInput is the body of POST /apps/{app}/expr/check.
type CheckInput struct {
	Module string `json:"module"`
	Expr   string `json:"expr"`
	// Want is the result kind the expression must have: "" (any), "bool",
	// "number", "string", "date" or "datetime".
	Want string `json:"want,omitempty"`
}

// EvalInput is the body of POST /apps/{app}/expr/eval.
type EvalInput struct {
	Module string `json:"module"`
	Expr   string `json:"expr"`
	Want   string `json:"want,omitempty"`
	// Record is a JSON object of sample values, or the id of a stored
	// record (read with the caller's access rules); absent: an empty record.
	Record json.RawMessage `json:"record,omitempty"`
	// Old is the record before a change, as Record (absent: a create).
	Old json.RawMessage `json:"old,omitempty"`
	// Now is the clock the expression sees (RFC 3339; absent: now).
	Now string `json:"now,omitempty"`
}

// EvalOutput is the answer of a successful evaluation: the value in JSON
// form and the expression's static result type.
type EvalOutput struct {
	Value any    `json:"value"`
	Type  string `json:"type"`
}

// Bind registers the expression routes on g (signed-in users).
func Bind(g *echo.Group, svc *meta.Service, records *record.Service, principals Principals) {
	g.POST("/apps/:app/expr/check", func(c echo.Context) error {
		var in CheckInput
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		if err := checkWant(in.Want); err != nil {
			return err
		}
		v, err := open(c, svc, principals, in.Module)
		if err != nil {
			return err
		}
		var lk expr.Lookups
		if v.module == v.full {
			// Those who see the whole module (administrators, its managers)
			// check formulas as the schema will: with reads through lookups.
			mods, err := svc.AppModules(c.Request().Context(), v.full.AppKey)
			if err != nil {
				return err
			}
			lk = func(key string) *meta.Module {
				for _, m := range mods {
					if m.Key == key {
						return m
					}
				}
				return nil
			}
		}
		return c.JSON(http.StatusOK, expr.CheckLookups(in.Expr, v.module, in.Want, httpx.Locale(c), lk))
	})
	g.POST("/apps/:app/expr/eval", func(c echo.Context) error {
		var in EvalInput
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		if err := checkWant(in.Want); err != nil {
			return err
		}
		v, err := open(c, svc, principals, in.Module)
		if err != nil {
			return err
		}
		vars := expr.Vars{User: v.userVars(), Now: time.Now().UTC(), Calendar: records.Calendar}
		if in.Now != "" {
			t, err := time.Parse(time.RFC3339Nano, in.Now)
			if err != nil {
				return errs.Fields(errs.Field("now", "bad_time", "exprapi.bad_now"))
			}
			vars.Now = t.UTC()
		}
		ctx := c.Request().Context()
		if vars.Record, err = v.record(ctx, records, "record", in.Record); err != nil {
			return err
		}
		if vars.Record == nil {
			vars.Record = map[string]any{}
		}
		if vars.Old, err = v.record(ctx, records, "old", in.Old); err != nil {
			return err
		}
		p, err := expr.Compile(in.Expr, v.module, in.Want)
		if err != nil {
			return unprocessable(err)
		}
		out, err := p.Eval(ctx, vars)
		if err != nil {
			return unprocessable(err)
		}
		return c.JSON(http.StatusOK, EvalOutput{Value: out, Type: p.Kind()})
	})
}

func checkWant(want string) error {
	switch want {
	case "", "bool", "number", "string", "date", "datetime":
		return nil
	}
	return errs.Fields(errs.Field("want", "bad_kind", "exprapi.bad_want", "want", want))
}

// unprocessable reports an expression's failure (compile or evaluation)
// as a 422: the request was well-formed, the expression is not.
func unprocessable(err error) error {
	if e, ok := errs.As(err); ok && e.Code == errs.Invalid {
		out := *e
		out.Code = errs.Unprocessable
		return &out
	}
	return err
}

// view is a module as the caller may use it in expressions.
type view struct {
	user      *access.User
	principal *access.Principal
	full      *meta.Module // for reading records
	module    *meta.Module // without the fields hidden from the caller
}

// open loads the module and checks that the caller may read it.
func open(c echo.Context, svc *meta.Service, principals Principals, key string) (*view, error) {
	if strings.TrimSpace(key) == "" {
		return nil, errs.Fields(errs.Field("module", "required", "exprapi.module_required"))
	}
	ctx := c.Request().Context()
	m, err := svc.Module(ctx, c.Param("app"), key)
	if err != nil {
		return nil, err
	}
	u := httpx.User(c)
	if u == nil {
		return nil, errs.New(errs.Unauthorized, "access.signin_required")
	}
	v := &view{user: u, full: m, module: m}
	if principals != nil {
		if v.principal, err = principals.Principal(ctx, u); err != nil {
			return nil, err
		}
	}
	if u.IsAdmin {
		return v, nil
	}
	if v.principal == nil {
		return nil, record.Forbidden(m, access.ActRead)
	}
	if v.principal.Rights(m.AppKey, m.Key).Can(access.ActManage) {
		return v, nil
	}
	mods, err := svc.AppModules(ctx, m.AppKey)
	if err != nil {
		return nil, err
	}
	r := v.principal.EffectiveRights(m, mods) // computed fields as hidden as what they read
	if !r.Can(access.ActRead) {
		return nil, record.Forbidden(m, access.ActRead)
	}
	v.module = without(m, r)
	return v, nil
}

// without is m less the fields r hides. It gets an id of its own so that
// compiled programs for it are cached apart from the whole module's.
func without(m *meta.Module, r *access.ModuleRights) *meta.Module {
	var hidden []string
	var fields []*meta.Field
	for _, f := range m.Fields {
		if r.Hidden(f.Key) {
			hidden = append(hidden, f.Key)
			continue
		}
		fields = append(fields, f)
	}
	if len(hidden) == 0 {
		return m
	}
	sort.Strings(hidden)
	out := *m
	out.ID = m.ID + "#without:" + strings.Join(hidden, ",")
	out.Fields = fields
	return &out
}

// userVars describe the caller to the expression.
func (v *view) userVars() expr.UserVars {
	u := expr.UserVars{ID: v.user.ID, Departments: []string{}, Roles: []string{}}
	if v.principal != nil {
		u.Departments = append(u.Departments, v.principal.Departments...)
		for _, r := range v.principal.Roles {
			u.Roles = append(u.Roles, r.Key)
		}
	}
	return u
}

// record reads a record argument: absent or null is nil, an object is
// taken as sample values, a string is the id of a stored record, read
// under the caller's access rules (a record out of reach is not found).
func (v *view) record(ctx context.Context, records *record.Service, name string, raw json.RawMessage) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, errs.Fields(errs.Field(name, "bad_record", "exprapi.bad_record", "name", name))
	}
	switch x := x.(type) {
	case map[string]any:
		return x, nil
	case string:
		rec, err := records.Get(ctx, record.Actor{User: v.user, Via: "api", Principal: v.principal}, v.full, x, nil)
		if err != nil {
			return nil, err
		}
		return rec, nil
	}
	return nil, errs.Fields(errs.Field(name, "bad_record", "exprapi.bad_record", "name", name))
}

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"exprapi.module_required": {
			i18n.EN:   "Name the module the expression belongs to.",
			i18n.ZhCN: "请指定表达式所属的模块。",
		},
		"exprapi.bad_record": {
			i18n.EN:   "\"{name}\" must be an object of field values or the id of a record.",
			i18n.ZhCN: "“{name}”必须是字段值对象或记录 ID。",
		},
		"exprapi.bad_now": {
			i18n.EN:   "\"now\" must be a date-time such as 2026-01-31T09:30:00Z.",
			i18n.ZhCN: "“now”必须是日期时间，例如 2026-01-31T09:30:00Z。",
		},
		"exprapi.bad_want": {
			i18n.EN:   "\"want\" must be one of bool, number, string, date, datetime (got \"{want}\").",
			i18n.ZhCN: "“want”必须是 bool、number、string、date、datetime 之一（收到“{want}”）。",
		},
	})
}
