package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/meta"
)

// Match keys and merges (migration 00075): the duplicate check's
// normalized values, one row per record and key, and the log of records
// merged into others. Both name the app and module by key, like the audit
// log; readers keep only live records by asking the module's table.

// AuditCursor is the audit page cursor that continues after (at, id):
// entries older than at, or as old with a smaller id.
func AuditCursor(at time.Time, id string) string { return encodeAuditCursor(at, id) }

// SetMatchKeys replaces the match-key rows of record id of m with values
// (key → normalized value); empty values are left out (an empty name
// matches nothing).
func (s *Store) SetMatchKeys(ctx context.Context, tx *Tx, m *meta.Module, id string, values map[string]string) error {
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM match_keys WHERE app = ? AND module = ? AND record_id = ?`), m.AppKey, m.Key, id); err != nil {
		return err
	}
	for k, v := range values {
		if v == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO match_keys (app, module, match_key, record_id, value) VALUES (?, ?, ?, ?, ?)`),
			m.AppKey, m.Key, k, id, v); err != nil {
			return err
		}
	}
	return nil
}

// liveIn is the condition "record_id is a live record of m meeting where",
// as a subquery (a join would make the module's field names, which may be
// "value" or "module", ambiguous).
func (s *Store) liveIn(m *meta.Module, where []Cond) (string, []any, error) {
	w := &whereBuilder{d: s.D, now: s.Now(), m: m, marks: true}
	w.add(`"deleted_at" IS NULL`)
	if err := w.conds(where); err != nil {
		return "", nil, err
	}
	return `record_id IN (SELECT "id" FROM ` + tableRef(m) + ` WHERE ` + w.sql() + `)`, w.args, nil
}

// MatchingRecords returns the live records of m other than id whose match
// key key has value, oldest first, at most limit.
func (s *Store) MatchingRecords(ctx context.Context, tx *Tx, m *meta.Module, key, value, id string, limit int) ([]string, error) {
	live, args, err := s.liveIn(m, nil)
	if err != nil {
		return nil, err
	}
	q := `SELECT record_id FROM match_keys WHERE app = ? AND module = ? AND match_key = ? AND value = ? AND record_id <> ? AND ` + live +
		fmt.Sprintf(` ORDER BY record_id LIMIT %d`, limit)
	rows, err := tx.QueryContext(ctx, s.q(q), append([]any{m.AppKey, m.Key, key, value, nullableID(id)}, args...)...)
	if err != nil {
		return nil, err
	}
	return scanStrings(rows)
}

// DuplicateGroup is one value of a match key shared by several records.
type DuplicateGroup struct {
	Key   string   `json:"key"`
	Value string   `json:"value"`
	IDs   []string `json:"ids"`
}

