package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
)

// The audit log (table audit_log) is append-only. Record writes insert
// their entry in the write's own transaction (InsertAudit from a record
// hook), so a write and its entry commit or roll back together; metadata
// changes and sign-ins use AppendAudit. engine/audit builds the entries.

// Audit kinds.
const (
	AuditRecord   = "record"
	AuditMetadata = "metadata"
	AuditAuth     = "auth"
)

// AuditEntry is one row of the audit log. Diff and Detail are JSON
// documents (nil = SQL NULL): Diff maps a field key to
// {"before": x, "after": y}; Detail holds what else the action needs
// (schema version, email tried, remote address, ...).
type AuditEntry struct {
	ID       string
	At       time.Time
	Actor    string // user id; "" when nobody is signed in (system, failed sign-in)
	Via      string // api, ui, rule, import, template, system
	Kind     string // record, metadata, auth
	Action   string // create, update, ..., module.update, ..., login, login_failed
	App      string // app key, "" when none
	Module   string // module key, "" when none
	RecordID string // "" when none
	Diff     json.RawMessage
	Detail   json.RawMessage
}

// AuditQuery selects audit entries, newest first. Empty fields match
// anything.
type AuditQuery struct {
	Kind     string
	Action   string
	App      string
	Module   string
	RecordID string
	Limit    int    // default DefaultLimit, at most MaxLimit
	Cursor   string // from a previous AuditPage.Next
}

// AuditPage is one page of audit entries, newest first.
type AuditPage struct {
	Entries []AuditEntry
	Next    string // cursor of the next (older) page; "" on the last
}

