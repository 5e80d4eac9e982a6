package ruleapi_test

// The rule engine through the real HTTP stack, once per dialect. Jobs run
// synchronously (Runner.RunDue) under a clock the test moves, so schedules
// and date-relative triggers are exact.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/rule"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/server"
)

const password = "correct-horse-battery"

type env struct {
	s     *store.Store
	svc   *server.Services
	url   string
	token string
	now   time.Time
	mu    sync.Mutex
}

// clock is the test's time, shared by the store, the rule engine and the
// job runner.
func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

func (e *env) set(at time.Time) {
	e.mu.Lock()
	e.now = at
	e.mu.Unlock()
}

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := &env{s: s, now: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)} // a Monday
		s.Now = e.clock
		log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
		e.svc = server.NewServices(s)
		e.svc.Jobs.Now = e.clock
		e.svc.Rules.Now = e.clock
		srv := httptest.NewServer(server.New(e.svc, log))
		t.Cleanup(srv.Close)
		e.url = srv.URL
		if _, err := e.svc.Access.CreateUser(context.Background(), access.NewUser{Email: "admin@example.com", Password: password, IsAdmin: true}); err != nil {
			t.Fatal(err)
		}
		e.token = e.do(t, "POST", "/api/auth/login", map[string]string{"email": "admin@example.com", "password": password}).want(t, 200).str("token")
		e.crm(t)
		fn(t, e)
	})
}

type response struct {
	status int
	body   []byte
	doc    map[string]any
}

func (r *response) str(k string) string { s, _ := r.doc[k].(string); return s }

func (r *response) want(t *testing.T, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

func (e *env) do(t *testing.T, method, path string, body any) *response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "en")
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	r := &response{status: res.StatusCode}
	r.body, _ = io.ReadAll(res.Body)
	json.Unmarshal(r.body, &r.doc)
	return r
}

func label(s string) map[string]string { return map[string]string{"en": s, "zh-CN": s} }

// crm makes the modules the rules work on: leads, tasks and contracts.
func (e *env) crm(t *testing.T) {
	e.do(t, "POST", "/api/apps", map[string]any{"key": "crm", "label": label("CRM")}).want(t, 201)
	mod := func(key, props string, required ...string) {
		req, _ := json.Marshal(append([]string{}, required...))
		var schema map[string]any
		if err := json.Unmarshal([]byte(`{"properties":{`+props+`},"required":`+string(req)+`}`), &schema); err != nil {
			t.Fatal(err)
		}
		e.do(t, "POST", "/api/apps/crm/modules", map[string]any{"key": key, "label": label(key), "schema": schema}).want(t, 201)
	}
	mod("lead", `"name":{"x-field":{"type":"text"}},"amount":{"x-field":{"type":"number"}},
		"status":{"x-field":{"type":"select","options":[{"value":"new"},{"value":"hot"},{"value":"lost"}]}},
		"code":{"x-field":{"type":"text"}},"hits":{"x-field":{"type":"integer"}}`, "name")
	mod("task", `"title":{"x-field":{"type":"text"}},"due":{"x-field":{"type":"datetime"}},
		"lead":{"x-field":{"type":"lookup","module":"lead"}}`, "title")
	mod("contract", `"name":{"x-field":{"type":"text"}},"end_date":{"x-field":{"type":"date"}},"amount":{"x-field":{"type":"number"}}`)
}

func (e *env) rule(t *testing.T, r map[string]any) {
	t.Helper()
	e.do(t, "POST", "/api/apps/crm/rules", r).want(t, 201)
}

func (e *env) create(t *testing.T, module string, v map[string]any) map[string]any {
	t.Helper()
	return e.do(t, "POST", "/api/apps/crm/modules/"+module+"/records", v).want(t, 201).doc
}

func (e *env) list(t *testing.T, module, filter string) []any {
	t.Helper()
	r := e.do(t, "GET", "/api/apps/crm/modules/"+module+"/records?limit=500&filter="+urlq(filter), nil).want(t, 200)
	recs, _ := r.doc["records"].([]any)
	return recs
}

func urlq(s string) string {
	r := strings.NewReplacer(" ", "%20", "\"", "%22", "&", "%26", "=", "%3D", ">", "%3E", "<", "%3C", "+", "%2B")
	return r.Replace(s)
}

