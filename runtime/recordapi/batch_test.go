package recordapi_test

// POST .../records/batch through the real HTTP stack, on both dialects:
// atomic and per-item batches, with validation, unique values, versions,
// permissions, rules and after-commit hooks.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
	"github.com/tessera-app/tessera/runtime/server"
)

const (
	batchURL = "/api/apps/crm/modules/deal/records/batch"
	dealURL  = "/api/apps/crm/modules/deal/records"
)

// batchEnv is app crm with module deal (name required, code unique,
// amount a number, budget read-only for role rep) and task, which a rule
// fills with one task per deal created. after counts the after-commit
// hooks of deal writes and whether each found its record committed.
type batchEnv struct {
	*apitest.Env
	mu        sync.Mutex
	after     int
	uncommitt int // hooks that ran before their write was visible to others
}

func newBatchEnv(t *testing.T, s *store.Store) *batchEnv {
	t.Helper()
	b := &batchEnv{}
	b.Env = apitest.New(t, s, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), func(svc *server.Services) {
		// A write of a deal named "boom" fails after its row is written:
		// the row must go with it.
		svc.Records.Hooks.InTx = append(svc.Records.Hooks.InTx, func(ctx context.Context, tx *store.Tx, ev *record.Event) error {
			if ev.Module.Key == "deal" && ev.New["name"] == "boom" {
				return errs.Fields(errs.Field("name", "boom", "record.field_forbidden", "field", "name"))
			}
			return nil
		})
		svc.Records.Hooks.AfterCommit = append(svc.Records.Hooks.AfterCommit, func(ctx context.Context, ev *record.Event) {
			if ev.Module.Key != "deal" || ev.Op != record.OpCreate {
				return
			}
			// Another connection sees the record only once committed.
			var n int
			if err := s.R.QueryRowContext(ctx, `SELECT count(*) FROM `+store.Quote(ev.Module.Table)+` WHERE id = `+s.D.Placeholder(1), ev.New["id"]).Scan(&n); err != nil {
				t.Errorf("after-commit read: %v", err)
			}
			b.mu.Lock()
			defer b.mu.Unlock()
			b.after++
			if n == 0 {
				b.uncommitt++
			}
		})
	})
	e := b.Env
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": apitest.Label("CRM")}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "deal", "label": map[string]string{"en": "Deal", "zh-CN": "商机"},
		"schema": json.RawMessage(`{"type":"object","required":["name"],"properties":{
			"name":{"x-field":{"type":"text"}},
			"code":{"x-field":{"type":"text","unique":true}},
			"amount":{"x-field":{"type":"number"}},
			"budget":{"x-field":{"type":"number"}}}}`)}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "task", "label": map[string]string{"en": "Task", "zh-CN": "任务"},
		"schema": json.RawMessage(`{"type":"object","required":["title"],"properties":{"title":{"x-field":{"type":"text"}}}}`)}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "follow_up", "label": apitest.Label("Follow up"), "module": "deal",
		"trigger": map[string]any{"type": "created"},
		"actions": []any{map[string]any{"type": "create", "module": "task", "values": map[string]string{"title": `"Call " + name`}}}}).Want(t, 201)
	// rep creates, reads and updates their own deals (budget read-only)
	// and may do nothing with tasks.
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "rep", "label": apitest.Label("Rep"), "permissions": []any{
		map[string]any{"app": "crm", "module": "deal", "actions": []string{"create", "read", "update"},
			"scope": map[string]string{"read": "own", "update": "own"}, "fields": map[string]string{"budget": "read"}},
	}}).Want(t, 201)
	e.User(t, "rep", access.NewUser{})
	e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs["rep"], map[string]any{"roles": []string{"rep"}}).Want(t, 200)
	return b
}

// names are the names of the live deals, sorted, as the admin sees them.
func (b *batchEnv) names(t *testing.T, module, field string) []string {
	t.Helper()
	p := b.Do(t, "admin", "GET", "/api/apps/crm/modules/"+module+"/records?limit=500&sort="+field, nil).Want(t, 200)
	var out []string
	for _, r := range p.List("records") {
		out = append(out, fmt.Sprint(r.(map[string]any)[field]))
	}
	return out
}

func (b *batchEnv) hooks() (int, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.after, b.uncommitt
}

func create(name, code string) map[string]any {
	d := map[string]any{"name": name}
	if code != "" {
		d["code"] = code
	}
	return map[string]any{"op": "create", "data": d}
}

