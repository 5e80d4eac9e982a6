package record

import (
	"bytes"
	"context"
	"slices"
	"strings"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// Get returns one live record within the actor's read scope, with the
// named lookups expanded and hidden fields removed.
func (s *Service) Get(ctx context.Context, a Actor, m *meta.Module, id string, expand []string) (store.Record, error) {
	r, err := s.readRights(ctx, &a, m, expand)
	if err != nil {
		return nil, err
	}
	rec, err := s.Store.Record(ctx, m, id, scope(a.Principal, r.Read))
	if err != nil {
		return nil, err
	}
	if err := s.expand(ctx, &a, m, recordList{rec}, expand); err != nil {
		return nil, err
	}
	return s.out(r, m, rec), nil
}

// GetRow is Get with the record as store.Rows of one row, for writing
// out as JSON without the map form (the record API's fast path). The
// caller releases the rows.
func (s *Service) GetRow(ctx context.Context, a Actor, m *meta.Module, id string, expand []string) (*store.Rows, error) {
	r, err := s.readRights(ctx, &a, m, expand)
	if err != nil {
		return nil, err
	}
	rows, err := s.Store.RecordRow(ctx, m, id, scope(a.Principal, r.Read))
	if err != nil {
		return nil, err
	}
	if err := s.expand(ctx, &a, m, rows, expand); err != nil {
		rows.Release()
		return nil, err
	}
	omitHidden(r, m, rows)
	return rows, nil
}

// List returns a page of live records within the actor's read scope.
func (s *Service) List(ctx context.Context, a Actor, m *meta.Module, q store.ListQuery, expand []string) (*store.Page, error) {
	return s.list(ctx, a, m, q, expand, nil)
}

// ListWithin is List over the records meeting within instead of the
// actor's read scope: for a caller that grants reach of its own (a pool
// lets its viewers see its records, owned by nobody). The actor still
// needs the read permission, and their field levels apply.
func (s *Service) ListWithin(ctx context.Context, a Actor, m *meta.Module, q store.ListQuery, within store.Cond) (*store.Page, error) {
	return s.list(ctx, a, m, q, nil, &within)
}

func (s *Service) list(ctx context.Context, a Actor, m *meta.Module, q store.ListQuery, expand []string, within *store.Cond) (*store.Page, error) {
	r, q, err := s.listQuery(ctx, &a, m, q, expand, within)
	if err != nil {
		return nil, err
	}
	page, err := s.Store.ListRecords(ctx, m, q)
	if err != nil {
		return nil, err
	}
	if err := s.expand(ctx, &a, m, recordList(page.Records), expand); err != nil {
		return nil, err
	}
	strip(r, m, page.Records...)
	project(page.Records, q.Fields)
	return page, nil
}

// ListRows is List with the records as store.Rows: the same query, rights
// and expansions, hidden and unasked-for fields omitted instead of
// deleted from maps (the record API's fast path). The caller releases
// page.Rows.
func (s *Service) ListRows(ctx context.Context, a Actor, m *meta.Module, q store.ListQuery, expand []string) (*store.RowPage, error) {
	r, q, err := s.listQuery(ctx, &a, m, q, expand, nil)
	if err != nil {
		return nil, err
	}
	page, err := s.Store.ListRows(ctx, m, q)
	if err != nil {
		return nil, err
	}
	if err := s.expand(ctx, &a, m, page.Rows, expand); err != nil {
		page.Rows.Release()
		return nil, err
	}
	omitHidden(r, m, page.Rows)
	page.Rows.Only(q.Fields)
	return page, nil
}

// listQuery checks the actor's rights for a list and narrows q to them:
// their read scope, the fields hidden from them, the lookups they may
// read through.
func (s *Service) listQuery(ctx context.Context, a *Actor, m *meta.Module, q store.ListQuery, expand []string, within *store.Cond) (*access.ModuleRights, store.ListQuery, error) {
	r, err := s.readRights(ctx, a, m, expand)
	if err != nil {
		return nil, q, err
	}
	if within != nil {
		q.Where = append(q.Where, *within) // the caller's reach (ListWithin)
	} else {
		q.Where = append(q.Where, scope(a.Principal, r.Read))
	}
	q.Hidden = hidden(r, m)
	q.Consts = consts(a.Principal)
	if err := checkFields(q.Fields, m, q.Hidden); err != nil {
		return nil, q, err
	}
	if q.Lookups, err = s.readableLookups(ctx, a, m, r, q.Filter+" "+q.Sort); err != nil {
		return nil, q, err
	}
	return r, q, nil
}

// Groups counts (and sums) the live records of m the actor may read per
// value of field q.By, with the list filter: one GROUP BY inside the
// actor's read scope. Grouping by or summing a field hidden from the
// actor is refused like an unknown field.
func (s *Service) Groups(ctx context.Context, a Actor, m *meta.Module, q store.GroupQuery) ([]store.Group, error) {
	r, err := s.readRights(ctx, &a, m, nil)
	if err != nil {
		return nil, err
	}
	q.Where = append(q.Where, scope(a.Principal, r.Read))
	q.Hidden = hidden(r, m)
	q.Consts = consts(a.Principal)
	if q.Lookups, err = s.readableLookups(ctx, &a, m, r, q.Filter); err != nil {
		return nil, err
	}
	return s.Store.GroupRecords(ctx, m, q)
}

// Aggregate groups and measures the live records of m the actor may
// read (store.Aggregate): one GROUP BY inside the actor's read scope;
// hidden fields can be neither grouped nor measured (unknown fields).
func (s *Service) Aggregate(ctx context.Context, a Actor, m *meta.Module, q store.AggQuery) ([][]any, error) {
	r, err := s.readRights(ctx, &a, m, nil)
	if err != nil {
		return nil, err
	}
	q.Hidden = hidden(r, m)
	if s.Aggregates != nil {
		// Live aggregates first (engine/summary); they say when they cannot.
		if sc, ok := aggScope(a.Principal, r.Read); ok {
			if rows, ok, err := s.Aggregates.Answer(ctx, m, q, sc); ok || err != nil {
				return rows, err
			}
		}
	}
	q.Where = append(q.Where, scope(a.Principal, r.Read))
	q.Consts = consts(a.Principal)
	// The lookups the filters, dimensions and range name.
	text := q.Filter
	for _, ms := range q.Measures {
		text += " " + ms.Filter
	}
	for _, d := range q.Dims {
		text += " " + d.Field
	}
	if q.Lookups, err = s.readableLookups(ctx, &a, m, r, text); err != nil {
		return nil, err
	}
	return s.Store.Aggregate(ctx, m, q)
}

// Titles returns the titles (meta.Module.TitleField) of the records ids
// of m that the actor may read, by id: one query. Records out of the
// actor's reach, and every record when the title field is hidden from
// them or m has none, are left out.
func (s *Service) Titles(ctx context.Context, a Actor, m *meta.Module, ids []string) (map[string]string, error) {
	out := map[string]string{}
	r, err := s.rights(ctx, &a, m)
	if err != nil {
		return nil, err
	}
	title := m.TitleField()
	if !r.Can(access.ActRead) || title == nil || r.Hidden(title.Key) {
		return out, nil
	}
	found, err := s.Store.RecordsByIDs(ctx, m, ids, scope(a.Principal, r.Read))
	if err != nil {
		return nil, err
	}
	for id, rec := range found {
		if t, ok := rec[title.Key].(string); ok {
			out[id] = t
		}
	}
	return out, nil
}

// readableLookups are the targets of m's lookup fields as the actor may
// read them (store.Lookup), for filters through a lookup and sorts by one:
// the actor's read scope there, the fields hidden from them there, and the
// title field unless it is hidden. Lookup fields hidden from the actor
// (r), or pointing to a module they may not read, read nothing. Only the
// lookups named in text (the filter and sort) are prepared.
func (s *Service) readableLookups(ctx context.Context, a *Actor, m *meta.Module, r *access.ModuleRights, text string) (map[string]store.Lookup, error) {
	var out map[string]store.Lookup
	for _, f := range m.Fields {
		if f.Type.Name() != "lookup" || r.Hidden(f.Key) || !strings.Contains(text, f.Key) {
			continue
		}
		target, err := s.Modules.Module(ctx, m.AppKey, f.Module)
		if err != nil {
			return nil, err
		}
		tr, err := s.rights(ctx, a, target)
		if err != nil {
			return nil, err
		}
		if !tr.Can(access.ActRead) {
			continue
		}
		lk := store.Lookup{Module: target, Where: []store.Cond{scope(a.Principal, tr.Read)}, Hidden: hidden(tr, target)}
		if t := target.TitleField(); t != nil && !tr.Hidden(t.Key) {
			lk.Title = t.Key
		}
		if out == nil {
			out = map[string]store.Lookup{}
		}
		out[f.Key] = lk
	}
	return out, nil
}

// Reach describes what of a module an actor may reach: their rights, and
// the conditions admitting the records they may read and update.
type Reach struct {
	Rights       *access.ModuleRights
	Read, Update store.Cond
}

// ReachOf returns the actor's reach on m (for readers of tables that refer
// to records, such as the stage history, and for checks ahead of a write);
// an actor who may not read m is refused. It loads a.Principal when
// missing, so the caller can go on judging with the actor's roles.
func (s *Service) ReachOf(ctx context.Context, a *Actor, m *meta.Module) (*Reach, error) {
	r, err := s.readRights(ctx, a, m, nil)
	if err != nil {
		return nil, err
	}
	return &Reach{Rights: r, Read: scope(a.Principal, r.Read), Update: scope(a.Principal, r.Update)}, nil
}

// Readable checks that the actor may read record id of m, deleted or not,
// and returns their rights (the audit history uses it).
func (s *Service) Readable(ctx context.Context, a Actor, m *meta.Module, id string) (*access.ModuleRights, error) {
	r, err := s.readRights(ctx, &a, m, nil)
	if err != nil {
		return nil, err
	}
	var ok bool
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		ok, err = s.Store.InScope(ctx, tx, m, id, scope(a.Principal, r.Read))
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.New(errs.NotFound, "store.record_not_found", "id", id)
	}
	return r, nil
}