// runJobs runs every due job, as the background runner would.
func (e *env) runJobs(t *testing.T) int {
	t.Helper()
	n, err := e.svc.Jobs.RunDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e.svc.Rules.Flush()
	return n
}

func (e *env) runs(t *testing.T, key string) []map[string]any {
	t.Helper()
	r := e.do(t, "GET", "/api/apps/crm/rules/"+key+"/runs", nil).want(t, 200)
	var out []map[string]any
	for _, x := range r.doc["runs"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

func TestBeforeSaveSetAndReject(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.rule(t, map[string]any{"key": "hot_lead", "label": label("Hot"), "module": "lead", "before_save": true,
			"trigger": map[string]any{"type": "created"}, "condition": "amount > 1000",
			"actions": []any{map[string]any{"type": "set", "values": map[string]string{"status": `"hot"`, "code": `upper(name)`}}}})
		e.rule(t, map[string]any{"key": "no_negative", "label": label("No negative"), "module": "lead", "before_save": true,
			"trigger": map[string]any{"type": "saved"}, "condition": "amount != nil && amount < 0",
			"actions": []any{map[string]any{"type": "reject", "message": map[string]string{"en": "Amount {amount} must not be negative", "zh-CN": "金额 {amount} 不能为负"}}}})

		big := e.create(t, "lead", map[string]any{"name": "acme", "amount": 5000})
		if big["status"] != "hot" || big["code"] != "ACME" {
			t.Errorf("before-save set did not apply: %v", big)
		}
		small := e.create(t, "lead", map[string]any{"name": "tiny", "amount": 10})
		if small["status"] != nil {
			t.Errorf("condition false, yet status = %v", small["status"])
		}
		r := e.do(t, "POST", "/api/apps/crm/modules/lead/records", map[string]any{"name": "bad", "amount": -5}).want(t, 422)
		if !strings.Contains(string(r.body), "Amount -5 must not be negative") {
			t.Errorf("rejection message: %s", r.body)
		}
		if n := len(e.list(t, "lead", "")); n != 2 {
			t.Errorf("a rejected write left data: %d leads", n)
		}
		// Updates are checked too ("saved").
		e.do(t, "PATCH", "/api/apps/crm/modules/lead/records/"+small["id"].(string), map[string]any{"version": 1, "amount": -1}).want(t, 422)
	})
}

func TestCreateTaskAfterSaveExactlyOnce(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.rule(t, map[string]any{"key": "follow_up", "label": label("Follow up"), "module": "lead",
			"trigger": map[string]any{"type": "created"},
			"actions": []any{map[string]any{"type": "task", "module": "task",
				"values": map[string]string{"title": `concat("Follow up ", name)`, "due": `addHours(now, 1)`, "lead": `id`}}}})
		lead := e.create(t, "lead", map[string]any{"name": "Acme"})
		if n := len(e.list(t, "task", "")); n != 0 {
			t.Fatalf("the task must come from the job after commit, found %d before", n)
		}
		if n := e.runJobs(t); n != 1 {
			t.Errorf("ran %d jobs, want 1", n)
		}
		e.runJobs(t)
		tasks := e.list(t, "task", "")
		if len(tasks) != 1 {
			t.Fatalf("tasks = %d, want exactly 1", len(tasks))
		}
		task := tasks[0].(map[string]any)
		if task["title"] != "Follow up Acme" || task["lead"] != lead["id"] || task["due"] != "2026-03-02T09:00:00Z" {
			t.Errorf("task = %v", task)
		}
		runs := e.runs(t, "follow_up")
		if len(runs) != 1 || runs[0]["outcome"] != "ok" || runs[0]["record_id"] != lead["id"] {
			t.Errorf("runs = %v", runs)
		}
	})
}

