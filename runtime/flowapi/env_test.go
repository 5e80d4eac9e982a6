package flowapi_test

// The stage pipelines through the real HTTP stack, once per dialect
// (storetest.Each). Jobs run synchronously (Runner.RunDue) under a clock
// the test moves, so times in stages are exact.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/server"
)

const password = "correct-horse-battery"

type env struct {
	s      *store.Store
	svc    *server.Services
	url    string
	tokens map[string]string // admin, rep, boss, other → session token
	ids    map[string]string
	now    time.Time
	mu     sync.Mutex
}

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

// each runs fn on a fresh server per dialect with the CRM of crm() and
// the users admin; rep (role sales: deals and tasks, own records); boss
// (roles sales and manager: every record); other (sales, own records).
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := &env{s: s, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), tokens: map[string]string{}, ids: map[string]string{}}
		s.Now = e.clock
		log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
		e.svc = server.NewServices(s)
		e.svc.Jobs.Now = e.clock
		e.svc.Rules.Now = e.clock
		srv := httptest.NewServer(server.New(e.svc, log))
		t.Cleanup(srv.Close)
		e.url = srv.URL
		u, err := e.svc.Access.CreateUser(context.Background(), access.NewUser{Email: "admin@example.com", Password: password, Name: "Admin", IsAdmin: true})
		if err != nil {
			t.Fatal(err)
		}
		e.ids["admin"] = u.ID
		e.tokens["admin"] = e.login(t, "admin@example.com")
		e.crm(t)
		fn(t, e)
	})
}

func (e *env) login(t *testing.T, email string) string {
	t.Helper()
	return e.do(t, "", "POST", "/api/auth/login", map[string]string{"email": email, "password": password}).want(t, 200).str("token")
}

type response struct {
	status int
	body   []byte
	doc    any
}

func (r *response) want(t testing.TB, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

// get returns the JSON value at a dotted path ("columns.0.count"; "#" is
// a length).
func (r *response) get(path string) any {
	cur := r.doc
	if path == "" {
		return cur
	}
	for _, seg := range strings.Split(path, ".") {
		if seg == "#" {
			switch x := cur.(type) {
			case []any:
				return float64(len(x))
			case map[string]any:
				return float64(len(x))
			}
			return nil
		}
		switch x := cur.(type) {
		case map[string]any:
			cur = x[seg]
		case []any:
			var i int
			if _, err := fmt.Sscan(seg, &i); err != nil || i < 0 || i >= len(x) {
				return nil
			}
			cur = x[i]
		default:
			return nil
		}
	}
	return cur
}

func (r *response) str(path string) string { s, _ := r.get(path).(string); return s }
func (r *response) num(path string) float64 {
	n, _ := r.get(path).(float64)
	return n
}
func (r *response) list(path string) []any { l, _ := r.get(path).([]any); return l }

// fieldCodes maps each field error of a problem document to its code.
func (r *response) fieldCodes() map[string]string {
	out := map[string]string{}
	for _, fe := range r.list("errors") {
		m := fe.(map[string]any)
		out[m["field"].(string)] = m["code"].(string)
	}
	return out
}

func (e *env) do(t testing.TB, who, method, path string, body any) *response {
	t.Helper()
	return e.doIn(t, "en", who, method, path, body)
}

// doIn is do with Accept-Language lang.
func (e *env) doIn(t testing.TB, lang, who, method, path string, body any) *response {
	t.Helper()
	r, err := e.tryIn(lang, who, method, path, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// try is do for goroutines other than the test's.
func (e *env) try(who, method, path string, body any) (*response, error) {
	return e.tryIn("en", who, method, path, body)
}

func (e *env) tryIn(lang, who, method, path string, body any) (*response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", lang)
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[who])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	r := &response{status: res.StatusCode}
	r.body, _ = io.ReadAll(res.Body)
	json.Unmarshal(r.body, &r.doc)
	return r, nil
}

func label(en, zh string) map[string]string { return map[string]string{"en": en, "zh-CN": zh} }

const (
	deals = "/api/apps/crm/modules/deal/records"
	flows = "/api/apps/crm/flows"
)

func dealPath(id string) string { return deals + "/" + id }

// stageOptions are the options of deal.stage, one per state of pipeline().
const stageOptions = `[{"value":"lead"},{"value":"qualified"},{"value":"proposal"},{"value":"negotiation"},{"value":"won"},{"value":"lost"}]`

// dealProps are deal's fields; open_tasks (a rollup over tasks) is added
// once the task module exists.
func dealProps(extra string) string {
	return `"name":{"x-field":{"type":"text"}},
		"amount":{"minimum":0,"x-field":{"type":"currency"}},
		"stage":{"x-field":{"type":"select","options":` + stageOptions + `}},
		"close_on":{"x-field":{"type":"date"}},
		"contract_no":{"x-field":{"type":"text"}},
		"lost_reason":{"x-field":{"type":"text"}},
		"margin":{"x-field":{"type":"number"}},
		"won_note":{"x-field":{"type":"text"}},
		"account":{"x-field":{"type":"lookup","module":"account"}}` + extra
}

const openTasks = `,"open_tasks":{"x-field":{"type":"rollup","module":"task","via":"deal","op":"count","filter":"done == false"}}`

func schema(t testing.TB, props string, required ...string) map[string]any {
	t.Helper()
	req, _ := json.Marshal(append([]string{}, required...))
	var out map[string]any
	if err := json.Unmarshal([]byte(`{"properties":{`+props+`},"required":`+string(req)+`}`), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// crm makes the app, deal and task (a deal's open tasks are a rollup on
// it), the roles and the users.
func (e *env) crm(t *testing.T) {
	t.Helper()
	e.do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": label("CRM", "客户管理")}).want(t, 201)
	e.do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "account", "label": label("Account", "客户"),
		"schema": schema(t, `"name":{"x-field":{"type":"text"}},
			"tier":{"x-field":{"type":"select","options":[{"value":"gold"},{"value":"silver"}]}}`, "name")}).want(t, 201)
	e.do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "deal", "label": label("Deal", "商机"),
		"schema": schema(t, dealProps(""), "name")}).want(t, 201)
	e.do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "task", "label": label("Task", "任务"),
		"schema": schema(t, `"title":{"x-field":{"type":"text"}},"done":{"x-field":{"type":"boolean"}},
			"deal":{"x-field":{"type":"lookup","module":"deal"}}`, "title")}).want(t, 201)
	e.do(t, "admin", "PUT", "/api/apps/crm/modules/deal", map[string]any{"label": label("Deal", "商机"),
		"schema": schema(t, dealProps(openTasks), "name")}).want(t, 200)
	perm := func(module string, scope string, fields map[string]string) map[string]any {
		p := map[string]any{"app": "crm", "module": module, "actions": []string{"create", "read", "update", "delete"},
			"scope": map[string]string{"read": scope, "update": scope, "delete": scope}}
		if fields != nil {
			p["fields"] = fields
		}
		return p
	}
	e.do(t, "admin", "POST", "/api/roles", map[string]any{"key": "sales", "label": label("Sales", "销售"),
		"permissions": []any{perm("deal", "own", map[string]string{"margin": "hidden"}), perm("task", "own", nil), perm("account", "all", nil)}}).want(t, 201)
	e.do(t, "admin", "POST", "/api/roles", map[string]any{"key": "manager", "label": label("Manager", "经理"),
		"permissions": []any{perm("deal", "all", nil), perm("task", "all", nil)}}).want(t, 201)
	for who, roles := range map[string][]string{"rep": {"sales"}, "boss": {"sales", "manager"}, "other": {"sales"}} {
		r := e.do(t, "admin", "POST", "/api/users", map[string]any{"email": who + "@example.com", "password": password,
			"name": who, "roles": roles}).want(t, 201)
		e.ids[who] = r.str("id")
		e.tokens[who] = e.login(t, who+"@example.com")
	}
}