func TestBatchAtomic(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := newBatchEnv(t, s)
		old := b.Do(t, "admin", "POST", dealURL, map[string]any{"name": "Old", "code": "o"}).Want(t, 201)
		gone := b.Do(t, "admin", "POST", dealURL, map[string]any{"name": "Gone"}).Want(t, 201)
		b.RunJobs(t)
		after0, _ := b.hooks()

		// All good: written in one go, each item's outcome in order.
		r := b.Do(t, "admin", "POST", batchURL, map[string]any{"atomic": true, "items": []any{
			create("A", "a"), create("B", "b"), create("C", ""),
			map[string]any{"op": "update", "id": strings.ToUpper(old.Str("id")), "version": 1, "data": map[string]any{"amount": 5}},
			map[string]any{"op": "delete", "id": gone.Str("id")},
		}}).Want(t, 200)
		if r.Get("atomic") != true || r.Num("written") != 5 || r.Num("failed") != 0 {
			t.Errorf("answer: %s", r.Body)
		}
		for i, st := range []float64{201, 201, 201, 200, 204} {
			if got := r.Num(fmt.Sprintf("items.%d.status", i)); got != st {
				t.Errorf("item %d status %v, want %v: %s", i, got, st, r.Body)
			}
		}
		if r.Str("items.0.record.name") != "A" || r.Str("items.0.record.id") == "" || r.Num("items.3.record.version") != 2 ||
			r.Num("items.3.record.amount") != 5 || r.Get("items.4.record") != nil || r.Str("items.4.id") != gone.Str("id") {
			t.Errorf("item records: %s", r.Body)
		}
		if got := strings.Join(b.names(t, "deal", "name"), ","); got != "A,B,C,Old" {
			t.Errorf("deals after the batch: %s", got)
		}
		// Rules fire once per created record, after the commit.
		b.RunJobs(t)
		if got := strings.Join(b.names(t, "task", "title"), ","); got != "Call A,Call B,Call C,Call Gone,Call Old" {
			t.Errorf("tasks: %s", got)
		}
		// One audit entry per write, and after-commit hooks ran once per
		// create, each after the commit.
		h := b.Do(t, "admin", "GET", dealURL+"/"+r.Str("items.0.record.id")+"/history", nil).Want(t, 200)
		if n := len(h.List("entries")); n != 1 || h.Str("entries.0.action") != "create" {
			t.Errorf("history of a batch create: %s", h.Body)
		}
		if after, early := b.hooks(); after-after0 != 3 || early != 0 {
			t.Errorf("after-commit hooks: %d (want 3), %d before the commit", after-after0, early)
		}

		// One bad item: nothing is written, and every failing item is
		// named — a duplicate of an earlier item's unique value (a database
		// error: the transaction must survive it), a missing required
		// field, and a duplicate of a value already stored.
		jobsBefore := b.RunJobs(t)
		after1, _ := b.hooks()
		r = b.Do(t, "admin", "POST", batchURL, map[string]any{"atomic": true, "items": []any{
			create("D", "d"), create("E", "e"), create("F", "d"), map[string]any{"op": "create", "data": map[string]any{"amount": 1}},
			create("G", "a"), create("H", "h"),
		}}, "Accept-Language", "zh-CN")
		r.Want(t, 409)
		if r.Str("code") != "conflict" || !strings.Contains(r.Str("detail"), "6 条中有 3 条失败") {
			t.Errorf("atomic failure: %s", r.Body)
		}
		items := r.List("items")
		if len(items) != 3 {
			t.Fatalf("failing items: %s", r.Body)
		}
		for i, want := range []struct {
			index  float64
			status float64
			field  string
		}{{2, 409, "code"}, {3, 422, "name"}, {4, 409, "code"}} {
			it := items[i].(map[string]any)
			errField := apitest.Lookup(it, "error.errors.0.field")
			if it["index"] != json.Number(fmt.Sprint(want.index)) || it["status"] != json.Number(fmt.Sprint(want.status)) || errField != want.field ||
				apitest.Lookup(it, "record") != nil {
				t.Errorf("failing item %d = %v, want index %v status %v field %s", i, it, want.index, want.status, want.field)
			}
			if msg, _ := apitest.Lookup(it, "error.detail").(string); msg == "" || strings.Contains(msg, "The ") {
				t.Errorf("item %d message not in Chinese: %q", i, msg)
			}
		}
		if got := strings.Join(b.names(t, "deal", "name"), ","); got != "A,B,C,Old" {
			t.Errorf("deals after a failed batch: %s", got)
		}
		if n := b.RunJobs(t); n != 0 || jobsBefore != 0 {
			t.Errorf("a failed batch left %d jobs", n)
		}
		if after, _ := b.hooks(); after != after1 {
			t.Errorf("a failed batch ran %d after-commit hooks", after-after1)
		}
		// The code the failed batch tried is still free.
		b.Do(t, "admin", "POST", dealURL, map[string]any{"name": "D", "code": "d"}).Want(t, 201)
	})
}

