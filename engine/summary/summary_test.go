package summary_test

// Live aggregates through the real stack on SQLite and PostgreSQL: every
// widget shape summaries answer gives the same result as its GROUP BY
// (the same query with summaries off), for admins, own-scope and
// department-scope readers, after a random mix of creates, updates,
// deletes, restores, owner transfers, stage moves, imports and batches,
// and after concurrent writers; other shapes fall back; drift is found by
// Check and fixed by Rebuild.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/importer"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/engine/summary"
	"github.com/tessera-app/tessera/runtime/apitest"
)

const (
	deals = "/api/apps/crm/modules/deal/records"
	query = "/api/apps/crm/query"
)

var (
	stages  = []string{"new", "qualified", "won", "lost"}
	sources = []string{"web", "referral", "event"}
	reps    = []string{"rep1", "rep2", "rep3", "mgr"}
	viewers = []string{"admin", "fin", "rep1", "rep3", "mgr"}
)

func schema(t testing.TB, props string) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal([]byte(`{"properties":{`+props+`}}`), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func opts(values ...string) string {
	var parts []string
	for _, v := range values {
		parts = append(parts, `{"value":"`+v+`"}`)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

const dealFields = `"name":{"x-field":{"type":"text"}},
	"stage":{"x-field":{"type":"select","options":%s}},
	"source":{"x-field":{"type":"select","options":%s}},
	"amount":{"x-field":{"type":"currency"}},
	"score":{"x-field":{"type":"integer"}},
	"weight":{"x-field":{"type":"number"}},
	"close_date":{"x-field":{"type":"date"}},
	"active":{"x-field":{"type":"boolean"}},
	"helper":{"x-field":{"type":"user"}}`

// setup makes app crm with module deal and its pipeline; rep1 and rep2 in
// department east, rep3 and mgr in west; sales (rep1-3) read their own,
// mgr reads its department's, fin reads everything.
func setup(t *testing.T, s *store.Store) *apitest.Env {
	e := apitest.New(t, s, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	label := apitest.Label
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": label("CRM")}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "deal", "label": label("Deal"),
		"schema": schema(t, fmt.Sprintf(dealFields, opts(stages...), opts(sources...)))}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/apps/crm/flows", map[string]any{"key": "pipe", "label": label("Pipe"), "module": "deal", "field": "stage",
		"states": []any{
			map[string]any{"key": "new", "label": label("New"), "kind": "open"},
			map[string]any{"key": "qualified", "label": label("Qualified"), "kind": "open"},
			map[string]any{"key": "won", "label": label("Won"), "kind": "won"},
			map[string]any{"key": "lost", "label": label("Lost"), "kind": "lost"},
		},
		"transitions": []any{
			map[string]any{"key": "qualify", "label": label("Qualify"), "from": []string{"new"}, "to": "qualified"},
			map[string]any{"key": "win", "label": label("Win"), "from": []string{"qualified"}, "to": "won"},
			map[string]any{"key": "lose", "label": label("Lose"), "from": "*", "to": "lost"},
			map[string]any{"key": "reopen", "label": label("Reopen"), "from": []string{"lost", "won"}, "to": "new"},
		}}).Want(t, 201)
	for _, d := range []string{"east", "west"} {
		e.Do(t, "admin", "POST", "/api/departments", map[string]any{"key": d, "label": label(d)}).Want(t, 201)
	}
	perm := func(scope string) map[string]any {
		return map[string]any{"app": "crm", "module": "deal", "actions": []string{"create", "read", "update", "delete"},
			"scope": map[string]string{"read": scope, "update": scope, "delete": scope}}
	}
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "sales", "label": label("Sales"), "permissions": []any{perm("own")}}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "lead", "label": label("Lead"), "permissions": []any{perm("department")}}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "finance", "label": label("Finance"), "permissions": []any{
		map[string]any{"app": "crm", "module": "deal", "actions": []string{"read"}}}}).Want(t, 201)
	for who, u := range map[string][2]string{"rep1": {"east", "sales"}, "rep2": {"east", "sales"}, "rep3": {"west", "sales"},
		"mgr": {"west", "lead"}, "fin": {"", "finance"}} {
		e.User(t, who, access.NewUser{})
		patch := map[string]any{"roles": []string{u[1]}}
		if u[0] != "" {
			patch["departments"] = []string{u[0]}
		}
		e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs[who], patch).Want(t, 200)
	}
	return e
}

