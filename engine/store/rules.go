package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
)

// RuleRow is a stored rule. The rule engine owns its meaning; the store
// keeps trigger and actions as JSON documents.
type RuleRow struct {
	ID         string          `json:"id"`
	AppID      string          `json:"-"`
	App        string          `json:"app"`
	Key        string          `json:"key"`
	Label      json.RawMessage `json:"label"`
	Module     string          `json:"module"`
	Enabled    bool            `json:"enabled"`
	BeforeSave bool            `json:"before_save"`
	Trigger    json.RawMessage `json:"trigger"`
	Condition  string          `json:"condition"`
	Actions    json.RawMessage `json:"actions"`
	Version    int             `json:"version"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

const ruleCols = `r.id, r.app_id, a.key, r.key, r.label, r.module, r.enabled, r.before_save, r.trigger, r.condition, r.actions, r.version, r.created_at, r.updated_at`

// CreateRule inserts a rule; a duplicate key in the app is a conflict.
func (s *Store) CreateRule(ctx context.Context, r *RuleRow) error {
	r.ID = NewID()
	r.Version = 1
	return s.InTx(ctx, func(tx *Tx) error {
		if err := BumpCacheTx(ctx, tx, CacheRules); err != nil {
			return err
		}
		r.CreatedAt, r.UpdatedAt = tx.Now, tx.Now
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO rules (id, app_id, key, label, module, enabled, before_save, trigger, condition, actions, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			r.ID, r.AppID, r.Key, string(r.Label), r.Module, r.Enabled, r.BeforeSave, string(r.Trigger), r.Condition, string(r.Actions),
			r.Version, TimeArg(s.D, tx.Now), TimeArg(s.D, tx.Now))
		if _, dup := s.D.UniqueViolation(err); dup {
			return errs.New(errs.Conflict, "rule.exists", "key", r.Key)
		}
		return err
	})
}

// UpdateRule replaces a rule's definition if its version is still version.
func (s *Store) UpdateRule(ctx context.Context, r *RuleRow, version int) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if err := BumpCacheTx(ctx, tx, CacheRules); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE rules SET label = ?, module = ?, enabled = ?, before_save = ?, trigger = ?, condition = ?, actions = ?,
			version = version + 1, updated_at = ? WHERE id = ? AND version = ?`),
			string(r.Label), r.Module, r.Enabled, r.BeforeSave, string(r.Trigger), r.Condition, string(r.Actions), TimeArg(s.D, tx.Now), r.ID, version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.New(errs.Conflict, "rule.stale", "key", r.Key)
		}
		r.Version, r.UpdatedAt = version+1, tx.Now
		return nil
	})
}