// InsertAudit writes e inside tx. An empty ID or zero At are filled in (a
// new id; the transaction's clock).
func (s *Store) InsertAudit(ctx context.Context, tx *Tx, e *AuditEntry) error {
	if e.ID == "" {
		e.ID = NewID()
	}
	if e.At.IsZero() {
		e.At = tx.Now
	}
	if e.Via == "" {
		e.Via = "system"
	}
	if tx.buf != nil {
		tx.buf.audit = append(tx.buf.audit, *e)
		return nil
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO audit_log (id, at, actor, via, kind, action, app, module, record_id, diff, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		e.ID, TimeArg(s.D, e.At), nullableID(e.Actor), e.Via, e.Kind, e.Action,
		nullable(e.App), nullable(e.Module), nullableID(e.RecordID), jsonArg(e.Diff), jsonArg(e.Detail))
	return err
}

// AppendAudit writes e in a transaction of its own (entries that do not
// belong to a record write: metadata changes, sign-ins).
func (s *Store) AppendAudit(ctx context.Context, e *AuditEntry) error {
	return s.InTx(ctx, func(tx *Tx) error { return s.InsertAudit(ctx, tx, e) })
}

// AuditEntries returns a page of entries matching q, newest first. Paging
// is keyset-based on (at, id).
func (s *Store) AuditEntries(ctx context.Context, q AuditQuery) (*AuditPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	if limit > MaxLimit {
		return nil, errs.New(errs.Invalid, "store.bad_limit", "max", MaxLimit)
	}
	if q.RecordID != "" && !validID(q.RecordID) {
		return &AuditPage{Entries: []AuditEntry{}}, nil // no such id can have been logged
	}
	w := &whereBuilder{d: s.D}
	w.add("1 = 1")
	for _, c := range []struct{ col, v string }{
		{"kind", q.Kind}, {"action", q.Action}, {"app", q.App}, {"module", q.Module}, {"record_id", q.RecordID},
	} {
		if c.v != "" {
			w.add(c.col+" = ?", c.v)
		}
	}
	if q.Cursor != "" {
		at, id, ok := decodeAuditCursor(q.Cursor)
		if !ok {
			return nil, errs.New(errs.Invalid, "store.bad_cursor")
		}
		t := TimeArg(s.D, at)
		w.add("at < ? OR (at = ? AND id < ?)", t, t, id)
	}
	rows, err := s.rd(ctx).QueryContext(ctx, fmt.Sprintf(`SELECT id, at, actor, via, kind, action, app, module, record_id, diff, detail
		FROM audit_log WHERE %s ORDER BY at DESC, id DESC LIMIT %d`, w.sql(), limit+1), w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	page := &AuditPage{Entries: []AuditEntry{}}
	for rows.Next() {
		var e AuditEntry
		var at any
		var actor, app, module, recordID, diff, detail sql.NullString
		if err := rows.Scan(&e.ID, &at, &actor, &e.Via, &e.Kind, &e.Action, &app, &module, &recordID, &diff, &detail); err != nil {
			return nil, err
		}
		e.At = DecodeTime(at)
		e.Actor, e.App, e.Module, e.RecordID = actor.String, app.String, module.String, recordID.String
		if diff.Valid {
			e.Diff = json.RawMessage(diff.String)
		}
		if detail.Valid {
			e.Detail = json.RawMessage(detail.String)
		}
		page.Entries = append(page.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(page.Entries) > limit {
		page.Entries = page.Entries[:limit]
		last := page.Entries[limit-1]
		page.Next = encodeAuditCursor(last.At, last.ID)
	}
	return page, nil
}

// RecordHistory returns the audit entries of one record of m, newest
// first. A record that never existed is not found; a deleted one still
// has its history (and so does one whose entries predate the audit log:
// an empty page).
func (s *Store) RecordHistory(ctx context.Context, m *meta.Module, id string, limit int, cursor string) (*AuditPage, error) {
	if !validID(id) {
		return nil, errs.New(errs.NotFound, "store.record_not_found", "id", id)
	}
	page, err := s.AuditEntries(ctx, AuditQuery{
		Kind: AuditRecord, App: m.AppKey, Module: m.Key, RecordID: id, Limit: limit, Cursor: cursor,
	})
	if err != nil {
		return nil, err
	}
	if len(page.Entries) == 0 && cursor == "" {
		if _, err := s.getRecord(ctx, s.rd(ctx), m, id, true, nil); err != nil {
			return nil, err
		}
	}
	return page, nil
}

// The cursor is the (at, id) of the last entry of the previous page.
func encodeAuditCursor(at time.Time, id string) string {
	b, _ := json.Marshal([]string{at.UTC().Format(time.RFC3339Nano), id})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeAuditCursor(token string) (time.Time, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return time.Time{}, "", false
	}
	var parts []string
	if json.Unmarshal(b, &parts) != nil || len(parts) != 2 || !validID(parts[1]) {
		return time.Time{}, "", false
	}
	at, err := time.Parse(time.RFC3339Nano, parts[0])
	if err != nil {
		return time.Time{}, "", false
	}
	return at, parts[1], true
}

// nullableID binds an id column: "" and anything that is not a UUID (which
// PostgreSQL's uuid type would refuse) are NULL.
func nullableID(id string) any {
	if !validID(id) {
		return nil
	}
	return id
}

func jsonArg(doc json.RawMessage) any {
	if len(doc) == 0 {
		return nil
	}
	return string(doc)
}

// SchemaChange summarizes how a module update changes its fields, for the
// audit log. Fields pair up exactly as the table sync pairs them.
type SchemaChange struct {
	Added   []string      `json:"added,omitempty"`
	Removed []string      `json:"removed,omitempty"`
	Renamed []FieldRename `json:"renamed,omitempty"`
	// Retyped are kept fields (new keys) whose type changed.
	Retyped []string `json:"retyped,omitempty"`
}

// FieldRename is one renamed field.
type FieldRename struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// SchemaChanges compares two versions of a module.
func SchemaChanges(old, next *meta.Module) (SchemaChange, error) {
	var sc SchemaChange
	changes, err := matchFields(old, next)
	if err != nil {
		return sc, err
	}
	for _, c := range changes {
		switch {
		case c.added():
			sc.Added = append(sc.Added, c.new.Key)
		case c.dropped():
			sc.Removed = append(sc.Removed, c.old.Key)
		default:
			if c.renamed() {
				sc.Renamed = append(sc.Renamed, FieldRename{From: c.old.Key, To: c.new.Key})
			}
			if c.old.Type.Name() != c.new.Type.Name() || c.retyped() {
				sc.Retyped = append(sc.Retyped, c.new.Key)
			}
		}
	}
	return sc, nil
}
