// Package summary keeps live aggregates: for dashboard widgets whose
// queries count and sum over select, user, boolean and date keys, summary
// rows (counts and sums per owner and key values) are kept in step with
// the records inside every write's transaction, and such queries are
// answered from them instead of a GROUP BY over the module's table.
//
//   - Each summary has a table of its own (sum_<id>): its key columns are
//     the owner, the key fields as text (” for empty) and a slot; its
//     value columns a row count and, per summed field, a count of values
//     and their sum. Per-summary tables keep each one's unique index
//     exactly its key, let DROP TABLE remove one, and keep the big
//     tables of one app out of the way of another's.
//   - A write adds its deltas with INSERT … ON CONFLICT DO UPDATE SET
//     n = n + excluded.n (record.Aggregates.Apply, after the write's
//     in-transaction hooks): exact under concurrent writers on both
//     dialects, and undone with the write (or its savepoint) on rollback.
//     On PostgreSQL a write picks one of Slots rows per key at random, so
//     concurrent writers to one key do not queue on one row lock; a key's
//     value is the sum over its slots.
//   - Owners are keys, departments are not: a department scope (or a
//     department filter) is answered as owner_id IN (members), read at
//     query time, so moving a user between departments changes no
//     summary.
//   - Summaries are built by a job (KindBuild) in one transaction; on
//     PostgreSQL it first takes a SHARE lock on the module's table, which
//     waits for the writes in flight and holds new ones back until the
//     summary is ready, so no write is counted twice or missed.
//   - A summary answers only while it is ready and built for the module's
//     current version; a module change that touches its fields makes it
//     stale and enqueues a rebuild.
package summary

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/report"
	"github.com/tessera-app/tessera/engine/store"
)

// Statuses of a summary.
const (
	StatusPending  = "pending"  // saved, its build job not done yet
	StatusBuilding = "building" // the build job is running (PostgreSQL shows it)
	StatusReady    = "ready"    // kept by every write, answers queries
	StatusStale    = "stale"    // its module changed under it: rebuilt by a job
	StatusFailed   = "failed"   // its build failed (Error)
)

// Slots is the number of rows per key a PostgreSQL write spreads its
// deltas over (SQLite has one writer: one row): with 8 writers on one key,
// two of them meet on a row (and the second waits for the first's commit)
// about one time in five rather than three in five with 8 slots.
const Slots = 32

// Summary is one summary as stored.
type Summary struct {
	ID            string     `json:"id"`
	App           string     `json:"app"`
	Module        string     `json:"module"`
	Def           Def        `json:"def"`
	Table         string     `json:"table"`
	Status        string     `json:"status"`
	ModuleVersion int64      `json:"module_version"`
	SourceRows    int64      `json:"source_rows"`
	SummaryRows   int64      `json:"summary_rows"`
	Error         string     `json:"error,omitempty"`
	BuiltAt       *time.Time `json:"built_at,omitempty"`
}

// Service keeps and answers summaries.
type Service struct {
	Store   *store.Store
	Modules record.ModuleSource
	// Reports compiles saved widgets' query specs (Saved).
	Reports *report.Service
	// Enqueue adds a job in tx (jobs.Enqueue); nil: builds only run when
	// asked (Build).
	Enqueue func(ctx context.Context, tx *store.Tx, kind, key string, payload []byte) error
	// Off turns maintenance and answers off (the bench's "summaries off").
	Off bool

	mu   sync.Mutex
	defs map[string]Def // by summary id (a summary's def never changes)
	// answered counts the queries answered from summaries (Answered).
	answered atomic.Int64
}

// Answered is the number of aggregate queries this service answered from
// summaries since it started (the rest ran their GROUP BY).
func (s *Service) Answered() int64 { return s.answered.Load() }

// New returns the service over s.
func New(s *store.Store, modules record.ModuleSource) *Service {
	return &Service{Store: s, Modules: modules, defs: map[string]Def{}}
}

