package access_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

// org is a small organisation over a fresh store:
//
//	company (ceo)
//	├── sales (vp)
//	│   ├── east (lead)   staff, lead
//	│   └── west (—)      walt
//	└── alpha (al)        multi (also in east)
type org struct {
	svc   *access.Service
	users map[string]*access.User
	depts map[string]*access.Department
}

func newOrg(t *testing.T, s *store.Store) *org {
	t.Helper()
	ctx := context.Background()
	o := &org{svc: access.NewService(s), users: map[string]*access.User{}, depts: map[string]*access.Department{}}
	for _, name := range []string{"ceo", "vp", "lead", "staff", "walt", "al", "multi", "loner"} {
		u, err := o.svc.CreateUser(ctx, access.NewUser{Email: name + "@example.com", Password: "password1", Name: name})
		if err != nil {
			t.Fatal(err)
		}
		o.users[name] = u
	}
	for _, d := range []struct{ key, parent, manager string }{
		{"company", "", "ceo"}, {"sales", "company", "vp"}, {"east", "sales", "lead"},
		{"west", "sales", ""}, {"alpha", "company", "al"},
	} {
		in := access.DepartmentInput{Key: d.key, Label: meta.Label{"en": d.key}, Parent: d.parent}
		if d.manager != "" {
			in.Manager = o.users[d.manager].ID
		}
		dep, err := o.svc.CreateDepartment(ctx, in)
		if err != nil {
			t.Fatalf("department %s: %v", d.key, err)
		}
		o.depts[d.key] = dep
	}
	for name, depts := range map[string][]string{
		"staff": {"east"}, "lead": {"east"}, "walt": {"west"}, "al": {"alpha"}, "multi": {"east", "alpha"},
		"vp": {"sales"}, "ceo": {"company"},
	} {
		if _, err := o.svc.UpdateMember(ctx, nil, o.users[name].ID, access.UserPatch{Departments: &depts}); err != nil {
			t.Fatalf("member %s: %v", name, err)
		}
	}
	return o
}

func TestManagerOf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		o := newOrg(t, s)
		for _, c := range []struct {
			user   string
			levels int
			want   string // "" = not found
		}{
			{"staff", 1, "lead"}, {"staff", 2, "vp"}, {"staff", 3, "ceo"}, {"staff", 4, ""},
			// A manager's manager is the parent department's.
			{"lead", 1, "vp"}, {"lead", 2, "ceo"}, {"lead", 3, ""},
			{"vp", 1, "ceo"}, {"ceo", 1, ""},
			// A department without a manager passes the question up.
			{"walt", 1, "vp"}, {"walt", 2, "ceo"},
			// Several departments: the first by key (alpha before east).
			{"multi", 1, "al"}, {"multi", 2, "ceo"}, {"multi", 3, ""},
			{"loner", 1, ""},
		} {
			u, err := o.svc.ManagerOf(ctx, o.users[c.user].ID, c.levels)
			switch {
			case c.want == "" && !errs.Is(err, errs.NotFound):
				t.Errorf("ManagerOf(%s, %d) = %v, %v; want not found", c.user, c.levels, u, err)
			case c.want != "" && (err != nil || u.ID != o.users[c.want].ID):
				t.Errorf("ManagerOf(%s, %d) = %v, %v; want %s", c.user, c.levels, u, err, c.want)
			}
		}
		if _, err := o.svc.ManagerOf(ctx, o.users["staff"].ID, 0); !errs.Is(err, errs.Invalid) {
			t.Errorf("level 0: %v", err)
		}
		if _, err := o.svc.ManagerOf(ctx, "nobody", 1); !errs.Is(err, errs.NotFound) {
			t.Errorf("bad id: %v", err)
		}

		// One person managing two departments in a row is one level.
		ceo := o.users["ceo"].ID
		if _, err := o.svc.UpdateDepartment(ctx, "sales", access.DepartmentPatch{Manager: &ceo}); err != nil {
			t.Fatal(err)
		}
		if u, err := o.svc.ManagerOf(ctx, o.users["lead"].ID, 1); err != nil || u.ID != ceo {
			t.Errorf("lead's manager after sales went to the ceo = %v, %v", u, err)
		}
		if _, err := o.svc.ManagerOf(ctx, o.users["lead"].ID, 2); !errs.Is(err, errs.NotFound) {
			t.Errorf("lead level 2 = %v", err)
		}
	})
}

func ids(o *org, keys ...string) []string {
	out := []string{}
	for _, k := range keys {
		out = append(out, o.depts[k].ID)
	}
	return out
}

func roleKeys(p *access.Principal) []string {
	out := []string{}
	for _, r := range p.Roles {
		out = append(out, r.Key)
	}
	return out
}