// DeleteRule removes a rule (its run log stays).
func (s *Store) DeleteRule(ctx context.Context, id string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if err := BumpCacheTx(ctx, tx, CacheRules); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM rules WHERE id = ?`), id)
		return err
	})
}

// Rule returns one rule of an app.
func (s *Store) Rule(ctx context.Context, app, key string) (*RuleRow, error) {
	rows, err := s.rules(ctx, `a.key = ? AND r.key = ?`, app, key)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errs.New(errs.NotFound, "rule.not_found", "key", key)
	}
	return rows[0], nil
}

// Rules lists an app's rules by key ("" app: every rule, for the engine).
func (s *Store) Rules(ctx context.Context, app string) ([]*RuleRow, error) {
	if app == "" {
		return s.rules(ctx, `1 = 1`)
	}
	return s.rules(ctx, `a.key = ?`, app)
}

func (s *Store) rules(ctx context.Context, where string, args ...any) ([]*RuleRow, error) {
	rows, err := s.rd(ctx).QueryContext(ctx, s.q(`SELECT `+ruleCols+` FROM rules r JOIN apps a ON a.id = r.app_id WHERE `+where+` ORDER BY a.key, r.key`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*RuleRow
	for rows.Next() {
		var r RuleRow
		var label, trig, acts []byte
		var c, u any
		if err := rows.Scan(&r.ID, &r.AppID, &r.App, &r.Key, &label, &r.Module, &r.Enabled, &r.BeforeSave, &trig, &r.Condition, &acts, &r.Version, &c, &u); err != nil {
			return nil, err
		}
		r.Label, r.Trigger, r.Actions = json.RawMessage(label), json.RawMessage(trig), json.RawMessage(acts)
		r.CreatedAt, r.UpdatedAt = DecodeTime(c), DecodeTime(u)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// RuleRun is one logged run of a rule.
type RuleRun struct {
	ID       string          `json:"id"`
	RuleID   string          `json:"rule_id"`
	App      string          `json:"app"`
	RuleKey  string          `json:"rule"`
	Module   string          `json:"module"`
	RecordID string          `json:"record_id,omitempty"`
	Trigger  string          `json:"trigger"`
	Outcome  string          `json:"outcome"` // ok, skipped (condition false), failed, rejected, dry_run
	Error    string          `json:"error,omitempty"`
	Detail   json.RawMessage `json:"detail,omitempty"`
	Duration time.Duration   `json:"-"`
	Micros   int64           `json:"duration_us"`
	At       time.Time       `json:"at"`
}

// LogRuleRun records a run, in tx when given (so a run's log commits with
// its effects), else on its own.
func (s *Store) LogRuleRun(ctx context.Context, tx *Tx, run *RuleRun) error {
	run.ID = NewID()
	if run.At.IsZero() {
		run.At = s.Now()
	}
	if len(run.Detail) == 0 {
		run.Detail = json.RawMessage(`{}`)
	}
	run.Micros = run.Duration.Microseconds()
	q := s.q(`INSERT INTO rule_runs (id, rule_id, app, rule_key, module, record_id, trigger, outcome, error, detail, duration_us, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	args := []any{run.ID, run.RuleID, run.App, run.RuleKey, run.Module, nullable(run.RecordID), run.Trigger, run.Outcome,
		run.Error, string(run.Detail), run.Micros, TimeArg(s.D, run.At)}
	if tx != nil {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	})
}

// RuleRunQuery selects runs: of one rule, or of one record.
type RuleRunQuery struct {
	RuleID   string
	App      string
	Module   string
	RecordID string
	Limit    int
}

// RuleRuns lists runs newest first.
func (s *Store) RuleRuns(ctx context.Context, q RuleRunQuery) ([]*RuleRun, error) {
	w := &whereBuilder{d: s.D}
	w.add(`1 = 1`)
	if q.RuleID != "" {
		w.add(`rule_id = ?`, q.RuleID)
	}
	if q.RecordID != "" {
		if !validID(q.RecordID) {
			return []*RuleRun{}, nil
		}
		w.add(`app = ? AND module = ? AND record_id = ?`, q.App, q.Module, q.RecordID)
	}
	limit := q.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.rd(ctx).QueryContext(ctx, fmt.Sprintf(`SELECT id, rule_id, app, rule_key, module, record_id, trigger, outcome, error, detail, duration_us, at
		FROM rule_runs WHERE %s ORDER BY at DESC, id DESC LIMIT %d`, w.sql(), limit), w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*RuleRun{}
	for rows.Next() {
		var r RuleRun
		var rec sql.NullString
		var detail []byte
		var at any
		if err := rows.Scan(&r.ID, &r.RuleID, &r.App, &r.RuleKey, &r.Module, &rec, &r.Trigger, &r.Outcome, &r.Error, &detail, &r.Micros, &at); err != nil {
			return nil, err
		}
		r.RecordID, r.Detail, r.At = rec.String, json.RawMessage(detail), DecodeTime(at)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// RuleRunOutcomes counts an app's logged rule runs by outcome (ok,
// skipped, failed, rejected, dry_run): a bulk load checks none failed.
func (s *Store) RuleRunOutcomes(ctx context.Context, app string) (map[string]int, error) {
	rows, err := s.rd(ctx).QueryContext(ctx, s.q(`SELECT outcome, count(*) FROM rule_runs WHERE app = ? GROUP BY outcome`), app)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var o string
		var n int
		if err := rows.Scan(&o, &n); err != nil {
			return nil, err
		}
		out[o] = n
	}
	return out, rows.Err()
}