var _ record.Aggregates = (*Service)(nil)

// tableName is the table of summary id.
func tableName(id string) string { return "sum_" + strings.ReplaceAll(id, "-", "") }

// queryer is a transaction or a pool.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// live are the summaries of m that writes keep: ready ones, read inside
// the write's transaction (after its row was written, so a build that
// committed before is seen and one still running holds the write back on
// PostgreSQL; see Build).
type live struct {
	id, table string
	version   int64
	def       Def
}

func (s *Service) ready(ctx context.Context, q queryer, m *meta.Module) ([]live, error) {
	const query = `SELECT id, table_name, module_version, def FROM summaries
		WHERE app_key = ? AND module_key = ? AND status = 'ready' ORDER BY id`
	var rows *sql.Rows
	var err error
	if tx, ok := q.(*store.Tx); ok {
		// In a write: the write's buffered audit entry and jobs go in the
		// same statement on PostgreSQL (one round trip for both).
		rows, err = tx.QueryFlushing(ctx, query, m.AppKey, m.Key)
	} else {
		rows, err = q.QueryContext(ctx, store.Rebind(s.Store.D, query), m.AppKey, m.Key)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []live
	for rows.Next() {
		var l live
		var def string
		if err := rows.Scan(&l.id, &l.table, &l.version, &def); err != nil {
			return nil, err
		}
		if l.def, err = s.decodeDef(l.id, def); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

func (s *Service) decodeDef(id, text string) (Def, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.defs[id]; ok {
		return d, nil
	}
	var d Def
	if err := json.Unmarshal([]byte(text), &d); err != nil {
		return Def{}, fmt.Errorf("summary %s: %w", id, err)
	}
	s.defs[id] = d
	return d, nil
}

// fits reports whether d's fields are still on m as the kinds d keeps.
func fits(d Def, m *meta.Module) bool {
	for _, k := range d.Keys {
		if kind, ok := keyKind(m.Field(k.Field)); !ok || kind != k.Kind {
			return false
		}
	}
	for _, f := range d.Sums {
		if !summable(m.Field(f)) {
			return false
		}
	}
	return true
}

// List returns the summaries of app ("" for every app).
func (s *Service) List(ctx context.Context, app string) ([]*Summary, error) {
	q := `SELECT id, app_key, module_key, def, table_name, status, module_version, source_rows, summary_rows, error, built_at
		FROM summaries`
	var args []any
	if app != "" {
		q += ` WHERE app_key = ?`
		args = append(args, app)
	}
	rows, err := s.Store.R.QueryContext(ctx, store.Rebind(s.Store.D, q+` ORDER BY app_key, module_key, created_at, id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Summary{}
	for rows.Next() {
		var sm Summary
		var def string
		var built any
		if err := rows.Scan(&sm.ID, &sm.App, &sm.Module, &def, &sm.Table, &sm.Status, &sm.ModuleVersion, &sm.SourceRows,
			&sm.SummaryRows, &sm.Error, &built); err != nil {
			return nil, err
		}
		if sm.Def, err = s.decodeDef(sm.ID, def); err != nil {
			return nil, err
		}
		if built != nil {
			t := store.DecodeTime(built)
			sm.BuiltAt = &t
		}
		out = append(out, &sm)
	}
	return out, rows.Err()
}

// get returns one summary.
func (s *Service) get(ctx context.Context, id string) (*Summary, error) {
	all, err := s.List(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, sm := range all {
		if sm.ID == id {
			return sm, nil
		}
	}
	return nil, errs.New(errs.NotFound, "summary.not_found", "id", id)
}

// Ensure makes sure a summary of shape d exists for m and returns it: an
// existing one is left alone (a stale or failed one gets a new build job),
// a new one is created pending with its build job.
func (s *Service) Ensure(ctx context.Context, m *meta.Module, d Def) (string, error) {
	sig, err := json.Marshal(d)
	if err != nil {
		return "", err
	}
	var id string
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		var status string
		err := tx.QueryRowContext(ctx, store.Rebind(tx.D, `SELECT id, status FROM summaries WHERE app_key = ? AND module_key = ? AND signature = ?`),
			m.AppKey, m.Key, string(sig)).Scan(&id, &status)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			id = store.NewID()
			now := store.TimeArg(tx.D, tx.Now)
			if _, err := tx.ExecContext(ctx, store.Rebind(tx.D, `INSERT INTO summaries
				(id, app_key, module_key, signature, def, table_name, status, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), id, m.AppKey, m.Key, string(sig), string(sig), tableName(id), StatusPending, now, now); err != nil {
				return err
			}
		case err != nil:
			return err
		case status == StatusReady || status == StatusPending || status == StatusBuilding:
			return nil
		}
		return s.enqueueBuild(ctx, tx, id)
	})
	return id, err
}

// buildPayload is a build job's payload.
type buildPayload struct {
	ID string `json:"id"`
}

// KindBuild is the job kind that builds (or rebuilds) a summary.
const KindBuild = "summary.build"

func (s *Service) enqueueBuild(ctx context.Context, tx *store.Tx, id string) error {
	if s.Enqueue == nil {
		return nil
	}
	b, _ := json.Marshal(buildPayload{ID: id})
	return s.Enqueue(ctx, tx, KindBuild, KindBuild+":"+id, b)
}

// ModuleChanged is the meta.Service.OnChange callback: summaries of a
// module whose fields they read changed (or went) become stale and get a
// rebuild job; for other changes they are carried to the new version, as
// their rows still hold. A deleted module's summaries are dropped.
func (s *Service) ModuleChanged(ctx context.Context, c meta.Change) error {
	if c.Old == nil || (c.Action != "module.update" && c.Action != "module.delete") {
		return nil
	}
	all, err := s.List(ctx, c.App)
	if err != nil {
		return err
	}
	for _, sm := range all {
		if sm.Module != c.Old.Key {
			continue
		}
		if c.New == nil {
			if err := s.Drop(ctx, sm.ID); err != nil {
				return err
			}
			continue
		}
		if err := s.Store.InTx(ctx, func(tx *store.Tx) error {
			if fits(sm.Def, c.New) && sameFields(sm.Def, c.Old, c.New) {
				_, err := tx.ExecContext(ctx, store.Rebind(tx.D, `UPDATE summaries SET module_version = ?, updated_at = ?
					WHERE id = ? AND module_version = ?`), c.New.Version, store.TimeArg(tx.D, tx.Now), sm.ID, c.Old.Version)
				return err
			}
			if _, err := tx.ExecContext(ctx, store.Rebind(tx.D, `UPDATE summaries SET status = ?, updated_at = ? WHERE id = ?`),
				StatusStale, store.TimeArg(tx.D, tx.Now), sm.ID); err != nil {
				return err
			}
			return s.enqueueBuild(ctx, tx, sm.ID)
		}); err != nil {
			return err
		}
	}
	return nil
}

// sameFields reports whether d's fields have the same type and column
// before and after a module change.
func sameFields(d Def, old, next *meta.Module) bool {
	fields := []string{}
	for _, k := range d.Keys {
		fields = append(fields, k.Field)
	}
	fields = append(fields, d.Sums...)
	for _, key := range fields {
		a, b := old.Field(key), next.Field(key)
		if a == nil || b == nil || a.Type.Name() != b.Type.Name() || a.Column() != b.Column() {
			return false
		}
	}
	return true
}

// Drop removes a summary and its table.
func (s *Service) Drop(ctx context.Context, id string) error {
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS `+store.Quote(tableName(id))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, store.Rebind(tx.D, `DELETE FROM summaries WHERE id = ?`), id)
		return err
	})
}
