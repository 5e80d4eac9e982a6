package access

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
)

// The organisation: departments (a tree), roles (named sets of module
// permissions) and which users belong to which. This file holds the rules
// and the administration service; engine/store persists it (OrgRepo).
//
// Principal and ManagerOf sit on the request path, so they read the
// department tree and the roles from an in-memory cache (orgCache) and ask
// the database only for the user's memberships. Every department or role
// change made through this Service drops the cache at once and bumps the
// org row of cache_versions, so other processes over the same database
// drop theirs too (engine/cluster: within milliseconds through NOTIFY on
// PostgreSQL, within its poll otherwise). Changes made behind the
// service's back are seen when the copy expires (OrgCacheTTL, a minute by
// default), except that a membership naming a department or role a
// process has not loaded yet reloads it at once.
// Memberships themselves (who is in which department, who has which role)
// are never cached, so they take effect on the next request everywhere.

// OrgRepo persists departments, roles and memberships; engine/store
// implements it.
type OrgRepo interface {
	// CreateDepartment inserts d (ID and times are filled in); a taken key
	// is a conflict.
	CreateDepartment(ctx context.Context, d *Department) error
	// UpdateDepartment stores d's label, parent and manager. It refuses,
	// in its own transaction, a parent that would make a cycle.
	UpdateDepartment(ctx context.Context, d *Department) error
	// DeleteDepartment deletes a department that has no children and no
	// members (a conflict otherwise).
	DeleteDepartment(ctx context.Context, id string) error
	// Departments lists every department by key.
	Departments(ctx context.Context) ([]*Department, error)
	// DepartmentMembers lists the users of a department by email.
	DepartmentMembers(ctx context.Context, id string) ([]*User, error)
	// People lists active users whose name or email contains q, or (ids
	// non-empty) those users; by name, at most limit.
	People(ctx context.Context, q string, ids []string, limit int) ([]*User, error)

	// CreateRole inserts r; a taken key is a conflict.
	CreateRole(ctx context.Context, r *Role) error
	// UpdateRole stores r's label and permissions.
	UpdateRole(ctx context.Context, r *Role) error
	// DeleteRole deletes a role. When users hold it, it changes nothing
	// and returns them (by email) with ErrRoleHeld, unless force: then it
	// takes the role from them and returns whom it took it from. Holders
	// are read in the delete's transaction.
	DeleteRole(ctx context.Context, id string, force bool) ([]*User, error)
	// Roles lists every role by key.
	Roles(ctx context.Context) ([]*Role, error)

	// CreateMember inserts a user with their memberships, in one
	// transaction; a taken email is a conflict.
	CreateMember(ctx context.Context, u *User, passwordHash string, m Membership) error
	// UpdateUser stores u's name, flags, locale and time zone, the
	// password when passwordHash is set, and replaces the user's
	// departments and roles (ids) when they are non-nil (an empty, non-nil
	// slice removes them all). NotFound when there is no such user.
	UpdateUser(ctx context.Context, u *User, passwordHash string, departments, roles []string) error
	// Users lists users by email.
	Users(ctx context.Context, limit, offset int) ([]*User, error)
	// Memberships returns the department and role ids of each of the users
	// (users without any are absent from the map).
	Memberships(ctx context.Context, userIDs []string) (map[string]*Membership, error)
}

// Membership is what a user belongs to: department and role ids.
type Membership struct {
	Departments []string
	Roles       []string
}

// ModuleFinder finds a module by app and key (meta.Service does, with its
// cache; so does the store). Role permissions are checked against it.
type ModuleFinder interface {
	Module(ctx context.Context, app, key string) (*meta.Module, error)
}

// fieldResolver is how the store offers the filter resolver of a module.
type fieldResolver interface {
	FieldResolver(m *meta.Module) expr.Resolver
}

// OrgChange describes one committed organisation change to OnOrgChange.
type OrgChange struct {
	// Action is department.create, department.update, department.delete,
	// role.create, role.update, role.delete, user.create or user.update.
	Action string
	ID     string // the department's, role's or user's id
	Key    string // the department's or role's key, the user's email
	// Before and After are the audited attributes in JSON form (nil on
	// create and on delete respectively).
	Before, After map[string]any
	// Detail holds what the attributes do not show (password_changed).
	Detail map[string]any
}

// DefaultOrgCacheTTL is how long a process trusts its copy of the
// department tree and the roles (see OrgCacheTTL).
const DefaultOrgCacheTTL = time.Minute

// Limits of organisation keys and names.
const (
	MaxOrgKey  = 40  // department and role keys
	MaxName    = 200 // user names, characters
	MaxLabel   = 200 // label texts, bytes
	MaxUsers   = 200 // users per page
	MaxPerms   = 500 // permissions per role
	usersLimit = 50  // default page size
)

func (s *Service) changedOrg(ctx context.Context, err error, c OrgChange) {
	s.org.invalidate()
	s.sessions.invalidate() // a user's flags, locale or password may have changed
	if err == nil {
		s.tellOthers(ctx, CacheOrg)
	}
	if err == nil && s.OnOrgChange != nil {
		s.OnOrgChange(ctx, c)
	}
}

func (s *Service) orgRepo() (OrgRepo, error) {
	if s.Org == nil {
		return nil, fmt.Errorf("access: no organisation repository configured")
	}
	return s.Org, nil
}

// ---- the cache ----

// orgCache holds the department tree and the roles of this process.
type orgCache struct {
	mu     sync.Mutex
	gen    uint64 // bumped by every invalidation
	snap   *orgSnap
	expiry time.Time
	loadMu sync.Mutex // one load at a time
}

func (c *orgCache) invalidate() {
	c.mu.Lock()
	c.gen++
	c.snap = nil
	c.mu.Unlock()
}

