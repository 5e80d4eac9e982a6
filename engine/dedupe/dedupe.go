// Package dedupe is the duplicate check (查重) and merge. A module declares
// match keys (x-duplicates: a field and how to normalize it); the write
// path keeps each record's normalized values in match_keys (an indexed
// column, in the write's transaction), so finding a record's duplicates is
// one index lookup, never a scan. A person's create or update that matches
// live records is refused with a 409 naming them — those the caller cannot
// see only counted — unless they confirm; the duplicates list groups the
// records sharing a value; merge folds records into one survivor.
package dedupe

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Service checks, lists and merges duplicates.
type Service struct {
	Store   *store.Store
	Meta    *meta.Service
	Records *record.Service
	Audit   Auditor // nil: merges are not audited beyond the writes they make
}

// Auditor writes an audit entry in a transaction (engine/audit's store).
type Auditor interface {
	InsertAudit(ctx context.Context, tx *store.Tx, e *store.AuditEntry) error
}

// BackfillKind is the job that fills in the match keys of records written
// before their module declared (or changed) them.
const BackfillKind = "dedupe.backfill"

// MaxMatches is how many matching records a refusal names per key.
const MaxMatches = 20

// New wires the check into the write path (an in-transaction hook: the
// row's id and final values are known, and a refusal rolls the write back)
// and the backfill job into the runner.
func New(s *store.Store, m *meta.Service, recs *record.Service, runner *jobs.Runner) *Service {
	d := &Service{Store: s, Meta: m, Records: recs, Audit: s}
	recs.Hooks.InTx = append(recs.Hooks.InTx, d.onWrite)
	runner.Handle(BackfillKind, d.backfill)
	return d
}

type confirmKey struct{}

// Confirm marks writes made with ctx as confirmed: matches are recorded,
// not refused (the API's confirm_duplicate).
func Confirm(ctx context.Context) context.Context { return context.WithValue(ctx, confirmKey{}, true) }

func confirmed(ctx context.Context) bool { v, _ := ctx.Value(confirmKey{}).(bool); return v }

// Match is one match key's matching records as the writer may know them.
type Match struct {
	Key     string          `json:"key"`
	Field   string          `json:"field"`
	Label   meta.Label      `json:"field_label"`
	Visible []MatchedRecord `json:"records"`
	Hidden  int             `json:"hidden"` // matching records the writer cannot see: counted, nothing more
}

// MatchedRecord is a visible matching record.
type MatchedRecord struct {
	ID    string `json:"id"`
	Title string `json:"title,omitempty"`
}

// DuplicateError refuses a write that matches existing records.
type DuplicateError struct {
	Err     *errs.Error // the 409 and its message
	Matches []Match
}

func (e *DuplicateError) Error() string { return e.Err.Error() }
func (e *DuplicateError) Unwrap() error { return e.Err }

// AsDuplicate finds a DuplicateError in err.
func AsDuplicate(err error) (*DuplicateError, bool) {
	for err != nil {
		if d, ok := err.(*DuplicateError); ok {
			return d, true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return nil, false
		}
		err = u.Unwrap()
	}
	return nil, false
}

// keysOf are the normalized values of m's match keys in rec.
func keysOf(m *meta.Module, rec store.Record) map[string]string {
	out := make(map[string]string, len(m.Options.MatchKeys))
	for _, k := range m.Options.MatchKeys {
		s, _ := rec[k.Field].(string)
		out[k.Key] = Normalize(k.Normalize, s)
	}
	return out
}

