package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/tessera-app/tessera/engine/meta"
)

// The official OpenAPI 3.1 JSON Schemas, published by the OpenAPI
// Initiative at https://spec.openapis.org/oas/3.1/ and kept in the OAI's
// repository github.com/OAI/OpenAPI-Specification (files oas/3.1/...; see
// testdata/README.md for the commits). They are vendored byte for byte and
// loaded under their $id URLs; nothing is fetched.
const (
	oasSchemaID     = "https://spec.openapis.org/oas/3.1/schema/2025-09-15"
	oasSchemaBaseID = "https://spec.openapis.org/oas/3.1/schema-base/2025-09-15"
)

// oasMetaID is the OAS base vocabulary's meta-schema.
const oasMetaID = "https://spec.openapis.org/oas/3.1/meta/2024-11-10"

var oasFiles = []string{
	"oas-3.1-schema-2025-09-15.json",      // https://spec.openapis.org/oas/3.1/schema/2025-09-15
	"oas-3.1-schema-base-2025-09-15.json", // https://spec.openapis.org/oas/3.1/schema-base/2025-09-15
	"oas-3.1-dialect-2024-11-10.json",     // https://spec.openapis.org/oas/3.1/dialect/2024-11-10
	"oas-3.1-meta-2024-11-10.json",        // https://spec.openapis.org/oas/3.1/meta/2024-11-10
}

const serverURL = "https://tessera.example.com"

// oasCompiler returns a compiler that knows the official schemas and
// refuses to load anything else (the 2020-12 meta-schemas are built in).
func oasCompiler(t *testing.T) *jsonschema.Compiler {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	c.LoadURL = func(s string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("test loads no URLs: %s", s)
	}
	for _, name := range oasFiles {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		var head struct {
			ID string `json:"$id"`
		}
		if err := json.Unmarshal(data, &head); err != nil || head.ID == "" {
			t.Fatalf("%s: no $id (%v)", name, err)
		}
		if head.ID == oasMetaID {
			data = optionalVocab(t, data)
		}
		if err := c.AddResource(head.ID, bytes.NewReader(data)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return c
}

// optionalVocab marks the OAS base vocabulary optional in the (in-memory
// copy of the) vocabulary meta-schema. santhosh-tekuri/jsonschema/v5
// refuses to compile any schema resource whose $vocabulary requires a
// vocabulary it does not implement, even when, as here, the resource is
// only reached through $ref. $vocabulary takes effect only when a schema
// is used as a meta-schema (via $schema), which no schema here is, so this
// changes no validation result. The OAS vocabulary's keywords
// (discriminator, xml, externalDocs, example) are still checked by the
// meta-schema's "properties".
func optionalVocab(t *testing.T, data []byte) []byte {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	vocab, ok := m["$vocabulary"].(map[string]any)
	if !ok || vocab["https://spec.openapis.org/oas/3.1/vocab/base"] != true {
		t.Fatalf("%s: unexpected $vocabulary %v", oasMetaID, m["$vocabulary"])
	}
	vocab["https://spec.openapis.org/oas/3.1/vocab/base"] = false
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// build returns the fixture's document as generic JSON (as a client sees it).
func build(t *testing.T) (map[string]any, []byte) {
	t.Helper()
	return buildView(t, nil)
}

// buildView returns the fixture's document as view shows it.
func buildView(t *testing.T, view View) (map[string]any, []byte) {
	t.Helper()
	doc, err := Build(context.Background(), fixture(t), serverURL, view)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("document does not marshal: %v", err)
	}
	return decode(t, raw), raw
}

func decode(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("document is not JSON: %v", err)
	}
	if dec.More() {
		t.Fatal("trailing data after the document")
	}
	return v
}

// clone deep-copies a decoded document.
func clone(t *testing.T, v map[string]any) map[string]any {
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, raw)
}

