// Package openapi generates the OpenAPI 3.1 document of a Tessera server
// from its metadata: the fixed auth, app, module, record, history and
// organisation endpoints, and for every module of every app its concrete
// record endpoints (/api/apps/crm/modules/deal/records...) with the
// module's own JSON Schema as the record, input and patch schemas. The
// document is built per request, for the caller: it always matches the
// current metadata, and it shows only what the caller may read (see View).
package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// Version is the OpenAPI version of the generated document.
const Version = "3.1.0"

// Dialect is the document's jsonSchemaDialect: module schemas are plain
// JSON Schema 2020-12 (plus "x-field" annotations).
const Dialect = meta.Draft2020

// ModuleView is what one caller may see of one module.
type ModuleView struct {
	// Visible reports whether the module is in the document at all: its
	// record paths, its schemas and its tag. Modules the caller cannot
	// read are left out.
	Visible bool
	// Hidden reports whether a field is left out of every schema,
	// parameter and example of the module; nil hides nothing.
	Hidden func(field string) bool
	// ReadOnly reports whether the caller may read a field but not write
	// it: such a field is readOnly in the record schema and absent from
	// the create and patch bodies, like an autonumber. nil: none.
	ReadOnly func(field string) bool
}

func (v ModuleView) hidden(key string) bool   { return v.Hidden != nil && v.Hidden(key) }
func (v ModuleView) readOnly(key string) bool { return v.ReadOnly != nil && v.ReadOnly(key) }

// View decides, module by module, what the document shows; app holds
// the modules of m's app (computed fields read across modules). A nil View
// shows everything, as administrators see it.
type View func(m *meta.Module, app []*meta.Module) ModuleView

// everything is the nil View's answer.
var everything = ModuleView{Visible: true}

// ForPrincipal is the View of a signed-in principal, from their effective
// rights (engine/access): modules they may read, without the fields hidden
// from them (computed fields included, as hidden as what they read), with
// the fields they may only read marked read-only. Administrators get the
// nil View (everything); a nil principal sees no module.
func ForPrincipal(p *access.Principal) View {
	if p == nil {
		return func(*meta.Module, []*meta.Module) ModuleView { return ModuleView{} }
	}
	if p.User != nil && p.User.IsAdmin {
		return nil
	}
	return func(m *meta.Module, app []*meta.Module) ModuleView {
		r := p.EffectiveRights(m, app)
		if !r.Can(access.ActRead) {
			return ModuleView{}
		}
		return ModuleView{
			Visible:  true,
			Hidden:   r.Hidden,
			ReadOnly: func(key string) bool { return r.Field(key) == access.FieldRead },
		}
	}
}

// Principals loads a user's roles and departments; access.Service
// implements it.
type Principals interface {
	Principal(ctx context.Context, u *access.User) (*access.Principal, error)
}

// ViewFor is the View of user u: nil (everything) for administrators,
// else ForPrincipal of u's principal. With nil principals a non-admin has
// no roles, so sees no module. Without a user it is an Unauthorized error.
func ViewFor(ctx context.Context, principals Principals, u *access.User) (View, error) {
	switch {
	case u == nil:
		return nil, errs.New(errs.Unauthorized, "access.signin_required")
	case u.IsAdmin:
		return nil, nil
	case principals == nil:
		return ForPrincipal(&access.Principal{User: u}), nil
	}
	p, err := principals.Principal(ctx, u)
	if err != nil {
		return nil, err
	}
	return ForPrincipal(p), nil
}

// Bind registers GET /openapi.json on g (the signed-in /api group). The
// document is built for the signed-in user (httpx.User): principals
// supplies their rights.
func Bind(g *echo.Group, svc *meta.Service, principals Principals) {
	g.GET("/openapi.json", func(c echo.Context) error {
		ctx := c.Request().Context()
		view, err := ViewFor(ctx, principals, httpx.User(c))
		if err != nil {
			return err
		}
		doc, err := Build(ctx, svc, ServerURL(c.Request(), c.Scheme()), view)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // filter examples hold "&&" and ">"
		if err := enc.Encode(doc); err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b.Bytes())
	})
}

// ServerURL is the origin clients reached this server at, e.g.
// "https://tessera.example.com" (scheme as echo derives it, honouring
// X-Forwarded-Proto; host from the request).
func ServerURL(r *http.Request, scheme string) string {
	if scheme == "" {
		scheme = "http"
	}
	return scheme + "://" + r.Host
}

// Build returns the OpenAPI document for the current metadata as view
// shows it (nil: everything), with serverURL as its only server. Apps and
// modules are sorted by key, so the same metadata and view always give
// the same document. The result marshals with encoding/json; record
// schemas keep their fields in form order.
func Build(ctx context.Context, svc *meta.Service, serverURL string, view View) (map[string]any, error) {
	apps, err := svc.Repo.Apps(ctx)
	if err != nil {
		return nil, err
	}
	apps = append([]*meta.App(nil), apps...)
	sort.Slice(apps, func(i, j int) bool { return apps[i].Key < apps[j].Key })

	d := newDoc(serverURL)
	for _, a := range apps {
		mods, err := svc.Repo.Modules(ctx, a.Key)
		if err != nil {
			return nil, err
		}
		mods = append([]*meta.Module(nil), mods...)
		sort.Slice(mods, func(i, j int) bool { return mods[i].Key < mods[j].Key })
		// Only modules the caller may read are documented, so only they
		// are lookup targets with a schema.
		views := make([]ModuleView, len(mods))
		known := map[string]bool{}
		for i, m := range mods {
			views[i] = everything
			if view != nil {
				views[i] = view(m, mods)
			}
			if views[i].Visible {
				known[m.Key] = true
			}
		}
		for i, m := range mods {
			if !views[i].Visible {
				continue
			}
			if err := d.addModule(a, m, known, views[i]); err != nil {
				return nil, err
			}
		}
	}
	return d.finish(), nil
}