// orgSnap is an immutable copy of the departments and roles. Its values
// are shared by every caller and must not be modified.
type orgSnap struct {
	depts    map[string]*Department // by id
	deptKey  map[string]*Department
	children map[string][]string // parent id → child ids, by key
	order    []*Department       // tree order: depth first, siblings by key
	depth    map[string]int
	roles    map[string]*Role // by id
	roleKey  map[string]*Role
}

func (s *Service) cacheTTL() time.Duration {
	if s.OrgCacheTTL > 0 {
		return s.OrgCacheTTL
	}
	return DefaultOrgCacheTTL
}

// snapshot returns the cached departments and roles, loading them when
// there is no fresh copy, or anyway when reload is set (administration
// reads and writes, which must see the database).
func (s *Service) snapshot(ctx context.Context, reload bool) (*orgSnap, error) {
	repo, err := s.orgRepo()
	if err != nil {
		return nil, err
	}
	c := &s.org
	cached := func() (*orgSnap, uint64) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if !reload && c.snap != nil && s.Now().Before(c.expiry) {
			return c.snap, c.gen
		}
		return nil, c.gen
	}
	if snap, _ := cached(); snap != nil {
		return snap, nil
	}
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	// Another caller may have loaded a copy while this one waited.
	snap, gen := cached()
	if snap != nil {
		return snap, nil
	}
	depts, err := repo.Departments(ctx)
	if err != nil {
		return nil, err
	}
	roles, err := repo.Roles(ctx)
	if err != nil {
		return nil, err
	}
	snap = buildSnap(depts, roles)
	c.mu.Lock()
	// A change that committed while loading may be missing from what was
	// read: keep the copy only if nothing was invalidated meanwhile.
	if c.gen == gen {
		c.snap, c.expiry = snap, s.Now().Add(s.cacheTTL())
	}
	c.mu.Unlock()
	return snap, nil
}

func buildSnap(depts []*Department, roles []*Role) *orgSnap {
	o := &orgSnap{
		depts: map[string]*Department{}, deptKey: map[string]*Department{}, children: map[string][]string{},
		depth: map[string]int{}, roles: map[string]*Role{}, roleKey: map[string]*Role{},
	}
	sort.Slice(depts, func(i, j int) bool { return depts[i].Key < depts[j].Key })
	for _, d := range depts {
		o.depts[d.ID], o.deptKey[d.Key] = d, d
	}
	var roots []string
	for _, d := range depts {
		if _, ok := o.depts[d.ParentID]; d.ParentID != "" && ok {
			o.children[d.ParentID] = append(o.children[d.ParentID], d.ID)
		} else {
			roots = append(roots, d.ID)
		}
	}
	seen := map[string]bool{}
	var walk func(id string, depth int)
	walk = func(id string, depth int) {
		if seen[id] {
			return
		}
		seen[id] = true
		o.order = append(o.order, o.depts[id])
		o.depth[id] = depth
		for _, c := range o.children[id] {
			walk(c, depth+1)
		}
	}
	for _, id := range roots {
		walk(id, 0)
	}
	// Departments in a cycle (never made here; the store refuses them) are
	// listed last rather than lost.
	for _, d := range depts {
		walk(d.ID, 0)
	}
	for _, r := range roles {
		o.roles[r.ID], o.roleKey[r.Key] = r, r
	}
	return o
}

// below returns ids and every department under them, each once, sorted by
// key.
func (o *orgSnap) below(ids []string) []string {
	seen := map[string]bool{}
	out := []string{}
	var walk func(id string)
	walk = func(id string) {
		if seen[id] {
			return
		}
		seen[id] = true
		out = append(out, id)
		for _, c := range o.children[id] {
			walk(c)
		}
	}
	for _, id := range ids {
		if o.depts[id] != nil {
			walk(id)
		}
	}
	o.sortDepts(out)
	return out
}

func (o *orgSnap) sortDepts(ids []string) {
	sort.Slice(ids, func(i, j int) bool { return o.depts[ids[i]].Key < o.depts[ids[j]].Key })
}

// knows reports whether the snapshot has every department and role of m.
func (o *orgSnap) knows(m *Membership) bool {
	for _, id := range m.Departments {
		if o.depts[id] == nil {
			return false
		}
	}
	for _, id := range m.Roles {
		if o.roles[id] == nil {
			return false
		}
	}
	return true
}

// keysOf turns a membership into department and role keys, sorted; ids the
// snapshot does not know are left out.
func (o *orgSnap) keysOf(m *Membership) (depts, roles []string) {
	depts, roles = []string{}, []string{}
	if m == nil {
		return
	}
	for _, id := range m.Departments {
		if d := o.depts[id]; d != nil {
			depts = append(depts, d.Key)
		}
	}
	for _, id := range m.Roles {
		if r := o.roles[id]; r != nil {
			roles = append(roles, r.Key)
		}
	}
	sort.Strings(depts)
	sort.Strings(roles)
	return
}

