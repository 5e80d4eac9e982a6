// Package audit keeps Tessera's audit log: who changed what, when, through
// which channel, and how.
//
//   - Record writes: an in-transaction hook of the write path
//     (record.Hooks.InTx) inserts one entry per write, with the field-level
//     diff, in the write's own transaction. A write whose entry cannot be
//     stored is rolled back; a rolled-back write leaves no entry.
//   - Metadata changes (apps, modules): meta.Service.OnChange, called after
//     the change has committed. The entry is written in its own
//     transaction right after; if that fails the change stands and the
//     failure is logged.
//   - Sign-ins: access.Service.OnLogin, for successful and failed
//     attempts, written to the log and to slog.
//
// The SQL lives in engine/store (audit.go); this package decides what an
// entry says.
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Channels ("via") an entry can come through. Record writes carry their
// actor's channel; other entries take the request's (see WithRequest).
const (
	ViaAPI      = "api"
	ViaUI       = "ui"
	ViaRule     = "rule"
	ViaImport   = "import"
	ViaTemplate = "template"
	ViaSystem   = "system"
)

// Auth actions.
const (
	ActionLogin       = "login"
	ActionLoginFailed = "login_failed"
	ActionLogout      = "logout"
)

// Log writes and reads the audit log.
type Log struct {
	Store *store.Store
	// Records authorizes history reads with the same rules as record
	// reads (its Auth is looked up at each call).
	Records *record.Service
	// Logger receives sign-ins and failures to write after-commit
	// entries; nil means slog.Default().
	Logger *slog.Logger
}

// Wire creates the log over s and registers its hooks on the services:
// the in-transaction record hook, the metadata and the sign-in callbacks.
// Any of the services may be nil.
func Wire(s *store.Store, m *meta.Service, a *access.Service, r *record.Service, log *slog.Logger) *Log {
	l := &Log{Store: s, Records: r, Logger: log}
	if r != nil {
		r.Hooks.InTx = append(r.Hooks.InTx, l.RecordWrite)
	}
	if m != nil {
		m.OnChange = l.MetadataChange
	}
	if a != nil {
		a.OnLogin = l.Login
	}
	return l
}

func (l *Log) logger() *slog.Logger {
	if l.Logger != nil {
		return l.Logger
	}
	return slog.Default()
}

// RecordWrite is the record.Hooks.InTx hook: it stores the entry of ev in
// tx, so the entry commits or rolls back with the write.
func (l *Log) RecordWrite(ctx context.Context, tx *store.Tx, ev *record.Event) error {
	e, err := RecordEntry(ev)
	if err != nil {
		return err
	}
	return l.Store.InsertAudit(ctx, tx, e)
}

// RecordEntry builds the entry of a record write. The diff is, on create,
// every field that is set (before null); on update, the fields whose value
// changed (and the owner, if it changed); on delete and restore, nothing:
// the action says it. Detail holds the record's version after the write
// and, for a write caused by another record's delete or restore, "cause".
func RecordEntry(ev *record.Event) (*store.AuditEntry, error) {
	e := &store.AuditEntry{
		Kind: store.AuditRecord, Action: string(ev.Op), Via: ev.Actor.Via,
		App: ev.Module.AppKey, Module: ev.Module.Key,
	}
	if e.Via == "" {
		e.Via = ViaSystem
	}
	if ev.Actor.User != nil {
		e.Actor = ev.Actor.User.ID
	}
	if id, ok := ev.New["id"].(string); ok {
		e.RecordID = id
	}
	if ev.Op == record.OpCreate || ev.Op == record.OpUpdate {
		keys := make([]string, 0, len(ev.Module.Fields)+1)
		for _, f := range ev.Module.Fields {
			keys = append(keys, f.Key)
		}
		var before map[string]any
		if ev.Op == record.OpUpdate {
			before = ev.Old
			keys = append(keys, "owner")
		}
		d, err := Diff(keys, before, ev.New)
		if err != nil {
			return nil, err
		}
		if e.Diff, err = marshal(d); err != nil {
			return nil, err
		}
	}
	detail := map[string]any{}
	if v, ok := ev.New["version"]; ok {
		detail["version"] = v
	}
	// A write made on behalf of another record's delete or restore (a
	// lookup's on_delete, engine/record/ondelete.go) says which.
	if c, ok := ev.Facts["cause"]; ok {
		detail["cause"] = c
	}
	// An owner change a pool made (engine/pool: claim, assign, reclaim)
	// names the pool and the act.
	if p, ok := ev.Facts["pool"]; ok {
		detail["pool"] = p
	}
	if len(detail) > 0 {
		e.Detail, _ = encode(detail)
	}
	return e, nil
}

