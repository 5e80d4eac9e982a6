package related

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/approval"
	"github.com/tessera-app/tessera/engine/audit"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Entry is one item of a timeline. Kind says which of the parts is set:
// history (an audit entry of the record, or of a record merged into it),
// stage (a stage move), approval (an approval instance, at its start),
// merge (a record merged into this one) or activity (a record of an
// x-timeline module looking this one up through Field, dated by its date
// field).
type Entry struct {
	Kind     string    `json:"kind"`
	ID       string    `json:"id"`
	At       time.Time `json:"at"`
	RecordID string    `json:"record_id"`
	// Merged marks the history of a record merged into this one.
	Merged   bool                `json:"merged,omitempty"`
	History  *audit.HistoryEntry `json:"history,omitempty"`
	Stage    *store.StageEntry   `json:"stage,omitempty"`
	Approval *approval.Instance  `json:"approval,omitempty"`
	Merge    *store.Merge        `json:"merge,omitempty"`
	Module   string              `json:"module,omitempty"`
	Field    string              `json:"field,omitempty"`
	Record   store.Record        `json:"record,omitempty"`
}

// TimelinePage is a page of a timeline, newest first; Next continues it.
type TimelinePage struct {
	Entries []Entry `json:"entries"`
	Next    string  `json:"next_cursor,omitempty"`
}

// DefaultTimelineLimit and MaxTimelineLimit bound a timeline page.
const (
	DefaultTimelineLimit = 50
	MaxTimelineLimit     = 200
)

// position is where a page starts: after the entry at (at, id). Every
// entry's id is a UUIDv7 (audit entries, stage rows, instances, records
// and merges alike), so (at, id) orders all the parts as one list.
type position struct {
	at  time.Time
	id  string
	set bool
}

func (p position) before(at time.Time, id string) bool {
	return !p.set || at.Before(p.at) || (at.Equal(p.at) && id < p.id)
}

func (p position) String() string {
	b, _ := json.Marshal([]string{p.at.UTC().Format(time.RFC3339Nano), p.id})
	return base64.RawURLEncoding.EncodeToString(b)
}

func parsePosition(token string) (position, error) {
	if token == "" {
		return position{}, nil
	}
	bad := errs.New(errs.Invalid, "store.bad_cursor")
	b, err := base64.RawURLEncoding.DecodeString(token)
	var parts []string
	if err != nil || json.Unmarshal(b, &parts) != nil || len(parts) != 2 {
		return position{}, bad
	}
	at, err := time.Parse(time.RFC3339Nano, parts[0])
	if err != nil {
		return position{}, bad
	}
	return position{at: at, id: strings.ToLower(parts[1]), set: true}, nil
}

// Timeline merges record id's history (and the history of the records
// merged into it), stage moves, approvals, merges and the activity records
// looking it up, newest first, limit entries from cursor. It needs the
// record readable; what is hidden from the caller stays hidden (diff
// fields, pipelines on hidden fields, activity modules they cannot read).
func (s *Service) Timeline(ctx context.Context, a record.Actor, m *meta.Module, id string, limit int, cursor string) (*TimelinePage, error) {
	rights, err := s.Records.Readable(ctx, a, m, id)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = DefaultTimelineLimit
	}
	if limit > MaxTimelineLimit {
		return nil, errs.New(errs.Invalid, "store.bad_limit", "max", MaxTimelineLimit)
	}
	pos, err := parsePosition(cursor)
	if err != nil {
		return nil, err
	}
	st := s.Records.Store
	merges, err := st.MergedInto(ctx, m.AppKey, m.Key, id)
	if err != nil {
		return nil, err
	}
	ids := []string{id}
	var out []Entry
	for _, mg := range merges {
		ids = append(ids, mg.MergedID)
		if pos.before(mg.At, mg.ID) {
			out = append(out, Entry{Kind: "merge", ID: mg.ID, At: mg.At, RecordID: id, Merge: mg})
		}
	}
	// History: each record's own entries from the position on (one index
	// range each: audit_log_record).
	if s.Audit != nil {
		for _, rid := range ids {
			q := store.AuditQuery{Kind: store.AuditRecord, App: m.AppKey, Module: m.Key, RecordID: rid, Limit: limit}
			if pos.set {
				q.Cursor = store.AuditCursor(pos.at, pos.id)
			}
			page, err := st.AuditEntries(ctx, q)
			if err != nil {
				return nil, err
			}
			hs, err := s.Audit.Render(ctx, page.Entries, rights.Hidden)
			if err != nil {
				return nil, err
			}
			for i := range hs {
				out = append(out, Entry{Kind: "history", ID: hs[i].ID, At: hs[i].At, RecordID: rid, Merged: rid != id, History: &hs[i]})
			}
		}
	}
	if s.Flows != nil {
		stages, err := s.Flows.History(ctx, a, m, id)
		if err != nil {
			return nil, err
		}
		for _, e := range stages {
			if pos.before(e.At, e.ID) {
				out = append(out, Entry{Kind: "stage", ID: e.ID, At: e.At, RecordID: id, Stage: e})
			}
		}
	}
	if s.Approvals != nil {
		insts, err := s.Approvals.RecordInstances(ctx, a.User, m.AppKey, m.Key, id)
		if err != nil {
			return nil, err
		}
		for _, inst := range insts {
			if pos.before(inst.StartedAt, inst.ID) {
				out = append(out, Entry{Kind: "approval", ID: inst.ID, At: inst.StartedAt, RecordID: id, Approval: inst})
			}
		}
	}
	acts, err := s.activities(ctx, a, m, ids, pos, limit)
	if err != nil {
		return nil, err
	}
	out = append(out, acts...)
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.After(out[j].At)
		}
		return out[i].ID > out[j].ID
	})
	page := &TimelinePage{Entries: out}
	if len(out) > limit {
		page.Entries = out[:limit]
		last := out[limit-1]
		page.Next = position{at: last.At, id: last.ID, set: true}.String()
	}
	if page.Entries == nil {
		page.Entries = []Entry{}
	}
	return page, nil
}

