package template

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/approval"
	"github.com/tessera-app/tessera/engine/dashboard"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/flow"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/pool"
	"github.com/tessera-app/tessera/engine/printtpl"
	"github.com/tessera-app/tessera/engine/publish"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/rule"
)

// Kind is one kind of metadata a package carries: the folder its files
// live in and how items of the kind are listed, created, replaced and
// deleted through the kind's own service (so an install checks exactly
// what the API checks). A new kind of metadata joins templates with one
// Register call; install, export, upgrade and lint then handle it.
type Kind struct {
	Name string // "module", "flow", …
	Dir  string // the package folder of its files: "modules", "flows", …
	// Order is the apply order: a kind comes after the kinds its items
	// name (pipelines after approval processes and roles, rules after
	// pipelines).
	Order int
	// List returns the app's items as documents (what export writes,
	// without ids, versions, times or the app key).
	List func(ctx context.Context, e *Env, app string) ([]Item, error)
	// Put creates the item (exists false) or replaces it with doc.
	Put func(ctx context.Context, e *Env, app, key string, doc []byte, exists bool) error
	// Delete removes the item. Nil: items of the kind are never deleted by
	// an upgrade (modules: their data stays).
	Delete func(ctx context.Context, e *Env, app, key string) error
}

// Item is one listed item of a kind.
type Item struct {
	Key string
	Doc *Object
}

// Env is what kinds work with: the services, and who acts.
type Env struct {
	Meta       *meta.Service
	Flows      *flow.Service
	Approvals  *approval.Service
	Rules      *rule.Engine
	Dashboards *dashboard.Service
	Prints     *printtpl.Service
	Access     *access.Service
	// Pools and Publications (public forms and views): kinds_pools.go.
	Pools        *pool.Service
	Publications *publish.Service
	Actor        record.Actor
}

var kinds []*Kind

// Register adds a kind of metadata to the package format.
func Register(k *Kind) {
	kinds = append(kinds, k)
	slices.SortStableFunc(kinds, func(a, b *Kind) int { return a.Order - b.Order })
}

// Kinds are the registered kinds in apply order.
func Kinds() []*Kind { return kinds }

func kindOfDir(dir string) *Kind {
	for _, k := range kinds {
		if k.Dir == dir {
			return k
		}
	}
	return nil
}

// instanceKeys are what a service's JSON says about a stored item rather
// than about its definition; exports leave them out.
var instanceKeys = []string{"id", "app", "key", "version", "created_at", "updated_at", "owner", "publisher"}

// toDoc turns a service's item into an export document.
func toDoc(v any) (*Object, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	d, err := ParseJSON(b)
	if err != nil {
		return nil, err
	}
	o := d.(*Object)
	for _, k := range instanceKeys {
		o.Delete(k)
	}
	return o, nil
}

// strictUnmarshal decodes like the API does (unknown keys refused).
func strictUnmarshal(doc []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errs.New(errs.Invalid, "template.bad_doc", "error", err.Error())
	}
	return nil
}

// jsonKind makes the Kind of a service whose items are JSON structs T
// (pointers), keyed by their key.
func jsonKind[T any](name, dir string, order int,
	list func(ctx context.Context, e *Env, app string) ([]T, error), keyOf func(T) string,
	create func(ctx context.Context, e *Env, app string, v T) error,
	replace func(ctx context.Context, e *Env, app, key string, v T) error,
	del func(ctx context.Context, e *Env, app, key string) error) *Kind {
	return &Kind{Name: name, Dir: dir, Order: order,
		List: func(ctx context.Context, e *Env, app string) ([]Item, error) {
			vs, err := list(ctx, e, app)
			if err != nil {
				return nil, err
			}
			out := make([]Item, 0, len(vs))
			for _, v := range vs {
				d, err := toDoc(v)
				if err != nil {
					return nil, err
				}
				out = append(out, Item{Key: keyOf(v), Doc: d})
			}
			return out, nil
		},
		Put: func(ctx context.Context, e *Env, app, key string, doc []byte, exists bool) error {
			var v T
			if err := strictUnmarshal(withKey(doc, key), &v); err != nil {
				return err
			}
			if exists {
				return replace(ctx, e, app, key, v)
			}
			return create(ctx, e, app, v)
		},
		Delete: del}
}

// withKey puts "key" first into a document.
func withKey(doc []byte, key string) []byte {
	v, err := ParseJSON(doc)
	o, ok := v.(*Object)
	if err != nil || !ok {
		return doc
	}
	o.Delete("key")
	o.SetAfter("", "key", key)
	return Compact(o)
}