func TestDocumentValidatesAgainstOfficialSchema(t *testing.T) {
	doc, _ := build(t)
	schema, base := validateOfficial(t, doc)
	undeclared := clone(t, doc)
	delete(undeclared, "jsonSchemaDialect")

	// The validators must have teeth: broken copies are rejected.
	broken := map[string]func(d map[string]any){
		"no info": func(d map[string]any) { delete(d, "info") },
		"path without slash": func(d map[string]any) {
			d["paths"].(map[string]any)["api/x"] = map[string]any{}
		},
		"bad status code": func(d map[string]any) {
			op := d["paths"].(map[string]any)["/api/auth/me"].(map[string]any)["get"].(map[string]any)
			op["responses"].(map[string]any)["2000"] = map[string]any{"description": "x"}
		},
		"bad component key": func(d map[string]any) {
			d["components"].(map[string]any)["schemas"].(map[string]any)["crm/deal"] = map[string]any{}
		},
		"path parameter not required": func(d map[string]any) {
			d["components"].(map[string]any)["parameters"].(map[string]any)["RecordId"].(map[string]any)["required"] = false
		},
	}
	for name, mutate := range broken {
		d := clone(t, doc)
		mutate(d)
		if schema.Validate(d) == nil {
			t.Errorf("%s: broken document accepted by %s", name, oasSchemaID)
		}
	}
	// A bad Schema Object: schema accepts it (objects are opaque there),
	// schema-base must not.
	d := clone(t, undeclared)
	d["components"].(map[string]any)["schemas"].(map[string]any)["crm.deal"].(map[string]any)["type"] = json.Number("5")
	if err := schema.Validate(d); err != nil {
		t.Errorf("schema should not look inside Schema Objects: %v", err)
	}
	if base.Validate(d) == nil {
		t.Error("schema-base accepted a Schema Object with \"type\": 5")
	}
}

// validateOfficial validates doc against the official schema and
// schema-base, and returns both compiled.
func validateOfficial(t *testing.T, doc map[string]any) (schema, base *jsonschema.Schema) {
	t.Helper()
	c := oasCompiler(t)
	schema, err := c.Compile(oasSchemaID)
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("document fails %s:\n%#v", oasSchemaID, err)
	}

	// schema-base also validates every Schema Object against the OAS
	// dialect (JSON Schema 2020-12 + the OAS vocabulary), but pins
	// jsonSchemaDialect to that dialect's URL. Our document declares plain
	// 2020-12, which the OAS dialect extends, so we validate it without
	// that one member: every schema that passes the stricter dialect
	// check is valid 2020-12.
	base, err = c.Compile(oasSchemaBaseID)
	if err != nil {
		t.Fatal(err)
	}
	undeclared := clone(t, doc)
	delete(undeclared, "jsonSchemaDialect")
	if err := base.Validate(undeclared); err != nil {
		t.Fatalf("document fails %s:\n%#v", oasSchemaBaseID, err)
	}
	return schema, base
}

// TestSchemasAreValid2020 checks every component schema against the JSON
// Schema 2020-12 meta-schema (the declared jsonSchemaDialect), compiles it
// in place (so its $refs resolve), and validates its examples against it.
func TestSchemasAreValid2020(t *testing.T) {
	doc, raw := build(t)
	if doc["jsonSchemaDialect"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Fatalf("jsonSchemaDialect = %v", doc["jsonSchemaDialect"])
	}
	schemas := validate2020(t, doc, raw)
	for _, want := range []string{"crm.deal", "crm.deal.input", "crm.deal.patch", "crm.deal.page", "crm.deal.history"} {
		if s, ok := schemas[want].(map[string]any); !ok || s["examples"] == nil {
			t.Errorf("%s has no example", want)
		}
	}
}

