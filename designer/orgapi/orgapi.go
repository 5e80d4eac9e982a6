// Package orgapi serves the organisation admin API: departments
// (/departments), users (/users) and roles (/roles). Everything needs an
// administrator, except that a user may read their own /users/{id}.
package orgapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// opt is a JSON member that may be absent (Set false), null or "" (Set,
// Value ""), or a string.
type opt struct {
	Set   bool
	Value string
}

func (o *opt) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = ""
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

func (o opt) ptr() *string {
	if !o.Set {
		return nil
	}
	v := o.Value
	return &v
}

type departmentBody struct {
	Key     string     `json:"key"`
	Label   meta.Label `json:"label"`
	Parent  string     `json:"parent"`  // department key
	Manager string     `json:"manager"` // user id
}

type departmentPatch struct {
	Label   meta.Label `json:"label"`
	Parent  opt        `json:"parent"`
	Manager opt        `json:"manager"`
}

// department is a department as the API shows it: the parent by key.
type department struct {
	ID        string     `json:"id"`
	Key       string     `json:"key"`
	Label     meta.Label `json:"label"`
	Parent    *string    `json:"parent"`  // key; null at the top
	Manager   *string    `json:"manager"` // user id; null when none
	Depth     *int       `json:"depth,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// departmentDetail is one department's GET: with its sub-departments
// (keys) and members.
type departmentDetail struct {
	*department
	Children []string `json:"children"`
	Members  []person `json:"members"`
}

type person struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toDepartment(ctx context.Context, svc *access.Service, d *access.Department) (*department, error) {
	parent, err := svc.DepartmentKey(ctx, d.ParentID)
	if err != nil {
		return nil, err
	}
	return &department{ID: d.ID, Key: d.Key, Label: d.Label, Parent: ptr(parent), Manager: ptr(d.ManagerID),
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}, nil
}

type userBody struct {
	Email       string   `json:"email"`
	Password    string   `json:"password"`
	Name        string   `json:"name"`
	IsAdmin     bool     `json:"is_admin"`
	Locale      string   `json:"locale"`
	TimeZone    string   `json:"time_zone"`
	Departments []string `json:"departments"`
	Roles       []string `json:"roles"`
}

type userPatch struct {
	Name        *string   `json:"name"`
	IsAdmin     *bool     `json:"is_admin"`
	Disabled    *bool     `json:"disabled"`
	Locale      *string   `json:"locale"`
	TimeZone    *string   `json:"time_zone"`
	Password    *string   `json:"password"`
	Departments *[]string `json:"departments"`
	Roles       *[]string `json:"roles"`
}

type permissionBody struct {
	access.Permission
	Stale bool `json:"stale"` // shown by GET; ignored when sent back
}

type roleBody struct {
	Key         string           `json:"key"`
	Label       meta.Label       `json:"label"`
	Permissions []permissionBody `json:"permissions"`
}

func (b roleBody) input() access.RoleInput {
	in := access.RoleInput{Key: b.Key, Label: b.Label, Permissions: make([]access.Permission, len(b.Permissions))}
	for i, p := range b.Permissions {
		in.Permissions[i] = p.Permission
	}
	return in
}

// permission is a stored permission with whether its module is gone.
type permission struct {
	access.Permission
	Stale bool `json:"stale,omitempty"` // the module no longer exists: the grant is inert
}

type role struct {
	ID          string       `json:"id"`
	Key         string       `json:"key"`
	Label       meta.Label   `json:"label"`
	Permissions []permission `json:"permissions"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
}

