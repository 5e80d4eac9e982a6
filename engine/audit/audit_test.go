package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/audit"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

func TestCanonical(t *testing.T) {
	for _, c := range []struct {
		in   any
		want string
	}{
		{nil, `null`},
		{json.RawMessage(nil), `null`},
		{"a <b> & c", `"a <b> & c"`},
		{int64(42), `42`},
		{json.Number("12.50"), `12.5`},
		{json.Number("3.0"), `3`},
		{json.Number("100"), `100`},
		{json.Number("1.50e3"), `1.50e3`},
		{true, `true`},
		{json.RawMessage(`{ "b": [1.0, {"d": 2, "c": 1}], "a": null }`), `{"a":null,"b":[1,{"c":1,"d":2}]}`},
		{[]any{"x", json.Number("2.10")}, `["x",2.1]`},
	} {
		got, err := audit.Canonical(c.in)
		if err != nil {
			t.Errorf("Canonical(%v): %v", c.in, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("Canonical(%#v) = %s, want %s", c.in, got, c.want)
		}
	}
	if _, err := audit.Canonical(json.RawMessage(`{bad`)); err == nil {
		t.Error("Canonical accepted broken JSON")
	}
}

func TestDiff(t *testing.T) {
	keys := []string{"title", "amount", "tags", "note", "done"}
	old := map[string]any{
		"title": "A", "amount": json.Number("10.50"), "tags": json.RawMessage(`{"x":1,"y":2}`),
		"note": "keep", "done": false,
	}
	next := map[string]any{
		"title": "B", "amount": json.Number("10.5"), "tags": json.RawMessage(`{"y": 2, "x": 1}`),
		"note": nil, "done": false, "ignored": "not a key",
	}
	d, err := audit.Diff(keys, old, next)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]audit.Change{
		"title": {Before: json.RawMessage(`"A"`), After: json.RawMessage(`"B"`)},
		"note":  {Before: json.RawMessage(`"keep"`), After: json.RawMessage(`null`)},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("update diff = %s, want %s", js(d), js(want))
	}

	// A create (no before) lists every field that is set.
	d, err = audit.Diff(keys, nil, next)
	if err != nil {
		t.Fatal(err)
	}
	if got := js(d); got != `{"amount":{"before":null,"after":10.5},"done":{"before":null,"after":false},"tags":{"before":null,"after":{"x":1,"y":2}},"title":{"before":null,"after":"B"}}` {
		t.Errorf("create diff = %s", got)
	}
	if d, _ := audit.Diff(keys, old, old); len(d) != 0 {
		t.Errorf("no-change diff = %s", js(d))
	}
}

