package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/meta"
)

// FlowRow is a stored stage pipeline. engine/flow owns its meaning; the
// store keeps states and transitions as one JSON document.
type FlowRow struct {
	ID         string
	AppID      string
	App        string
	Key        string
	Label      json.RawMessage
	Module     string
	Field      string
	Definition json.RawMessage
	Version    int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

const flowCols = `f.id, f.app_id, a.key, f.key, f.label, f.module, f.field, f.definition, f.version, f.created_at, f.updated_at`

// CreateFlow inserts a pipeline in tx; a duplicate key in the app, or a
// second pipeline on the same field, is a conflict.
func (s *Store) CreateFlow(ctx context.Context, tx *Tx, f *FlowRow) error {
	if err := BumpCacheTx(ctx, tx, CacheFlows); err != nil {
		return err
	}
	f.ID, f.Version, f.CreatedAt, f.UpdatedAt = NewID(), 1, tx.Now, tx.Now
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO flows (id, app_id, key, label, module, field, definition, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		f.ID, f.AppID, f.Key, string(f.Label), f.Module, f.Field, string(f.Definition), f.Version, TimeArg(s.D, tx.Now), TimeArg(s.D, tx.Now))
	if _, dup := s.D.UniqueViolation(err); dup {
		// The key, or (a race the flow service's own check lost) the field.
		return errs.New(errs.Conflict, "flow.exists", "key", f.Key)
	}
	return err
}

// UpdateFlow replaces a pipeline's definition in tx if its version is
// still version.
func (s *Store) UpdateFlow(ctx context.Context, tx *Tx, f *FlowRow, version int) error {
	if err := BumpCacheTx(ctx, tx, CacheFlows); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, s.q(`UPDATE flows SET label = ?, definition = ?, version = version + 1, updated_at = ?
		WHERE id = ? AND version = ?`), string(f.Label), string(f.Definition), TimeArg(s.D, tx.Now), f.ID, version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.Conflict, "flow.stale", "key", f.Key)
	}
	f.Version, f.UpdatedAt = version+1, tx.Now
	return nil
}

// DeleteFlow removes a pipeline in tx (its stage history stays).
func (s *Store) DeleteFlow(ctx context.Context, tx *Tx, id string) error {
	if err := BumpCacheTx(ctx, tx, CacheFlows); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, s.q(`DELETE FROM flows WHERE id = ?`), id)
	return err
}

// Flow returns one pipeline of an app.
func (s *Store) Flow(ctx context.Context, app, key string) (*FlowRow, error) {
	rows, err := s.flows(ctx, s.rd(ctx), `a.key = ? AND f.key = ?`, app, key)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errs.New(errs.NotFound, "flow.not_found", "key", key)
	}
	return rows[0], nil
}

// Flows lists an app's pipelines by key ("" app: every pipeline).
func (s *Store) Flows(ctx context.Context, app string) ([]*FlowRow, error) {
	return s.FlowsIn(ctx, nil, app)
}

// FlowsIn is Flows read in tx (nil: outside a transaction). Code running
// inside a write transaction reads with it: the read sees what the
// transaction sees and takes no second connection while the transaction
// holds one.
func (s *Store) FlowsIn(ctx context.Context, tx *Tx, app string) ([]*FlowRow, error) {
	var q queryer = s.rd(ctx)
	if tx != nil {
		q = tx
	}
	if app == "" {
		return s.flows(ctx, q, `1 = 1`)
	}
	return s.flows(ctx, q, `a.key = ?`, app)
}