func TestPrincipal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		o := newOrg(t, s)
		ms := meta.NewService(s)
		if _, err := ms.CreateApp(ctx, meta.AppInput{Key: "crm", Label: meta.Label{"en": "CRM"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := ms.CreateModule(ctx, "crm", meta.ModuleInput{Key: "deal", Label: meta.Label{"en": "Deal"},
			Schema: json.RawMessage(`{"type":"object","properties":{"amount":{"x-field":{"type":"number"}},"margin":{"x-field":{"type":"number"}}}}`)}, ""); err != nil {
			t.Fatal(err)
		}
		perm := access.Permission{App: "crm", Module: "deal", Actions: []string{"read"}, Scope: access.ScopeSpec{Read: "amount < 100"}}
		for _, key := range []string{"rep", "auditor"} {
			if _, err := o.svc.CreateRole(ctx, access.RoleInput{Key: key, Label: meta.Label{"en": key}, Permissions: []access.Permission{perm}}); err != nil {
				t.Fatal(err)
			}
		}
		roles := []string{"rep", "auditor"}
		if _, err := o.svc.UpdateMember(ctx, nil, o.users["vp"].ID, access.UserPatch{Roles: &roles}); err != nil {
			t.Fatal(err)
		}

		p, err := o.svc.Principal(ctx, o.users["vp"])
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p.Departments, ids(o, "sales")) || !reflect.DeepEqual(p.Tree, ids(o, "east", "sales", "west")) {
			t.Errorf("vp: departments %v tree %v", p.Departments, p.Tree)
		}
		if !reflect.DeepEqual(roleKeys(p), []string{"auditor", "rep"}) || p.Roles[1].Permissions[0].Scope.Read != "amount < 100" {
			t.Errorf("vp roles = %+v", p.Roles)
		}
		if r := p.Rights("crm", "deal"); !r.Can("read") || !reflect.DeepEqual(r.Read, []string{"amount < 100"}) {
			t.Errorf("rights = %+v", r)
		}
		p, _ = o.svc.Principal(ctx, o.users["multi"])
		if !reflect.DeepEqual(p.Departments, ids(o, "alpha", "east")) || !reflect.DeepEqual(p.Tree, ids(o, "alpha", "east")) || len(p.Roles) != 0 {
			t.Errorf("multi: %+v", p)
		}
		p, _ = o.svc.Principal(ctx, o.users["ceo"])
		if len(p.Tree) != 5 {
			t.Errorf("ceo tree = %v", p.Tree)
		}
		p, _ = o.svc.Principal(ctx, o.users["loner"])
		if p.Departments == nil || len(p.Departments) != 0 || len(p.Tree) != 0 || len(p.Roles) != 0 {
			t.Errorf("loner: %+v", p)
		}

		// Changes through the service show at once: a new sub-department.
		north, err := o.svc.CreateDepartment(ctx, access.DepartmentInput{Key: "north", Label: meta.Label{"en": "N"}, Parent: "sales"})
		if err != nil {
			t.Fatal(err)
		}
		o.depts["north"] = north
		p, _ = o.svc.Principal(ctx, o.users["vp"])
		if !reflect.DeepEqual(p.Tree, ids(o, "east", "north", "sales", "west")) {
			t.Errorf("vp tree after north = %v", p.Tree)
		}

		// Another process (another service over the same database) keeps
		// its copy of the roles until it expires...
		other := access.NewService(s)
		now := time.Now()
		other.Now = func() time.Time { return now }
		if p, _ := other.Principal(ctx, o.users["vp"]); len(p.Roles) != 2 {
			t.Fatalf("other: roles %v", roleKeys(p))
		}
		narrow := perm
		narrow.Scope.Read = access.ScopeOwn
		if _, err := o.svc.ReplaceRole(ctx, "rep", access.RoleInput{Label: meta.Label{"en": "rep"}, Permissions: []access.Permission{narrow}}); err != nil {
			t.Fatal(err)
		}
		if p, _ := o.svc.Principal(ctx, o.users["vp"]); p.Roles[1].Permissions[0].Scope.Read != access.ScopeOwn {
			t.Errorf("this process: rep scope = %q", p.Roles[1].Permissions[0].Scope.Read)
		}
		if p, _ := other.Principal(ctx, o.users["vp"]); p.Roles[1].Permissions[0].Scope.Read != "amount < 100" {
			t.Errorf("other process before expiry: rep scope = %q", p.Roles[1].Permissions[0].Scope.Read)
		}
		// ...but memberships are read every time, and a role it has not
		// seen yet makes it reload.
		if _, err := o.svc.CreateRole(ctx, access.RoleInput{Key: "boss", Label: meta.Label{"en": "B"}}); err != nil {
			t.Fatal(err)
		}
		roles = []string{"boss", "rep"}
		if _, err := o.svc.UpdateMember(ctx, nil, o.users["vp"].ID, access.UserPatch{Roles: &roles}); err != nil {
			t.Fatal(err)
		}
		p, _ = other.Principal(ctx, o.users["vp"])
		if !reflect.DeepEqual(roleKeys(p), []string{"boss", "rep"}) || p.Roles[1].Permissions[0].Scope.Read != access.ScopeOwn {
			t.Errorf("other process after a new role: %v", p.Roles)
		}
		// Once expired, its copy is reloaded anyway.
		if _, err := o.svc.ReplaceRole(ctx, "rep", access.RoleInput{Label: meta.Label{"en": "rep"}, Permissions: []access.Permission{perm}}); err != nil {
			t.Fatal(err)
		}
		now = now.Add(access.DefaultOrgCacheTTL + time.Second)
		if p, _ := other.Principal(ctx, o.users["vp"]); p.Roles[1].Permissions[0].Scope.Read != "amount < 100" {
			t.Errorf("other process after expiry: rep scope = %q", p.Roles[1].Permissions[0].Scope.Read)
		}
	})
}