// Modules is the kind of modules (modules/<key>.json: label and schema).
var Modules = &Kind{Name: "module", Dir: "modules", Order: 10,
	List: func(ctx context.Context, e *Env, app string) ([]Item, error) {
		mods, err := e.Meta.Repo.Modules(ctx, app)
		if err != nil {
			return nil, err
		}
		out := make([]Item, 0, len(mods))
		for _, m := range mods {
			o := NewObject()
			label, _ := ParseJSON(mustJSON(m.Label))
			schema, err := ParseJSON(m.Schema)
			if err != nil {
				return nil, err
			}
			stripRenames(schema)
			o.Set("label", label)
			o.Set("schema", schema)
			out = append(out, Item{Key: m.Key, Doc: o})
		}
		return out, nil
	},
	Put: func(ctx context.Context, e *Env, app, key string, doc []byte, exists bool) error {
		var in meta.ModuleInput
		if err := strictUnmarshal(withKey(doc, key), &in); err != nil {
			return err
		}
		in.Key = key
		var err error
		if exists {
			_, err = e.Meta.UpdateModule(ctx, app, key, in, e.Actor.User.ID)
		} else {
			_, err = e.Meta.CreateModule(ctx, app, in, e.Actor.User.ID)
		}
		return err
	}}

// stripRenames drops x-field.renamedFrom from a schema: it is an
// instruction to one upgrade, not part of what a module is, so exports
// leave it out (and a round trip stays identical).
func stripRenames(schema any) {
	props := schemaProps(schema)
	if props == nil {
		return
	}
	for _, k := range props.Keys {
		if p, ok := props.Vals[k].(*Object); ok {
			if xf := p.Obj("x-field"); xf != nil {
				xf.Delete("renamedFrom")
			}
		}
	}
}