func TestFieldChangedFromTo(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.rule(t, map[string]any{"key": "went_hot", "label": label("Went hot"), "module": "lead",
			"trigger": map[string]any{"type": "field_changed", "field": "status", "from": "new", "to": "hot"},
			"actions": []any{map[string]any{"type": "set", "values": map[string]string{"code": `"HOT-" + name`}}}})
		lead := e.create(t, "lead", map[string]any{"name": "a", "status": "new"})
		id := lead["id"].(string)
		e.do(t, "PATCH", "/api/apps/crm/modules/lead/records/"+id, map[string]any{"version": 1, "status": "lost"}).want(t, 200)
		e.runJobs(t)
		if r := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+id, nil).want(t, 200); r.doc["code"] != nil {
			t.Errorf("new→lost must not fire: %v", r.doc)
		}
		e.do(t, "PATCH", "/api/apps/crm/modules/lead/records/"+id, map[string]any{"version": 2, "status": "new"}).want(t, 200)
		e.do(t, "PATCH", "/api/apps/crm/modules/lead/records/"+id, map[string]any{"version": 3, "status": "hot"}).want(t, 200)
		e.runJobs(t)
		r := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+id, nil).want(t, 200)
		if r.doc["code"] != "HOT-a" {
			t.Errorf("new→hot must fire: %v", r.doc)
		}
		// The rule's write is in the record's history as a rule's.
		h := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+id+"/history", nil).want(t, 200)
		if !strings.Contains(string(h.body), `"via":"rule"`) {
			t.Errorf("history lacks the rule's write: %s", h.body)
		}
	})
}

func TestInvalidActionValueFailsAndIsLogged(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.rule(t, map[string]any{"key": "broken", "label": label("Broken"), "module": "lead",
			"trigger": map[string]any{"type": "created"},
			"actions": []any{map[string]any{"type": "set", "values": map[string]string{"status": `"no-such-option"`}}}})
		lead := e.create(t, "lead", map[string]any{"name": "kept", "status": "new"})
		e.runJobs(t)
		r := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+lead["id"].(string), nil).want(t, 200)
		if r.doc["status"] != "new" || r.doc["version"].(float64) != 1 {
			t.Errorf("the triggering record was changed: %v", r.doc)
		}
		runs := e.runs(t, "broken")
		if len(runs) == 0 || runs[0]["outcome"] != "failed" || !strings.Contains(fmt.Sprint(runs[0]["error"]), "status") {
			t.Errorf("failed run not logged with its error: %v", runs)
		}
	})
}

func TestSelfTriggeringRuleStopsAtDepthLimit(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.rule(t, map[string]any{"key": "loop", "label": label("Loop"), "module": "lead",
			"trigger": map[string]any{"type": "saved"},
			"actions": []any{map[string]any{"type": "set", "values": map[string]string{"hits": `coalesce(hits, 0) + 1`}}}})
		lead := e.create(t, "lead", map[string]any{"name": "loop"})
		for i := 0; i < 20 && e.runJobs(t) > 0; i++ {
		}
		r := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+lead["id"].(string), nil).want(t, 200)
		if hits := r.doc["hits"].(float64); int(hits) != rule.MaxDepth {
			t.Errorf("hits = %v, want the depth limit %d", hits, rule.MaxDepth)
		}
		found := false
		for _, run := range e.runs(t, "loop") {
			found = found || strings.Contains(fmt.Sprint(run["error"]), "depth limit")
		}
		if !found {
			t.Error("the stopped chain is not logged")
		}
	})
}

func TestWebhookSignedRetriedAndBounded(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		var calls atomic.Int32
		var mu sync.Mutex
		var got []byte
		var sig string
		target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := calls.Add(1)
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			got, sig = body, r.Header.Get("X-Tessera-Signature")
			mu.Unlock()
			if n == 1 {
				http.Error(w, "down", http.StatusInternalServerError)
			}
		}))
		defer target.Close()
		e.rule(t, map[string]any{"key": "hook", "label": label("Hook"), "module": "lead",
			"trigger": map[string]any{"type": "created"},
			"actions": []any{map[string]any{"type": "webhook", "url": target.URL, "secret": "s3cret"}}})
		e.create(t, "lead", map[string]any{"name": "webhooked"})
		e.runJobs(t) // the rule, which queues the delivery
		e.runJobs(t) // first delivery: 500
		if calls.Load() != 1 {
			t.Fatalf("calls = %d, want 1", calls.Load())
		}
		e.runJobs(t) // not yet due: backoff
		if calls.Load() != 1 {
			t.Errorf("retried without backoff")
		}
		e.advance(10 * time.Minute)
		e.runJobs(t)
		if calls.Load() != 2 {
			t.Fatalf("calls = %d after backoff, want 2", calls.Load())
		}
		mu.Lock()
		defer mu.Unlock()
		parts := strings.Split(sig, ",")
		if len(parts) != 2 || !strings.HasPrefix(parts[0], "t=") {
			t.Fatalf("signature header %q", sig)
		}
		mac := hmac.New(sha256.New, []byte("s3cret"))
		mac.Write([]byte(strings.TrimPrefix(parts[0], "t=") + "."))
		mac.Write(got)
		if want := "v1=" + hex.EncodeToString(mac.Sum(nil)); parts[1] != want {
			t.Errorf("signature %s, want %s", parts[1], want)
		}
		if !strings.Contains(string(got), "webhooked") {
			t.Errorf("body %s", got)
		}
	})
}