func (s *Service) readRights(ctx context.Context, a *Actor, m *meta.Module, expand []string) (*access.ModuleRights, error) {
	r, err := s.rights(ctx, a, m)
	if err != nil {
		return nil, err
	}
	if err := require(r, m, access.ActRead); err != nil {
		return nil, err
	}
	return r, checkExpand(r, m, expand)
}

// expand loads the records that lookup (or user) fields point to and puts
// them under rec["expand"][field]: one batched query per field, never one
// per row. Only records the actor may read are expanded, without the
// fields hidden from them; a reference to anything else expands to nothing.
// Each expanded record carries "_title", the value of its module's title
// field (meta.Module.TitleField; null when it has none or it is hidden
// from the actor) — a user's is their name. Keys cannot start with "_", so
// it never meets a field.
func (s *Service) expand(ctx context.Context, a *Actor, m *meta.Module, recs expandable, fields []string) error {
	for _, key := range fields {
		found, err := s.targets(ctx, a, m, key, recs)
		if err != nil {
			return err
		}
		for i := 0; i < recs.Len(); i++ {
			id, _ := recs.Value(i, key).(string)
			var t any
			if rec, ok := found[id]; ok {
				t = rec
			}
			recs.SetExpand(i, key, t)
		}
	}
	return nil
}