// schemaProps is a module schema's properties object (nil if none).
func schemaProps(schema any) *Object {
	s, _ := schema.(*Object)
	return s.Obj("properties")
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func init() {
	Register(Modules)
	Register(&Kind{Name: "role", Dir: "roles", Order: 20, List: listRoles, Put: putRole, Delete: deleteRole})
	Register(jsonKind("approval", "approvals", 30,
		func(ctx context.Context, e *Env, app string) ([]*approval.Process, error) {
			return e.Approvals.Processes(ctx, app)
		},
		func(p *approval.Process) string { return p.Key },
		func(ctx context.Context, e *Env, app string, p *approval.Process) error {
			_, err := e.Approvals.Create(ctx, app, p)
			return err
		},
		func(ctx context.Context, e *Env, app, key string, p *approval.Process) error {
			_, err := e.Approvals.Replace(ctx, app, key, p, 0)
			return err
		},
		func(ctx context.Context, e *Env, app, key string) error { return e.Approvals.Delete(ctx, app, key) }))
	Register(jsonKind("flow", "flows", 40,
		func(ctx context.Context, e *Env, app string) ([]*flow.Flow, error) { return e.Flows.Flows(ctx, app) },
		func(f *flow.Flow) string { return f.Key },
		func(ctx context.Context, e *Env, app string, f *flow.Flow) error {
			_, err := e.Flows.Create(ctx, app, f)
			return err
		},
		func(ctx context.Context, e *Env, app, key string, f *flow.Flow) error {
			_, err := e.Flows.Replace(ctx, e.Actor, app, key, f, 0, nil)
			return err
		},
		func(ctx context.Context, e *Env, app, key string) error {
			return e.Flows.Delete(ctx, e.Actor, app, key, "")
		}))
	Register(jsonKind("rule", "rules", 50,
		func(ctx context.Context, e *Env, app string) ([]*rule.Rule, error) { return e.Rules.Rules(ctx, app) },
		func(r *rule.Rule) string { return r.Key },
		func(ctx context.Context, e *Env, app string, r *rule.Rule) error {
			_, err := e.Rules.Create(ctx, app, r)
			return err
		},
		func(ctx context.Context, e *Env, app, key string, r *rule.Rule) error {
			_, err := e.Rules.Replace(ctx, app, key, r, 0)
			return err
		},
		func(ctx context.Context, e *Env, app, key string) error { return e.Rules.Delete(ctx, app, key) }))
	Register(jsonKind("dashboard", "dashboards", 60,
		func(ctx context.Context, e *Env, app string) ([]*dashboard.Dashboard, error) {
			all, err := e.Dashboards.List(ctx, e.Actor.User, app)
			// Private dashboards are a user's own, not the app's.
			return slices.DeleteFunc(all, func(d *dashboard.Dashboard) bool { return d.Private }), err
		},
		func(d *dashboard.Dashboard) string { return d.Key },
		func(ctx context.Context, e *Env, app string, d *dashboard.Dashboard) error {
			_, err := e.Dashboards.Create(ctx, e.Actor.User, app, d)
			return err
		},
		func(ctx context.Context, e *Env, app, key string, d *dashboard.Dashboard) error {
			// dashboard.Replace takes the version it replaces, as the
			// print templates' does: an upgrade replaces whatever is there
			// now, inside the upgrade's transaction.
			cur, err := e.Dashboards.Get(ctx, e.Actor.User, app, key)
			if err != nil {
				return err
			}
			_, err = e.Dashboards.Replace(ctx, e.Actor.User, app, key, d, cur.Version)
			return err
		},
		func(ctx context.Context, e *Env, app, key string) error {
			return e.Dashboards.Delete(ctx, e.Actor.User, app, key)
		}))
	Register(jsonKind("print template", "print", 70,
		func(ctx context.Context, e *Env, app string) ([]*printtpl.Template, error) {
			return e.Prints.List(ctx, e.Actor, app)
		},
		func(t *printtpl.Template) string { return t.Key },
		func(ctx context.Context, e *Env, app string, t *printtpl.Template) error {
			_, err := e.Prints.Create(ctx, app, t)
			return err
		},
		func(ctx context.Context, e *Env, app, key string, t *printtpl.Template) error {
			// printtpl.Replace takes the version it replaces (its API
			// requires one); an upgrade replaces whatever is there now,
			// inside the upgrade's transaction.
			cur, err := e.Prints.Get(ctx, e.Actor, app, key)
			if err != nil {
				return err
			}
			_, err = e.Prints.Replace(ctx, app, key, t, cur.Version)
			return err
		},
		func(ctx context.Context, e *Env, app, key string) error { return e.Prints.Delete(ctx, app, key) }))
}

// Roles are global (a user's role may span apps), so a package's role
// holds only its app's permissions, without the app key: installing
// writes them into the role (created when missing) for the target app and
// leaves the role's permissions on other apps alone.
type roleDoc struct {
	Label       meta.Label          `json:"label"`
	Permissions []access.Permission `json:"permissions"`
}

func listRoles(ctx context.Context, e *Env, app string) ([]Item, error) {
	roles, err := e.Access.Roles(ctx)
	if err != nil {
		return nil, err
	}
	var out []Item
	for _, r := range roles {
		var mine []access.Permission
		for _, p := range r.Permissions {
			if p.App == app {
				p.App = ""
				mine = append(mine, p)
			}
		}
		if len(mine) == 0 {
			continue
		}
		d, err := toDoc(roleDoc{Label: r.Label, Permissions: mine})
		if err != nil {
			return nil, err
		}
		for _, p := range d.Vals["permissions"].([]any) {
			p.(*Object).Delete("app")
		}
		out = append(out, Item{Key: r.Key, Doc: d})
	}
	return out, nil
}

func putRole(ctx context.Context, e *Env, app, key string, doc []byte, _ bool) error {
	var d roleDoc
	if err := strictUnmarshal(doc, &d); err != nil {
		return err
	}
	perms := othersPermissions(ctx, e, app, key)
	for _, p := range d.Permissions {
		p.App = app
		perms = append(perms, p)
	}
	in := access.RoleInput{Key: key, Label: d.Label, Permissions: perms}
	if _, err := e.Access.Role(ctx, key); errs.Is(err, errs.NotFound) {
		_, err = e.Access.CreateRole(ctx, in)
		return err
	}
	_, err := e.Access.ReplaceRole(ctx, key, in)
	return err
}

// othersPermissions are role key's permissions on apps other than app.
func othersPermissions(ctx context.Context, e *Env, app, key string) []access.Permission {
	r, err := e.Access.Role(ctx, key)
	if err != nil {
		return nil
	}
	var out []access.Permission
	for _, p := range r.Permissions {
		if p.App != app {
			out = append(out, p)
		}
	}
	return out
}

func deleteRole(ctx context.Context, e *Env, app, key string) error {
	r, err := e.Access.Role(ctx, key)
	if err != nil {
		return err
	}
	others := othersPermissions(ctx, e, app, key)
	if len(others) == 0 {
		return e.Access.DeleteRole(ctx, key, true)
	}
	_, err = e.Access.ReplaceRole(ctx, key, access.RoleInput{Key: key, Label: r.Label, Permissions: others})
	return err
}