// validate2020 checks every component schema of doc (raw: doc as JSON)
// against the 2020-12 meta-schema, compiles it in place and validates its
// examples against it. It returns the component schemas.
func validate2020(t *testing.T, doc map[string]any, raw []byte) map[string]any {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	c.LoadURL = func(s string) (io.ReadCloser, error) { return nil, fmt.Errorf("no URLs: %s", s) }
	metaSchema, err := c.Compile("https://json-schema.org/draft/2020-12/schema")
	if err != nil {
		t.Fatal(err)
	}
	const docURL = "https://tessera.test/openapi.json"
	if err := c.AddResource(docURL, bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	names := sortedKeys(schemas)
	for _, name := range names {
		s := schemas[name].(map[string]any)
		if err := metaSchema.Validate(s); err != nil {
			t.Errorf("%s is not a valid 2020-12 schema: %v", name, err)
			continue
		}
		compiled, err := c.Compile(docURL + "#/components/schemas/" + name)
		if err != nil {
			t.Errorf("%s does not compile: %v", name, err)
			continue
		}
		exs, _ := s["examples"].([]any)
		for i, ex := range exs {
			if err := compiled.Validate(ex); err != nil {
				t.Errorf("%s: example %d fails its own schema: %v", name, i, err)
			}
		}
	}
	return schemas
}

// TestRefsResolve follows every $ref in the document.
func TestRefsResolve(t *testing.T) {
	doc, _ := build(t)
	if n := checkRefs(t, doc); n < 50 {
		t.Errorf("only %d $refs found; the walk is broken", n)
	}
}

// checkRefs follows every $ref in doc and returns how many it found.
func checkRefs(t *testing.T, doc map[string]any) int {
	t.Helper()
	n := 0
	walk(doc, "", func(at, ref string) {
		n++
		if !strings.HasPrefix(ref, "#/") {
			t.Errorf("%s: $ref %q is not local", at, ref)
			return
		}
		if _, ok := pointer(doc, ref[1:]); !ok {
			t.Errorf("%s: $ref %q does not resolve", at, ref)
		}
	})
	return n
}

func walk(v any, at string, visit func(at, ref string)) {
	switch x := v.(type) {
	case map[string]any:
		if r, ok := x["$ref"].(string); ok {
			visit(at, r)
		}
		for k, e := range x {
			walk(e, at+"/"+k, visit)
		}
	case []any:
		for i, e := range x {
			walk(e, fmt.Sprintf("%s/%d", at, i), visit)
		}
	}
}

// pointer resolves a JSON pointer (RFC 6901) in v.
func pointer(v any, p string) (any, bool) {
	if p == "" {
		return v, true
	}
	for _, tok := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return v, true
}

func TestDocumentContent(t *testing.T) {
	doc, raw := build(t)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v", doc["openapi"])
	}
	info := doc["info"].(map[string]any)
	if info["title"] != "Tessera API" || info["version"] != "1" {
		t.Errorf("info = %v", info)
	}
	if got := doc["servers"].([]any)[0].(map[string]any)["url"]; got != serverURL {
		t.Errorf("server url = %v", got)
	}
	wantSecurity := []any{map[string]any{"bearer": []any{}}, map[string]any{"cookie": []any{}}}
	if !reflect.DeepEqual(doc["security"], wantSecurity) {
		t.Errorf("security = %v", doc["security"])
	}
	comps := doc["components"].(map[string]any)
	sec := comps["securitySchemes"].(map[string]any)
	if b := sec["bearer"].(map[string]any); b["type"] != "http" || b["scheme"] != "bearer" {
		t.Errorf("bearer = %v", b)
	}
	if c := sec["cookie"].(map[string]any); c["type"] != "apiKey" || c["in"] != "cookie" || c["name"] != "tessera_session" {
		t.Errorf("cookie = %v", c)
	}

	paths := doc["paths"].(map[string]any)
	op := func(path, method string) map[string]any {
		t.Helper()
		item, ok := paths[path].(map[string]any)
		if !ok {
			t.Fatalf("no path %s", path)
		}
		o, ok := item[method].(map[string]any)
		if !ok {
			t.Fatalf("no %s %s", method, path)
		}
		return o
	}
	// Static endpoints.
	login := op("/api/auth/login", "post")
	if s, ok := login["security"].([]any); !ok || len(s) != 0 {
		t.Errorf("login security = %v, want []", login["security"])
	}
	for _, pm := range [][2]string{
		{"/api/auth/logout", "post"}, {"/api/auth/me", "get"},
		{"/api/apps", "get"}, {"/api/apps", "post"},
		{"/api/apps/{app}", "get"}, {"/api/apps/{app}", "patch"}, {"/api/apps/{app}", "delete"},
		{"/api/apps/{app}/modules", "get"}, {"/api/apps/{app}/modules", "post"},
		{"/api/apps/{app}/modules/{module}", "get"}, {"/api/apps/{app}/modules/{module}", "put"},
		{"/api/apps/{app}/modules/{module}", "delete"}, {"/api/apps/{app}/modules/{module}/versions", "get"},
		{"/api/auth/tokens", "get"}, {"/api/auth/tokens", "post"}, {"/api/auth/tokens/{id}", "delete"},
		{"/api/auth/sessions", "get"}, {"/api/auth/sessions/{id}", "delete"},
		{"/api/apps/{app}/modules/{module}/records", "get"}, {"/api/apps/{app}/modules/{module}/records", "post"},
		{"/api/apps/{app}/modules/{module}/records/{id}", "get"}, {"/api/apps/{app}/modules/{module}/records/{id}", "patch"},
		{"/api/apps/{app}/modules/{module}/records/{id}", "delete"}, {"/api/apps/{app}/modules/{module}/records/{id}/restore", "post"},
		{"/api/apps/{app}/modules/{module}/records/{id}/history", "get"},
		{"/api/users", "get"}, {"/api/users", "post"}, {"/api/users/{id}", "get"}, {"/api/users/{id}", "patch"},
		{"/api/departments", "get"}, {"/api/departments", "post"},
		{"/api/departments/{key}", "get"}, {"/api/departments/{key}", "patch"}, {"/api/departments/{key}", "delete"},
		{"/api/roles", "get"}, {"/api/roles", "post"},
		{"/api/roles/{key}", "get"}, {"/api/roles/{key}", "put"}, {"/api/roles/{key}", "delete"},
		{"/api/openapi.json", "get"},
	} {
		o := op(pm[0], pm[1])
		if _, ok := o["security"]; ok {
			t.Errorf("%s %s overrides the global security", pm[1], pm[0])
		}
		// A signed-in user may be refused anything but reading their own
		// credentials, this document and metadata: every write needs the
		// CSRF token with cookie sign-in, most things a permission.
		_, forbidden := o["responses"].(map[string]any)["403"]
		var mayRefuse bool
		switch path, method := pm[0], pm[1]; {
		case method != "get":
			mayRefuse = true
		case strings.HasPrefix(path, "/api/auth/"), path == "/api/openapi.json":
			mayRefuse = false
		case method == "get" && strings.HasPrefix(path, "/api/apps") && !strings.Contains(path, "/records"):
			mayRefuse = false
		default:
			mayRefuse = true
		}
		if forbidden != mayRefuse {
			t.Errorf("%s %s: 403 documented %v, want %v", pm[1], pm[0], forbidden, mayRefuse)
		}
	}
	problem := comps["responses"].(map[string]any)["Conflict"].(map[string]any)["content"].(map[string]any)
	if _, ok := problem["application/problem+json"]; !ok {
		t.Errorf("errors are not problem+json: %v", problem)
	}
	// Sign-in is throttled: 429 with Retry-After.
	if r := login["responses"].(map[string]any)["429"]; r == nil {
		t.Error("login has no 429")
	}
	tooMany := comps["responses"].(map[string]any)["TooManyRequests"].(map[string]any)
	if h, ok := tooMany["headers"].(map[string]any)["Retry-After"].(map[string]any); !ok || h["required"] != true {
		t.Errorf("429 has no Retry-After header: %v", tooMany)
	}
	// The new token is in the reply once; the list never has it.
	newTok := op("/api/auth/tokens", "post")["responses"].(map[string]any)["201"].(map[string]any)
	if got := newTok["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)["$ref"]; got != "#/components/schemas/NewToken" {
		t.Errorf("token create reply = %v", got)
	}
	if _, ok := comps["schemas"].(map[string]any)["Token"].(map[string]any)["properties"].(map[string]any)["token"]; ok {
		t.Error("listed tokens show the token")
	}
	// The role body as the brief spells it.
	perm := comps["schemas"].(map[string]any)["Permission"].(map[string]any)["properties"].(map[string]any)
	if got := fmt.Sprint(perm["actions"].(map[string]any)["items"].(map[string]any)["enum"]); got != "[create read update delete export import transfer manage claim]" {
		t.Errorf("permission actions = %s", got)
	}
	if got := fmt.Sprint(perm["fields"].(map[string]any)["additionalProperties"].(map[string]any)["enum"]); got != "[hidden read write]" {
		t.Errorf("permission field levels = %s", got)
	}

	// Concrete record endpoints of every module, and their schemas.
	schemas := comps["schemas"].(map[string]any)
	for _, am := range [][2]string{{"crm", "account"}, {"crm", "deal"}, {"hr", "employee"}} {
		base := "/api/apps/" + am[0] + "/modules/" + am[1] + "/records"
		name := am[0] + "." + am[1]
		create := op(base, "post")
		if got := create["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)["$ref"]; got != "#/components/schemas/"+name+".input" {
			t.Errorf("%s create body = %v", name, got)
		}
		if _, ok := create["responses"].(map[string]any)["201"]; !ok {
			t.Errorf("%s create has no 201", name)
		}
		list := op(base, "get")
		var params []string
		for _, p := range list["parameters"].([]any) {
			pm := p.(map[string]any)
			if r, ok := pm["$ref"].(string); ok {
				pm = comps["parameters"].(map[string]any)[strings.TrimPrefix(r, "#/components/parameters/")].(map[string]any)
			}
			params = append(params, pm["name"].(string))
		}
		if got := strings.Join(params, ","); got != "filter,sort,limit,cursor,total,fields,expand" {
			t.Errorf("%s list parameters = %s", name, got)
		}
		for _, code := range []string{"400", "401", "404"} {
			if _, ok := list["responses"].(map[string]any)[code]; !ok {
				t.Errorf("%s list has no %s", name, code)
			}
		}
		op(base+"/{id}", "get")
		patch := op(base+"/{id}", "patch")
		for _, code := range []string{"400", "401", "404", "409", "413", "422"} {
			if _, ok := patch["responses"].(map[string]any)[code]; !ok {
				t.Errorf("%s patch has no %s", name, code)
			}
		}
		op(base+"/{id}", "delete")
		op(base+"/{id}/restore", "post")
		history := op(base+"/{id}/history", "get")
		if got := history["responses"].(map[string]any)["200"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)["$ref"]; got != "#/components/schemas/"+name+".history" {
			t.Errorf("%s history = %v", name, got)
		}
		for _, suffix := range []string{"", ".input", ".patch", ".page", ".history"} {
			if _, ok := schemas[name+suffix]; !ok {
				t.Errorf("no component %s%s", name, suffix)
			}
		}
	}

	// Operation ids are unique.
	seen := map[string]string{}
	for path, item := range paths {
		for method, o := range item.(map[string]any) {
			om, ok := o.(map[string]any)
			if !ok || method == "parameters" {
				continue
			}
			id, _ := om["operationId"].(string)
			if id == "" {
				t.Errorf("%s %s has no operationId", method, path)
			} else if prev, dup := seen[id]; dup {
				t.Errorf("operationId %s used by %s and %s %s", id, prev, method, path)
			}
			seen[id] = method + " " + path
		}
	}

	// The record schema: system properties, module fields in form order,
	// x-field kept, labels as title/description, optional fields nullable,
	// autonumber read-only.
	deal := schemas["crm.deal"].(map[string]any)
	if deal["title"] != "Opportunity" {
		t.Errorf("deal title = %v", deal["title"])
	}
	if _, ok := deal["additionalProperties"]; ok {
		t.Error("record schema forbids additional properties")
	}
	if !reflect.DeepEqual(deal["required"], []any{"id", "version", "created_at", "updated_at", "created_by", "updated_by", "owner"}) {
		t.Errorf("record required = %v", deal["required"])
	}
	dp := deal["properties"].(map[string]any)
	wantOrder := []string{"id", "version", "created_at", "updated_at", "created_by", "updated_by", "owner", "deleted_at",
		"title", "notes", "amount", "win_rate", "quantity", "score", "weight", "won", "close_date", "closed_at",
		"stage", "tags", "account", "sales_rep", "extra", "industry", "province", "sku", "region", "code", "weighted", "expand"}
	if got := propertyOrder(t, raw, "crm.deal"); !reflect.DeepEqual(got, wantOrder) {
		t.Errorf("record property order =\n%v\nwant\n%v", got, wantOrder)
	}
	prop := func(name string) map[string]any { return dp[name].(map[string]any) }
	if p := prop("id"); p["format"] != "uuid" || p["readOnly"] != true {
		t.Errorf("id = %v", p)
	}
	if p := prop("version"); p["type"] != "integer" {
		t.Errorf("version = %v", p)
	}
	for _, k := range []string{"created_by", "updated_by", "owner"} {
		if p := prop(k); !reflect.DeepEqual(p["type"], []any{"string", "null"}) || p["format"] != "uuid" {
			t.Errorf("%s = %v", k, p)
		}
	}
	for _, k := range []string{"created_at", "updated_at"} {
		if p := prop(k); p["format"] != "date-time" {
			t.Errorf("%s = %v", k, p)
		}
	}
	if p := prop("expand"); p["type"] != "object" {
		t.Errorf("expand = %v", p)
	} else {
		ex := p["properties"].(map[string]any)
		if ex["account"].(map[string]any)["$ref"] != "#/components/schemas/crm.account" ||
			ex["sales_rep"].(map[string]any)["$ref"] != "#/components/schemas/UserSummary" {
			t.Errorf("expand properties = %v", ex)
		}
	}
	title := prop("title")
	if title["type"] != "string" || title["title"] != "Title" || !strings.Contains(title["description"].(string), "标题") ||
		!strings.Contains(title["description"].(string), "What is being sold.") {
		t.Errorf("required text field = %v", title)
	}
	if xf, ok := title["x-field"].(map[string]any); !ok || xf["type"] != "text" {
		t.Errorf("x-field dropped: %v", title)
	}
	if p := prop("notes"); !reflect.DeepEqual(p["type"], []any{"string", "null"}) {
		t.Errorf("optional field not nullable: %v", p)
	}
	if p := prop("stage"); p["type"] != "string" || len(p["enum"].([]any)) != 3 {
		t.Errorf("required select = %v", p)
	}
	if p := prop("account"); !reflect.DeepEqual(p["type"], []any{"string", "null"}) || p["format"] != "uuid" {
		t.Errorf("lookup = %v", p)
	}
	if p := prop("tags"); !reflect.DeepEqual(p["type"], []any{"array", "null"}) {
		t.Errorf("multiselect = %v", p)
	}
	if p := prop("sku"); p["title"] != "SKU" {
		t.Errorf("a schema's own title was replaced: %v", p)
	}
	if p := prop("code"); p["readOnly"] != true {
		t.Errorf("autonumber not read-only: %v", p)
	}
	if ex := deal["examples"].([]any)[0].(map[string]any); !strings.HasPrefix(fmt.Sprint(ex["code"]), "D-2026-000") {
		t.Errorf("example autonumber = %v", ex["code"])
	}

	// The input schema: as stored, minus read-only fields.
	in := schemas["crm.deal.input"].(map[string]any)
	if in["additionalProperties"] != false {
		t.Error("input schema allows unknown properties")
	}
	if !reflect.DeepEqual(in["required"], []any{"title", "amount", "stage"}) {
		t.Errorf("input required = %v", in["required"])
	}
	ip := in["properties"].(map[string]any)
	if _, ok := ip["code"]; ok {
		t.Error("input schema has the autonumber field")
	}
	if _, ok := ip["id"]; ok {
		t.Error("input schema has system fields")
	}
	if p := ip["notes"].(map[string]any); p["type"] != "string" {
		t.Errorf("input notes = %v", p)
	}

	// The patch schema: no required fields but version; optional fields clearable.
	pt := schemas["crm.deal.patch"].(map[string]any)
	if !reflect.DeepEqual(pt["required"], []any{"version"}) || pt["additionalProperties"] != false {
		t.Errorf("patch = %v", pt)
	}
	pp := pt["properties"].(map[string]any)
	if pp["version"].(map[string]any)["type"] != "integer" {
		t.Errorf("patch version = %v", pp["version"])
	}
	if p := pp["notes"].(map[string]any); !reflect.DeepEqual(p["type"], []any{"string", "null"}) {
		t.Errorf("patch notes = %v", p)
	}
	if p := pp["stage"].(map[string]any); p["type"] != "string" {
		t.Errorf("patch of a required field accepts null: %v", p)
	}
	if _, ok := pp["code"]; ok {
		t.Error("patch schema has the autonumber field")
	}

	// Tags: static first, then one per module in key order.
	var tags []string
	for _, tg := range doc["tags"].([]any) {
		tags = append(tags, tg.(map[string]any)["name"].(string))
	}
	if got := strings.Join(tags, ","); got != "auth,apps,modules,records,users,departments,roles,openapi,crm.account,crm.deal,hr.employee" {
		t.Errorf("tags = %s", got)
	}
}