func TestBatchPerItem(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := newBatchEnv(t, s)
		mine := b.Do(t, "rep", "POST", dealURL, map[string]any{"name": "Mine"}).Want(t, 201)
		theirs := b.Do(t, "admin", "POST", dealURL, map[string]any{"name": "Theirs"}).Want(t, 201)
		b.Do(t, "rep", "PATCH", dealURL+"/"+mine.Str("id"), map[string]any{"version": 1, "amount": 1}).Want(t, 200)

		r := b.Do(t, "rep", "POST", batchURL, map[string]any{"items": []any{
			create("A", "a"),
			map[string]any{"op": "create", "data": map[string]any{"name": "Rich", "budget": 9}},                     // read-only field
			map[string]any{"op": "update", "id": mine.Str("id"), "version": 1, "data": map[string]any{"amount": 2}}, // stale
			map[string]any{"op": "update", "id": mine.Str("id"), "version": 2, "data": map[string]any{"amount": 3}},
			map[string]any{"op": "update", "id": theirs.Str("id"), "version": 1, "data": map[string]any{"amount": 4}}, // out of read scope
			map[string]any{"op": "delete", "id": mine.Str("id")},                                                      // no delete right
			create("B", "a"), // duplicate of item 0, which was written
			map[string]any{"op": "create", "data": map[string]any{"name": "C", "amount": "lots"}},
		}}).Want(t, 200)
		if r.Get("atomic") != false || r.Num("written") != 2 || r.Num("failed") != 6 || len(r.List("items")) != 8 {
			t.Errorf("answer: %s", r.Body)
		}
		for i, want := range []struct {
			status float64
			code   string
		}{{201, ""}, {403, "forbidden"}, {409, "conflict"}, {200, ""}, {404, "not_found"}, {403, "forbidden"}, {409, "conflict"}, {422, "unprocessable"}} {
			p := fmt.Sprintf("items.%d.", i)
			if r.Num(p+"index") != float64(i) || r.Num(p+"status") != want.status || r.Str(p+"error.code") != want.code {
				t.Errorf("item %d: status %v code %q, want %v %q", i, r.Num(p+"status"), r.Str(p+"error.code"), want.status, want.code)
			}
			if (want.code == "") != (r.Get(p+"record") != nil) {
				t.Errorf("item %d: record %v", i, r.Get(p+"record"))
			}
		}
		if r.Str("items.1.error.errors.0.field") != "budget" || r.Str("items.5.error.detail") != `You may not delete records of "Deal".` {
			t.Errorf("refusals: %s", r.Body)
		}
		if r.Num("items.3.record.amount") != 3 || r.Num("items.3.record.version") != 3 {
			t.Errorf("the fresh update: %s", r.Body)
		}
		if got := strings.Join(b.names(t, "deal", "name"), ","); got != "A,Mine,Theirs" {
			t.Errorf("deals: %s", got)
		}
		got := b.Do(t, "admin", "GET", dealURL+"/"+theirs.Str("id"), nil).Want(t, 200)
		if got.Get("amount") != nil || got.Num("version") != 1 {
			t.Errorf("the record out of scope changed: %s", got.Body)
		}
		// Rules fire for the one create that was written.
		b.RunJobs(t)
		if got := strings.Join(b.names(t, "task", "title"), ","); got != "Call A,Call Mine,Call Theirs" {
			t.Errorf("tasks: %s", got)
		}
		// A module the caller may not write: every item refused.
		r = b.Do(t, "rep", "POST", "/api/apps/crm/modules/task/records/batch", map[string]any{"atomic": true, "items": []any{
			map[string]any{"op": "create", "data": map[string]any{"title": "x"}}}}).Want(t, 403)
		if r.Num("items.0.index") != 0 || r.Str("items.0.error.detail") != `You may not create records of "Task".` {
			t.Errorf("module refused: %s", r.Body)
		}
		// Not signed in.
		b.Do(t, "", "POST", batchURL, map[string]any{"items": []any{create("Z", "")}}).Want(t, 401)
	})
}