// pipeline is the deal pipeline of the tests:
//
//	lead → qualified → proposal (needs amount; guard: a close date)
//	     → negotiation (managers only) → won (needs contract_no; guard: no
//	       open tasks; on entry a kick-off task is created)
//	* → lost (reason in lost_reason); lost → lead (reopen)
func pipeline() map[string]any {
	st := func(key, en, zh string, p float64, kind string, required ...string) map[string]any {
		s := map[string]any{"key": key, "label": label(en, zh), "probability": p, "kind": kind, "color": "blue"}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	}
	tr := func(key, en string, from any, to string) map[string]any {
		return map[string]any{"key": key, "label": label(en, en), "from": from, "to": to}
	}
	propose := tr("propose", "Propose", []string{"qualified"}, "proposal")
	propose["guard"] = "close_on != nil"
	propose["message"] = label("Set the expected close date first", "请先填写预计成交日期")
	negotiate := tr("negotiate", "Negotiate", []string{"proposal"}, "negotiation")
	negotiate["roles"] = []string{"manager"}
	win := tr("win", "Win", []string{"negotiation"}, "won")
	win["guard"] = "open_tasks == 0"
	win["message"] = label("Close all open tasks first", "请先完成所有未完成任务")
	win["actions"] = []any{map[string]any{"type": "task", "module": "task",
		"values": map[string]string{"title": `concat("Kick-off: ", name)`, "deal": "id", "done": "false"}}}
	lose := tr("lose", "Lose", "*", "lost")
	lose["reason_required"] = "lost_reason"
	return map[string]any{"key": "pipeline", "label": label("Sales pipeline", "销售漏斗"), "module": "deal", "field": "stage",
		"states": []any{
			st("lead", "Lead", "初步接洽", 10, "open"),
			st("qualified", "Qualified", "需求分析", 20, "open"),
			st("proposal", "Proposal", "方案报价", 50, "open", "amount"),
			st("negotiation", "Negotiation", "商务谈判", 70, "open"),
			st("won", "Won", "赢单", 100, "won", "contract_no"),
			st("lost", "Lost", "输单", 0, "lost"),
		},
		"transitions": []any{
			tr("qualify", "Qualify", []string{"lead"}, "qualified"), propose, negotiate, win, lose,
			tr("reopen", "Reopen", []string{"lost"}, "lead"),
		}}
}

func (e *env) pipeline(t *testing.T) {
	t.Helper()
	e.do(t, "admin", "POST", flows, pipeline()).want(t, 201)
}

// deal creates a deal as who.
func (e *env) deal(t *testing.T, who string, vals map[string]any) *response {
	t.Helper()
	return e.do(t, who, "POST", deals, vals).want(t, 201)
}

// fire fires transition key on deal id at its current version as who.
func (e *env) fire(t *testing.T, who, id, key string, values map[string]any) *response {
	t.Helper()
	v := e.do(t, "admin", "GET", dealPath(id), nil).want(t, 200).num("version")
	body := map[string]any{"version": v}
	if values != nil {
		body["values"] = values
	}
	return e.do(t, who, "POST", dealPath(id)+"/transitions/"+key, body)
}

func (e *env) history(t *testing.T, id string) []any {
	t.Helper()
	return e.do(t, "admin", "GET", dealPath(id)+"/stage-history", nil).want(t, 200).list("history")
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

// count counts rows of a table directly.
func (e *env) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.s.R.QueryRow(store.Rebind(e.s.D, q), args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