// onWrite keeps the written record's match keys and, for a person's create
// or update whose normalized value of a key changed, refuses matches.
func (d *Service) onWrite(ctx context.Context, tx *store.Tx, ev *record.Event) error {
	m := ev.Module
	if len(m.Options.MatchKeys) == 0 || ev.New == nil || ev.Op == record.OpDelete {
		return nil
	}
	id, _ := ev.New["id"].(string)
	now := keysOf(m, ev.New)
	var before map[string]string
	if ev.Old != nil {
		before = keysOf(m, ev.Old)
	}
	check := (ev.Op == record.OpCreate || ev.Op == record.OpUpdate) && !ev.Actor.System && !confirmed(ctx)
	if check {
		var matches []Match
		for _, k := range m.Options.MatchKeys {
			v := now[k.Key]
			if v == "" || (before != nil && before[k.Key] == v) {
				continue // unchanged: an old duplicate does not block other edits
			}
			ids, err := d.Store.MatchingRecords(ctx, tx, m, k.Key, v, id, MaxMatches)
			if err != nil {
				return err
			}
			if len(ids) > 0 {
				mt, err := d.describe(ctx, tx, ev.Actor, m, k, ids)
				if err != nil {
					return err
				}
				matches = append(matches, mt)
			}
		}
		if len(matches) > 0 {
			n := 0
			for _, mt := range matches {
				n += len(mt.Visible) + mt.Hidden
			}
			return &DuplicateError{Err: errs.New(errs.Conflict, "dedupe.duplicate", "module", m.Label, "count", n), Matches: matches}
		}
	}
	if ev.Op == record.OpUpdate && sameKeys(before, now) {
		return nil
	}
	return d.Store.SetMatchKeys(ctx, tx, m, id, now)
}