func TestBatchMalformed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := newBatchEnv(t, s)
		id := b.Do(t, "admin", "POST", dealURL, map[string]any{"name": "Old"}).Want(t, 201).Str("id")
		many := make([]any, record.MaxBatch+1)
		for i := range many {
			many[i] = create(fmt.Sprint("n", i), "")
		}
		for _, c := range []struct {
			name   string
			body   any
			detail string // in English
			zh     string
			fields []string
		}{
			{"501 items", map[string]any{"atomic": true, "items": many}, "A batch holds at most 500 items; this one has 501. Split it.", "一次批量最多 500 条", nil},
			{"501 per item", map[string]any{"items": many}, "at most 500 items", "一次批量最多", nil},
			{"no items", map[string]any{"atomic": true, "items": []any{}}, "The batch has no items", "没有任何条目", nil},
			{"items missing", map[string]any{"atomic": true}, "The batch has no items", "没有任何条目", nil},
			{"bad ops", map[string]any{"items": []any{
				create("A", ""), map[string]any{"op": "upsert", "data": map[string]any{}}, map[string]any{"data": map[string]any{}},
				map[string]any{"op": "update", "data": map[string]any{"name": "x"}},
				map[string]any{"op": "delete", "id": id, "data": map[string]any{}},
				map[string]any{"op": "create", "id": id, "data": map[string]any{"name": "x"}},
				map[string]any{"op": "create"},
			}}, "The batch is malformed (7 problems); nothing was written.", "批量请求格式有误（7 处问题）",
				[]string{"items.1.op", "items.2.op", "items.3.id", "items.3.version", "items.4.data", "items.5.id", "items.6.data"}},
			{"unknown key", map[string]any{"items": []any{map[string]any{"op": "create", "data": map[string]any{"name": "x"}, "extra": 1}}}, `"extra" is not a known key here`, "此处不支持键“extra”", nil},
			{"version not a number", map[string]any{"items": []any{map[string]any{"op": "update", "id": id, "version": "1"}}}, `"items.version" must be a whole number`, "“items.version”必须是整数", nil},
			{"items not a list", map[string]any{"items": map[string]any{}}, `"items" must be a list`, "“items”必须是列表", nil},
		} {
			r := b.Do(t, "admin", "POST", batchURL, c.body).Want(t, 400)
			if !strings.Contains(r.Str("detail"), c.detail) {
				t.Errorf("%s: %s", c.name, r.Body)
			}
			var fields []string
			for _, f := range r.List("errors") {
				fields = append(fields, f.(map[string]any)["field"].(string))
			}
			if strings.Join(fields, " ") != strings.Join(c.fields, " ") {
				t.Errorf("%s: fields %v, want %v", c.name, fields, c.fields)
			}
			zh := b.Do(t, "admin", "POST", batchURL, c.body, "Accept-Language", "zh-CN").Want(t, 400)
			if !strings.Contains(zh.Str("detail"), c.zh) {
				t.Errorf("%s in Chinese: %s", c.name, zh.Body)
			}
		}
		if strings.Contains(string(b.Do(t, "admin", "POST", batchURL, map[string]any{"items": []any{map[string]any{"op": "upsert"}}}).Body), "upsert") == false {
			t.Error("the unknown op is not named")
		}
		b.Do(t, "admin", "POST", batchURL, "not json").Want(t, 400)
		if got := strings.Join(b.names(t, "deal", "name"), ","); got != "Old" {
			t.Errorf("malformed batches wrote: %s", got)
		}
		b.RunJobs(t)
		if got := strings.Join(b.names(t, "task", "title"), ","); got != "Call Old" {
			t.Errorf("malformed batches set off rules: %s", got)
		}
	})
}

// A per-item batch longer than one chunk of a shared transaction: the
// failing items (duplicates — database errors — and invalid ones) are
// undone alone, in every chunk; the others are written, each with its
// rule and its after-commit hook, run after its chunk's commit.
func TestBatchPerItemChunks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := newBatchEnv(t, s)
		var items []any
		var want []string
		bad := map[int]string{}
		for i := range 130 {
			switch {
			case i == 3:
				items = append(items, create("boom", "c3")) // fails after its row was written
				bad[i] = "unprocessable"
			case i%7 == 6:
				items = append(items, create(fmt.Sprintf("dup%03d", i), "c0")) // the code of item 0
				bad[i] = "conflict"
			case i%11 == 10:
				items = append(items, map[string]any{"op": "create", "data": map[string]any{"code": fmt.Sprint("c", i)}}) // no name
				bad[i] = "unprocessable"
			default:
				name := fmt.Sprintf("n%03d", i)
				items = append(items, create(name, fmt.Sprint("c", i)))
				want = append(want, name)
			}
		}
		r := b.Do(t, "admin", "POST", batchURL, map[string]any{"items": items}).Want(t, 200)
		if r.Num("written") != float64(len(want)) || r.Num("failed") != float64(len(bad)) {
			t.Fatalf("written %v failed %v, want %d and %d", r.Num("written"), r.Num("failed"), len(want), len(bad))
		}
		for i := range items {
			p := fmt.Sprintf("items.%d.", i)
			if code := r.Str(p + "error.code"); code != bad[i] {
				t.Errorf("item %d: error %q, want %q", i, code, bad[i])
			}
		}
		if got := b.names(t, "deal", "name"); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("deals written: %d, want %d", len(got), len(want))
		}
		if after, early := b.hooks(); after != len(want) || early != 0 {
			t.Errorf("after-commit hooks: %d (want %d), %d before their commit", after, len(want), early)
		}
		b.RunJobs(t)
		if got := b.names(t, "task", "title"); len(got) != len(want) {
			t.Errorf("tasks: %d, want one per deal written (%d)", len(got), len(want))
		}
	})
}