func TestWebhookTargetThatHangs(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		old := rule.WebhookTimeout
		rule.SetWebhookTimeout(200 * time.Millisecond)
		defer rule.SetWebhookTimeout(old)
		release := make(chan struct{})
		target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
		defer target.Close()
		defer close(release)
		e.rule(t, map[string]any{"key": "slow", "label": label("Slow"), "module": "lead",
			"trigger": map[string]any{"type": "created"},
			"actions": []any{map[string]any{"type": "webhook", "url": target.URL}}})
		e.create(t, "lead", map[string]any{"name": "x"})
		start := time.Now()
		e.runJobs(t)
		e.runJobs(t)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("a hanging target held the runner %v", d)
		}
		// Writes go on meanwhile.
		e.create(t, "lead", map[string]any{"name": "still works"})
	})
}

func TestDateRelativeReplannedAndSurvivesRestart(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.rule(t, map[string]any{"key": "renewal", "label": label("Renewal"), "module": "contract",
			"trigger": map[string]any{"type": "date_relative", "field": "end_date", "offset": "-60d"},
			"actions": []any{map[string]any{"type": "task", "module": "task", "values": map[string]string{"title": `concat("Renew ", name)`}}}})
		c := e.create(t, "contract", map[string]any{"name": "big", "end_date": "2026-06-30"}) // due 2026-05-01
		e.runJobs(t)
		if n := len(e.list(t, "task", "")); n != 0 {
			t.Fatalf("fired early: %d tasks", n)
		}
		// Moving the date re-plans: due 2026-06-01 now.
		e.do(t, "PATCH", "/api/apps/crm/modules/contract/records/"+c["id"].(string), map[string]any{"version": 1, "end_date": "2026-07-31"}).want(t, 200)
		e.set(time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC))
		e.runJobs(t)
		if n := len(e.list(t, "task", "")); n != 0 {
			t.Fatalf("fired on the old date: %d tasks", n)
		}
		// A new engine over the same database (a restart) still fires it.
		restarted := server.NewServices(e.s)
		restarted.Jobs.Now = e.clock
		restarted.Rules.Now = e.clock
		e.advance(31 * 24 * time.Hour) // 2026-06-02
		if _, err := restarted.Jobs.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		tasks := e.list(t, "task", "")
		if len(tasks) != 1 || tasks[0].(map[string]any)["title"] != "Renew big" {
			t.Errorf("tasks = %v", tasks)
		}
	})
}

func TestScheduleRunsOnCronForMatchingRecords(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.create(t, "lead", map[string]any{"name": "big", "amount": 500})
		e.create(t, "lead", map[string]any{"name": "small", "amount": 5})
		e.rule(t, map[string]any{"key": "daily", "label": label("Daily"), "module": "lead",
			"trigger": map[string]any{"type": "schedule", "cron": "0 9 * * *"}, "condition": "amount > 100",
			"actions": []any{map[string]any{"type": "task", "module": "task", "values": map[string]string{"title": `concat("Call ", name)`}}}})
		e.runJobs(t) // 08:00: not yet
		if n := len(e.list(t, "task", "")); n != 0 {
			t.Fatalf("ran before 09:00: %d", n)
		}
		e.advance(time.Hour)
		e.runJobs(t) // the schedule fires and queues one run per matching record
		e.runJobs(t)
		tasks := e.list(t, "task", "")
		if len(tasks) != 1 || tasks[0].(map[string]any)["title"] != "Call big" {
			t.Fatalf("tasks = %v", tasks)
		}
		e.advance(24 * time.Hour) // the next day, again
		e.runJobs(t)
		e.runJobs(t)
		if n := len(e.list(t, "task", "")); n != 2 {
			t.Errorf("second day: %d tasks, want 2", n)
		}
	})
}

