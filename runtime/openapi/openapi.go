// Package openapi generates the OpenAPI 3.1 document of a Tessera server
// from its metadata: the fixed auth, app and module endpoints, and for
// every module of every app its concrete record endpoints
// (/api/apps/crm/modules/deal/records...) with the module's own JSON
// Schema as the record, input and patch schemas. The document is built
// per request, so it always matches the current metadata.
package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/meta"
)

// Version is the OpenAPI version of the generated document.
const Version = "3.1.0"

// Dialect is the document's jsonSchemaDialect: module schemas are plain
// JSON Schema 2020-12 (plus "x-field" annotations).
const Dialect = meta.Draft2020

// Bind registers GET /openapi.json on g (the signed-in /api group).
func Bind(g *echo.Group, svc *meta.Service) {
	g.GET("/openapi.json", func(c echo.Context) error {
		doc, err := Build(c.Request().Context(), svc, ServerURL(c.Request(), c.Scheme()))
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
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSONCharsetUTF8, b.Bytes())
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

// Build returns the OpenAPI document for the current metadata, with
// serverURL as its only server. Apps and modules are sorted by key, so the
// same metadata always gives the same document. The result marshals with
// encoding/json; record schemas keep their fields in form order.
func Build(ctx context.Context, svc *meta.Service, serverURL string) (map[string]any, error) {
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
		known := map[string]bool{}
		for _, m := range mods {
			known[m.Key] = true
		}
		for _, m := range mods {
			if err := d.addModule(a, m, known); err != nil {
				return nil, err
			}
		}
	}
	return d.finish(), nil
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
				"(/api/apps/{app}/modules/{module}/records) with that module's schemas.\n\n" +
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
					"description": "The token from POST /api/auth/login, as \"Authorization: Bearer <token>\".",
				},
				"cookie": obj{
					"type": "apiKey", "in": "cookie", "name": "tessera_session",
					"description": "The session cookie POST /api/auth/login sets for browsers.",
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
	409: "Conflict", 413: "TooLarge", 422: "Unprocessable",
}

// responses builds an operation's responses: the given successes plus
// references to the shared problem responses for the given statuses.
func responses(success obj, errs ...int) obj {
	r := obj{}
	for code, v := range success {
		r[code] = v
	}
	for _, s := range errs {
		r[itoa(s)] = respRef(errorResponses[s])
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
