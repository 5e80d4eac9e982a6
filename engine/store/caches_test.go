package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

// Every write of cached metadata moves its kind's version in
// cache_versions (what other processes' watchers poll and hear of), and a
// failed write moves nothing.
func TestWritesBumpCacheVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		versions := func() map[string]int64 {
			t.Helper()
			v, err := s.CacheVersions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		// step runs a write and checks which kinds moved (by one each).
		step := func(what string, write func() error, kinds ...string) {
			t.Helper()
			before := versions()
			if err := write(); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			after := versions()
			moved := map[string]bool{}
			for _, k := range kinds {
				moved[k] = true
			}
			for _, k := range []string{store.CacheModules, store.CacheRules, store.CacheFlows, store.CacheCalendars, store.CacheOrg, store.CacheSessions} {
				want := before[k]
				if moved[k] {
					want++
				}
				if after[k] != want {
					t.Errorf("%s: %s version %d → %d, want %d", what, k, before[k], after[k], want)
				}
			}
		}
		a := &meta.App{Key: app, Label: meta.Label{"en": "CRM"}}
		step("create app", func() error { return s.CreateApp(ctx, a) }, store.CacheModules)
		m := module(t, "deal", `"name":{"x-field":{"type":"text"}}`)
		m.AppID, m.Label = a.ID, meta.Label{"en": "Deal"}
		step("create module", func() error { return s.CreateModule(ctx, m, "") }, store.CacheModules)
		next := module(t, "deal", `"name":{"x-field":{"type":"text"}},"region":{"x-field":{"type":"text"}}`)
		next.AppID, next.Label, next.Version = a.ID, m.Label, m.Version
		step("update module", func() error { return s.UpdateModule(ctx, m, next, "") }, store.CacheModules)
		// A stale update fails and moves nothing.
		before := versions()
		if err := s.UpdateModule(ctx, m, next, ""); err == nil {
			t.Fatal("a stale module update succeeded")
		}
		if after := versions(); after[store.CacheModules] != before[store.CacheModules] {
			t.Errorf("a failed update moved modules %d → %d", before[store.CacheModules], after[store.CacheModules])
		}
		step("save calendar", func() error {
			_, err := s.PutCalendar(ctx, "always", []byte(`{}`), 0, "")
			return err
		}, store.CacheCalendars)
		r := &store.RuleRow{AppID: a.ID, Key: "r", Label: json.RawMessage(`{"en":"R"}`), Module: "deal", Enabled: true,
			Trigger: json.RawMessage(`{"type":"created"}`), Actions: json.RawMessage(`[]`)}
		step("create rule", func() error { return s.CreateRule(ctx, r) }, store.CacheRules)
		step("update rule", func() error { return s.UpdateRule(ctx, r, r.Version) }, store.CacheRules)
		f := &store.FlowRow{AppID: a.ID, Key: "f", Label: json.RawMessage(`{"en":"F"}`), Module: "deal", Field: "name", Definition: json.RawMessage(`{}`)}
		step("create flow", func() error { return s.InTx(ctx, func(tx *store.Tx) error { return s.CreateFlow(ctx, tx, f) }) }, store.CacheFlows)
		step("delete flow", func() error { return s.InTx(ctx, func(tx *store.Tx) error { return s.DeleteFlow(ctx, tx, f.ID) }) }, store.CacheFlows)
		step("delete rule", func() error { return s.DeleteRule(ctx, r.ID) }, store.CacheRules)
		step("delete module", func() error { return s.DeleteModule(ctx, next) }, store.CacheModules)
		step("delete app", func() error { return s.DeleteApp(ctx, a) }, store.CacheModules, store.CacheRules, store.CacheFlows)
		step("bump sessions", func() error { return s.BumpCache(ctx, store.CacheSessions) }, store.CacheSessions)
	})
}