// specs are the widget queries summaries answer.
func specs() []map[string]any {
	dim := func(f string, b ...string) map[string]any {
		d := map[string]any{"field": f}
		if len(b) > 0 {
			d["bucket"] = b[0]
		}
		return d
	}
	ms := func(m ...map[string]any) []any {
		out := make([]any, len(m))
		for i := range m {
			out[i] = m[i]
		}
		return out
	}
	count := map[string]any{"op": "count"}
	sum := func(f string) map[string]any { return map[string]any{"op": "sum", "field": f} }
	return []map[string]any{
		{"dimensions": []any{dim("stage")}, "measures": ms(count, sum("amount"))},
		{"filter": `stage == "won"`, "dimensions": []any{dim("close_date", "month")}, "measures": ms(sum("amount"), count)},
		{"dimensions": []any{dim("owner")}, "measures": ms(sum("amount")), "sort": []any{map[string]any{"key": "sum_amount", "desc": true}}, "limit": 3},
		{"dimensions": []any{dim("source")}, "measures": ms(count, map[string]any{"op": "avg", "field": "score"}, map[string]any{"op": "count", "field": "score"})},
		{"filter": `stage == "won"`, "measures": ms(sum("amount"), count), "compare": "previous_period",
			"range": map[string]any{"field": "close_date", "from": "2026-01-01", "to": "2026-04-01"}},
		{"dimensions": []any{dim("close_date", "month")}, "measures": ms(
			map[string]any{"op": "sum", "field": "amount", "filter": `stage == "qualified"`, "as": "q"},
			map[string]any{"op": "sum", "field": "amount", "filter": `stage in ["new"]`, "as": "n"},
			map[string]any{"op": "calc", "expr": "q * 0.5 + n * 0.2", "as": "forecast"})},
		{"dimensions": []any{dim("active"), dim("helper")}, "measures": ms(map[string]any{"op": "avg", "field": "amount"}, count)},
		{"dimensions": []any{dim("close_date", "week")}, "measures": ms(count, sum("score")), "filter": `active && source in ["web", "event"]`},
		{"dimensions": []any{dim("close_date", "quarter"), dim("stage")}, "measures": ms(count)},
		{"dimensions": []any{dim("close_date", "year")}, "measures": ms(sum("amount")), "filter": `stage == "lost"`},
		{"dimensions": []any{dim("close_date")}, "measures": ms(count), "range": map[string]any{"field": "close_date", "from": "2026-02-10", "to": "2026-03-20"}},
		{"measures": ms(count, sum("amount"), map[string]any{"op": "avg", "field": "amount"})},
	}
}

// fallbacks are queries summaries cannot answer (and must not).
func fallbacks() []map[string]any {
	return []map[string]any{
		{"dimensions": []any{map[string]any{"field": "stage"}}, "measures": []any{map[string]any{"op": "count"}}, "filter": `amount > 500`},
		{"dimensions": []any{map[string]any{"field": "stage"}}, "measures": []any{map[string]any{"op": "sum", "field": "weight"}}},
		{"dimensions": []any{map[string]any{"field": "stage"}}, "measures": []any{map[string]any{"op": "max", "field": "amount"}}},
		{"dimensions": []any{map[string]any{"field": "name"}}, "measures": []any{map[string]any{"op": "count"}}},
		{"dimensions": []any{map[string]any{"field": "stage"}}, "measures": []any{map[string]any{"op": "count"}}, "filter": `stage != "lost"`},
		{"dimensions": []any{map[string]any{"field": "created_at", "bucket": "month"}}, "measures": []any{map[string]any{"op": "count"}}},
	}
}

