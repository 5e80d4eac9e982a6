package store

import (
	"context"
	"database/sql"
	"errors"
)

// System users are the actors automations write as ("rule:<key>", kind
// 'system'): real rows, so a record's created_by and its history name
// them, but disabled and without a password (nobody signs in as one) and
// left out of user lists. handle is their unique identity (stored as the
// email, which no person's email can be: it has no "@"), name what they
// are shown as.

// SystemUser returns the id of the system user handle, creating it in tx
// on first use. Two transactions creating the same one at once both end
// with the same row (the insert does nothing on a taken handle).
func (s *Store) SystemUser(ctx context.Context, tx *Tx, handle, name string) (string, error) {
	var id string
	find := func() error {
		return tx.QueryRowContext(ctx, s.q(`SELECT id FROM users WHERE email = ? AND kind = 'system'`), handle).Scan(&id)
	}
	err := find()
	if !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	now := TimeArg(s.D, tx.Now)
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO users (id, email, name, password_hash, is_admin, disabled, kind, created_at, updated_at)
		VALUES (?, ?, ?, '!', ?, ?, 'system', ?, ?) ON CONFLICT (email) DO NOTHING`), NewID(), handle, name, false, true, now, now); err != nil {
		return "", err
	}
	return id, find()
}
