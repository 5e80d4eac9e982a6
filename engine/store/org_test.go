package store_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

// The organisation conformance suite, on both dialects.

func newUser(t *testing.T, s *store.Store, email string, m access.Membership) *access.User {
	t.Helper()
	u := &access.User{Email: email, Name: email, Locale: "en", TimeZone: "UTC"}
	if err := s.CreateMember(context.Background(), u, "hash-"+email, m); err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	return u
}

func newDept(t *testing.T, s *store.Store, key, parent, manager string) *access.Department {
	t.Helper()
	d := &access.Department{Key: key, Label: meta.Label{"en": key}, ParentID: parent, ManagerID: manager}
	if err := s.CreateDepartment(context.Background(), d); err != nil {
		t.Fatalf("create %s: %v", key, err)
	}
	return d
}

func deptByKey(t *testing.T, s *store.Store) map[string]*access.Department {
	t.Helper()
	list, err := s.Departments(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*access.Department{}
	for _, d := range list {
		out[d.Key] = d
	}
	return out
}

func TestOrgDepartments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		boss := newUser(t, s, "boss@example.com", access.Membership{})
		hq := newDept(t, s, "hq", "", boss.ID)
		sales := newDept(t, s, "sales", hq.ID, "")
		east := newDept(t, s, "east", sales.ID, "")

		if err := s.CreateDepartment(ctx, &access.Department{Key: "hq", Label: meta.Label{"en": "x"}}); !errs.Is(err, errs.Conflict) {
			t.Errorf("duplicate key: %v, want conflict", err)
		}
		got := deptByKey(t, s)
		if len(got) != 3 || got["hq"].ManagerID != boss.ID || got["hq"].ParentID != "" ||
			got["east"].ParentID != sales.ID || got["sales"].Label["en"] != "sales" || got["east"].CreatedAt.IsZero() {
			t.Fatalf("departments = %+v", got)
		}

		// Moving hq under east (its own descendant) is a cycle.
		hq.ParentID = east.ID
		if err := s.UpdateDepartment(ctx, hq); !errs.Is(err, errs.Unprocessable) {
			t.Errorf("cycle: %v, want 422", err)
		}
		hq.ParentID = hq.ID
		if err := s.UpdateDepartment(ctx, hq); !errs.Is(err, errs.Unprocessable) {
			t.Errorf("own parent: %v, want 422", err)
		}
		// Moving east to the top and renaming it is fine.
		east.ParentID, east.Label, east.ManagerID = "", meta.Label{"en": "East", "zh-CN": "东区"}, boss.ID
		if err := s.UpdateDepartment(ctx, east); err != nil {
			t.Fatal(err)
		}
		got = deptByKey(t, s)
		if got["east"].ParentID != "" || got["east"].Label["zh-CN"] != "东区" || got["east"].ManagerID != boss.ID || got["hq"].ParentID != "" {
			t.Errorf("after update: east %+v, hq %+v", got["east"], got["hq"])
		}
		if err := s.UpdateDepartment(ctx, &access.Department{ID: store.NewID(), Key: "nope"}); !errs.Is(err, errs.NotFound) {
			t.Errorf("update missing: %v", err)
		}

		// A department with a child or a member cannot be deleted.
		member := newUser(t, s, "m@example.com", access.Membership{Departments: []string{east.ID}})
		if err := s.DeleteDepartment(ctx, hq.ID); !errs.Is(err, errs.Conflict) {
			t.Errorf("delete with child: %v, want conflict", err)
		}
		if err := s.DeleteDepartment(ctx, east.ID); !errs.Is(err, errs.Conflict) {
			t.Errorf("delete with member: %v, want conflict", err)
		}
		users, err := s.DepartmentMembers(ctx, east.ID)
		if err != nil || len(users) != 1 || users[0].ID != member.ID {
			t.Fatalf("members = %v, %v", users, err)
		}
		if err := s.UpdateUser(ctx, member, "", []string{}, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteDepartment(ctx, east.ID); err != nil {
			t.Errorf("delete empty: %v", err)
		}
		if err := s.DeleteDepartment(ctx, east.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("delete again: %v, want not found", err)
		}

		// Deleting a manager leaves the department without one.
		storetest.Exec(t, s, `DELETE FROM users WHERE email = 'boss@example.com'`)
		if got := deptByKey(t, s); got["hq"].ManagerID != "" {
			t.Errorf("manager after user deletion = %q", got["hq"].ManagerID)
		}
	})
}

func TestOrgRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		perms := []access.Permission{{
			App: "crm", Module: "deal", Actions: []string{access.ActRead, access.ActUpdate},
			Scope:  access.ScopeSpec{Read: "amount < 10000 && owner == user.id", Update: access.ScopeOwn},
			Fields: map[string]string{"margin": access.FieldHidden, "amount": access.FieldRead},
		}}
		r := &access.Role{Key: "rep", Label: meta.Label{"en": "Rep", "zh-CN": "销售"}, Permissions: perms}
		if err := s.CreateRole(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateRole(ctx, &access.Role{Key: "rep", Label: meta.Label{"en": "x"}}); !errs.Is(err, errs.Conflict) {
			t.Errorf("duplicate: %v", err)
		}
		empty := &access.Role{Key: "empty", Label: meta.Label{"en": "Empty"}}
		if err := s.CreateRole(ctx, empty); err != nil {
			t.Fatal(err)
		}
		roles, err := s.Roles(ctx)
		if err != nil || len(roles) != 2 || roles[0].Key != "empty" || roles[1].Key != "rep" {
			t.Fatalf("roles = %v, %v", roles, err)
		}
		if !reflect.DeepEqual(roles[1].Permissions, perms) || roles[1].Label["zh-CN"] != "销售" || roles[0].Permissions == nil {
			t.Errorf("round trip: %+v", roles[1])
		}

		u := newUser(t, s, "u@example.com", access.Membership{Roles: []string{r.ID, empty.ID}})
		r.Permissions = perms[:0]
		r.Label = meta.Label{"en": "Sales rep"}
		if err := s.UpdateRole(ctx, r); err != nil {
			t.Fatal(err)
		}
		roles, _ = s.Roles(ctx)
		if len(roles[1].Permissions) != 0 || roles[1].Label["en"] != "Sales rep" {
			t.Errorf("after update: %+v", roles[1])
		}
		// Held: refused without force, the holders named, nothing changed.
		if held, err := s.DeleteRole(ctx, r.ID, false); !errors.Is(err, access.ErrRoleHeld) || len(held) != 1 || held[0].Email != "u@example.com" {
			t.Fatalf("delete held role = %v, %v", held, err)
		}
		if ms, _ := s.Memberships(ctx, []string{u.ID}); len(ms[u.ID].Roles) != 2 {
			t.Errorf("roles after refused delete = %+v", ms[u.ID])
		}
		if held, err := s.DeleteRole(ctx, r.ID, true); err != nil || len(held) != 1 {
			t.Fatalf("forced delete = %v, %v", held, err)
		}
		ms, err := s.Memberships(ctx, []string{u.ID})
		if err != nil || !reflect.DeepEqual(ms[u.ID].Roles, []string{empty.ID}) {
			t.Errorf("roles after delete = %+v, %v", ms[u.ID], err)
		}
		if _, err := s.DeleteRole(ctx, r.ID, true); !errs.Is(err, errs.NotFound) {
			t.Errorf("delete again: %v", err)
		}
	})
}

func TestOrgUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		d1 := newDept(t, s, "d1", "", "")
		d2 := newDept(t, s, "d2", "", "")
		r1 := &access.Role{Key: "r1", Label: meta.Label{"en": "R1"}}
		if err := s.CreateRole(ctx, r1); err != nil {
			t.Fatal(err)
		}
		a := newUser(t, s, "a@example.com", access.Membership{Departments: []string{d1.ID, d2.ID}, Roles: []string{r1.ID}})
		b := newUser(t, s, "b@example.com", access.Membership{})
		c := newUser(t, s, "c@example.com", access.Membership{Departments: []string{d2.ID}})
		dup := &access.User{Email: "a@example.com"}
		if err := s.CreateMember(ctx, dup, "x", access.Membership{}); !errs.Is(err, errs.Conflict) {
			t.Errorf("duplicate email: %v", err)
		}

		ms, err := s.Memberships(ctx, []string{a.ID, b.ID, c.ID, "not-an-id"})
		if err != nil {
			t.Fatal(err)
		}
		got := ms[a.ID]
		sort.Strings(got.Departments)
		want := []string{d1.ID, d2.ID}
		sort.Strings(want)
		if !reflect.DeepEqual(got.Departments, want) || !reflect.DeepEqual(got.Roles, []string{r1.ID}) {
			t.Errorf("a = %+v", got)
		}
		if ms[b.ID] != nil || !reflect.DeepEqual(ms[c.ID].Departments, []string{d2.ID}) || ms[c.ID].Roles != nil {
			t.Errorf("b = %+v, c = %+v", ms[b.ID], ms[c.ID])
		}
		if ms, err := s.Memberships(ctx, nil); err != nil || len(ms) != 0 {
			t.Errorf("no users: %v, %v", ms, err)
		}

		// Update: flags and password; nil memberships stay, non-nil replace.
		a.Name, a.Disabled, a.IsAdmin, a.Locale, a.TimeZone = "Ann", true, true, "zh-CN", "Europe/Paris"
		if err := s.UpdateUser(ctx, a, "new-hash", nil, []string{}); err != nil {
			t.Fatal(err)
		}
		back, hash, err := s.UserByEmail(ctx, "a@example.com")
		if err != nil || hash != "new-hash" || back.Name != "Ann" || !back.Disabled || !back.IsAdmin || back.Locale != "zh-CN" || back.TimeZone != "Europe/Paris" {
			t.Errorf("after update: %+v %q %v", back, hash, err)
		}
		ms, _ = s.Memberships(ctx, []string{a.ID})
		if len(ms[a.ID].Departments) != 2 || len(ms[a.ID].Roles) != 0 {
			t.Errorf("memberships after update = %+v", ms[a.ID])
		}
		if err := s.UpdateUser(ctx, a, "", []string{d1.ID}, []string{r1.ID}); err != nil {
			t.Fatal(err)
		}
		if _, hash, _ := s.UserByEmail(ctx, "a@example.com"); hash != "new-hash" {
			t.Errorf("password changed without a hash: %q", hash)
		}
		ms, _ = s.Memberships(ctx, []string{a.ID})
		if !reflect.DeepEqual(ms[a.ID], &access.Membership{Departments: []string{d1.ID}, Roles: []string{r1.ID}}) {
			t.Errorf("memberships = %+v", ms[a.ID])
		}
		if err := s.UpdateUser(ctx, &access.User{ID: store.NewID()}, "", nil, nil); !errs.Is(err, errs.NotFound) {
			t.Errorf("update missing: %v", err)
		}

		// Paging by email.
		page, err := s.Users(ctx, 2, 0)
		if err != nil || len(page) != 2 || page[0].Email != "a@example.com" || page[1].Email != "b@example.com" {
			t.Fatalf("page 1 = %v, %v", page, err)
		}
		page, _ = s.Users(ctx, 2, 2)
		if len(page) != 1 || page[0].Email != "c@example.com" {
			t.Errorf("page 2 = %v", page)
		}
		members, _ := s.DepartmentMembers(ctx, d2.ID)
		var emails []string
		for _, u := range members {
			emails = append(emails, u.Email)
		}
		if !slices.Equal(emails, []string{"c@example.com"}) {
			t.Errorf("d2 members = %v", emails)
		}
	})
}