func withModule(spec map[string]any) map[string]any {
	out := map[string]any{"module": "deal"}
	for k, v := range spec {
		out[k] = v
	}
	return out
}

// world drives random writes and remembers the live records.
type world struct {
	e   *apitest.Env
	rnd *rand.Rand
	mu  sync.Mutex
	ids map[string]string // live record id → its creator (who may write it)
	del map[string]string // deleted ones
}

func (w *world) values() map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.rnd
	v := map[string]any{"name": fmt.Sprintf("deal %d", r.IntN(1000))}
	if r.IntN(8) > 0 {
		v["source"] = sources[r.IntN(len(sources))]
	}
	if r.IntN(8) > 0 {
		v["amount"] = json.Number(fmt.Sprintf("%d.%02d", r.IntN(2000), r.IntN(100)))
	}
	if r.IntN(6) > 0 {
		v["score"] = r.IntN(100)
	}
	v["weight"] = r.Float64() * 10
	if r.IntN(8) > 0 {
		v["close_date"] = time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(200)).Format(time.DateOnly)
	}
	if r.IntN(5) > 0 {
		v["active"] = r.IntN(2) == 0
	}
	if r.IntN(2) == 0 {
		v["helper"] = w.e.IDs[reps[r.IntN(len(reps))]]
	}
	return v
}

func (w *world) pick(from map[string]string) (string, string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(from) == 0 {
		return "", "", false
	}
	n := w.rnd.IntN(len(from))
	for id, who := range from {
		if n == 0 {
			return id, who, true
		}
		n--
	}
	return "", "", false
}

// move moves record id from one set to the other.
func (w *world) move(id, who string, from, to map[string]string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(from, id)
	to[id] = who
}

func (w *world) intn(n int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rnd.IntN(n)
}

func (w *world) create(t testing.TB, who string) {
	v := w.values()
	if w.intn(3) > 0 {
		v["stage"] = "new"
	}
	id := w.e.Do(t, who, "POST", deals, v).Want(t, 201).Str("id")
	w.mu.Lock()
	w.ids[id] = who
	w.mu.Unlock()
}

func (w *world) version(t testing.TB, id string) float64 {
	return w.e.Do(t, "admin", "GET", deals+"/"+id, nil).Want(t, 200).Num("version")
}

// step is one random write.
func (w *world) step(t testing.TB) {
	switch op := w.intn(12); {
	case op < 3:
		w.create(t, reps[w.intn(len(reps))])
	case op < 6: // update some fields as the creator (or the admin)
		id, who, ok := w.pick(w.ids)
		if !ok {
			return
		}
		v := w.values()
		patch := map[string]any{"version": w.version(t, id)}
		for k, x := range v {
			if w.intn(3) == 0 {
				patch[k] = x
			}
		}
		if w.intn(6) == 0 {
			patch["amount"] = nil
		}
		if w.intn(3) == 0 {
			who = "admin"
		}
		if r, err := w.e.Try(who, "PATCH", deals+"/"+id, patch); err != nil || (r.Status != 200 && r.Status != 404) {
			t.Fatalf("update %s as %s: %v %v", id, who, err, r)
		}
	case op < 7: // transfer to another owner
		id, _, ok := w.pick(w.ids)
		if !ok {
			return
		}
		to := reps[w.intn(len(reps))]
		w.e.Do(t, "admin", "PATCH", deals+"/"+id, map[string]any{"version": w.version(t, id), "owner": w.e.IDs[to]}).Want(t, 200)
		w.mu.Lock()
		w.ids[id] = to
		w.mu.Unlock()
	case op < 8:
		id, who, ok := w.pick(w.ids)
		if !ok {
			return
		}
		if r := w.e.Do(t, "admin", "DELETE", deals+"/"+id, nil); r.Status != 200 && r.Status != 204 {
			t.Fatalf("delete %s: %v", id, r)
		}
		w.move(id, who, w.ids, w.del)
	case op < 9:
		id, who, ok := w.pick(w.del)
		if !ok {
			return
		}
		w.e.Do(t, "admin", "POST", deals+"/"+id+"/restore", nil).Want(t, 200)
		w.move(id, who, w.del, w.ids)
	default: // a stage move through the pipeline
		id, _, ok := w.pick(w.ids)
		if !ok {
			return
		}
		stage := w.e.Do(t, "admin", "GET", deals+"/"+id, nil).Want(t, 200).Str("stage")
		next := map[string][]string{"": {"lose"}, "new": {"qualify", "lose"}, "qualified": {"win", "lose"}, "won": {"reopen"}, "lost": {"reopen"}}[stage]
		key := next[w.intn(len(next))]
		body := map[string]any{"version": w.version(t, id)}
		w.e.Do(t, "admin", "POST", deals+"/"+id+"/transitions/"+key, body).Want(t, 200)
	}
}