// propertyOrder returns the property keys of a component schema in the
// order they appear in the serialized document.
func propertyOrder(t *testing.T, raw []byte, name string) []string {
	t.Helper()
	var doc struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var s struct {
		Properties json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(doc.Components.Schemas[name], &s); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(s.Properties))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// TestFixtureCoversEveryFieldType keeps the fixture honest when field
// types are added.
func TestFixtureCoversEveryFieldType(t *testing.T) {
	used := map[string]bool{}
	for _, n := range fixtureTypes(t) {
		used[n] = true
	}
	for _, n := range meta.TypeNames() {
		if !used[n] {
			t.Errorf("field type %q is not in the fixture", n)
		}
	}
}

func TestDeterministicAndSideEffectFree(t *testing.T) {
	svc := fixture(t)
	ctx := context.Background()
	before, _ := json.Marshal(mustModule(t, svc, "crm", "deal").Fields[1].Schema)
	var first []byte
	for i := 0; i < 3; i++ {
		doc, err := Build(ctx, svc, serverURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = raw
		} else if !bytes.Equal(first, raw) {
			t.Fatal("two builds differ")
		}
	}
	after, _ := json.Marshal(mustModule(t, svc, "crm", "deal").Fields[1].Schema)
	if !bytes.Equal(before, after) {
		t.Errorf("Build changed the module's field schema:\n%s\n%s", before, after)
	}
}

func mustModule(t *testing.T, svc *meta.Service, app, key string) *meta.Module {
	t.Helper()
	m, err := svc.Repo.Module(context.Background(), app, key)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBindServesDocument runs the handler behind the real sign-in
// middleware: the server URL comes from the request (X-Forwarded-Proto
// only from a trusted proxy, as echo decides), the body is the JSON
// document, and it is built for the signed-in user.
func TestBindServesDocument(t *testing.T) {
	e, tokens := signedInServer(t)
	get := func(remote, who string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/api/openapi.json", nil)
		req.Host = "tessera.test:8080"
		req.RemoteAddr = remote
		req.Header.Set(echo.HeaderXForwardedProto, "https")
		if who != "" {
			req.Header.Set(echo.HeaderAuthorization, "Bearer "+tokens[who])
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	if rec := get("203.0.113.9:4000", "admin"); !bytes.Contains(rec.Body.Bytes(), []byte(`"url":"http://tessera.test:8080"`)) {
		t.Errorf("an untrusted X-Forwarded-Proto was believed: %.300s", rec.Body)
	}
	if rec := get("127.0.0.1:4000", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("without sign-in: status %d, want 401", rec.Code)
	}
	rec := get("127.0.0.1:4000", "admin") // a local reverse proxy
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get(echo.HeaderContentType); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("content type %q", ct)
	}
	if cc := rec.Header().Get(echo.HeaderCacheControl); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	doc := decode(t, rec.Body.Bytes())
	if got := doc["servers"].([]any)[0].(map[string]any)["url"]; got != "https://tessera.test:8080" {
		t.Errorf("server url = %v", got)
	}
	if !bytes.Contains(rec.Body.Bytes(), []byte(`amount > 1000 && stage in [\"won\",\"lost\"]`)) {
		t.Error("filter example is HTML-escaped or missing")
	}
	validateOfficial(t, doc)
	// The administrator's document is the whole one.
	full, _ := build(t)
	full["servers"] = doc["servers"]
	if !reflect.DeepEqual(doc, full) {
		t.Error("the administrator's document is not the unrestricted one")
	}

	// A sales rep gets their own view; someone without roles sees no module.
	rec = get("127.0.0.1:4000", "rep")
	if rec.Code != http.StatusOK {
		t.Fatalf("rep: status %d: %s", rec.Code, rec.Body)
	}
	checkRepView(t, decode(t, rec.Body.Bytes()), rec.Body.Bytes())
	rec = get("127.0.0.1:4000", "nobody")
	if rec.Code != http.StatusOK {
		t.Fatalf("nobody: status %d: %s", rec.Code, rec.Body)
	}
	if mods := documentedModules(decode(t, rec.Body.Bytes())); len(mods) != 0 {
		t.Errorf("a user without roles sees modules %v", mods)
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