func deal(t *testing.T) *meta.Module {
	t.Helper()
	p, err := meta.ParseSchema([]byte(`{"type":"object","properties":{
		"title":{"x-field":{"type":"text"}},"amount":{"x-field":{"type":"currency"}},"stage":{"x-field":{"type":"text"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	return &meta.Module{AppKey: "crm", Key: "deal", Version: 3, Label: meta.Label{"en": "Deal"}, Schema: p.Doc, Fields: p.Fields}
}

func TestRecordEntry(t *testing.T) {
	m := deal(t)
	u := &access.User{ID: store.NewID()}
	id := store.NewID()
	old := store.Record{"id": id, "version": int64(1), "owner": u.ID, "title": "A", "amount": json.Number("5"), "stage": nil}
	next := store.Record{"id": id, "version": int64(2), "owner": u.ID, "title": "A", "amount": json.Number("7.25"), "stage": "won"}

	e, err := audit.RecordEntry(&record.Event{Op: record.OpUpdate, Module: m, Actor: record.Actor{User: u, Via: "import"}, Old: old, New: next})
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != "record" || e.Action != "update" || e.Via != "import" || e.Actor != u.ID || e.App != "crm" || e.Module != "deal" || e.RecordID != id {
		t.Errorf("entry = %+v", e)
	}
	if got := string(e.Diff); got != `{"amount":{"before":5,"after":7.25},"stage":{"before":null,"after":"won"}}` {
		t.Errorf("diff = %s", got)
	}
	if got := string(e.Detail); got != `{"version":2}` {
		t.Errorf("detail = %s", got)
	}

	// Create: every set field; a system write without user or channel.
	e, err = audit.RecordEntry(&record.Event{Op: record.OpCreate, Module: m, New: old})
	if err != nil {
		t.Fatal(err)
	}
	if e.Via != "system" || e.Actor != "" || string(e.Diff) != `{"amount":{"before":null,"after":5},"title":{"before":null,"after":"A"}}` {
		t.Errorf("create entry = %+v diff %s", e, e.Diff)
	}

	// Owner changes show; delete and restore carry no diff.
	moved := store.Record{"id": id, "version": int64(3), "owner": store.NewID(), "title": "A", "amount": json.Number("7.25"), "stage": "won"}
	e, _ = audit.RecordEntry(&record.Event{Op: record.OpUpdate, Module: m, Old: next, New: moved})
	if !strings.Contains(string(e.Diff), `"owner"`) {
		t.Errorf("owner change missing: %s", e.Diff)
	}
	for _, op := range []record.Op{record.OpDelete, record.OpRestore} {
		e, _ = audit.RecordEntry(&record.Event{Op: op, Module: m, Actor: record.Actor{User: u, Via: "api"}, New: moved})
		if e.Action != string(op) || e.Diff != nil || e.RecordID != id {
			t.Errorf("%s entry = %+v", op, e)
		}
	}
	// An update that changes nothing is still a write (the version moved).
	e, _ = audit.RecordEntry(&record.Event{Op: record.OpUpdate, Module: m, Old: next, New: next})
	if e.Diff != nil {
		t.Errorf("no-op update diff = %s", e.Diff)
	}
}

func TestMetadataEntry(t *testing.T) {
	old := deal(t)
	p, err := meta.ParseSchema([]byte(`{"type":"object","properties":{
		"name":{"x-field":{"type":"text","renamedFrom":"title"}},"amount":{"x-field":{"type":"currency"}},"closed":{"x-field":{"type":"date"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	next := &meta.Module{AppKey: "crm", Key: "deal", Version: 4, Label: meta.Label{"en": "Deal", "zh-CN": "商机"}, Schema: p.Doc, Fields: p.Fields}
	admin := store.NewID()
	ctx := audit.WithRequest(context.Background(), &audit.Request{Via: "api", User: func() string { return admin }})

	e, err := audit.MetadataEntry(ctx, meta.Change{Action: "module.update", App: "crm", Old: old, New: next})
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != "metadata" || e.Action != "module.update" || e.App != "crm" || e.Module != "deal" || e.Actor != admin || e.Via != "api" {
		t.Errorf("entry = %+v", e)
	}
	if got := string(e.Detail); got != `{"added":["closed"],"from_version":3,"removed":["stage"],"renamed":[{"from":"title","to":"name"}],"version":4}` {
		t.Errorf("detail = %s", got)
	}
	if got := string(e.Diff); got != `{"label":{"before":{"en":"Deal"},"after":{"en":"Deal","zh-CN":"商机"}}}` {
		t.Errorf("diff = %s", got)
	}

	e, _ = audit.MetadataEntry(context.Background(), meta.Change{Action: "module.create", App: "crm", New: old, By: admin})
	if e.Via != "system" || e.Actor != admin || string(e.Detail) != `{"fields":["title","amount","stage"],"version":3}` {
		t.Errorf("create entry = %+v detail %s", e, e.Detail)
	}
	e, _ = audit.MetadataEntry(ctx, meta.Change{Action: "module.delete", App: "crm", Old: next})
	if e.Module != "deal" || e.Diff != nil || string(e.Detail) != `{"version":4}` {
		t.Errorf("delete entry = %+v detail %s", e, e.Detail)
	}
	e, _ = audit.MetadataEntry(ctx, meta.Change{Action: "app.update", App: "crm", OldLabel: meta.Label{"en": "CRM"}, NewLabel: meta.Label{"en": "Sales"}})
	if e.Module != "" || string(e.Diff) != `{"label":{"before":{"en":"CRM"},"after":{"en":"Sales"}}}` || e.Detail != nil {
		t.Errorf("app update entry = %+v diff %s", e, e.Diff)
	}
}

func TestLoginEntry(t *testing.T) {
	ctx := audit.WithRequest(context.Background(), &audit.Request{Via: "api", RemoteAddr: "203.0.113.9", UserAgent: "curl/8"})
	u := &access.User{ID: store.NewID()}
	e := audit.LoginEntry(ctx, access.LoginAttempt{Email: "  Ada@Example.com ", User: u})
	if e.Kind != "auth" || e.Action != "login" || e.Actor != u.ID || e.Via != "api" {
		t.Errorf("entry = %+v", e)
	}
	if got := string(e.Detail); got != `{"email":"ada@example.com","ip":"203.0.113.9","user_agent":"curl/8"}` {
		t.Errorf("detail = %s", got)
	}
	e = audit.LoginEntry(ctx, access.LoginAttempt{Email: "ada@example.com", Err: errs.New(errs.Unauthorized, "access.bad_credentials")})
	if e.Action != "login_failed" || e.Actor != "" || !strings.Contains(string(e.Detail), `"reason":"access.bad_credentials"`) {
		t.Errorf("failed entry = %+v detail %s", e, e.Detail)
	}
	// Which limit refused, or delayed, an attempt.
	refused := errs.Wrap(&access.Throttled{Limit: access.LimitAddress, Wait: time.Minute}, errs.TooMany, "access.too_many_from_address")
	e = audit.LoginEntry(ctx, access.LoginAttempt{Email: "ada@example.com", Err: refused})
	if e.Action != "login_failed" || !strings.Contains(string(e.Detail), `"limit":"address","reason":"access.too_many_from_address"`) {
		t.Errorf("throttled entry = %+v detail %s", e, e.Detail)
	}
	e = audit.LoginEntry(ctx, access.LoginAttempt{Email: "ada@example.com", User: u,
		Delayed: &access.Throttled{Limit: access.LimitAccount, Wait: 3 * time.Second, Delayed: true}})
	if e.Action != "login" || !strings.Contains(string(e.Detail), `"delay_ms":3000,"delayed_by":"account"`) {
		t.Errorf("delayed entry = %+v detail %s", e, e.Detail)
	}
	e = audit.LoginEntry(context.Background(), access.LoginAttempt{Email: strings.Repeat("é", 200), Err: errors.New("db down")})
	var d map[string]string
	if err := json.Unmarshal(e.Detail, &d); err != nil || d["reason"] != "internal" || len(d["email"]) > 254 || e.Via != "system" {
		t.Errorf("entry without request = %+v detail %s", e, e.Detail)
	}
	if !strings.HasPrefix(d["email"], "é") || strings.ContainsRune(d["email"], '\uFFFD') {
		t.Errorf("email cut inside a character: %q", d["email"])
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
