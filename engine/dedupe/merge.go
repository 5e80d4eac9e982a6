package dedupe

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/rule"
	"github.com/tessera-app/tessera/engine/store"
)

// MaxMerge bounds the records merged into one at once.
const MaxMerge = 10

// MergeRequest folds Others into Survivor: Values names, per field, the
// record whose value survives (the survivor's own when not named).
type MergeRequest struct {
	Survivor string
	Others   []string
	Values   map[string]string
}

// Merge folds records into a survivor as the actor, in one transaction:
// every lookup in every module of the app pointing at a merged record is
// re-pointed to the survivor (an ordinary, audited update, made with the
// merge's authority whatever the actor's scope on those records), the
// survivor takes the chosen values (the actor's update), the merged
// records are soft-deleted (the actor's delete) and recorded as merged
// into it (record_merges: the survivor's timeline shows their history),
// and both sides get an audit entry. The actor needs update on the
// survivor and delete on the others.
func (d *Service) Merge(ctx context.Context, a record.Actor, m *meta.Module, req MergeRequest) (store.Record, error) {
	if err := checkRequest(m, &req); err != nil {
		return nil, err
	}
	err := d.Records.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return d.merge(ctx, tx, a, m, req)
	})
	if err != nil {
		return nil, err
	}
	return d.Records.Get(ctx, a, m, req.Survivor, nil)
}

func checkRequest(m *meta.Module, req *MergeRequest) error {
	req.Survivor = strings.ToLower(req.Survivor)
	var fes []errs.FieldError
	if len(req.Others) == 0 || len(req.Others) > MaxMerge {
		fes = append(fes, errs.Field("others", "count", "dedupe.merge_count", "max", MaxMerge))
	}
	for i, o := range req.Others {
		req.Others[i] = strings.ToLower(o)
		if req.Others[i] == req.Survivor || slices.Index(req.Others, req.Others[i]) != i {
			fes = append(fes, errs.Field(fmt.Sprintf("others.%d", i), "repeated", "dedupe.merge_repeated"))
		}
	}
	for _, field := range slices.Sorted(maps.Keys(req.Values)) {
		from := strings.ToLower(req.Values[field])
		req.Values[field] = from
		switch {
		case m.Field(field) == nil:
			fes = append(fes, errs.Field("values."+field, "unknown_field", "dedupe.merge_unknown_field", "field", field))
		case from != req.Survivor && !slices.Contains(req.Others, from):
			fes = append(fes, errs.Field("values."+field, "not_merged", "dedupe.merge_bad_source", "field", m.NameOf(field)))
		}
	}
	if len(fes) > 0 {
		return errs.Fields(fes...)
	}
	return nil
}

// merge does the merge inside tx (ctx joins it).
func (d *Service) merge(ctx context.Context, tx *store.Tx, a record.Actor, m *meta.Module, req MergeRequest) error {
	ctx = Confirm(ctx) // the survivor may take a value it shares with a merged record
	reach, err := d.Records.ReachOf(ctx, &a, m)
	if err != nil {
		return err
	}
	recs := map[string]store.Record{}
	for _, id := range append([]string{req.Survivor}, req.Others...) {
		rec, err := d.Store.RecordInTx(ctx, tx, m, id, reach.Read)
		if err != nil {
			return err
		}
		recs[id] = rec
	}
	// The referrers first, so that deleting the merged records finds
	// nothing pointing at them (no restrict refuses, no cascade follows).
	moved, err := d.repoint(ctx, tx, a, m, req)
	if err != nil {
		return err
	}
	for _, id := range req.Others {
		if err := d.Records.Delete(ctx, a, m, id); err != nil {
			return err
		}
	}
	patch := map[string]any{}
	for field, from := range req.Values {
		if from != req.Survivor {
			patch[field] = record.Values(m, recs[from])[field]
		}
	}
	version, _ := recs[req.Survivor]["version"].(int64)
	if _, err := d.Records.Update(ctx, a, m, req.Survivor, version, patch); err != nil {
		return err
	}
	actor := ""
	if a.User != nil {
		actor = a.User.ID
	}
	for _, id := range req.Others {
		detail, _ := json.Marshal(map[string]any{"values": req.Values, "repointed": moved[id]})
		if err := d.Store.InsertMerge(ctx, tx, &store.Merge{App: m.AppKey, Module: m.Key, MergedID: id, SurvivorID: req.Survivor, Actor: actor, Detail: detail}); err != nil {
			return err
		}
		if err := d.audit(ctx, tx, a, m, id, "merged_into", map[string]any{"survivor": req.Survivor}); err != nil {
			return err
		}
	}
	return d.audit(ctx, tx, a, m, req.Survivor, "merge", map[string]any{"merged": req.Others, "values": req.Values})
}