func sameKeys(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// describe splits matching records into those the actor may see (with
// their titles) and a count of the others.
func (d *Service) describe(ctx context.Context, tx *store.Tx, a record.Actor, m *meta.Module, k meta.MatchKey, ids []string) (Match, error) {
	f := m.Field(k.Field)
	mt := Match{Key: k.Key, Field: k.Field, Label: f.Label, Visible: []MatchedRecord{}}
	reach, err := d.Records.ReachOf(ctx, &a, m)
	if errs.Is(err, errs.Forbidden) {
		mt.Hidden = len(ids)
		return mt, nil
	}
	if err != nil {
		return mt, err
	}
	seen, err := d.Store.VisibleIDs(ctx, tx, m, ids, reach.Read)
	if err != nil {
		return mt, err
	}
	var shown []string
	for _, id := range ids {
		if seen[id] {
			shown = append(shown, id)
		} else {
			mt.Hidden++
		}
	}
	titles := map[string]string{}
	if title := m.TitleField(); title != nil && !reach.Rights.Hidden(title.Key) && len(shown) > 0 {
		recs, err := d.Store.RecordsByIDs(ctx, m, shown)
		if err != nil {
			return mt, err
		}
		for rid, r := range recs {
			titles[strings.ToLower(rid)], _ = r[title.Key].(string)
		}
	}
	for _, id := range shown {
		mt.Visible = append(mt.Visible, MatchedRecord{ID: id, Title: titles[id]})
	}
	return mt, nil
}

// Group is a value of a match key shared by several records, with those
// records as the reader sees them.
type Group struct {
	Key     string         `json:"key"`
	Value   string         `json:"value"`
	Records []store.Record `json:"records"`
}

// GroupPage is a page of duplicate groups; Next continues it.
type GroupPage struct {
	Groups []Group `json:"groups"`
	Next   string  `json:"next_cursor,omitempty"`
}

// DefaultGroups is a page's number of groups.
const DefaultGroups = 50

// Duplicates lists the groups of records of m sharing a normalized value
// of match key key ("": the first key), within the reader's scope: two
// records count only when the reader may see both. A key on a field
// hidden from the reader is not found.
func (d *Service) Duplicates(ctx context.Context, a record.Actor, m *meta.Module, key, cursor string, limit int) (*GroupPage, error) {
	var mk *meta.MatchKey
	for i, k := range m.Options.MatchKeys {
		if k.Key == key || key == "" {
			mk = &m.Options.MatchKeys[i]
			break
		}
	}
	reach, err := d.Records.ReachOf(ctx, &a, m)
	if err != nil {
		return nil, err
	}
	if mk == nil || reach.Rights.Hidden(mk.Field) {
		return nil, errs.New(errs.NotFound, "dedupe.no_key", "module", m.Label, "key", key)
	}
	if limit <= 0 {
		limit = DefaultGroups
	}
	if limit > store.MaxLimit {
		return nil, errs.New(errs.Invalid, "store.bad_limit", "max", store.MaxLimit)
	}
	groups, err := d.Store.DuplicateGroups(ctx, m, mk.Key, []store.Cond{reach.Read}, cursor, limit+1)
	if err != nil {
		return nil, err
	}
	page := &GroupPage{Groups: []Group{}}
	if len(groups) > limit {
		groups = groups[:limit]
		page.Next = groups[limit-1].Value
	}
	for _, g := range groups {
		args := make([]any, len(g.IDs))
		for i, id := range g.IDs {
			args[i] = id
		}
		recs, err := d.Records.List(ctx, a, m, store.ListQuery{Sort: "created_at", Limit: store.MaxLimit,
			Where: []store.Cond{{SQL: `"id" IN (` + store.Marks(len(args)) + `)`, Args: args}}}, nil)
		if err != nil {
			return nil, err
		}
		page.Groups = append(page.Groups, Group{Key: g.Key, Value: g.Value, Records: recs.Records})
	}
	return page, nil
}

// ModuleChanged plans the backfill when a module's match keys changed: the
// rows of keys that went or changed their field or normalization are
// dropped in the job, and every live record gets the current keys.
func (d *Service) ModuleChanged(ctx context.Context, c meta.Change) error {
	if c.New == nil || len(c.New.Options.MatchKeys) == 0 {
		return nil
	}
	var old []meta.MatchKey
	if c.Old != nil {
		old = c.Old.Options.MatchKeys
	}
	oldJSON, _ := json.Marshal(old)
	newJSON, _ := json.Marshal(c.New.Options.MatchKeys)
	if string(oldJSON) == string(newJSON) {
		return nil
	}
	p, _ := json.Marshal(backfillPayload{App: c.App, Module: c.New.Key, Reset: true})
	return d.Store.InTx(ctx, func(tx *store.Tx) error {
		return jobs.Enqueue(ctx, tx, jobs.Job{Kind: BackfillKind, Key: BackfillKind + ":" + c.New.ID, Payload: p})
	})
}

type backfillPayload struct {
	App    string `json:"app"`
	Module string `json:"module"`
	Reset  bool   `json:"reset"` // drop the module's rows first
}

// BackfillBatch is how many records one backfill job fills in before it
// leaves the rest to the next one.
const BackfillBatch = 500

func (d *Service) backfill(ctx context.Context, tx *store.Tx, job *jobs.Job) error {
	var p backfillPayload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return err
	}
	m, err := d.Meta.Module(ctx, p.App, p.Module)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if p.Reset {
		if err := d.Store.DropMatchKeys(ctx, tx, m); err != nil {
			return err
		}
	}
	if len(m.Options.MatchKeys) == 0 {
		return nil
	}
	ids, err := d.Store.MissingMatchKeys(ctx, tx, m, m.Options.MatchKeys[0].Key, BackfillBatch)
	if err != nil {
		return err
	}
	recs, err := d.Store.RecordsByIDs(ctx, m, ids)
	if err != nil {
		return err
	}
	for id, r := range recs {
		if err := d.Store.SetMatchKeys(ctx, tx, m, strings.ToLower(id), keysOf(m, r)); err != nil {
			return err
		}
	}
	if len(ids) < BackfillBatch {
		return nil
	}
	next, _ := json.Marshal(backfillPayload{App: p.App, Module: p.Module})
	return jobs.Enqueue(ctx, tx, jobs.Job{Kind: BackfillKind, Payload: next})
}