// expandable is what expand fills: records in the map form (recordList)
// or as scanned (store.Rows).
type expandable interface {
	Len() int
	Value(i int, key string) any
	// SetExpand puts v under record i's expand[key]; a nil v only makes
	// sure the record has an expand object.
	SetExpand(i int, key string, v any)
}

type recordList []store.Record

func (l recordList) Len() int                    { return len(l) }
func (l recordList) Value(i int, key string) any { return l[i][key] }
func (l recordList) SetExpand(i int, key string, v any) {
	ex, _ := l[i]["expand"].(map[string]any)
	if ex == nil {
		ex = map[string]any{}
		l[i]["expand"] = ex
	}
	if v != nil {
		ex[key] = v
	}
}

// userKeys are the system keys that hold user ids.
var userKeys = []string{"owner", "created_by", "updated_by"}

// targets loads, in one query, the records field key of recs points to.
func (s *Service) targets(ctx context.Context, a *Actor, m *meta.Module, key string, recs expandable) (map[string]store.Record, error) {
	ids := make([]string, 0, recs.Len())
	seen := map[string]bool{}
	for i := 0; i < recs.Len(); i++ {
		if id, ok := recs.Value(i, key).(string); ok && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	var c meta.Column
	if f := m.Field(key); f != nil {
		c = f.Column()
	} else {
		c = meta.Column{Kind: meta.ColRef, RefUsers: true} // owner, created_by, updated_by
	}
	if c.RefUsers {
		return s.users(ctx, a, ids)
	}
	target, err := s.Modules.Module(ctx, m.AppKey, c.RefModule)
	if err != nil {
		return nil, err
	}
	tr, err := s.rights(ctx, a, target)
	if err != nil {
		return nil, err
	}
	if !tr.Can(access.ActRead) {
		return map[string]store.Record{}, nil
	}
	found, err := s.Store.RecordsByIDs(ctx, target, ids, scope(a.Principal, tr.Read))
	if err != nil {
		return nil, err
	}
	title := target.TitleField()
	for _, rec := range found {
		strip(tr, target, rec)
		rec["_title"] = nil
		if title != nil && !tr.Hidden(title.Key) {
			rec["_title"] = rec[title.Key]
		}
	}
	return found, nil
}

// users are the summaries of users ids: id and name (and "_title", the
// name), and for administrators their email too.
func (s *Service) users(ctx context.Context, a *Actor, ids []string) (map[string]store.Record, error) {
	found, err := s.Store.UserSummaries(ctx, ids)
	if err != nil {
		return nil, err
	}
	admin := a.User != nil && a.User.IsAdmin
	for _, u := range found {
		u["_title"] = u["name"]
		if !admin {
			delete(u, "email")
		}
	}
	return found, nil
}

// checkExpand allows expanding visible lookup and user fields, and the
// system keys naming users (owner, created_by, updated_by).
func checkExpand(r *access.ModuleRights, m *meta.Module, fields []string) error {
	if len(fields) > 10 {
		return errs.New(errs.Invalid, "record.bad_expand", "field", fields[10])
	}
	for _, key := range fields {
		if slices.Contains(userKeys, key) {
			continue
		}
		f := m.Field(key)
		if f == nil || f.Column().Kind != meta.ColRef || r.Hidden(key) {
			return errs.New(errs.Invalid, "record.bad_expand", "field", key)
		}
	}
	return nil
}
