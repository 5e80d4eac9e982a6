package access

import (
	"sort"
	"time"

	"github.com/tessera-app/tessera/engine/meta"
)

// Actions a role may grant on a module.
const (
	ActCreate   = "create"
	ActRead     = "read"
	ActUpdate   = "update"
	ActDelete   = "delete"
	ActExport   = "export"
	ActImport   = "import"
	ActTransfer = "transfer" // change a record's owner
	ActManage   = "manage"   // change the module's metadata
	ActClaim    = "claim"    // take a record without owner from the public pool
)

// Actions lists every grantable action.
var Actions = []string{ActCreate, ActRead, ActUpdate, ActDelete, ActExport, ActImport, ActTransfer, ActManage, ActClaim}

// Built-in record scopes; any other scope string is an expression in the
// shared expression language (e.g. `owner == user.id || amount < 10000`).
const (
	ScopeOwn            = "own"             // owner is me
	ScopeDepartment     = "department"      // owner is in one of my departments
	ScopeDepartmentTree = "department_tree" // … or in a department below them
	ScopeAll            = "all"
)

// Field access levels; fields a permission does not name are read-write.
const (
	FieldHidden = "hidden"
	FieldRead   = "read"
	FieldWrite  = "write"
)

// Role is a named set of module permissions; a user's rights are the union
// of their roles'.
type Role struct {
	ID          string       `json:"id"`
	Key         string       `json:"key"`
	Label       meta.Label   `json:"label"`
	Permissions []Permission `json:"permissions"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
}

// Permission grants actions on one module of one app, within record
// scopes, with per-field access. App or Module "*" matches every app or
// every module of the app (field settings then apply to fields of that key
// in any matching module).
type Permission struct {
	App     string            `json:"app"`
	Module  string            `json:"module"`
	Actions []string          `json:"actions"`
	Scope   ScopeSpec         `json:"scope"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// ScopeSpec is the record scope of reads, updates and deletes. An empty
// scope means "all".
type ScopeSpec struct {
	Read   string `json:"read,omitempty"`
	Update string `json:"update,omitempty"`
	Delete string `json:"delete,omitempty"`
}

// Department is a node of the organisation tree.
type Department struct {
	ID        string     `json:"id"`
	Key       string     `json:"key"`
	Label     meta.Label `json:"label"`
	ParentID  string     `json:"parent,omitempty"`
	ManagerID string     `json:"manager,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Principal is a signed-in user with what their rights depend on, loaded
// once per request.
type Principal struct {
	User *User
	// Departments are the ids of the user's own departments; Tree adds
	// every department below them.
	Departments []string
	Tree        []string
	Roles       []*Role
}

// ModuleRights are a principal's rights on one module: the union of the
// permissions of all their roles that name the module.
type ModuleRights struct {
	Admin   bool // administrators may do everything
	Actions map[string]bool
	// Scopes per operation: a record is in reach when any scope admits it.
	// A nil slice means no access; a slice holding ScopeAll means every record.
	Read, Update, Delete []string
	// Fields maps a field key to its access; absent means read-write.
	Fields map[string]string
	// Archived are the module's archived fields (meta.Field.Archived):
	// hidden from everyone, administrators included.
	Archived map[string]bool
}

// Can reports whether the rights include action.
func (r *ModuleRights) Can(action string) bool { return r.Admin || r.Actions[action] }

// Field returns the access level of field key.
func (r *ModuleRights) Field(key string) string {
	if r.Archived[key] {
		return FieldHidden
	}
	if r.Admin {
		return FieldWrite
	}
	if a, ok := r.Fields[key]; ok {
		return a
	}
	return FieldWrite
}

// Hidden reports whether field key must never reach this principal.
func (r *ModuleRights) Hidden(key string) bool { return r.Field(key) == FieldHidden }

// Rights computes the principal's rights on app/module. Union rules: an
// action granted by any role is granted; the scopes of all granting roles
// are OR-ed; a field takes the most open level any role with read access
// gives it (write > read > hidden), and a role that does not name a field
// gives it write.
func (p *Principal) Rights(app, module string) *ModuleRights {
	r := &ModuleRights{Actions: map[string]bool{}, Fields: map[string]string{}}
	if p.User != nil && p.User.IsAdmin {
		r.Admin = true
		all := []string{ScopeAll}
		r.Read, r.Update, r.Delete = all, all, all
		for _, a := range Actions {
			r.Actions[a] = true
		}
		return r
	}
	var grants []Permission
	for _, role := range p.Roles {
		for _, perm := range role.Permissions {
			if matches(perm.App, app) && matches(perm.Module, module) {
				grants = append(grants, perm)
			}
		}
	}
	fieldSeen := map[string]int{} // best level index per field
	named := map[string]bool{}
	for _, g := range grants {
		for k := range g.Fields {
			named[k] = true
		}
	}
	readers := 0
	for _, g := range grants {
		for _, a := range g.Actions {
			r.Actions[a] = true
		}
		for _, a := range g.Actions {
			switch a {
			case ActRead:
				r.Read = addScope(r.Read, g.Scope.Read)
			case ActUpdate:
				r.Update = addScope(r.Update, g.Scope.Update)
			case ActDelete:
				r.Delete = addScope(r.Delete, g.Scope.Delete)
			}
		}
		if !contains(g.Actions, ActRead) {
			continue
		}
		readers++
		for k := range named {
			lvl := level(g.Fields[k])
			if cur, ok := fieldSeen[k]; !ok || lvl > cur {
				fieldSeen[k] = lvl
			}
		}
	}
	if readers == 0 {
		// Without read access nothing is visible: every named field is hidden.
		for k := range named {
			fieldSeen[k] = 0
		}
	}
	for k, lvl := range fieldSeen {
		if lvl < 2 {
			r.Fields[k] = []string{FieldHidden, FieldRead}[lvl]
		}
	}
	return r
}

// level orders field access: hidden 0, read 1, write 2 (absent = write).
func level(a string) int {
	switch a {
	case FieldHidden:
		return 0
	case FieldRead:
		return 1
	}
	return 2
}

func addScope(scopes []string, s string) []string {
	if s == "" {
		s = ScopeAll
	}
	if contains(scopes, s) {
		return scopes
	}
	scopes = append(scopes, s)
	sort.Strings(scopes)
	return scopes
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Wildcard in a permission's App or Module matches any key.
const Wildcard = "*"

func matches(pattern, key string) bool { return pattern == Wildcard || pattern == key }
