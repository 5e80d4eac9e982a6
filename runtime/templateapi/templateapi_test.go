package templateapi_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/engine/template"
	"github.com/tessera-app/tessera/runtime/apitest"
	"github.com/tessera-app/tessera/runtime/templateapi"
)

var start = time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)

// post sends a zip as the body of an admin request.
func post(t *testing.T, e *apitest.Env, who, path string, zipped []byte, lang string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.URL+path, bytes.NewReader(zipped))
	req.Header.Set("Authorization", "Bearer "+e.Tokens[who])
	req.Header.Set("Content-Type", "application/zip")
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func read(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files, err := template.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func zipOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	b, err := templateapi.Zip(files)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// with returns files with one file replaced (nil: removed).
func with(files map[string][]byte, name string, b []byte) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range files {
		out[k] = v
	}
	if b == nil {
		delete(out, name)
	} else {
		out[name] = b
	}
	return out
}

const school = "../../examples/training-school"

func TestInstallExportRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		files := read(t, school)
		code, body := post(t, e, "admin", "/api/templates?sample_data=true", zipOf(t, files), "")
		if code != 201 || !strings.Contains(body, `"course":3`) || !strings.Contains(body, `"payment":2`) {
			t.Fatalf("install: %d %s", code, body)
		}
		// The app shows where it came from.
		app := e.Do(t, "admin", "GET", "/api/apps/training_school", nil).Want(t, 200)
		if app.Str("template.key") != "training-school" || app.Str("template.version") != "1.0.0" {
			t.Fatalf("app: %s", app.Body)
		}
		// Sample data went through the write path: lookups resolved by
		// natural key, the rollup and the formula computed.
		list := e.Do(t, "admin", "GET", "/api/apps/training_school/modules/enrolment/records?sort=title", nil).Want(t, 200)
		recs := list.List("records")
		if len(recs) != 3 {
			t.Fatalf("enrolments: %s", list.Body)
		}
		if got := fmt.Sprint(apitest.Lookup(recs[1], "balance")); !strings.HasPrefix(got, "3800") {
			t.Fatalf("BM-0002 balance = %v (%s)", got, list.Body)
		}
		if st := apitest.Lookup(recs[0], "status"); st != "applied" {
			t.Fatalf("initial state from the pipeline: %v", st)
		}
		// Export, install the export elsewhere, export again: identical.
		first := export(t, e, "training_school")
		code, body = post(t, e, "admin", "/api/templates?app=school_b", zipOf(t, first), "")
		if code != 201 {
			t.Fatalf("install export: %d %s", code, body)
		}
		second := export(t, e, "school_b")
		if len(first) != len(second) {
			t.Fatalf("files: %d vs %d", len(first), len(second))
		}
		for name, b := range first {
			if !bytes.Equal(b, second[name]) {
				t.Fatalf("%s differs:\n%s\n---\n%s", name, b, second[name])
			}
		}
		for _, want := range []string{"template.json", "modules/enrolment.json", "flows/enrolment_payment.json", "rules/payment_receipt.json", "roles/registrar.json"} {
			if first[want] == nil {
				t.Fatalf("export lacks %s", want)
			}
		}
		list2 := e.Do(t, "admin", "GET", "/api/templates", nil).Want(t, 200)
		if n := len(list2.List("templates")); n != 2 {
			t.Fatalf("installed: %s", list2.Body)
		}
		// A zip of the package's folder installs too, and an app built by
		// hand exports with a template.json of its own.
		folder := map[string][]byte{}
		for name, b := range first {
			folder["school/"+name] = b
		}
		if code, body := post(t, e, "admin", "/api/templates?app=school_c", zipOf(t, folder), ""); code != 201 {
			t.Fatalf("install a zipped folder: %d %s", code, body)
		}
		e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "handmade", "label": apitest.Label("Handmade")}).Want(t, 201)
		hand := export(t, e, "handmade")
		if !strings.Contains(string(hand["template.json"]), `"version": "0.1.0"`) || len(hand) != 1 {
			t.Fatalf("export of a hand-built app: %v", hand)
		}
		// Uninstall keeps the app and its data; purge removes them.
		e.Do(t, "admin", "DELETE", "/api/templates/school_b", nil).Want(t, 204)
		e.Do(t, "admin", "GET", "/api/apps/school_b/modules/course", nil).Want(t, 200)
		if a := e.Do(t, "admin", "GET", "/api/apps/school_b", nil).Want(t, 200); a.Get("template") != nil {
			t.Fatalf("still tied to the template: %s", a.Body)
		}
		e.Do(t, "admin", "GET", "/api/templates/school_b", nil).Want(t, 404)
		e.Do(t, "admin", "DELETE", "/api/templates/training_school?purge=true", nil).Want(t, 204)
		e.Do(t, "admin", "GET", "/api/apps/training_school", nil).Want(t, 404)
		// Roles lose the purged app's permissions (school_b's stay).
		role := e.Do(t, "admin", "GET", "/api/roles/registrar", nil).Want(t, 200)
		if strings.Contains(string(role.Body), `"training_school"`) || !strings.Contains(string(role.Body), `"school_b"`) {
			t.Fatalf("role after purge: %s", role.Body)
		}
		// Only administrators.
		e.User(t, "clerk", access.NewUser{})
		if code, _ := post(t, e, "clerk", "/api/templates", zipOf(t, files), ""); code != 403 {
			t.Fatalf("clerk install: %d", code)
		}
	})
}