// MetadataChange is the meta.Service.OnChange callback. The change has
// committed already, so a failure to store its entry is logged, not
// returned.
func (l *Log) MetadataChange(ctx context.Context, c meta.Change) {
	e, err := MetadataEntry(ctx, c)
	if err == nil {
		err = l.Store.AppendAudit(context.WithoutCancel(ctx), e)
	}
	if err != nil {
		l.logger().Error("audit: metadata change not logged", "action", c.Action, "app", c.App, "err", err)
	}
}

// MetadataEntry builds the entry of a metadata change. Module entries carry
// the schema version in detail ("version"; on update also "from_version"
// and the fields added, removed, renamed and retyped); label changes are
// in the diff under "label".
func MetadataEntry(ctx context.Context, c meta.Change) (*store.AuditEntry, error) {
	req := RequestFrom(ctx)
	e := &store.AuditEntry{Kind: store.AuditMetadata, Action: c.Action, App: c.App, Actor: c.By, Via: req.via()}
	if e.Actor == "" {
		e.Actor = req.user()
	}
	detail := map[string]any{}
	var before, after meta.Label = c.OldLabel, c.NewLabel
	switch {
	case c.New != nil:
		e.Module = c.New.Key
		detail["version"] = c.New.Version
		after = c.New.Label
		if c.Old != nil {
			before = c.Old.Label
			detail["from_version"] = c.Old.Version
			sc, err := store.SchemaChanges(c.Old, c.New)
			if err != nil {
				return nil, err
			}
			if len(sc.Added) > 0 {
				detail["added"] = sc.Added
			}
			if len(sc.Removed) > 0 {
				detail["removed"] = sc.Removed
			}
			if len(sc.Renamed) > 0 {
				detail["renamed"] = sc.Renamed
			}
			if len(sc.Retyped) > 0 {
				detail["retyped"] = sc.Retyped
			}
		} else {
			keys := make([]string, len(c.New.Fields))
			for i, f := range c.New.Fields {
				keys[i] = f.Key
			}
			detail["fields"] = keys
		}
	case c.Old != nil:
		e.Module = c.Old.Key
		detail["version"] = c.Old.Version
		before = c.Old.Label
	}
	if !strings.HasSuffix(c.Action, ".delete") {
		d, err := Diff([]string{"label"}, labelDoc(before), labelDoc(after))
		if err != nil {
			return nil, err
		}
		if e.Diff, err = marshal(d); err != nil {
			return nil, err
		}
	}
	var err error
	e.Detail, err = marshal(detail)
	return e, err
}

func labelDoc(l meta.Label) map[string]any {
	if l == nil {
		return nil
	}
	return map[string]any{"label": map[string]string(l)}
}

// maxEmail bounds the email stored for a failed sign-in (it is whatever
// the client sent).
const maxEmail = 254

// Login is the access.Service.OnLogin callback: it logs the attempt to
// slog and to the audit log (kind auth, action login or login_failed;
// detail holds the email tried, the remote address and, on failure, the
// reason; when a sign-in limit refused or delayed it, which one).
func (l *Log) Login(ctx context.Context, a access.LoginAttempt) {
	e := LoginEntry(ctx, a)
	log := l.logger()
	attrs := []any{"email", cleanEmail(a.Email), "ip", RequestFrom(ctx).RemoteAddr}
	if t := throttled(a.Err); t != nil {
		attrs = append(attrs, "limit", t.Limit, "retry_after", t.Wait)
	}
	if a.Delayed != nil {
		attrs = append(attrs, "delayed_by", a.Delayed.Limit, "delay", a.Delayed.Wait)
	}
	if e.Action == ActionLogin {
		log.Info("sign-in", append(attrs, "user", e.Actor)...)
	} else {
		log.Warn("sign-in failed", append(attrs, "reason", Reason(a.Err))...)
	}
	if werr := l.Store.AppendAudit(context.WithoutCancel(ctx), e); werr != nil {
		log.Error("audit: sign-in not logged", "email", cleanEmail(a.Email), "err", werr)
	}
}

// throttled is the limit that refused a sign-in, if one did.
func throttled(err error) *access.Throttled {
	var t *access.Throttled
	if errors.As(err, &t) {
		return t
	}
	return nil
}

// LoginEntry builds the entry of a sign-in attempt: a.User set and no
// a.Err for a success, else a failure.
func LoginEntry(ctx context.Context, a access.LoginAttempt) *store.AuditEntry {
	req := RequestFrom(ctx)
	e := &store.AuditEntry{Kind: store.AuditAuth, Action: ActionLogin, Via: req.via()}
	detail := map[string]any{"email": cleanEmail(a.Email)}
	if req.RemoteAddr != "" {
		detail["ip"] = req.RemoteAddr
	}
	if req.UserAgent != "" {
		detail["user_agent"] = truncate(req.UserAgent, 300)
	}
	if a.Err == nil && a.User != nil {
		e.Actor = a.User.ID
	} else {
		e.Action = ActionLoginFailed
		detail["reason"] = Reason(a.Err)
		if t := throttled(a.Err); t != nil {
			detail["limit"] = t.Limit
		}
	}
	if a.Delayed != nil {
		detail["delayed_by"] = a.Delayed.Limit
		detail["delay_ms"] = a.Delayed.Wait.Milliseconds()
	}
	e.Detail, _ = encode(detail)
	return e
}