// activities are the records of x-timeline modules looking up one of ids,
// before pos, newest first by their date field: at most limit per module
// and lookup (a keyset range of the list), as the caller may see them.
func (s *Service) activities(ctx context.Context, a record.Actor, m *meta.Module, ids []string, pos position, limit int) ([]Entry, error) {
	mods, fields, err := s.referrers(ctx, m)
	if err != nil {
		return nil, err
	}
	var out []Entry
	seen := map[string]bool{}
	for i, other := range mods {
		tl := other.Options.Timeline
		if tl == nil {
			continue
		}
		date := other.Field(tl.DateField)
		reach, err := s.Records.ReachOf(ctx, &a, other)
		if errs.Is(err, errs.Forbidden) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if date == nil || reach.Rights.Hidden(date.Key) {
			continue
		}
		q := store.ListQuery{Sort: "-" + date.Key, Limit: limit,
			Where: []store.Cond{{SQL: store.Quote(date.Key) + ` IS NOT NULL`}}}
		if pos.set {
			c, err := s.beforeCond(date, pos)
			if err != nil {
				return nil, err
			}
			q.Where = append(q.Where, c)
		}
		for _, f := range fields[i] {
			page, ok, err := s.page(ctx, a, other, f, ids, q)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			for _, rec := range page.Records {
				at, ok := dateOf(rec[date.Key])
				rid, _ := rec["id"].(string)
				if !ok || seen[rid] {
					continue
				}
				seen[rid] = true
				out = append(out, Entry{Kind: "activity", ID: rid, At: at, RecordID: ids[0], Module: other.Key, Field: f.Key, Record: rec})
			}
		}
	}
	return out, nil
}

// beforeCond is "the date field's moment and the id come before pos" in
// SQL. A date counts as its midnight UTC, so a date column compares by day:
// a day before pos's, or pos's day when pos is later than its midnight, or
// that midnight itself with a smaller id.
func (s *Service) beforeCond(date *meta.Field, pos position) (store.Cond, error) {
	d := s.Records.Store.D
	col := store.Quote(date.Key)
	if date.Column().Kind == meta.ColDate {
		day := pos.at.UTC().Truncate(24 * time.Hour)
		v, err := store.Encode(d, date.Column(), day.Format(store.DateLayout))
		if err != nil {
			return store.Cond{}, err
		}
		if pos.at.Equal(day) {
			return store.Cond{SQL: col + ` < ? OR (` + col + ` = ? AND "id" < ?)`, Args: []any{v, v, pos.id}}, nil
		}
		return store.Cond{SQL: col + ` <= ?`, Args: []any{v}}, nil
	}
	v, err := store.Encode(d, date.Column(), pos.at.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return store.Cond{}, err
	}
	return store.Cond{SQL: col + ` < ? OR (` + col + ` = ? AND "id" < ?)`, Args: []any{v, v, pos.id}}, nil
}

// dateOf reads a date or date-time value as a moment (a date: its
// midnight UTC).
func dateOf(v any) (time.Time, bool) {
	s, _ := v.(string)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(store.DateLayout, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}