func TestRuleValidationAndManagement(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		bad := func(name string, r map[string]any, field string) {
			t.Helper()
			base := map[string]any{"key": "r", "label": label("R"), "module": "lead", "trigger": map[string]any{"type": "created"},
				"actions": []any{map[string]any{"type": "set", "values": map[string]string{"code": `"x"`}}}}
			for k, v := range r {
				base[k] = v
			}
			res := e.do(t, "POST", "/api/apps/crm/rules", base).want(t, 422)
			if !strings.Contains(string(res.body), `"field":"`+field) {
				t.Errorf("%s: want an error on %s, got %s", name, field, res.body)
			}
		}
		bad("bad cron", map[string]any{"trigger": map[string]any{"type": "schedule", "cron": "every day at nine"}}, "trigger.cron")
		bad("unknown trigger", map[string]any{"trigger": map[string]any{"type": "sometimes"}}, "trigger.type")
		bad("bad condition", map[string]any{"condition": "amount >"}, "condition")
		bad("unknown field", map[string]any{"actions": []any{map[string]any{"type": "set", "values": map[string]string{"nope": "1"}}}}, "actions[0].values.nope")
		bad("unknown action", map[string]any{"actions": []any{map[string]any{"type": "explode"}}}, "actions[0].type")
		bad("reject after save", map[string]any{"actions": []any{map[string]any{"type": "reject", "message": label("no")}}}, "actions[0].type")
		bad("bad offset", map[string]any{"trigger": map[string]any{"type": "date_relative", "field": "name", "offset": "soon"}}, "trigger.offset")

		e.rule(t, map[string]any{"key": "tag", "label": label("Tag"), "module": "lead", "trigger": map[string]any{"type": "created"},
			"actions": []any{map[string]any{"type": "set", "values": map[string]string{"code": `"T-" + name`}}}})
		e.do(t, "POST", "/api/apps/crm/rules", map[string]any{"key": "tag", "label": label("Tag"), "module": "lead",
			"trigger": map[string]any{"type": "created"}, "actions": []any{map[string]any{"type": "set", "values": map[string]string{"code": `"x"`}}}}).want(t, 409)

		// Dry run: what it would do, without doing it.
		lead := e.create(t, "lead", map[string]any{"name": "dry"})
		e.do(t, "DELETE", "/api/apps/crm/rules/tag", nil) // keep the job from running below
		e.rule(t, map[string]any{"key": "tag2", "label": label("Tag"), "module": "lead", "trigger": map[string]any{"type": "created"},
			"actions": []any{map[string]any{"type": "set", "values": map[string]string{"code": `"T-" + name`}}}})
		r := e.do(t, "POST", "/api/apps/crm/rules/tag2/dry-run", map[string]any{"record": lead["id"]}).want(t, 200)
		if r.doc["applies"] != true || !strings.Contains(string(r.body), `T-dry`) {
			t.Errorf("dry run: %s", r.body)
		}
		if got := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+lead["id"].(string), nil).want(t, 200); got.doc["code"] != nil {
			t.Errorf("a dry run wrote: %v", got.doc)
		}
		// Disabled rules do nothing.
		e.do(t, "PATCH", "/api/apps/crm/rules/tag2", map[string]any{"enabled": false}).want(t, 200)
		off := e.create(t, "lead", map[string]any{"name": "off"})
		e.runJobs(t)
		if got := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+off["id"].(string), nil).want(t, 200); got.doc["code"] != nil {
			t.Errorf("a disabled rule ran: %v", got.doc)
		}
		list := e.do(t, "GET", "/api/apps/crm/rules", nil).want(t, 200)
		if !strings.Contains(string(list.body), `"tag2"`) {
			t.Errorf("list: %s", list.body)
		}
	})
}