func toRole(ctx context.Context, svc *access.Service, r *access.Role) (*role, error) {
	stale, err := svc.Stale(ctx, r)
	if err != nil {
		return nil, err
	}
	out := &role{ID: r.ID, Key: r.Key, Label: r.Label, Permissions: make([]permission, len(r.Permissions)),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	for i, p := range r.Permissions {
		out.Permissions[i] = permission{Permission: p, Stale: stale[i]}
	}
	return out, nil
}

// Bind registers the routes on g (signed-in users).
func Bind(g *echo.Group, svc *access.Service) {
	// Departments.
	g.POST("/departments", func(c echo.Context) error {
		var in departmentBody
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		ctx := c.Request().Context()
		d, err := svc.CreateDepartment(ctx, access.DepartmentInput{Key: in.Key, Label: in.Label, Parent: in.Parent, Manager: in.Manager})
		if err != nil {
			return err
		}
		out, err := toDepartment(ctx, svc, d)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, out)
	}, httpx.AdminOnly("access.admin_only.departments"))
	g.GET("/departments", func(c echo.Context) error {
		list, depth, err := svc.Departments(c.Request().Context())
		if err != nil {
			return err
		}
		keys := map[string]string{}
		for _, d := range list {
			keys[d.ID] = d.Key
		}
		out := make([]*department, len(list))
		for i, d := range list {
			n := depth[d.ID]
			out[i] = &department{ID: d.ID, Key: d.Key, Label: d.Label, Parent: ptr(keys[d.ParentID]), Manager: ptr(d.ManagerID),
				Depth: &n, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
		}
		return c.JSON(http.StatusOK, map[string]any{"departments": out})
	}, httpx.AdminOnly("access.admin_only.departments_read"))
	g.GET("/departments/:key", func(c echo.Context) error {
		ctx := c.Request().Context()
		d, children, members, err := svc.Department(ctx, c.Param("key"))
		if err != nil {
			return err
		}
		dv, err := toDepartment(ctx, svc, d)
		if err != nil {
			return err
		}
		out := departmentDetail{department: dv, Children: []string{}, Members: []person{}}
		for _, k := range children {
			out.Children = append(out.Children, k.Key)
		}
		for _, u := range members {
			out.Members = append(out.Members, person{ID: u.ID, Email: u.Email, Name: u.Name})
		}
		return c.JSON(http.StatusOK, out)
	}, httpx.AdminOnly("access.admin_only.departments_read"))
	g.PATCH("/departments/:key", func(c echo.Context) error {
		var in departmentPatch
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		ctx := c.Request().Context()
		d, err := svc.UpdateDepartment(ctx, c.Param("key"), access.DepartmentPatch{Label: in.Label, Parent: in.Parent.ptr(), Manager: in.Manager.ptr()})
		if err != nil {
			return err
		}
		out, err := toDepartment(ctx, svc, d)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	}, httpx.AdminOnly("access.admin_only.departments"))
	g.DELETE("/departments/:key", func(c echo.Context) error {
		if err := svc.DeleteDepartment(c.Request().Context(), c.Param("key")); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}, httpx.AdminOnly("access.admin_only.departments"))

	// Users.
	g.POST("/users", func(c echo.Context) error {
		var in userBody
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		m, err := svc.CreateMember(c.Request().Context(), access.MemberInput{
			NewUser: access.NewUser{Email: in.Email, Password: in.Password, Name: in.Name, IsAdmin: in.IsAdmin},
			Locale:  in.Locale, TimeZone: in.TimeZone, Departments: in.Departments, Roles: in.Roles,
		})
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, m)
	}, httpx.AdminOnly("access.admin_only.users"))
	g.GET("/users", func(c echo.Context) error {
		limit, err := intParam(c, "limit")
		if err != nil {
			return err
		}
		offset, err := intParam(c, "offset")
		if err != nil {
			return err
		}
		list, more, err := svc.Members(c.Request().Context(), limit, offset)
		if err != nil {
			return err
		}
		out := map[string]any{"users": list}
		if more {
			out["next_offset"] = offset + len(list)
		}
		return c.JSON(http.StatusOK, out)
	}, httpx.AdminOnly("access.admin_only.users_read"))
	g.GET("/users/:id", func(c echo.Context) error {
		if u := httpx.User(c); u == nil || !u.IsAdmin && u.ID != c.Param("id") {
			return errs.New(errs.Forbidden, "access.admin_only.users_read")
		}
		m, err := svc.Member(c.Request().Context(), c.Param("id"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, m)
	})
	g.PATCH("/users/:id", func(c echo.Context) error {
		var in userPatch
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		m, err := svc.UpdateMember(c.Request().Context(), httpx.User(c), c.Param("id"), access.UserPatch{
			Name: in.Name, IsAdmin: in.IsAdmin, Disabled: in.Disabled, Locale: in.Locale, TimeZone: in.TimeZone,
			Password: in.Password, Departments: in.Departments, Roles: in.Roles,
		})
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, m)
	}, httpx.AdminOnly("access.admin_only.users"))

	// Roles.
	g.POST("/roles", func(c echo.Context) error {
		var in roleBody
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		ctx := c.Request().Context()
		r, err := svc.CreateRole(ctx, in.input())
		if err != nil {
			return err
		}
		out, err := toRole(ctx, svc, r)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, out)
	}, httpx.AdminOnly("access.admin_only.roles"))
	g.GET("/roles", func(c echo.Context) error {
		ctx := c.Request().Context()
		list, err := svc.Roles(ctx)
		if err != nil {
			return err
		}
		out := make([]*role, len(list))
		for i, r := range list {
			if out[i], err = toRole(ctx, svc, r); err != nil {
				return err
			}
		}
		return c.JSON(http.StatusOK, map[string]any{"roles": out})
	}, httpx.AdminOnly("access.admin_only.roles_read"))
	g.GET("/roles/:key", func(c echo.Context) error {
		ctx := c.Request().Context()
		r, err := svc.Role(ctx, c.Param("key"))
		if err != nil {
			return err
		}
		out, err := toRole(ctx, svc, r)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	}, httpx.AdminOnly("access.admin_only.roles_read"))
	g.PUT("/roles/:key", func(c echo.Context) error {
		var in roleBody
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		ctx := c.Request().Context()
		r, err := svc.ReplaceRole(ctx, c.Param("key"), in.input())
		if err != nil {
			return err
		}
		out, err := toRole(ctx, svc, r)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	}, httpx.AdminOnly("access.admin_only.roles"))
	g.DELETE("/roles/:key", func(c echo.Context) error {
		force, err := boolParam(c, "force")
		if err != nil {
			return err
		}
		if err := svc.DeleteRole(c.Request().Context(), c.Param("key"), force); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}, httpx.AdminOnly("access.admin_only.roles"))
}

// boolParam reads a true/false query parameter (false when absent).
func boolParam(c echo.Context, name string) (bool, error) {
	v := c.QueryParam(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errs.New(errs.Invalid, "http.bad_param", "name", name)
	}
	return b, nil
}

// intParam reads a non-negative integer query parameter (0 when absent).
func intParam(c echo.Context, name string) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errs.New(errs.Invalid, "http.bad_param", "name", name)
	}
	return n, nil
}