// DuplicateGroups lists the values of match key key shared by at least two
// live records of m meeting where (the reader's scope), ordered by value,
// after the value after (paging), at most limit groups.
func (s *Store) DuplicateGroups(ctx context.Context, m *meta.Module, key string, where []Cond, after string, limit int) ([]DuplicateGroup, error) {
	live, args, err := s.liveIn(m, where)
	if err != nil {
		return nil, err
	}
	base := `app = ? AND module = ? AND match_key = ? AND ` + live
	baseArgs := append([]any{m.AppKey, m.Key, key}, args...)
	q := `SELECT value, record_id FROM match_keys WHERE ` + base + ` AND value IN (SELECT value FROM match_keys WHERE ` + base +
		` AND value > ? GROUP BY value HAVING COUNT(*) > 1 ORDER BY value LIMIT ` + fmt.Sprint(limit) + `) ORDER BY value, record_id`
	all := append(append(append([]any{}, baseArgs...), baseArgs...), after)
	rows, err := s.rd(ctx).QueryContext(ctx, s.q(q), all...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DuplicateGroup
	for rows.Next() {
		var v, id string
		if err := rows.Scan(&v, &id); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Value != v {
			out = append(out, DuplicateGroup{Key: key, Value: v})
		}
		g := &out[len(out)-1]
		g.IDs = append(g.IDs, strings.ToLower(id))
	}
	return out, rows.Err()
}

// MissingMatchKeys returns up to limit live records of m that have no row
// for match key key yet (records written before the key was declared).
func (s *Store) MissingMatchKeys(ctx context.Context, tx *Tx, m *meta.Module, key string, limit int) ([]string, error) {
	q := `SELECT "id" FROM ` + tableRef(m) + ` WHERE "deleted_at" IS NULL AND "id" NOT IN (SELECT record_id FROM match_keys WHERE app = ? AND module = ? AND match_key = ?)` +
		fmt.Sprintf(` ORDER BY "id" LIMIT %d`, limit)
	rows, err := tx.QueryContext(ctx, s.q(q), m.AppKey, m.Key, key)
	if err != nil {
		return nil, err
	}
	return scanStrings(rows)
}

// Merge is one record merged into another.
type Merge struct {
	ID         string          `json:"id"`
	App        string          `json:"app"`
	Module     string          `json:"module"`
	MergedID   string          `json:"merged_id"`
	SurvivorID string          `json:"survivor_id"`
	Actor      string          `json:"actor,omitempty"`
	At         time.Time       `json:"at"`
	Detail     json.RawMessage `json:"detail,omitempty"`
}

// InsertMerge records that mg.MergedID was merged into mg.SurvivorID, in
// the merge's transaction. Records merged into the merged one before now
// belong to the survivor too, so a survivor's merged records are one
// lookup however the merges chained.
func (s *Store) InsertMerge(ctx context.Context, tx *Tx, mg *Merge) error {
	mg.ID, mg.At = NewID(), tx.Now
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE record_merges SET survivor_id = ? WHERE app = ? AND module = ? AND survivor_id = ?`),
		mg.SurvivorID, mg.App, mg.Module, mg.MergedID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO record_merges (id, app, module, merged_id, survivor_id, actor, at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		mg.ID, mg.App, mg.Module, mg.MergedID, mg.SurvivorID, nullableID(mg.Actor), TimeArg(s.D, mg.At), jsonArg(mg.Detail))
	return err
}

// MergedInto lists the records of app/module merged into survivor (at any
// depth), oldest merge first.
func (s *Store) MergedInto(ctx context.Context, app, module, survivor string) ([]*Merge, error) {
	if !validID(survivor) {
		return nil, nil
	}
	rows, err := s.rd(ctx).QueryContext(ctx, s.q(`SELECT id, merged_id, survivor_id, actor, at, detail FROM record_merges
		WHERE app = ? AND module = ? AND survivor_id = ? ORDER BY at, id`), app, module, survivor)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Merge
	for rows.Next() {
		mg := &Merge{App: app, Module: module}
		var actor, detail sql.NullString
		var at any
		if err := rows.Scan(&mg.ID, &mg.MergedID, &mg.SurvivorID, &actor, &at, &detail); err != nil {
			return nil, err
		}
		mg.ID, mg.MergedID, mg.SurvivorID = strings.ToLower(mg.ID), strings.ToLower(mg.MergedID), strings.ToLower(mg.SurvivorID)
		mg.Actor, mg.At = strings.ToLower(actor.String), DecodeTime(at)
		if detail.Valid {
			mg.Detail = json.RawMessage(detail.String)
		}
		out = append(out, mg)
	}
	return out, rows.Err()
}

func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, strings.ToLower(v))
	}
	return out, rows.Err()
}

// DropMatchKeys removes every match-key row of m (before a backfill with
// changed keys).
func (s *Store) DropMatchKeys(ctx context.Context, tx *Tx, m *meta.Module) error {
	_, err := tx.ExecContext(ctx, s.q(`DELETE FROM match_keys WHERE app = ? AND module = ?`), m.AppKey, m.Key)
	return err
}
