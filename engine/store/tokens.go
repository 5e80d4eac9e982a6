package store

import (
	"context"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
)

// Sessions and personal API tokens share the sessions table (kind tells
// them apart); access decides what a row's state means.

const sessionCols = `s.id, s.user_id, s.kind, s.name, s.created_at, s.expires_at, s.last_used_at, s.revoked_at`

// SessionByHash resolves a token hash to its row, in whatever state, and
// its user, in one query.
func (s *Store) SessionByHash(ctx context.Context, tokenHash string) (*access.Session, *access.User, error) {
	q := `SELECT u.id, u.email, u.name, u.is_admin, u.disabled, u.locale, u.time_zone, u.created_at, u.updated_at, ` + sessionCols + `
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ?`
	var sess access.Session
	var t sessionTimes
	u, err := scanUser(s.rd(ctx).QueryRowContext(ctx, s.q(q), tokenHash), t.dest(&sess)...)
	if err != nil {
		// scanUser calls a missing row a missing user; here it is a
		// missing session, which access turns into its own 401.
		return nil, nil, err
	}
	t.set(&sess)
	sess.TokenHash = tokenHash
	return &sess, u, nil
}

// TouchSession records a use of session id at at, unless one after since
// is already recorded (so concurrent requests write it once).
func (s *Store) TouchSession(ctx context.Context, id string, at, since time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`UPDATE sessions SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`),
			TimeArg(s.D, at), id, TimeArg(s.D, since))
		return err
	})
}

// Sessions lists a user's unrevoked, unexpired rows of kind, newest first.
func (s *Store) Sessions(ctx context.Context, userID, kind string, now time.Time) ([]*access.Session, error) {
	return s.sessions(ctx, `AND (s.expires_at IS NULL OR s.expires_at > ?)`, userID, kind, TimeArg(s.D, now))
}

// UnrevokedSessions lists a user's unrevoked rows of kind, expired ones
// included (until they are purged), newest first.
func (s *Store) UnrevokedSessions(ctx context.Context, userID, kind string) ([]*access.Session, error) {
	return s.sessions(ctx, "", userID, kind)
}

// sessions lists a user's unrevoked rows of kind that also meet cond.
func (s *Store) sessions(ctx context.Context, cond, userID, kind string, args ...any) ([]*access.Session, error) {
	rows, err := s.rd(ctx).QueryContext(ctx, s.q(`SELECT `+sessionCols+` FROM sessions s
		WHERE s.user_id = ? AND s.kind = ? AND s.revoked_at IS NULL `+cond+`
		ORDER BY s.created_at DESC, s.id DESC`), append([]any{userID, kind}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*access.Session{}
	for rows.Next() {
		var sess access.Session
		var t sessionTimes
		if err := rows.Scan(t.dest(&sess)...); err != nil {
			return nil, err
		}
		t.set(&sess)
		out = append(out, &sess)
	}
	return out, rows.Err()
}

// RevokeSession marks the user's unrevoked row id of kind revoked; a
// malformed id, another user's row or another kind is NotFound.
func (s *Store) RevokeSession(ctx context.Context, userID, kind, id string, at time.Time) error {
	if !validID(id) {
		return errs.New(errs.NotFound, "access.session_not_found")
	}
	return s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE sessions SET revoked_at = ? WHERE id = ? AND user_id = ? AND kind = ? AND revoked_at IS NULL`),
			TimeArg(s.D, at), id, userID, kind)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errs.New(errs.NotFound, "access.session_not_found")
		}
		return nil
	})
}

// RevokeSessionByHash marks the unrevoked row of kind with tokenHash
// revoked (sign-out); no such row is not an error.
func (s *Store) RevokeSessionByHash(ctx context.Context, tokenHash, kind string, at time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND kind = ? AND revoked_at IS NULL`),
			TimeArg(s.D, at), tokenHash, kind)
		return err
	})
}

// PurgeSessions deletes the rows revoked or expired before before.
func (s *Store) PurgeSessions(ctx context.Context, before time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error {
		b := TimeArg(s.D, before)
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE revoked_at < ? OR expires_at < ?`), b, b)
		return err
	})
}

// sessionTimes receives a row's nullable timestamps.
type sessionTimes struct{ created, expires, used, revoked any }

func (t *sessionTimes) dest(sess *access.Session) []any {
	return []any{&sess.ID, &sess.UserID, &sess.Kind, &sess.Name, &t.created, &t.expires, &t.used, &t.revoked}
}

func (t *sessionTimes) set(sess *access.Session) {
	sess.CreatedAt, sess.ExpiresAt = DecodeTime(t.created), DecodeTime(t.expires)
	sess.LastUsedAt, sess.RevokedAt = DecodeTime(t.used), DecodeTime(t.revoked)
}

// nullTime binds t, or NULL when it is zero.
func nullTime(d Dialect, t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return TimeArg(d, t)
}
