package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

// The audit log conformance suite, on both dialects.

func TestAuditInsertAndHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		m := module(t, "deal", `"title":{"x-field":{"type":"text"}}`)
		create(t, s, m)
		other := module(t, "lead", `"title":{"x-field":{"type":"text"}}`)
		create(t, s, other)
		id := insert(t, s, m, map[string]any{"title": "A"})
		user := store.NewID()

		t0 := time.Date(2025, 3, 1, 9, 0, 0, 123456000, time.UTC)
		entries := []*store.AuditEntry{
			{At: t0, Actor: user, Via: "api", Action: "create", Diff: json.RawMessage(`{"title":{"before":null,"after":"A"}}`), Detail: json.RawMessage(`{"version":1}`)},
			{At: t0.Add(time.Second), Actor: user, Via: "ui", Action: "update", Diff: json.RawMessage(`{"title":{"before":"A","after":"B <&>"}}`)},
			// Same instant as the previous one: the id breaks the tie.
			{At: t0.Add(time.Second), Via: "rule", Action: "delete"},
			{At: t0.Add(2 * time.Second), Action: "restore"},
		}
		for _, e := range entries {
			e.Kind, e.App, e.Module, e.RecordID = store.AuditRecord, "crm", "deal", id
			if err := s.InTx(ctx, func(tx *store.Tx) error { return s.InsertAudit(ctx, tx, e) }); err != nil {
				t.Fatalf("insert %s: %v", e.Action, err)
			}
			if e.ID == "" {
				t.Fatal("InsertAudit did not fill in the id")
			}
		}
		// Another record's and another module's entries stay out.
		if err := s.AppendAudit(ctx, &store.AuditEntry{Kind: store.AuditRecord, Action: "create", App: "crm", Module: "lead", RecordID: id}); err != nil {
			t.Fatal(err)
		}
		if err := s.AppendAudit(ctx, &store.AuditEntry{Kind: store.AuditRecord, Action: "create", App: "crm", Module: "deal", RecordID: store.NewID()}); err != nil {
			t.Fatal(err)
		}

		page, err := s.RecordHistory(ctx, m, id, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := actions(page); !reflect.DeepEqual(got, []string{"restore", "delete", "update", "create"}) {
			t.Fatalf("history = %v, want newest first", got)
		}
		if page.Next != "" {
			t.Errorf("single page has a next cursor %q", page.Next)
		}
		first, last := page.Entries[0], page.Entries[3]
		if first.Via != "system" || first.Actor != "" || first.Diff != nil || first.Detail != nil {
			t.Errorf("restore entry = %+v, want via system, no actor, no diff, no detail", first)
		}
		if !last.At.Equal(t0) || last.Actor != user || last.Via != "api" || last.App != "crm" || last.Module != "deal" || last.RecordID != id {
			t.Errorf("create entry = %+v", last)
		}
		wantJSON(t, last.Diff, `{"title":{"before":null,"after":"A"}}`)
		wantJSON(t, last.Detail, `{"version":1}`)
		wantJSON(t, page.Entries[2].Diff, `{"title":{"before":"A","after":"B <&>"}}`)

		// Paging: two by two, the tie at t0+1s split across pages.
		var got []string
		cursor := ""
		for i := 0; i < 3; i++ {
			p, err := s.RecordHistory(ctx, m, id, 1+i%2, cursor)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, actions(p)...)
			if cursor = p.Next; cursor == "" {
				break
			}
		}
		if !reflect.DeepEqual(got, []string{"restore", "delete", "update", "create"}) {
			t.Errorf("paged history = %v", got)
		}
		if _, err := s.RecordHistory(ctx, m, id, 0, "garbage"); !errs.Is(err, errs.Invalid) {
			t.Errorf("bad cursor: err = %v, want invalid", err)
		}
		if _, err := s.RecordHistory(ctx, m, id, store.MaxLimit+1, ""); !errs.Is(err, errs.Invalid) {
			t.Errorf("limit too large: err = %v, want invalid", err)
		}

		// By kind and action, across records.
		all, err := s.AuditEntries(ctx, store.AuditQuery{Kind: store.AuditRecord, Action: "create"})
		if err != nil {
			t.Fatal(err)
		}
		if len(all.Entries) != 3 {
			t.Errorf("create entries = %d, want 3", len(all.Entries))
		}
		if p, err := s.AuditEntries(ctx, store.AuditQuery{RecordID: "not-a-uuid"}); err != nil || len(p.Entries) != 0 {
			t.Errorf("malformed record id: %v, %v", p, err)
		}
	})
}