// importRows imports n rows of CSV as who through the importer (its job).
func (w *world) importRows(t *testing.T, who string, n int) {
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("name,stage,source,amount,score,close_date,active\n")
	for i := 0; i < n; i++ {
		v := w.values()
		fmt.Fprintf(&b, "imp %d,%s,%v,%v,%v,%v,%v\n", i, stages[w.intn(len(stages))], v["source"], orEmpty(v["amount"]), orEmpty(v["score"]),
			orEmpty(v["close_date"]), orEmpty(v["active"]))
	}
	u, err := w.e.Svc.Access.Authenticate(ctx, w.e.Tokens[who])
	if err != nil {
		t.Fatal(err)
	}
	up, err := w.e.Svc.Imports.Create(ctx, record.Actor{User: u, Via: "import"}, "crm", "deal", importer.Upload{Filename: "deals.csv"}, []byte(b.String()), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mapping := map[string]string{}
	for _, c := range up.Columns {
		mapping[c] = c
	}
	if _, err := w.e.Svc.Imports.Start(ctx, u, up.ID, importer.Request{Mapping: mapping}, importer.Options{}); err != nil {
		t.Fatal(err)
	}
	w.e.RunJobs(t)
	// Imported records join the world: read them back by name.
	for _, rec := range w.e.Do(t, "admin", "GET", deals+"?limit=500&filter="+urlq(`name startsWith "imp "`), nil).Want(t, 200).List("records") {
		r := rec.(map[string]any)
		w.mu.Lock()
		if _, del := w.del[r["id"].(string)]; !del {
			w.ids[r["id"].(string)] = who
		}
		w.mu.Unlock()
	}
}

func orEmpty(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func urlq(s string) string { return strings.NewReplacer(" ", "%20", `"`, "%22").Replace(s) }

// compare runs every spec as every viewer with summaries and without,
// and wants the same answers; answered says whether summaries must have
// answered them.
func compare(t *testing.T, e *apitest.Env, list []map[string]any, answered bool) {
	t.Helper()
	svc := e.Svc.Summaries
	for i, spec := range list {
		for _, who := range viewers {
			before := svc.Answered()
			got := e.Do(t, who, "POST", query, withModule(spec)).Want(t, 200)
			used := svc.Answered() - before
			svc.Off = true
			want := e.Do(t, who, "POST", query, withModule(spec)).Want(t, 200)
			svc.Off = false
			if answered && used == 0 {
				t.Errorf("spec %d as %s: not answered from summaries", i, who)
			}
			if !answered && used != 0 {
				t.Errorf("spec %d as %s: answered from summaries, which cannot", i, who)
			}
			if !summary.Agree(got.Doc, want.Doc, e.Store.D.Name() == "postgres") {
				t.Errorf("spec %d as %s:\nsummaries %s\nGROUP BY  %s", i, who, show(got.Doc), show(want.Doc))
			}
		}
	}
}

func show(v any) string { b, _ := json.Marshal(v); return string(b) }

// saveDashboard saves the specs as one dashboard's table widgets and
// builds their summaries.
func saveDashboard(t *testing.T, e *apitest.Env, list []map[string]any) {
	var widgets []any
	for i, spec := range list {
		widgets = append(widgets, map[string]any{"key": fmt.Sprintf("w%d", i), "type": "table", "x": 0, "y": i * 4, "w": 12, "h": 4,
			"query": withModule(spec)})
	}
	e.Do(t, "admin", "POST", "/api/apps/crm/dashboards", map[string]any{"key": "sales", "label": apitest.Label("Sales"),
		"widgets": widgets}).Want(t, 201)
}

func TestLiveAggregates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := setup(t, s)
		w := &world{e: e, rnd: rand.New(rand.NewPCG(7, 11)), ids: map[string]string{}, del: map[string]string{}}
		for i := 0; i < 30; i++ {
			w.create(t, reps[i%len(reps)])
		}
		saveDashboard(t, e, append(specs(), fallbacks()...))
		svc := e.Svc.Summaries
		list, err := svc.List(ctx, "crm")
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 0 {
			t.Fatal("no summary planned")
		}
		for _, sm := range list {
			if sm.Status != summary.StatusPending {
				t.Fatalf("summary %s is %s before its job ran", sm.ID, sm.Status)
			}
		}
		// Not built yet: the GROUP BY answers.
		compare(t, e, specs()[:1], false)
		e.RunJobs(t)
		list, _ = svc.List(ctx, "crm")
		for _, sm := range list {
			if sm.Status != summary.StatusReady || sm.SourceRows != 30 {
				t.Fatalf("summary %+v after its job", sm)
			}
		}
		compare(t, e, specs(), true)
		compare(t, e, fallbacks(), false)

		for i := 0; i < 150; i++ {
			w.step(t)
		}
		w.importRows(t, "rep2", 12)
		// A batch: three creates and an update of one of them, atomic.
		e.Do(t, "rep1", "POST", deals+"/batch", map[string]any{"atomic": true, "items": []any{
			map[string]any{"op": "create", "data": w.values()}, map[string]any{"op": "create", "data": w.values()},
		}}).Want(t, 200)
		compare(t, e, specs(), true)
		compare(t, e, fallbacks(), false)

		// Concurrent writers.
		var wg sync.WaitGroup
		for g := 0; g < 6; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 12; i++ {
					if w.intn(2) == 0 {
						w.create(t, reps[w.intn(len(reps))])
						continue
					}
					id, who, ok := w.pick(w.ids)
					if !ok {
						continue
					}
					// May lose a race with another writer (409) or find the
					// record deleted by the admin (404): both are fine.
					r, err := e.Try(who, "PATCH", deals+"/"+id, map[string]any{"version": w.version(t, id), "amount": w.values()["amount"],
						"source": w.values()["source"]})
					if err != nil || (r.Status != 200 && r.Status != 409 && r.Status != 404 && r.Status != 403) {
						t.Errorf("concurrent update: %v %v", err, r)
					}
				}
			}()
		}
		wg.Wait()
		compare(t, e, specs(), true)

		drift, err := svc.Check(ctx, "crm")
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range drift {
			if d.Wrong != 0 || d.Error != "" || d.Groups == 0 {
				t.Fatalf("check after the writes: %+v", d)
			}
		}
		// Drift: one summary's counts are damaged behind its back.
		victim := list[0]
		if _, err := s.W.ExecContext(ctx, `UPDATE `+store.Quote(victim.Table)+` SET "n" = "n" + 3`); err != nil {
			t.Fatal(err)
		}
		drift, _ = svc.Check(ctx, "crm")
		found := false
		for _, d := range drift {
			if d.Summary.ID == victim.ID {
				found = d.Wrong > 0 && len(d.Examples) > 0
			} else if d.Wrong != 0 {
				t.Fatalf("check: %s drifts too: %+v", d.Summary.ID, d)
			}
		}
		if !found {
			t.Fatalf("check missed the damaged summary %s: %+v", victim.ID, drift)
		}
		if _, err := svc.Rebuild(ctx, "crm"); err != nil {
			t.Fatal(err)
		}
		drift, _ = svc.Check(ctx, "crm")
		for _, d := range drift {
			if d.Wrong != 0 {
				t.Fatalf("check after rebuild: %+v", d)
			}
		}
		compare(t, e, specs(), true)
	})
}