// cleanEmail is the email as access looks it up, bounded in length (it is
// whatever the client sent).
func cleanEmail(email string) string {
	return truncate(strings.ToLower(strings.TrimSpace(email)), maxEmail)
}

// Reason names why an attempt failed: the message key of an engine error
// ("access.bad_credentials", "access.disabled"), else "internal".
func Reason(err error) string {
	if e, ok := errs.As(err); ok && e.Msg.Key != "" {
		return e.Msg.Key
	}
	return string(errs.Internal)
}

// truncate cuts s to at most n bytes, on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// HistoryEntry is one entry of a record's history, as the API returns it.
type HistoryEntry struct {
	ID    string    `json:"id"`
	At    time.Time `json:"at"`
	Actor *string   `json:"actor"` // user id; null when none
	// ActorName is the actor's name: a person's, or a rule's system user
	// ("rule:<key>") for what rules wrote.
	ActorName string            `json:"actor_name,omitempty"`
	Via       string            `json:"via"`
	Action    string            `json:"action"` // create, update, delete, restore
	Diff      map[string]Change `json:"diff"`   // field → before/after; {} for delete, restore
	// Cause says, for a write another record's delete or restore made (a
	// lookup's on_delete): action cascade, clear or restore, and the
	// module, id and lookup field of that record (id and field left out
	// when the field is hidden from the reader).
	Cause map[string]any `json:"cause,omitempty"`
	// Pool names the pool and its act (claim, assign, reclaim) for an
	// owner change a pool made.
	Pool map[string]string `json:"pool,omitempty"`
}

// HistoryPage is a page of a record's history, newest first.
type HistoryPage struct {
	Entries []HistoryEntry `json:"entries"`
	Next    string         `json:"next_cursor,omitempty"`
}

// History returns the history of record id of m, newest first, if a may
// read m's records. A record that never existed is not found; a deleted
// one keeps its history.
func (l *Log) History(ctx context.Context, a record.Actor, m *meta.Module, id string, limit int, cursor string) (*HistoryPage, error) {
	// The history shows what the record showed: only to those who may read
	// the record, and without the fields hidden from them.
	hide := func(string) bool { return false }
	if l.Records != nil {
		rights, err := l.Records.Readable(ctx, a, m, id)
		if err != nil {
			return nil, err
		}
		hide = rights.Hidden
	}
	page, err := l.Store.RecordHistory(ctx, m, id, limit, cursor)
	if err != nil {
		return nil, err
	}
	entries, err := l.Render(ctx, page.Entries, hide)
	if err != nil {
		return nil, err
	}
	return &HistoryPage{Entries: entries, Next: page.Next}, nil
}

// Render turns stored record entries into history entries as a reader
// from whom hide hides fields may see them (their diffs and causes without
// those fields), with the actors named. The record timeline
// (engine/related) renders the entries it merges this way too.
func (l *Log) Render(ctx context.Context, stored []store.AuditEntry, hide func(string) bool) ([]HistoryEntry, error) {
	out := make([]HistoryEntry, 0, len(stored))
	for _, e := range stored {
		h := HistoryEntry{ID: e.ID, At: e.At, Via: e.Via, Action: e.Action, Diff: map[string]Change{}}
		if e.Actor != "" {
			actor := e.Actor
			h.Actor = &actor
		}
		if len(e.Diff) > 0 {
			if err := json.Unmarshal(e.Diff, &h.Diff); err != nil {
				return nil, err
			}
		}
		for k := range h.Diff {
			if hide(k) {
				delete(h.Diff, k)
			}
		}
		if len(e.Detail) > 0 {
			var d struct {
				Cause map[string]any    `json:"cause"`
				Pool  map[string]string `json:"pool"`
			}
			if json.Unmarshal(e.Detail, &d) == nil {
				h.Pool = d.Pool
			}
			if d.Cause != nil {
				if f, _ := d.Cause["field"].(string); f != "" && hide(f) {
					delete(d.Cause, "field")
					delete(d.Cause, "id")
				}
				h.Cause = d.Cause
			}
		}
		out = append(out, h)
	}
	return out, l.nameActors(ctx, out)
}

// nameActors fills in the actors' names, in one query.
func (l *Log) nameActors(ctx context.Context, entries []HistoryEntry) error {
	var ids []string
	for _, h := range entries {
		if h.Actor != nil {
			ids = append(ids, *h.Actor)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	users, err := l.Store.UserSummaries(ctx, ids)
	if err != nil {
		return err
	}
	for i, h := range entries {
		if h.Actor != nil {
			entries[i].ActorName, _ = users[*h.Actor]["name"].(string)
		}
	}
	return nil
}