// membership returns the memberships of users and a snapshot that knows
// every department and role they name (reloaded once if needed: another
// process may have created them).
func (s *Service) membership(ctx context.Context, ids []string) (map[string]*Membership, *orgSnap, error) {
	repo, err := s.orgRepo()
	if err != nil {
		return nil, nil, err
	}
	ms, err := repo.Memberships(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	snap, err := s.snapshot(ctx, false)
	if err != nil {
		return nil, nil, err
	}
	for _, m := range ms {
		if !snap.knows(m) {
			snap, err = s.snapshot(ctx, true)
			break
		}
	}
	return ms, snap, err
}

// ---- principals and managers ----

// Principal loads what u's rights depend on: the ids of u's departments
// (sorted by department key), Tree (those and every department below them)
// and u's roles with their permissions (by key). It costs one small query
// (u's memberships); the tree and the roles come from the cache. The
// returned roles are shared and must not be modified.
func (s *Service) Principal(ctx context.Context, u *User) (*Principal, error) {
	if u == nil {
		return nil, errs.New(errs.Unauthorized, "access.signin_required")
	}
	p := &Principal{User: u, Departments: []string{}, Tree: []string{}, Roles: []*Role{}}
	if s.Org == nil {
		return p, nil
	}
	ms, snap, err := s.membership(ctx, []string{u.ID})
	if err != nil {
		return nil, err
	}
	m := ms[u.ID]
	if m == nil {
		return p, nil
	}
	for _, id := range m.Departments {
		if snap.depts[id] != nil {
			p.Departments = append(p.Departments, id)
		}
	}
	snap.sortDepts(p.Departments)
	p.Tree = snap.below(p.Departments)
	for _, id := range m.Roles {
		if r := snap.roles[id]; r != nil {
			p.Roles = append(p.Roles, r)
		}
	}
	sort.Slice(p.Roles, func(i, j int) bool { return p.Roles[i].Key < p.Roles[j].Key })
	return p, nil
}

// ManagerOf returns the manager of user userID, levels levels up (1: the
// direct manager). Level 1 is the manager of the user's department (the
// first by key when the user has several); where that department has no
// manager, or the user manages it, the search moves up to its parent.
// Each further level moves at least one department up from where the
// previous manager was found, skipping departments without a manager and
// managers already counted (one person managing two departments in a row
// is one level). NotFound when the chain ends first. Disabled managers are
// returned like any other: what to do with them is the caller's decision.
func (s *Service) ManagerOf(ctx context.Context, userID string, levels int) (*User, error) {
	if levels < 1 {
		return nil, errs.New(errs.Invalid, "access.bad_levels")
	}
	if !validID(userID) {
		return nil, errs.New(errs.NotFound, "access.user_not_found")
	}
	ms, snap, err := s.membership(ctx, []string{userID})
	if err != nil {
		return nil, err
	}
	var depts []string
	if m := ms[userID]; m != nil {
		for _, id := range m.Departments {
			if snap.depts[id] != nil {
				depts = append(depts, id)
			}
		}
	}
	if len(depts) == 0 {
		return nil, errs.New(errs.NotFound, "access.no_manager", "levels", levels)
	}
	snap.sortDepts(depts)
	counted := map[string]bool{userID: true}
	visited := map[string]bool{}
	n := 0
	for d := snap.depts[depts[0]]; d != nil && !visited[d.ID]; d = snap.depts[d.ParentID] {
		visited[d.ID] = true
		if d.ManagerID == "" || counted[d.ManagerID] {
			continue
		}
		counted[d.ManagerID] = true
		if n++; n == levels {
			u, err := s.Repo.UserByID(ctx, d.ManagerID)
			if errs.Is(err, errs.NotFound) {
				break
			}
			return u, err
		}
	}
	return nil, errs.New(errs.NotFound, "access.no_manager", "levels", levels)
}

// ---- departments ----

// DepartmentInput is a new department.
type DepartmentInput struct {
	Key     string
	Label   meta.Label
	Parent  string // the parent department's key; "" at the top
	Manager string // the manager's user id; "" for none
}

// DepartmentPatch changes a department; nil fields are left as they are.
type DepartmentPatch struct {
	Label   meta.Label
	Parent  *string // key; "" moves the department to the top
	Manager *string // user id; "" removes the manager
}

// Departments lists every department in tree order: depth first, siblings
// by key, each after its parent. Depth tells each one's level (0 at the
// top).
func (s *Service) Departments(ctx context.Context) ([]*Department, map[string]int, error) {
	snap, err := s.snapshot(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	out := make([]*Department, len(snap.order))
	for i, d := range snap.order {
		c := *d
		out[i] = &c
	}
	return out, snap.depth, nil
}

// Department returns one department, its children (by key) and its members
// (by email).
func (s *Service) Department(ctx context.Context, key string) (*Department, []*Department, []*User, error) {
	snap, err := s.snapshot(ctx, true)
	if err != nil {
		return nil, nil, nil, err
	}
	d := snap.deptKey[key]
	if d == nil {
		return nil, nil, nil, errs.New(errs.NotFound, "access.department_not_found", "key", key)
	}
	members, err := s.Org.DepartmentMembers(ctx, d.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	var children []*Department
	for _, id := range snap.children[d.ID] {
		c := *snap.depts[id]
		children = append(children, &c)
	}
	c := *d
	return &c, children, members, nil
}

// DepartmentKey returns the key of the department with id ("" if none),
// for showing parents by key.
func (s *Service) DepartmentKey(ctx context.Context, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	snap, err := s.snapshot(ctx, false)
	if err != nil {
		return "", err
	}
	if d := snap.depts[id]; d != nil {
		return d.Key, nil
	}
	if snap, err = s.snapshot(ctx, true); err != nil {
		return "", err
	}
	if d := snap.depts[id]; d != nil {
		return d.Key, nil
	}
	return "", nil
}

// CreateDepartment checks and stores a new department.
func (s *Service) CreateDepartment(ctx context.Context, in DepartmentInput) (*Department, error) {
	snap, err := s.snapshot(ctx, true)
	if err != nil {
		return nil, err
	}
	var fes []errs.FieldError
	if !meta.ValidKey(in.Key, MaxOrgKey) {
		fes = append(fes, errs.Field("key", "bad_key", "access.bad_department_key", "max", MaxOrgKey))
	}
	fes = append(fes, labelErrors(in.Label)...)
	d := &Department{Key: in.Key, Label: in.Label}
	if in.Parent != "" {
		if p := snap.deptKey[in.Parent]; p != nil {
			d.ParentID = p.ID
		} else {
			fes = append(fes, errs.Field("parent", "unknown", "access.unknown_department", "key", in.Parent))
		}
	}
	fe, err := s.checkManager(ctx, in.Manager)
	if err != nil {
		return nil, err
	}
	fes = append(fes, fe...)
	d.ManagerID = in.Manager
	if len(fes) > 0 {
		return nil, errs.Fields(fes...)
	}
	err = s.Org.CreateDepartment(ctx, d)
	s.changedOrg(ctx, err, OrgChange{Action: "department.create", ID: d.ID, Key: d.Key, After: deptDoc(d, in.Parent)})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// UpdateDepartment changes a department's label, parent or manager. A
// parent at or below the department itself is refused (it would make a
// cycle).
func (s *Service) UpdateDepartment(ctx context.Context, key string, p DepartmentPatch) (*Department, error) {
	snap, err := s.snapshot(ctx, true)
	if err != nil {
		return nil, err
	}
	old := snap.deptKey[key]
	if old == nil {
		return nil, errs.New(errs.NotFound, "access.department_not_found", "key", key)
	}
	oldParent := ""
	if pd := snap.depts[old.ParentID]; pd != nil {
		oldParent = pd.Key
	}
	d := *old
	newParent := oldParent
	var fes []errs.FieldError
	if p.Label != nil {
		fes = append(fes, labelErrors(p.Label)...)
		d.Label = p.Label
	}
	if p.Parent != nil {
		newParent = *p.Parent
		switch pd := snap.deptKey[newParent]; {
		case newParent == "":
			d.ParentID = ""
		case pd == nil:
			fes = append(fes, errs.Field("parent", "unknown", "access.unknown_department", "key", newParent))
		case slices.Contains(snap.below([]string{d.ID}), pd.ID):
			fes = append(fes, errs.Field("parent", "cycle", "access.department_cycle", "key", key, "parent", newParent))
		default:
			d.ParentID = pd.ID
		}
	}
	if p.Manager != nil {
		fe, err := s.checkManager(ctx, *p.Manager)
		if err != nil {
			return nil, err
		}
		fes = append(fes, fe...)
		d.ManagerID = *p.Manager
	}
	if len(fes) > 0 {
		return nil, errs.Fields(fes...)
	}
	err = s.Org.UpdateDepartment(ctx, &d)
	s.changedOrg(ctx, err, OrgChange{Action: "department.update", ID: d.ID, Key: d.Key,
		Before: deptDoc(old, oldParent), After: deptDoc(&d, newParent)})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// DeleteDepartment deletes a department with no sub-departments and no
// members; otherwise it is a conflict naming them.
func (s *Service) DeleteDepartment(ctx context.Context, key string) error {
	snap, err := s.snapshot(ctx, true)
	if err != nil {
		return err
	}
	d := snap.deptKey[key]
	if d == nil {
		return errs.New(errs.NotFound, "access.department_not_found", "key", key)
	}
	members, err := s.Org.DepartmentMembers(ctx, d.ID)
	if err != nil {
		return err
	}
	if kids := snap.children[d.ID]; len(kids) > 0 || len(members) > 0 {
		var names []string
		for _, id := range kids {
			names = append(names, snap.depts[id].Key)
		}
		var emails []string
		for _, u := range members {
			emails = append(emails, u.Email)
		}
		return errs.New(errs.Conflict, "access.department_in_use", "key", key,
			"children", listOrNone(names), "members", listOrNone(emails))
	}
	parent := ""
	if pd := snap.depts[d.ParentID]; pd != nil {
		parent = pd.Key
	}
	err = s.Org.DeleteDepartment(ctx, d.ID)
	s.changedOrg(ctx, err, OrgChange{Action: "department.delete", ID: d.ID, Key: d.Key, Before: deptDoc(d, parent)})
	return err
}

// listOrNone shows at most 10 names, then how many more.
func listOrNone(names []string) string {
	if len(names) == 0 {
		return "–"
	}
	if len(names) > 10 {
		return strings.Join(names[:10], ", ") + fmt.Sprintf(" (+%d)", len(names)-10)
	}
	return strings.Join(names, ", ")
}

func (s *Service) checkManager(ctx context.Context, id string) ([]errs.FieldError, error) {
	if id == "" {
		return nil, nil
	}
	if validID(id) {
		_, err := s.Repo.UserByID(ctx, id)
		if err == nil {
			return nil, nil
		}
		if !errs.Is(err, errs.NotFound) {
			return nil, err
		}
	}
	return []errs.FieldError{errs.Field("manager", "unknown", "access.unknown_user", "id", id)}, nil
}

func deptDoc(d *Department, parentKey string) map[string]any {
	return doc(map[string]any{"key": d.Key, "label": d.Label, "parent": optional(parentKey), "manager": optional(d.ManagerID)})
}

// ---- roles ----

// RoleInput is a role's key, label and permissions.
type RoleInput struct {
	Key         string
	Label       meta.Label
	Permissions []Permission
}

// Roles lists every role by key.
func (s *Service) Roles(ctx context.Context) ([]*Role, error) {
	repo, err := s.orgRepo()
	if err != nil {
		return nil, err
	}
	return repo.Roles(ctx)
}

// Role returns the role with key.
func (s *Service) Role(ctx context.Context, key string) (*Role, error) {
	snap, err := s.snapshot(ctx, true)
	if err != nil {
		return nil, err
	}
	r := snap.roleKey[key]
	if r == nil {
		return nil, errs.New(errs.NotFound, "access.role_not_found", "key", key)
	}
	c := *r
	return &c, nil
}

// CreateRole checks and stores a new role.
func (s *Service) CreateRole(ctx context.Context, in RoleInput) (*Role, error) {
	repo, err := s.orgRepo()
	if err != nil {
		return nil, err
	}
	var fes []errs.FieldError
	if !meta.ValidKey(in.Key, MaxOrgKey) {
		fes = append(fes, errs.Field("key", "bad_key", "access.bad_role_key", "max", MaxOrgKey))
	}
	fes = append(fes, labelErrors(in.Label)...)
	perms, pfes, err := s.CheckPermissions(ctx, in.Permissions)
	if err != nil {
		return nil, err
	}
	if fes = append(fes, pfes...); len(fes) > 0 {
		return nil, errs.Fields(fes...)
	}
	r := &Role{Key: in.Key, Label: in.Label, Permissions: perms}
	err = repo.CreateRole(ctx, r)
	s.changedOrg(ctx, err, OrgChange{Action: "role.create", ID: r.ID, Key: r.Key, After: roleDoc(r)})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// ReplaceRole replaces a role's label and permissions (keys never change).
func (s *Service) ReplaceRole(ctx context.Context, key string, in RoleInput) (*Role, error) {
	old, err := s.Role(ctx, key)
	if err != nil {
		return nil, err
	}
	var fes []errs.FieldError
	if in.Key != "" && in.Key != key {
		fes = append(fes, errs.Field("key", "immutable", "access.key_immutable"))
	}
	fes = append(fes, labelErrors(in.Label)...)
	perms, pfes, err := s.CheckPermissions(ctx, in.Permissions)
	if err != nil {
		return nil, err
	}
	if fes = append(fes, pfes...); len(fes) > 0 {
		return nil, errs.Fields(fes...)
	}
	r := *old
	r.Label, r.Permissions = in.Label, perms
	err = s.Org.UpdateRole(ctx, &r)
	s.changedOrg(ctx, err, OrgChange{Action: "role.update", ID: r.ID, Key: r.Key, Before: roleDoc(old), After: roleDoc(&r)})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// ErrRoleHeld is the repository's answer to deleting, without force, a
// role that users hold.
var ErrRoleHeld = errors.New("access: role is held by users")

// DeleteRole deletes a role nobody holds; a role in use is a conflict
// naming its users, unless force, which takes it from them (the audit
// entry lists whom).
func (s *Service) DeleteRole(ctx context.Context, key string, force bool) error {
	r, err := s.Role(ctx, key)
	if err != nil {
		return err
	}
	holders, err := s.Org.DeleteRole(ctx, r.ID, force)
	var emails []string
	for _, u := range holders {
		emails = append(emails, u.Email)
	}
	if errors.Is(err, ErrRoleHeld) {
		return errs.New(errs.Conflict, "access.role_in_use", "key", key, "count", len(emails), "users", listOrNone(emails))
	}
	c := OrgChange{Action: "role.delete", ID: r.ID, Key: r.Key, Before: roleDoc(r)}
	if len(emails) > 0 {
		c.Detail = map[string]any{"forced": true, "taken_from": emails}
	}
	s.changedOrg(ctx, err, c)
	return err
}

// Stale reports, for each permission of r, whether its module (for
// Module "*", its app) no longer exists. Such a permission stays stored
// but grants nothing (rights only match existing modules); it is refused
// when the role is saved again. A permission on every app is never stale.
func (s *Service) Stale(ctx context.Context, r *Role) ([]bool, error) {
	out := make([]bool, len(r.Permissions))
	if s.Modules == nil {
		return out, nil
	}
	for i, p := range r.Permissions {
		var err error
		switch {
		case p.App == Wildcard:
			continue
		case p.Module == Wildcard:
			err = s.appExists(ctx, p.App)
		default:
			_, err = s.Modules.Module(ctx, p.App, p.Module)
		}
		switch {
		case errs.Is(err, errs.NotFound):
			out[i] = true
		case err != nil:
			return nil, err
		}
	}
	return out, nil
}

func roleDoc(r *Role) map[string]any {
	return doc(map[string]any{"key": r.Key, "label": r.Label, "permissions": r.Permissions})
}

// appExists is NotFound when there is no app key (nil when apps cannot be
// looked up: the Repo is not the store).
func (s *Service) appExists(ctx context.Context, key string) error {
	af, ok := s.Repo.(interface {
		App(ctx context.Context, key string) (*meta.App, error)
	})
	if !ok {
		return nil
	}
	_, err := af.App(ctx, key)
	return err
}

// Consts for checking scope expressions: values of the kinds the record
// path binds (engine/record: the user's id, department ids, role keys),
// standing in for the signed-in user's.
var checkConsts = expr.Consts{
	"user.id":          "00000000-0000-7000-8000-000000000000",
	"user.departments": []string{"00000000-0000-7000-8000-000000000001"},
	"user.roles":       []string{"role"},
}

// CheckPermissions validates a role's permissions and returns them
// normalized (actions deduplicated in the order of Actions, spaces trimmed,
// no empty field map). Problems are field errors named after the part at
// fault ("permissions[0].scope.read"): the app and module must exist;
// actions must be known; a scope is own, department, department_tree, all,
// empty (all) or an expression that translates against the module's
// fields with the constants user.id, user.departments and user.roles, and
// that does not read a field the same permission hides; fields must be the
// module's, with level hidden, read or write.
//
// App or Module may be the Wildcard "*" (every app; every module of the
// app, which must exist). Such a permission's field keys only need to be
// well-formed, and its scope expressions may read only the system fields
// every module has (owner, created_by, created_at, ...).
func (s *Service) CheckPermissions(ctx context.Context, perms []Permission) ([]Permission, []errs.FieldError, error) {
	if s.Modules == nil || s.Resolve == nil {
		return nil, nil, fmt.Errorf("access: role checks need Modules and Resolve")
	}
	var fes []errs.FieldError
	if len(perms) > MaxPerms {
		return nil, []errs.FieldError{errs.Field("permissions", "too_many", "access.too_many_permissions", "max", MaxPerms)}, nil
	}
	out := make([]Permission, len(perms))
	for i, p := range perms {
		at := fmt.Sprintf("permissions[%d]", i)
		var m *meta.Module
		wild := false
		switch {
		case p.App == "":
			fes = append(fes, errs.Field(at+".app", "required", "access.app_required"))
		case p.Module == "":
			fes = append(fes, errs.Field(at+".module", "required", "access.module_required"))
		case p.App == Wildcard || p.Module == Wildcard:
			wild = true
			switch {
			case p.App != Wildcard && !meta.ValidKey(p.App, meta.MaxAppKey):
				fes = append(fes, errs.Field(at+".app", "unknown", "access.unknown_app", "app", p.App))
			case p.Module != Wildcard && !meta.ValidKey(p.Module, meta.MaxModuleKey):
				fes = append(fes, errs.Field(at+".module", "unknown", "access.unknown_module", "app", p.App, "module", p.Module))
			case p.App != Wildcard:
				err := s.appExists(ctx, p.App)
				if errs.Is(err, errs.NotFound) {
					fes = append(fes, errs.Field(at+".app", "unknown", "access.unknown_app", "app", p.App))
					break
				} else if err != nil {
					return nil, nil, err
				}
				fallthrough
			default:
				// Only the system fields are known in every module.
				m = &meta.Module{AppKey: p.App, Key: p.Module}
			}
		case !meta.ValidKey(p.App, meta.MaxAppKey) || !meta.ValidKey(p.Module, meta.MaxModuleKey):
			fes = append(fes, errs.Field(at+".module", "unknown", "access.unknown_module", "app", p.App, "module", p.Module))
		default:
			var err error
			m, err = s.Modules.Module(ctx, p.App, p.Module)
			if errs.Is(err, errs.NotFound) {
				fes = append(fes, errs.Field(at+".module", "unknown", "access.unknown_module", "app", p.App, "module", p.Module))
			} else if err != nil {
				return nil, nil, err
			}
		}
		q := Permission{App: p.App, Module: p.Module, Actions: []string{}}
		if len(p.Actions) == 0 {
			fes = append(fes, errs.Field(at+".actions", "required", "access.actions_required"))
		}
		for j, a := range p.Actions {
			if !slices.Contains(Actions, a) {
				fes = append(fes, errs.Field(fmt.Sprintf("%s.actions[%d]", at, j), "unknown", "access.unknown_action",
					"action", a, "actions", strings.Join(Actions, ", ")))
			}
		}
		for _, a := range Actions {
			if slices.Contains(p.Actions, a) {
				q.Actions = append(q.Actions, a)
			}
		}
		keys := make([]string, 0, len(p.Fields))
		for k := range p.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if len(keys) > 0 {
			q.Fields = map[string]string{}
		}
		for _, k := range keys {
			lvl := p.Fields[k]
			switch {
			case wild && !meta.ValidKey(k, meta.MaxFieldKey):
				fes = append(fes, errs.Field(at+".fields."+k, "bad_key", "access.bad_field_key", "field", k))
			case !wild && m != nil && m.Field(k) == nil:
				fes = append(fes, errs.Field(at+".fields."+k, "unknown", "access.unknown_field", "field", k, "module", p.Module))
			}
			if lvl != FieldHidden && lvl != FieldRead && lvl != FieldWrite {
				fes = append(fes, errs.Field(at+".fields."+k, "bad_level", "access.bad_field_level", "level", lvl))
			}
			q.Fields[k] = lvl
		}
		for _, sc := range []struct {
			name string
			src  string
			dst  *string
		}{{"read", p.Scope.Read, &q.Scope.Read}, {"update", p.Scope.Update, &q.Scope.Update}, {"delete", p.Scope.Delete, &q.Scope.Delete}} {
			src := strings.TrimSpace(sc.src)
			*sc.dst = src
			switch src {
			case "", ScopeOwn, ScopeDepartment, ScopeDepartmentTree, ScopeAll:
				continue
			}
			if m == nil {
				continue // the module error says it all
			}
			fe, err := s.checkScope(ctx, m, src, q.Fields, wild, scopeRole(perms, i))
			if err != nil {
				return nil, nil, err
			}
			for _, f := range fe {
				f.Field = at + ".scope." + sc.name
				fes = append(fes, f)
			}
		}
		out[i] = q
	}
	return out, fes, nil
}

// scopeRole is the role of perms as a principal, for checking the scope
// of permission i: that permission also counts as a read grant, since
// its field levels are what the scope must respect.
func scopeRole(perms []Permission, i int) *Principal {
	ps := slices.Clone(perms)
	ps[i].Actions = append(slices.Clone(ps[i].Actions), ActRead)
	return &Principal{User: &User{}, Roles: []*Role{{Permissions: ps}}}
}

// checkScope translates a scope expression and makes sure it reads no
// field that levels hides, nor a computed field that is hidden from the
// role (role: see scopeRole) because of what it reads (a formula over a
// hidden field, say). wild: m stands for every module of a wildcard
// permission.
func (s *Service) checkScope(ctx context.Context, m *meta.Module, src string, levels map[string]string, wild bool, role *Principal) ([]errs.FieldError, error) {
	inner := s.Resolve(m)
	var read []string
	rec := func(name string) (expr.Column, bool) {
		c, ok := inner(name)
		if ok && !slices.Contains(read, name) {
			read = append(read, name)
		}
		return c, ok
	}
	if _, err := expr.FilterWith(src, rec, expr.SQLite, 0, checkConsts); err != nil {
		e, ok := errs.As(err)
		if !ok {
			return nil, err
		}
		if wild && e.Msg.Key == "expr.unknown_field" {
			return []errs.FieldError{errs.Field("", "bad_expression", "access.wildcard_scope", "name", e.Msg.Args["name"])}, nil
		}
		return []errs.FieldError{{Code: "bad_expression", Msg: e.Msg}}, nil
	}
	var fes []errs.FieldError
	var eff *ModuleRights
	for _, name := range read {
		if levels[name] == FieldHidden {
			fes = append(fes, errs.Field("", "hidden_field", "access.scope_hidden_field", "field", name))
			continue
		}
		if f := m.Field(name); wild || f == nil || !computed(f) {
			continue
		}
		if eff == nil {
			app, err := s.appModules(ctx, m.AppKey)
			if err != nil {
				return nil, err
			}
			eff = role.EffectiveRights(m, app)
		}
		if eff.Hidden(name) {
			fes = append(fes, errs.Field("", "hidden_field", "access.scope_hidden_computed", "field", name))
		}
	}
	return fes, nil
}

// appModules lists the modules of an app (meta.ListModules over Modules).
func (s *Service) appModules(ctx context.Context, app string) ([]*meta.Module, error) {
	return meta.ListModules(ctx, s.Modules, app)
}

// ---- users ----

// Member is a user with the keys of their departments and roles, as the
// admin API shows them.
type Member struct {
	*User
	Departments []string `json:"departments"`
	Roles       []string `json:"roles"`
}

// MemberInput is a new user with their departments and roles (keys).
type MemberInput struct {
	NewUser
	Locale      string // "": zh-CN
	TimeZone    string // "": Asia/Shanghai
	Departments []string
	Roles       []string
}

// UserPatch changes a user; nil fields are left as they are.
type UserPatch struct {
	Name        *string
	IsAdmin     *bool
	Disabled    *bool
	Locale      *string
	TimeZone    *string
	Password    *string
	Departments *[]string // keys; empty removes them all
	Roles       *[]string
}

// Members lists users by email with their departments and roles: limit
// (at most MaxUsers; 0: 50) from offset. more reports whether others
// follow.
func (s *Service) Members(ctx context.Context, limit, offset int) (_ []*Member, more bool, _ error) {
	repo, err := s.orgRepo()
	if err != nil {
		return nil, false, err
	}
	if limit <= 0 {
		limit = usersLimit
	}
	if limit > MaxUsers || offset < 0 {
		return nil, false, errs.New(errs.Invalid, "access.bad_page", "max", MaxUsers)
	}
	users, err := repo.Users(ctx, limit+1, offset)
	if err != nil {
		return nil, false, err
	}
	if len(users) > limit {
		users, more = users[:limit], true
	}
	out, err := s.members(ctx, users)
	return out, more, err
}

// Member returns one user with their departments and roles.
func (s *Service) Member(ctx context.Context, id string) (*Member, error) {
	if !validID(id) {
		return nil, errs.New(errs.NotFound, "access.user_not_found")
	}
	u, err := s.Repo.UserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	out, err := s.members(ctx, []*User{u})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (s *Service) members(ctx context.Context, users []*User) ([]*Member, error) {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	out := make([]*Member, len(users))
	if len(users) == 0 {
		return out, nil
	}
	ms, snap, err := s.membership(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i, u := range users {
		m := &Member{User: u}
		m.Departments, m.Roles = snap.keysOf(ms[u.ID])
		out[i] = m
	}
	return out, nil
}

// CreateMember checks and stores a new user with departments and roles
// (given by key; unknown keys are refused naming them).
func (s *Service) CreateMember(ctx context.Context, in MemberInput) (*Member, error) {
	repo, err := s.orgRepo()
	if err != nil {
		return nil, err
	}
	u, fes := newUserErrors(in.NewUser)
	if u.Name = strings.TrimSpace(in.Name); u.Name == "" {
		u.Name = strings.SplitN(u.Email, "@", 2)[0]
	}
	fes = append(fes, nameErrors(u.Name)...)
	if in.Locale != "" {
		u.Locale = in.Locale
		fes = append(fes, localeErrors(in.Locale)...)
	}
	if in.TimeZone != "" {
		u.TimeZone = in.TimeZone
		fes = append(fes, zoneErrors(in.TimeZone)...)
	}
	depts, roles, kfes, err := s.resolveKeys(ctx, in.Departments, in.Roles)
	if err != nil {
		return nil, err
	}
	if fes = append(fes, kfes...); len(fes) > 0 {
		return nil, errs.Fields(fes...)
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	err = repo.CreateMember(ctx, u, hash, Membership{Departments: depts, Roles: roles})
	m := &Member{User: u, Departments: sortedKeys(in.Departments), Roles: sortedKeys(in.Roles)}
	s.changedOrg(ctx, err, OrgChange{Action: "user.create", ID: u.ID, Key: u.Email, After: memberDoc(m)})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// UpdateMember changes a user. by (the administrator making the change,
// if any) may not take away their own administrator rights or disable
// themselves: nobody could give them back. Disabling a user ends nothing
// by itself, but every request of theirs is refused from then on.
func (s *Service) UpdateMember(ctx context.Context, by *User, id string, p UserPatch) (*Member, error) {
	repo, err := s.orgRepo()
	if err != nil {
		return nil, err
	}
	old, err := s.Member(ctx, id)
	if err != nil {
		return nil, err
	}
	u := *old.User
	var fes []errs.FieldError
	if p.Name != nil {
		u.Name = strings.TrimSpace(*p.Name)
		fes = append(fes, nameErrors(u.Name)...)
		if u.Name == "" {
			fes = append(fes, errs.Field("name", "required", "access.name_required"))
		}
	}
	if p.IsAdmin != nil {
		if by != nil && by.ID == id && !*p.IsAdmin {
			fes = append(fes, errs.Field("is_admin", "self", "access.self_lockout"))
		}
		u.IsAdmin = *p.IsAdmin
	}
	if p.Disabled != nil {
		if by != nil && by.ID == id && *p.Disabled {
			fes = append(fes, errs.Field("disabled", "self", "access.self_lockout"))
		}
		u.Disabled = *p.Disabled
	}
	if p.Locale != nil {
		u.Locale = *p.Locale
		fes = append(fes, localeErrors(u.Locale)...)
	}
	if p.TimeZone != nil {
		u.TimeZone = *p.TimeZone
		fes = append(fes, zoneErrors(u.TimeZone)...)
	}
	hash := ""
	if p.Password != nil {
		if len(*p.Password) < MinPassword || len(*p.Password) > 1024 {
			fes = append(fes, errs.Field("password", "length", "access.bad_password", "min", MinPassword))
		}
	}
	var deptKeys, roleKeys []string
	if p.Departments != nil {
		deptKeys = *p.Departments
	}
	if p.Roles != nil {
		roleKeys = *p.Roles
	}
	depts, roles, kfes, err := s.resolveKeys(ctx, deptKeys, roleKeys)
	if err != nil {
		return nil, err
	}
	if fes = append(fes, kfes...); len(fes) > 0 {
		return nil, errs.Fields(fes...)
	}
	if p.Password != nil {
		if hash, err = HashPassword(*p.Password); err != nil {
			return nil, err
		}
	}
	next := &Member{User: &u, Departments: old.Departments, Roles: old.Roles}
	if p.Departments == nil {
		depts = nil
	} else {
		next.Departments = sortedKeys(deptKeys)
	}
	if p.Roles == nil {
		roles = nil
	} else {
		next.Roles = sortedKeys(roleKeys)
	}
	err = repo.UpdateUser(ctx, &u, hash, depts, roles)
	c := OrgChange{Action: "user.update", ID: u.ID, Key: u.Email, Before: memberDoc(old), After: memberDoc(next)}
	if hash != "" {
		c.Detail = map[string]any{"password_changed": true}
	}
	s.changedOrg(ctx, err, c)
	if err != nil {
		return nil, err
	}
	return next, nil
}

// resolveKeys turns department and role keys into ids (never nil), with
// an error naming each unknown key.
func (s *Service) resolveKeys(ctx context.Context, deptKeys, roleKeys []string) (depts, roles []string, fes []errs.FieldError, err error) {
	snap, err := s.snapshot(ctx, false)
	if err != nil {
		return nil, nil, nil, err
	}
	known := func(o *orgSnap) bool {
		for _, k := range deptKeys {
			if o.deptKey[k] == nil {
				return false
			}
		}
		for _, k := range roleKeys {
			if o.roleKey[k] == nil {
				return false
			}
		}
		return true
	}
	if !known(snap) {
		// Perhaps created by another process: look again.
		if snap, err = s.snapshot(ctx, true); err != nil {
			return nil, nil, nil, err
		}
	}
	depts, roles = []string{}, []string{}
	for i, k := range deptKeys {
		if d := snap.deptKey[k]; d == nil {
			fes = append(fes, errs.Field(fmt.Sprintf("departments[%d]", i), "unknown", "access.unknown_department", "key", k))
		} else if !slices.Contains(depts, d.ID) {
			depts = append(depts, d.ID)
		}
	}
	for i, k := range roleKeys {
		if r := snap.roleKey[k]; r == nil {
			fes = append(fes, errs.Field(fmt.Sprintf("roles[%d]", i), "unknown", "access.unknown_role", "key", k))
		} else if !slices.Contains(roles, r.ID) {
			roles = append(roles, r.ID)
		}
	}
	return depts, roles, fes, nil
}

func memberDoc(m *Member) map[string]any {
	return doc(map[string]any{
		"email": m.Email, "name": m.Name, "is_admin": m.IsAdmin, "disabled": m.Disabled,
		"locale": m.Locale, "time_zone": m.TimeZone, "departments": m.Departments, "roles": m.Roles,
	})
}

// ---- checks and helpers ----

func labelErrors(l meta.Label) []errs.FieldError {
	if len(l) == 0 {
		return []errs.FieldError{errs.Field("label", "required", "access.label_required")}
	}
	for k, v := range l {
		if len(k) > 10 || len(v) > MaxLabel {
			return []errs.FieldError{errs.Field("label", "too_long", "access.label_too_long", "max", MaxLabel)}
		}
	}
	return nil
}

func nameErrors(name string) []errs.FieldError {
	if utf8.RuneCountInString(name) > MaxName {
		return []errs.FieldError{errs.Field("name", "too_long", "access.name_too_long", "max", MaxName)}
	}
	return nil
}

func localeErrors(l string) []errs.FieldError {
	if !slices.Contains(i18n.Locales, l) {
		return []errs.FieldError{errs.Field("locale", "unknown", "access.bad_locale", "locales", strings.Join(i18n.Locales, ", "))}
	}
	return nil
}

// zoneErrors accepts IANA time zone names known to this system's time
// zone database.
func zoneErrors(tz string) []errs.FieldError {
	if tz != "" && tz != "Local" {
		if _, err := time.LoadLocation(tz); err == nil {
			return nil
		}
	}
	return []errs.FieldError{errs.Field("time_zone", "unknown", "access.bad_time_zone", "zone", tz)}
}

func sortedKeys(keys []string) []string {
	out := []string{}
	for _, k := range keys {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func optional(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// doc turns v into plain JSON values (what encoding/json decodes to), the
// form audit diffs compare.
func doc(v map[string]any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

// validID reports whether id looks like a UUID (the form of every id), so
// that nothing else reaches a PostgreSQL UUID column.
func validID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// Person is what every signed-in user may know of another: for user
// pickers and for showing who owns or changed a record.
type Person struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// MaxPeople bounds one People answer.
const MaxPeople = 100

// People finds active users by part of their name or email (q), or by id
// (ids, at most MaxPeople), at most limit (0: 20) of them.
func (s *Service) People(ctx context.Context, q string, ids []string, limit int) ([]Person, error) {
	repo, err := s.orgRepo()
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 20
	}
	if limit > MaxPeople || len(ids) > MaxPeople || len(q) > 200 {
		return nil, errs.New(errs.Invalid, "access.bad_people_query", "max", MaxPeople)
	}
	users, err := repo.People(ctx, strings.TrimSpace(q), ids, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Person, len(users))
	for i, u := range users {
		out[i] = Person{ID: u.ID, Name: u.Name}
	}
	return out, nil
}