func export(t *testing.T, e *apitest.Env, app string) map[string][]byte {
	t.Helper()
	r := e.Do(t, "admin", "GET", "/api/templates/"+app+"/export", nil).Want(t, 200)
	zr, err := zip.NewReader(bytes.NewReader(r.Body), int64(len(r.Body)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = b
	}
	return out
}

// TestBadPackages: each bad package is refused with a precise error
// naming its file, in the reader's language, and leaves nothing behind.
func TestBadPackages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		good := read(t, school)
		manifest := string(good["template.json"])
		rule := string(good["rules/payment_receipt.json"])
		cases := []struct {
			name   string
			zipped []byte
			status int
			want   []string // in the English answer
			zh     string   // in the Chinese answer
		}{
			{"dangling reference", zipOf(t, with(good, "rules/payment_receipt.json", []byte(strings.Replace(rule, `"module": "payment"`, `"module": "invoice"`, 1)))),
				422, []string{"rules/payment_receipt.json#/module", `module \"invoice\"`}, "模板包中没有该模块"},
			{"not semver", zipOf(t, with(good, "template.json", []byte(strings.Replace(manifest, `"1.0.0"`, `"1.0"`, 1)))),
				422, []string{"template.json#/version", "not a semantic version"}, "不是语义化版本"},
			{"requires unmet", zipOf(t, with(good, "template.json", []byte(strings.Replace(manifest, `">=0.11.0 <1.0.0"`, `">=2.0.0"`, 1)))),
				422, []string{"template.json#/requires", "this is Tessera " + template.TesseraVersion}, "该模板需要 Tessera"},
			{"zip slip", rawZip(t, map[string]string{"template.json": manifest, "../evil.json": "{}"}),
				400, []string{`\"../evil.json\" points outside the package`}, "指向模板包之外"},
			{"absolute path", rawZip(t, map[string]string{"template.json": manifest, "/etc/cron.d/x": "{}"}),
				400, []string{`\"/etc/cron.d/x\" points outside`}, "指向模板包之外"},
			{"zip bomb", bomb(t, manifest), 413, []string{"unpacks to more than", "zip bomb"}, "压缩炸弹"},
			{"depends unmet", zipOf(t, with(good, "template.json", []byte(strings.Replace(manifest, `"requires"`, `"depends": {"crm-base": "^1.2"}, "requires"`, 1)))),
				422, []string{"template.json#/depends/crm-base", `needs template \"crm-base\" ^1.2 installed first`}, "需要先安装模板"},
			{"unknown file", zipOf(t, with(good, "scripts/run.sh", []byte("rm -rf /"))), 422, []string{"scripts/run.sh", "not part of the package format"}, "不属于模板包格式"},
			{"service check", zipOf(t, with(good, "modules/lesson.json", []byte(strings.Replace(string(good["modules/lesson.json"]), `"type": "datetime"`, `"type": "when"`, 1)))),
				422, []string{"modules/lesson.json#/schema/properties/starts_at"}, "modules/lesson.json"},
			{"bad sample row", zipOf(t, with(good, "data/payment.csv", []byte("receipt,enrolment,amount\nSJ-9,BM-0404,10\n"))),
				422, []string{"data/payment.csv#/2/enrolment", `named \"BM-0404\"`}, "BM-0404"},
		}
		for _, tc := range cases {
			code, body := post(t, e, "admin", "/api/templates?sample_data=true", tc.zipped, "en")
			if code != tc.status {
				t.Fatalf("%s: %d %s", tc.name, code, body)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Fatalf("%s: %q not in %s", tc.name, w, body)
				}
			}
			if _, zh := post(t, e, "admin", "/api/templates?sample_data=true", tc.zipped, "zh-CN"); !strings.Contains(zh, tc.zh) {
				t.Fatalf("%s (zh-CN): %q not in %s", tc.name, tc.zh, zh)
			}
			// Nothing half-installed: no app, no role, no template row.
			e.Do(t, "admin", "GET", "/api/apps/training_school", nil).Want(t, 404)
			e.Do(t, "admin", "GET", "/api/roles/registrar", nil).Want(t, 404)
			if n := len(e.Do(t, "admin", "GET", "/api/templates", nil).Want(t, 200).List("templates")); n != 0 {
				t.Fatalf("%s: %d installed", tc.name, n)
			}
		}
		// The same check through lint.
		if code, body := post(t, e, "admin", "/api/templates/lint", cases[0].zipped, "en"); code != 422 || !strings.Contains(body, "rules/payment_receipt.json#/module") {
			t.Fatalf("lint: %d %s", code, body)
		}
		if code, body := post(t, e, "admin", "/api/templates/lint?sample_data=true", zipOf(t, good), "en"); code != 200 {
			t.Fatalf("lint good: %d %s", code, body)
		}
		// An install into an app key that exists.
		if code, body := post(t, e, "admin", "/api/templates", zipOf(t, good), "en"); code != 201 {
			t.Fatalf("install: %d %s", code, body)
		}
		code, body := post(t, e, "admin", "/api/templates", zipOf(t, good), "en")
		if code != 409 || !strings.Contains(body, `App \"training_school\" exists already`) {
			t.Fatalf("install twice: %d %s", code, body)
		}
	})
}

func rawZip(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, text := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, text)
	}
	zw.Close()
	return buf.Bytes()
}

// bomb is a small zip whose one data file unpacks to far more than a
// package may hold.
func bomb(t *testing.T, manifest string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("template.json")
	io.WriteString(w, manifest)
	w, _ = zw.Create("data/course.csv")
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	for i := 0; i < (template.MaxTotal>>20)+8; i++ {
		w.Write(chunk)
	}
	zw.Close()
	if buf.Len() > 1<<20 {
		t.Fatalf("bomb is %d bytes", buf.Len())
	}
	return buf.Bytes()
}
