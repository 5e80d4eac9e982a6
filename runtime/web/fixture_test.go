package web_test

// The files the web app takes from the server — the validation fixture's
// expected errors, the form message catalog and the OpenAPI document its
// typed client is generated from — are checked here against the server, so
// none of them can go stale unnoticed. -update rewrites them.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"testing"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/openapi"
	"github.com/tessera-app/tessera/runtime/server"
)

var update = flag.Bool("update", false, "rewrite the web app's generated files from the server")

const (
	fixturePath  = "testdata/validation.json"
	messagesPath = "src/render/messages.gen.json"
	openapiPath  = "src/api/openapi.json"
)

type fieldError struct {
	Field   string            `json:"field"`
	Code    string            `json:"code"`
	Message map[string]string `json:"message"`
}

type fixtureCase struct {
	Name   string         `json:"name"`
	Values map[string]any `json:"values"`
	Errors []fieldError   `json:"errors"`
}

type fixture struct {
	About   string            `json:"about"`
	App     string            `json:"app"`
	Modules []json.RawMessage `json:"modules"`
	Module  string            `json:"module"`
	// Stored is the module's schema as the server stores and serves it
	// (normalized): what the browser validates with.
	Stored json.RawMessage `json:"stored"`
	Cases  []fixtureCase   `json:"cases"`
}

// checkFile compares want with the file at path, or writes it with -update.
func checkFile(t *testing.T, path string, want []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("runtime/web/%s is stale: the server changed. Run\n\tgo test ./runtime/web -run %s -update\n"+
			"and commit the result (then `npm test` shows whether the web app still agrees).", path, t.Name())
	}
}

func indentJSON(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestMessageCatalog keeps the browser's copy of the form messages equal
// to the server's.
func TestMessageCatalog(t *testing.T) {
	checkFile(t, messagesPath, indentJSON(t, i18n.Catalog("form.")))
}

// TestOpenAPISnapshot keeps the document the typed client is generated
// from equal to the server's fixed endpoints.
func TestOpenAPISnapshot(t *testing.T) {
	b, err := openapi.FixedJSON()
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, openapiPath, b)
}

// TestValidationFixture sends every case of the shared fixture to the
// real server in both languages and compares the field errors.
func TestValidationFixture(t *testing.T) {
	raw, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	var fx fixture
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&fx); err != nil {
		t.Fatal(err)
	}
	var got []fixtureCase
	var stored json.RawMessage
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		got, stored = runFixture(t, s, fx)
		if *update {
			return
		}
		if !jsonEqual(t, stored, fx.Stored) {
			t.Errorf("the stored schema changed:\n got %s\nwant %s\n(go test ./runtime/web -run TestValidationFixture -update)", stored, fx.Stored)
		}
		for i, c := range fx.Cases {
			if !reflect.DeepEqual(normal(c.Errors), normal(got[i].Errors)) {
				t.Errorf("case %q:\n got %s\nwant %s", c.Name, indentJSON(t, got[i].Errors), indentJSON(t, c.Errors))
			}
		}
	})
	if *update && got != nil {
		fx.Cases, fx.Stored = got, stored
		checkFile(t, fixturePath, indentJSON(t, fx))
	}
}

func normal(fes []fieldError) []fieldError {
	if len(fes) == 0 {
		return nil
	}
	return fes
}

func jsonEqual(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func runFixture(t *testing.T, s *store.Store, fx fixture) ([]fixtureCase, json.RawMessage) {
	t.Helper()
	ctx := context.Background()
	svc := server.NewServices(s)
	srv := httptest.NewServer(server.New(svc, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	if _, err := svc.Access.CreateUser(ctx, access.NewUser{Email: "fixture@example.com", Password: "fixture-password", IsAdmin: true}); err != nil {
		t.Fatal(err)
	}
	token, _, err := svc.Access.Login(ctx, "fixture@example.com", "fixture-password")
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, lang string, body any) (int, []byte) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Language", lang)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res.StatusCode, out
	}
	if st, b := call("POST", "/api/apps", "en", map[string]any{"key": fx.App, "label": map[string]string{"en": "Fixture"}}); st != 201 {
		t.Fatalf("create app: %d %s", st, b)
	}
	for _, m := range fx.Modules {
		if st, b := call("POST", "/api/apps/"+fx.App+"/modules", "en", m); st != 201 {
			t.Fatalf("create module: %d %s", st, b)
		}
	}
	st, b := call("GET", "/api/apps/"+fx.App+"/modules/"+fx.Module, "en", nil)
	var m struct{ Schema json.RawMessage }
	if err := json.Unmarshal(b, &m); st != 200 || err != nil {
		t.Fatalf("read module: %d %s", st, b)
	}
	out := make([]fixtureCase, len(fx.Cases))
	for i, c := range fx.Cases {
		out[i] = fixtureCase{Name: c.Name, Values: c.Values, Errors: []fieldError{}}
		for _, lang := range i18n.Locales {
			st, b := call("POST", "/api/apps/"+fx.App+"/modules/"+fx.Module+"/records", lang, c.Values)
			var p struct {
				Errors []struct{ Field, Code, Message string }
			}
			switch st {
			case 201:
				continue
			case 422:
				if err := json.Unmarshal(b, &p); err != nil {
					t.Fatal(err)
				}
			default:
				t.Fatalf("case %q: status %d %s", c.Name, st, b)
			}
			for j, e := range p.Errors {
				if lang == i18n.Locales[0] {
					out[i].Errors = append(out[i].Errors, fieldError{Field: e.Field, Code: e.Code, Message: map[string]string{}})
				}
				if j < len(out[i].Errors) {
					out[i].Errors[j].Message[lang] = e.Message
				}
			}
		}
	}
	return out, m.Schema
}