// TestSummariesAPIAndModuleChanges: the admin endpoints, and what module
// changes do to summaries (an unrelated change keeps them answering; a
// change of a field they read makes them stale until rebuilt).
func TestSummariesAPIAndModuleChanges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		w := &world{e: e, rnd: rand.New(rand.NewPCG(3, 5)), ids: map[string]string{}, del: map[string]string{}}
		for i := 0; i < 20; i++ {
			w.create(t, reps[i%len(reps)])
		}
		list := specs()[:4] // stage, won by month, top owners, source (with score)
		saveDashboard(t, e, list)
		e.Do(t, "rep1", "GET", "/api/apps/crm/summaries", nil).Want(t, 403).Contains(t, "Only administrators")
		e.Do(t, "rep1", "POST", "/api/apps/crm/summaries/check", nil).Want(t, 403)
		pending := e.Do(t, "admin", "GET", "/api/apps/crm/summaries", nil).Want(t, 200).List("summaries")
		if len(pending) != 4 {
			t.Fatalf("summaries %v", pending)
		}
		e.RunJobs(t)
		for _, sm := range e.Do(t, "admin", "GET", "/api/apps/crm/summaries", nil).Want(t, 200).List("summaries") {
			if st := sm.(map[string]any)["status"]; st != "ready" {
				t.Fatalf("summary %v", sm)
			}
		}
		if r := e.Do(t, "admin", "POST", "/api/apps/crm/summaries/check", nil).Want(t, 200); r.Num("drifting") != 0 || len(r.List("summaries")) != 4 {
			t.Fatalf("check %s", show(r.Doc))
		}
		compare(t, e, list, true)

		// A new field nobody sums: the summaries carry on.
		mod := "/api/apps/crm/modules/deal"
		props := fmt.Sprintf(dealFields, opts(stages...), opts(sources...))
		e.Do(t, "admin", "PUT", mod, map[string]any{"label": apitest.Label("Deal"),
			"schema": schema(t, props+`,"note":{"x-field":{"type":"text"}}`)}).Want(t, 200)
		w.create(t, "rep1")
		compare(t, e, list, true)

		// score becomes a float number: the summary summing it is stale
		// (the GROUP BY answers), the others go on; its rebuild job finds
		// the field no longer summable and fails, and the widget keeps
		// its GROUP BY.
		e.Do(t, "admin", "PUT", mod, map[string]any{"label": apitest.Label("Deal"),
			"schema": schema(t, strings.Replace(props, `"score":{"x-field":{"type":"integer"}}`, `"score":{"x-field":{"type":"number"}}`, 1))}).Want(t, 200)
		w.create(t, "rep2")
		compare(t, e, list[:3], true)
		compare(t, e, list[3:], false)
		stale := 0
		for _, sm := range e.Do(t, "admin", "GET", "/api/apps/crm/summaries", nil).Want(t, 200).List("summaries") {
			if sm.(map[string]any)["status"] == "stale" {
				stale++
			}
		}
		if stale != 1 {
			t.Fatalf("%d stale summaries, want 1", stale)
		}
		e.Do(t, "admin", "POST", "/api/apps/crm/summaries/rebuild", nil).Want(t, 202)
		e.RunJobs(t)
		compare(t, e, list[:3], true)
		compare(t, e, list[3:], false)
	})
}