// FixedServer is the server URL of the fixed document.
const FixedServer = "http://127.0.0.1:8080"

// FixedJSON is the document of the fixed endpoints alone — no app's
// concrete record paths — indented. The web app's typed client is
// generated from it (runtime/web/src/api/openapi.json, kept current by a
// test there; `tessera openapi` prints it).
func FixedJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(newDoc(FixedServer).finish())
	return b.Bytes(), err
}

// obj is a JSON object under construction.
type obj = map[string]any

// doc accumulates the document's parts.
type doc struct {
	serverURL  string
	paths      obj
	schemas    obj
	responses  obj
	parameters obj
	tags       []any
}

func newDoc(serverURL string) *doc {
	d := &doc{serverURL: serverURL, paths: obj{}, schemas: obj{}, responses: obj{}, parameters: obj{}}
	d.addStatic()
	return d
}

func (d *doc) finish() map[string]any {
	return map[string]any{
		"openapi":           Version,
		"jsonSchemaDialect": Dialect,
		"info": obj{
			"title":   "Tessera API",
			"version": "1",
			"summary": "Apps, modules and records of this Tessera server.",
			"description": "Tessera is a no-code app builder: administrators define apps and " +
				"modules, and every module is a JSON Schema 2020-12 document whose properties are " +
				"the module's fields (an \"x-field\" object in each property carries the field type, " +
				"label and options). This document is generated from the current metadata: besides " +
				"the fixed endpoints it lists, for every module, concrete record endpoints " +
				"(/api/apps/{app}/modules/{module}/records) with that module's schemas. It is " +
				"generated for the caller: modules they may not read are left out, and so are the " +
				"fields their roles hide from them.\n\n" +
				"Errors are RFC 9457 problem documents (application/problem+json) in the caller's " +
				"locale (Accept-Language: en or zh-CN).",
		},
		"servers": []any{obj{"url": d.serverURL, "description": "This server"}},
		"security": []any{
			obj{"bearer": []any{}},
			obj{"cookie": []any{}},
		},
		"tags":  d.tags,
		"paths": d.paths,
		"components": obj{
			"schemas":    d.schemas,
			"responses":  d.responses,
			"parameters": d.parameters,
			"securitySchemes": obj{
				"bearer": obj{
					"type": "http", "scheme": "bearer",
					"description": "The token from POST /api/auth/login, as `Authorization: Bearer <token>`.",
				},
				"cookie": obj{
					"type": "apiKey", "in": "cookie", "name": "tessera_session",
					"description": "The session cookie POST /api/auth/login sets for browsers. Requests authenticated with it " +
						"that change something (POST, PUT, PATCH, DELETE) must also send the X-CSRF-Token header, " +
						"as given at sign-in (csrf_token, and the tessera_csrf cookie); otherwise they get a 403.",
				},
			},
		},
	}
}

// ref points at a component schema.
func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

// respRef points at a component response.
func respRef(name string) obj { return obj{"$ref": "#/components/responses/" + name} }

// paramRef points at a component parameter.
func paramRef(name string) obj { return obj{"$ref": "#/components/parameters/" + name} }

// jsonContent is a content map with one application/json media type.
func jsonContent(schema any) obj {
	return obj{"application/json": obj{"schema": schema}}
}

// body is a required JSON request body.
func body(schema any, description string) obj {
	b := obj{"required": true, "content": jsonContent(schema)}
	if description != "" {
		b["description"] = description
	}
	return b
}

// ok is a success response with a JSON body.
func ok(description string, schema any) obj {
	return obj{"description": description, "content": jsonContent(schema)}
}

// noContent is a 204 response.
func noContent(description string) obj { return obj{"description": description} }

// errorResponses maps statuses to the shared problem responses.
var errorResponses = map[int]string{
	400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
	409: "Conflict", 413: "TooLarge", 422: "Unprocessable", 429: "TooManyRequests",
}

// responses builds an operation's responses: the given successes plus
// references to the shared problem responses for the given statuses.
func responses(success obj, errs ...int) obj {
	r := obj{}
	for code, v := range success {
		r[code] = v
	}
	for _, s := range errs {
		name, ok := errorResponses[s]
		if !ok {
			panic("openapi: no shared response for status " + itoa(s))
		}
		r[itoa(s)] = respRef(name)
	}
	return r
}

func itoa(n int) string { return strconv.Itoa(n) }

// props is a JSON object that keeps keys in insertion order: a module's
// properties are listed in the module's field (form) order.
type props struct {
	keys []string
	vals map[string]any
}

func newProps() *props { return &props{vals: map[string]any{}} }

func (p *props) set(k string, v any) {
	if _, dup := p.vals[k]; !dup {
		p.keys = append(p.keys, k)
	}
	p.vals[k] = v
}

// MarshalJSON writes the object with keys in insertion order.
func (p *props) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, k := range p.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := enc.Encode(k); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // Encode's newline
		b.WriteByte(':')
		if err := enc.Encode(p.vals[k]); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