func (s *Store) flows(ctx context.Context, q queryer, where string, args ...any) ([]*FlowRow, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT `+flowCols+` FROM flows f JOIN apps a ON a.id = f.app_id WHERE `+where+` ORDER BY a.key, f.key`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*FlowRow
	for rows.Next() {
		var f FlowRow
		var label, def []byte
		var c, u any
		if err := rows.Scan(&f.ID, &f.AppID, &f.App, &f.Key, &label, &f.Module, &f.Field, &def, &f.Version, &c, &u); err != nil {
			return nil, err
		}
		f.Label, f.Definition = json.RawMessage(label), json.RawMessage(def)
		f.CreatedAt, f.UpdatedAt = DecodeTime(c), DecodeTime(u)
		out = append(out, &f)
	}
	return out, rows.Err()
}

// StageEntry is one row of the stage history: a record entered To (from
// From, "" on create) at At, after SecondsInPrev (wall) and
// BusinessSecondsInPrev (working time, nil when unknown) in From.
type StageEntry struct {
	ID                    string    `json:"id"`
	App                   string    `json:"app"`
	Module                string    `json:"module"`
	RecordID              string    `json:"record_id"`
	Flow                  string    `json:"flow"`
	From                  string    `json:"from,omitempty"`
	To                    string    `json:"to"`
	Transition            string    `json:"transition,omitempty"`
	ActorID               string    `json:"actor,omitempty"`
	At                    time.Time `json:"at"`
	SecondsInPrev         int64     `json:"seconds_in_prev"`
	BusinessSecondsInPrev *int64    `json:"business_seconds_in_prev"`
}

// InsertStageEntry writes a history row in the move's transaction.
func (s *Store) InsertStageEntry(ctx context.Context, tx *Tx, e *StageEntry) error {
	e.ID = NewID()
	if e.At.IsZero() {
		e.At = tx.Now
	}
	var business any
	if e.BusinessSecondsInPrev != nil {
		business = *e.BusinessSecondsInPrev
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO stage_history (id, app, module, record_id, flow_key, from_state, to_state, transition, actor_id, at, seconds_in_prev, business_seconds_in_prev)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		e.ID, e.App, e.Module, e.RecordID, e.Flow, nullable(e.From), e.To, nullable(e.Transition), nullable(e.ActorID),
		TimeArg(s.D, e.At), e.SecondsInPrev, business)
	return err
}

// LastStageEntry returns when record id last entered a state of flow
// (nil when the history has no entry, e.g. records created before the
// pipeline existed).
func (s *Store) LastStageEntry(ctx context.Context, tx *Tx, app, module, flow, id string) (*StageEntry, error) {
	rows, err := s.stageEntries(ctx, tx, `record_id = ? AND app = ? AND module = ? AND flow_key = ? ORDER BY at DESC, id DESC LIMIT 1`,
		id, app, module, flow)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return rows[0], nil
}

// RecordStages lists a record's stage history, oldest first.
func (s *Store) RecordStages(ctx context.Context, app, module, id string) ([]*StageEntry, error) {
	if !validID(id) {
		return []*StageEntry{}, nil
	}
	return s.stageEntries(ctx, s.rd(ctx), `record_id = ? AND app = ? AND module = ? ORDER BY at, id`, id, app, module)
}

// FlowStages lists the history rows of a pipeline at or after since (and,
// when until is not zero, before it), oldest first. inScope, when not the
// zero Cond, keeps only records of m that meet it (the reader's record
// scope); deleted records count with their history.
func (s *Store) FlowStages(ctx context.Context, m *meta.Module, flow string, since, until time.Time, inScope Cond) ([]*StageEntry, error) {
	w := &whereBuilder{d: s.D, now: s.Now(), m: m}
	w.add(`app = ? AND module = ? AND flow_key = ? AND at >= ?`, m.AppKey, m.Key, flow, TimeArg(s.D, since))
	if !until.IsZero() {
		w.add(`at < ?`, TimeArg(s.D, until))
	}
	if scope, err := w.cond(inScope); err != nil {
		return nil, err
	} else if scope != "" {
		w.parts = append(w.parts, `record_id IN (SELECT "id" FROM `+tableRef(m)+` WHERE `+scope+`)`)
	}
	return s.stageEntries(ctx, s.rd(ctx), w.sql()+` ORDER BY at, id`, w.args...)
}

func (s *Store) stageEntries(ctx context.Context, q queryer, where string, args ...any) ([]*StageEntry, error) {
	rows, err := q.QueryContext(ctx, Rebind(s.D, `SELECT id, app, module, record_id, flow_key, from_state, to_state, transition, actor_id, at, seconds_in_prev, business_seconds_in_prev
		FROM stage_history WHERE `+where), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*StageEntry{}
	for rows.Next() {
		var e StageEntry
		var from, tr, actor sql.NullString
		var business sql.NullInt64
		var at any
		if err := rows.Scan(&e.ID, &e.App, &e.Module, &e.RecordID, &e.Flow, &from, &e.To, &tr, &actor, &at, &e.SecondsInPrev, &business); err != nil {
			return nil, err
		}
		e.From, e.Transition, e.ActorID, e.At = from.String, tr.String, actor.String, DecodeTime(at)
		if business.Valid {
			e.BusinessSecondsInPrev = &business.Int64
		}
		out = append(out, &e)
	}
	return out, rows.Err()
}

// Group is one group of GroupRecords: the value of the grouping field
// (nil for empty), how many records have it and the sum of the summed
// field over them (nil without a sum field or without values).
type Group struct {
	Value any
	Count int64
	Sum   any
}

// GroupQuery asks for live records of a module grouped by one field:
// filtered by Filter (the list filter) and Where (record scopes), with the
// count and, when Sum names a number field, its sum per group.
type GroupQuery struct {
	By     string
	Sum    string
	Filter string
	Where  []Cond
	Hidden map[string]bool
	// Lookups and Consts: what the filter may read besides the module's
	// fields, as in ListQuery.
	Lookups map[string]Lookup
	Consts  expr.Consts
}

// GroupRecords counts (and sums) live records per value of one field, in
// one GROUP BY.
func (s *Store) GroupRecords(ctx context.Context, m *meta.Module, gq GroupQuery) ([]Group, error) {
	by := m.Field(gq.By)
	if by == nil || gq.Hidden[gq.By] {
		return nil, errs.New(errs.Invalid, "store.bad_group", "name", gq.By)
	}
	sum := "NULL"
	var sumCol meta.Column
	if gq.Sum != "" {
		f := m.Field(gq.Sum)
		if f == nil || gq.Hidden[gq.Sum] || !isNumber(f.Column()) {
			return nil, errs.New(errs.Invalid, "store.bad_sum", "name", gq.Sum)
		}
		sumCol = f.Column()
		sum = "sum(" + Quote(f.Key) + ")"
	}
	w := &whereBuilder{d: s.D, now: s.Now(), m: m}
	w.add(`"deleted_at" IS NULL`)
	if err := w.conds(gq.Where); err != nil {
		return nil, err
	}
	if err := w.filter(gq.Filter, readable{gq.Hidden, gq.Lookups, gq.Consts}); err != nil {
		return nil, err
	}
	col := Quote(by.Key)
	q := fmt.Sprintf(`SELECT %s, count(*), %s FROM %s WHERE %s GROUP BY %s`, col, sum, tableRef(m), w.sql(), col)
	rows, err := s.rd(ctx).QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Group
	for rows.Next() {
		var v, total any
		var g Group
		if err := rows.Scan(&v, &g.Count, &total); err != nil {
			return nil, err
		}
		g.Value = Decode(by.Column(), v)
		if total != nil {
			if sumCol.Kind == meta.ColInteger {
				sumCol = meta.Column{Kind: meta.ColDecimal} // sums of integers print as numbers
			}
			g.Sum = Decode(sumCol, total)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// CountWhere counts the live records of m whose field key holds one of
// values (nil values: any non-empty value), for refusals that name how
// many records a change would strand.
func (s *Store) CountWhere(ctx context.Context, tx *Tx, m *meta.Module, key string, values []string) (int64, error) {
	w := &whereBuilder{d: s.D, now: s.Now(), m: m}
	w.add(`"deleted_at" IS NULL`)
	if values == nil {
		w.add(Quote(key) + ` IS NOT NULL`)
	} else {
		args := make([]any, len(values))
		for i, v := range values {
			args[i] = v
		}
		w.add(Quote(key)+` IN (`+Marks(len(values))+`)`, args...)
	}
	var n int64
	var q queryer = s.rd(ctx)
	if tx != nil {
		q = tx
	}
	err := q.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE %s`, tableRef(m), w.sql()), w.args...).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// IDsWhere returns up to limit ids of live records of m whose field key
// holds value, in id order after the id after ("" to start).
func (s *Store) IDsWhere(ctx context.Context, tx *Tx, m *meta.Module, key, value, after string, limit int) ([]string, error) {
	w := &whereBuilder{d: s.D, now: s.Now(), m: m}
	w.add(`"deleted_at" IS NULL`)
	w.add(Quote(key)+` = ?`, value)
	if after != "" {
		w.add(`"id" > ?`, after)
	}
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT "id" FROM %s WHERE %s ORDER BY "id" LIMIT %d`, tableRef(m), w.sql(), limit), w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id any
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, Decode(colID, id).(string))
	}
	return out, rows.Err()
}