func TestAuditHistoryOfMissingAndDeletedRecords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		m := module(t, "deal", `"title":{"x-field":{"type":"text"}}`)
		create(t, s, m)
		for _, id := range []string{store.NewID(), "nope", ""} {
			if _, err := s.RecordHistory(ctx, m, id, 0, ""); !errs.Is(err, errs.NotFound) {
				t.Errorf("history of never-existing %q: err = %v, want not found", id, err)
			}
		}
		// A record without entries (written before the log existed) has an
		// empty history; a deleted one still answers.
		live := insert(t, s, m, map[string]any{"title": "x"})
		gone := insert(t, s, m, map[string]any{"title": "y", "deleted": true})
		for _, id := range []string{live, gone} {
			p, err := s.RecordHistory(ctx, m, id, 0, "")
			if err != nil || p.Entries == nil || len(p.Entries) != 0 {
				t.Errorf("history of %s = %v, %v; want empty", id, p, err)
			}
		}
		// A deleted record's entries survive.
		if err := s.AppendAudit(ctx, &store.AuditEntry{Kind: store.AuditRecord, Action: "delete", App: "crm", Module: "deal", RecordID: gone}); err != nil {
			t.Fatal(err)
		}
		if p, err := s.RecordHistory(ctx, m, gone, 0, ""); err != nil || !reflect.DeepEqual(actions(p), []string{"delete"}) {
			t.Errorf("history of deleted record = %v, %v", p, err)
		}
	})
}

func TestAuditRollsBackWithTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := s.InsertAudit(ctx, tx, &store.AuditEntry{Kind: store.AuditAuth, Action: "login"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		p, err := s.AuditEntries(ctx, store.AuditQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Entries) != 0 {
			t.Errorf("rolled-back entry survived: %+v", p.Entries)
		}
		// At defaults to the transaction's clock.
		at := time.Date(2030, 1, 2, 3, 4, 5, 678901000, time.UTC)
		s.Now = func() time.Time { return at }
		if err := s.AppendAudit(ctx, &store.AuditEntry{Kind: store.AuditAuth, Action: "login_failed", Detail: json.RawMessage(`{"email":"x@y.z"}`)}); err != nil {
			t.Fatal(err)
		}
		p, err = s.AuditEntries(ctx, store.AuditQuery{Kind: store.AuditAuth})
		if err != nil || len(p.Entries) != 1 || !p.Entries[0].At.Equal(at) {
			t.Fatalf("entries = %+v, %v; want one at %v", p, err, at)
		}
	})
}

func TestSchemaChanges(t *testing.T) {
	old := module(t, "deal", `"title":{"x-field":{"type":"text"}},"amount":{"x-field":{"type":"number"}},"note":{"x-field":{"type":"text"}},"stage":{"x-field":{"type":"text"}}`)
	next := module(t, "deal", `"name":{"x-field":{"type":"text","renamedFrom":"title"}},"amount":{"x-field":{"type":"integer"}},"stage":{"x-field":{"type":"textarea"}},"owner2":{"x-field":{"type":"text"}}`)
	sc, err := store.SchemaChanges(old, next)
	if err != nil {
		t.Fatal(err)
	}
	want := store.SchemaChange{
		Added: []string{"owner2"}, Removed: []string{"note"},
		Renamed: []store.FieldRename{{From: "title", To: "name"}}, Retyped: []string{"amount", "stage"},
	}
	if !reflect.DeepEqual(sc, want) {
		t.Errorf("changes = %+v, want %+v", sc, want)
	}
	if sc, _ := store.SchemaChanges(old, old); !reflect.DeepEqual(sc, store.SchemaChange{}) {
		t.Errorf("no change = %+v", sc)
	}
}

func actions(p *store.AuditPage) []string {
	var out []string
	for _, e := range p.Entries {
		out = append(out, e.Action)
	}
	return out
}

// wantJSON compares JSON documents by value (PostgreSQL's JSONB reformats them).
func wantJSON(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("bad JSON %q: %v", got, err)
	}
	json.Unmarshal([]byte(want), &w)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON = %s, want %s", got, want)
	}
}