func (d *Service) audit(ctx context.Context, tx *store.Tx, a record.Actor, m *meta.Module, id, action string, detail map[string]any) error {
	if d.Audit == nil {
		return nil
	}
	b, _ := json.Marshal(detail)
	actor := ""
	if a.User != nil {
		actor = a.User.ID
	}
	via := a.Via
	if via == "" {
		via = "api"
	}
	return d.Audit.InsertAudit(ctx, tx, &store.AuditEntry{Actor: actor, Via: via, Kind: store.AuditRecord, Action: action,
		App: m.AppKey, Module: m.Key, RecordID: id, Detail: b})
}

// repoint moves every lookup to a merged record, in every module of the
// app, to the survivor: one update per referring record through the write
// path (history, formulas, rollups and rules follow), with every right —
// the merge re-points records the actor may not see, or the merged record
// would leave them pointing at a deleted one. It returns how many records
// each merged record had pointing at it.
func (d *Service) repoint(ctx context.Context, tx *store.Tx, a record.Actor, m *meta.Module, req MergeRequest) (map[string]int, error) {
	mods, err := d.Meta.AppModules(ctx, m.AppKey)
	if err != nil {
		return nil, err
	}
	mover := record.Actor{User: &access.User{IsAdmin: true, Name: "merge"}, Via: "merge"}
	if a.User != nil {
		u := *a.User
		u.IsAdmin = true
		mover.User = &u
	}
	args := make([]any, len(req.Others))
	for i, id := range req.Others {
		args[i] = id
	}
	moved := map[string]int{}
	for _, other := range mods {
		for _, f := range other.Fields {
			if c := f.Column(); c.Kind != meta.ColRef || c.RefUsers || c.RefModule != m.Key {
				continue
			}
			q := store.ListQuery{Sort: "id", Limit: store.MaxLimit,
				Where: []store.Cond{{SQL: store.Quote(f.Key) + ` IN (` + store.Marks(len(args)) + `)`, Args: args}}}
			for {
				// Pages in id order, read from the committed state: the
				// updates below do not move what later pages hold.
				page, err := d.Store.ListRecords(ctx, other, q)
				if err != nil {
					return nil, err
				}
				for _, r := range page.Records {
					id, _ := r["id"].(string)
					from, _ := r[f.Key].(string)
					moved[strings.ToLower(from)]++
					cur, err := d.Store.RecordInTx(ctx, tx, other, id)
					if err != nil {
						return nil, err
					}
					version, _ := cur["version"].(int64)
					if _, err := d.Records.Update(ctx, mover, other, id, version, map[string]any{f.Key: req.Survivor}); err != nil {
						return nil, err
					}
				}
				if page.Next == "" {
					break
				}
				q.Cursor = page.Next
			}
		}
	}
	return moved, nil
}

// MergeAction is the rule action "merge" (added to the rule engine by the
// wiring): the rule's record is merged into the oldest live record sharing
// its value of match key action.field (the module's first key when
// empty); the survivor keeps its values and takes the record's where its
// own are empty. No duplicate: nothing to do.
func (d *Service) MergeAction(rules *rule.Engine) {
	rules.AddAction("merge", func(a rule.Action, m *meta.Module) []errs.FieldError {
		if len(m.Options.MatchKeys) == 0 {
			return []errs.FieldError{errs.Field("field", "no_match_keys", "dedupe.no_match_keys", "module", m.Label)}
		}
		for _, k := range m.Options.MatchKeys {
			if a.Field == "" || k.Key == a.Field {
				return nil
			}
		}
		return []errs.FieldError{errs.Field("field", "unknown_key", "dedupe.no_key", "module", m.Label, "key", a.Field)}
	}, func(ctx context.Context, c rule.ActionCall) (string, error) {
		m := c.Module
		mk := m.Options.MatchKeys[0]
		for _, k := range m.Options.MatchKeys {
			if k.Key == c.Action.Field {
				mk = k
			}
		}
		id, _ := c.Record["id"].(string)
		s, _ := c.Record[mk.Field].(string)
		v := Normalize(mk.Normalize, s)
		if v == "" {
			return "merge: no " + mk.Key, nil
		}
		ids, err := d.Store.MatchingRecords(ctx, c.Tx, m, mk.Key, v, id, 1)
		if err != nil || len(ids) == 0 {
			return "merge: no duplicate", err
		}
		survivor, err := d.Store.RecordInTx(ctx, c.Tx, m, ids[0])
		if err != nil {
			return "", err
		}
		values := map[string]string{}
		for _, f := range m.Fields {
			if f.ReadOnly() {
				continue
			}
			if survivor[f.Key] == nil && c.Record[f.Key] != nil {
				values[f.Key] = id
			}
		}
		req := MergeRequest{Survivor: ids[0], Others: []string{id}, Values: values}
		if err := checkRequest(m, &req); err != nil {
			return "", err
		}
		if err := d.merge(record.WithTx(ctx, c.Tx), c.Tx, c.Actor, m, req); err != nil {
			return "", err
		}
		return "merged into " + ids[0], nil
	})
}
