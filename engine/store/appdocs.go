package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
)

// AppDocRow is an app document (table app_documents): a pool, a public
// form or view — small metadata of one module kept as one JSON document.
// The package named by Kind owns Doc's meaning; the store keeps it, finds
// it by key or by token hash, and versions it for optimistic updates.
// Errors name the kind: "<kind>.exists", "<kind>.stale", "<kind>.not_found"
// (each with the key), which the owning package registers.
type AppDocRow struct {
	ID        string
	AppID     string
	App       string
	Kind      string
	Key       string
	Module    string
	Doc       json.RawMessage
	TokenHash string // "" for none
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

const appDocCols = `d.id, d.app_id, a.key, d.kind, d.key, d.module, d.doc, d.token_hash, d.version, d.created_at, d.updated_at`

// CreateAppDoc inserts a document inside tx (so its owner can enqueue the
// jobs it needs in the same transaction); a duplicate key of the kind in
// the app is a conflict.
func (s *Store) CreateAppDoc(ctx context.Context, tx *Tx, d *AppDocRow) error {
	d.ID, d.Version, d.CreatedAt, d.UpdatedAt = NewID(), 1, tx.Now, tx.Now
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO app_documents (id, app_id, kind, key, module, doc, token_hash, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		d.ID, d.AppID, d.Kind, d.Key, d.Module, string(d.Doc), nullable(d.TokenHash), d.Version, TimeArg(s.D, tx.Now), TimeArg(s.D, tx.Now))
	if _, dup := s.D.UniqueViolation(err); dup {
		return errs.New(errs.Conflict, d.Kind+".exists", "key", d.Key)
	}
	return err
}

// UpdateAppDoc replaces a document's module, doc and token hash if its
// version is still version.
func (s *Store) UpdateAppDoc(ctx context.Context, tx *Tx, d *AppDocRow, version int) error {
	res, err := tx.ExecContext(ctx, s.q(`UPDATE app_documents SET module = ?, doc = ?, token_hash = ?, version = version + 1, updated_at = ?
		WHERE id = ? AND version = ?`), d.Module, string(d.Doc), nullable(d.TokenHash), TimeArg(s.D, tx.Now), d.ID, version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.Conflict, d.Kind+".stale", "key", d.Key)
	}
	d.Version, d.UpdatedAt = version+1, tx.Now
	return nil
}

// DeleteAppDoc removes a document (its counters go with their scope's
// periods).
func (s *Store) DeleteAppDoc(ctx context.Context, tx *Tx, id string) error {
	_, err := tx.ExecContext(ctx, s.q(`DELETE FROM app_documents WHERE id = ?`), id)
	return err
}

// AppDoc returns one document of an app by kind and key.
func (s *Store) AppDoc(ctx context.Context, app, kind, key string) (*AppDocRow, error) {
	return s.oneAppDoc(ctx, s.rd(ctx), kind, key, `a.key = ? AND d.kind = ? AND d.key = ?`, app, kind, key)
}

// AppDocInTx reads a document by id inside a write transaction (a job
// re-reading the pool it works for).
func (s *Store) AppDocInTx(ctx context.Context, tx *Tx, kind, id string) (*AppDocRow, error) {
	return s.oneAppDoc(ctx, tx, kind, id, `d.kind = ? AND d.id = ?`, kind, id)
}

// AppDocByToken returns the document of kind whose token hashes to hash.
func (s *Store) AppDocByToken(ctx context.Context, kind, hash string) (*AppDocRow, error) {
	return s.oneAppDoc(ctx, s.rd(ctx), kind, "", `d.kind = ? AND d.token_hash = ?`, kind, hash)
}

// AppDocs lists an app's documents of kind by key.
func (s *Store) AppDocs(ctx context.Context, app, kind string) ([]*AppDocRow, error) {
	return s.appDocs(ctx, s.rd(ctx), `a.key = ? AND d.kind = ?`, app, kind)
}

func (s *Store) oneAppDoc(ctx context.Context, q queryer, kind, key, where string, args ...any) (*AppDocRow, error) {
	rows, err := s.appDocs(ctx, q, where, args...)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errs.New(errs.NotFound, kind+".not_found", "key", key)
	}
	return rows[0], nil
}

func (s *Store) appDocs(ctx context.Context, q queryer, where string, args ...any) ([]*AppDocRow, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT `+appDocCols+` FROM app_documents d JOIN apps a ON a.id = d.app_id
		WHERE `+where+` ORDER BY d.key`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*AppDocRow
	for rows.Next() {
		var d AppDocRow
		var doc []byte
		var token sql.NullString
		var c, u any
		if err := rows.Scan(&d.ID, &d.AppID, &d.App, &d.Kind, &d.Key, &d.Module, &doc, &token, &d.Version, &c, &u); err != nil {
			return nil, err
		}
		d.Doc, d.TokenHash = json.RawMessage(doc), token.String
		d.CreatedAt, d.UpdatedAt = DecodeTime(c), DecodeTime(u)
		out = append(out, &d)
	}
	return out, rows.Err()
}

// RaiseCounter adds one to the counter of (scope, subject, period) inside
// tx unless it has reached ceiling; ok is false when it had. The raise is
// a conditional UPDATE (or the first row's INSERT), so of concurrent
// transactions raising one counter the row lock lets exactly ceiling
// commit: on PostgreSQL a waiting UPDATE re-reads n once the holder
// commits (and finds nothing to do when it rolled back), an INSERT racing
// another waits for it and then does nothing; SQLite has one writer.
// expires is when the period is over, for PurgeCounters.
func (s *Store) RaiseCounter(ctx context.Context, tx *Tx, scope, subject, period string, ceiling int, expires time.Time) (bool, error) {
	if ceiling <= 0 {
		return false, nil
	}
	for range 2 {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE capped_counters SET n = n + 1 WHERE scope = ? AND subject = ? AND period = ? AND n < ?`),
			scope, subject, period, ceiling)
		if err != nil {
			return false, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return true, nil
		}
		res, err = tx.ExecContext(ctx, s.q(`INSERT INTO capped_counters (scope, subject, period, n, expires_at) VALUES (?, ?, ?, 1, ?)
			ON CONFLICT (scope, subject, period) DO NOTHING`), scope, subject, period, TimeArg(s.D, expires))
		if err != nil {
			return false, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return true, nil
		}
		// The row exists: either full, or inserted by a transaction that
		// committed after our UPDATE looked — look once more.
	}
	return false, nil
}

// Counter returns the counter of (scope, subject, period), 0 when none.
func (s *Store) Counter(ctx context.Context, scope, subject, period string) (int, error) {
	var n int
	err := s.rd(ctx).QueryRowContext(ctx, s.q(`SELECT n FROM capped_counters WHERE scope = ? AND subject = ? AND period = ?`),
		scope, subject, period).Scan(&n)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return n, err
}

// PurgeCounters deletes the counters of periods over before now.
func (s *Store) PurgeCounters(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM capped_counters WHERE expires_at < ?`), TimeArg(s.D, now))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

// SaveAppDoc creates d (version 0) or replaces it if its version is still
// version, and runs also in the same transaction (the owner planning or
// cancelling the jobs the document implies); d.ID is set before also runs.
func (s *Store) SaveAppDoc(ctx context.Context, d *AppDocRow, version int, also func(tx *Tx) error) error {
	return s.InTx(ctx, func(tx *Tx) error {
		var err error
		if version == 0 {
			err = s.CreateAppDoc(ctx, tx, d)
		} else {
			err = s.UpdateAppDoc(ctx, tx, d, version)
		}
		if err != nil || also == nil {
			return err
		}
		return also(tx)
	})
}
