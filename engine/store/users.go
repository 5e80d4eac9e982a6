package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
)

// The store implements access.Repo.
var _ access.Repo = (*Store)(nil)

const userCols = `id, email, name, is_admin, disabled, locale, time_zone, created_at, updated_at`

// CreateUser inserts u; a taken email is a conflict.
func (s *Store) CreateUser(ctx context.Context, u *access.User, passwordHash string) error {
	u.ID = NewID()
	return s.InTx(ctx, func(tx *Tx) error {
		u.CreatedAt, u.UpdatedAt = tx.Now, tx.Now
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO users (`+userCols+`, password_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			u.ID, u.Email, u.Name, u.IsAdmin, u.Disabled, u.Locale, u.TimeZone, TimeArg(s.D, tx.Now), TimeArg(s.D, tx.Now), passwordHash)
		if _, dup := s.D.UniqueViolation(err); dup {
			return errs.New(errs.Conflict, "access.user_exists", "email", u.Email)
		}
		return err
	})
}

// UserByEmail returns the user and their password hash.
func (s *Store) UserByEmail(ctx context.Context, email string) (*access.User, string, error) {
	var hash string
	u, err := scanUser(s.rd(ctx).QueryRowContext(ctx, s.q(`SELECT `+userCols+`, password_hash FROM users WHERE email = ?`), email), &hash)
	return u, hash, err
}

// UserByID returns one user.
func (s *Store) UserByID(ctx context.Context, id string) (*access.User, error) {
	return scanUser(s.rd(ctx).QueryRowContext(ctx, s.q(`SELECT `+userCols+` FROM users WHERE id = ?`), id))
}

// CreateSession stores a session or API token row; a zero ExpiresAt is
// stored as NULL (no expiry).
func (s *Store) CreateSession(ctx context.Context, sess *access.Session) error {
	sess.ID = NewID()
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO sessions (id, token_hash, user_id, kind, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			sess.ID, sess.TokenHash, sess.UserID, sess.Kind, sess.Name, TimeArg(s.D, sess.CreatedAt), nullTime(s.D, sess.ExpiresAt))
		return err
	})
}

// CountUsers returns how many people exist (used to greet a fresh install).
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.rd(ctx).QueryRowContext(ctx, `SELECT count(*) FROM users WHERE kind = 'person'`).Scan(&n)
	return n, err
}

func scanUser(r scanner, extra ...any) (*access.User, error) {
	var u access.User
	var c, up any
	dest := append([]any{&u.ID, &u.Email, &u.Name, &u.IsAdmin, &u.Disabled, &u.Locale, &u.TimeZone, &c, &up}, extra...)
	if err := r.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errs.New(errs.NotFound, "access.user_not_found")
		}
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = DecodeTime(c), DecodeTime(up)
	return &u, nil
}
