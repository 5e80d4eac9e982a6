package store

import (
	"context"
	"time"

	"github.com/tessera-app/tessera/engine/access"
)

// The store keeps sign-in attempts for the limiter (table login_attempts).
var _ access.LoginRepo = (*Store)(nil)

// LoginAttempts runs fn in a write transaction that parallel attempts of
// the same account or from the same address wait for. On SQLite every
// write transaction already waits for the one before (one writer). On
// PostgreSQL two transaction-scoped advisory locks do it, always the
// account's before the address's, so that two attempts can never wait for
// each other.
func (s *Store) LoginAttempts(ctx context.Context, account, addr string, fn func(tx access.LoginTx) error) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if s.D.Name() == "postgres" {
			for _, lock := range []struct {
				class int
				key   string
			}{{1, account}, {2, addr}} {
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, lock.class, lock.key); err != nil {
					return err
				}
			}
		}
		return fn(loginTx{s: s, tx: tx, ctx: ctx, account: account, addr: addr})
	})
}

type loginTx struct {
	s             *Store
	tx            *Tx
	ctx           context.Context
	account, addr string
}

// Failures returns the times of the attempts q selects, newest first.
// Each of the three shapes (account and address, address, account) is
// one range of an index.
func (l loginTx) Failures(q access.LoginFailureQuery) ([]time.Time, error) {
	where, args := `at > ?`, []any{TimeArg(l.s.D, q.Since)}
	if q.Account != "" {
		where += ` AND account = ?`
		args = append(args, q.Account)
	}
	if !q.AnyAddr {
		where += ` AND addr = ?`
		args = append(args, q.Addr)
	}
	rows, err := l.tx.QueryContext(l.ctx, l.s.q(`SELECT at FROM login_attempts WHERE `+where+` ORDER BY at DESC LIMIT ?`),
		append(args, q.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var at any
		if err := rows.Scan(&at); err != nil {
			return nil, err
		}
		out = append(out, DecodeTime(at))
	}
	return out, rows.Err()
}

// Add stores an attempt and returns its id.
func (l loginTx) Add(at time.Time) (int64, error) {
	var id int64
	err := l.tx.QueryRowContext(l.ctx, l.s.q(`INSERT INTO login_attempts (account, addr, at) VALUES (?, ?, ?) RETURNING id`),
		l.account, l.addr, TimeArg(l.s.D, at)).Scan(&id)
	return id, err
}

// DeleteLoginAttempt forgets one attempt.
func (s *Store) DeleteLoginAttempt(ctx context.Context, id int64) error {
	return s.loginExec(ctx, `DELETE FROM login_attempts WHERE id = ?`, id)
}

// ClearLoginFailures forgets every attempt of account from addr.
func (s *Store) ClearLoginFailures(ctx context.Context, account, addr string) error {
	return s.loginExec(ctx, `DELETE FROM login_attempts WHERE account = ? AND addr = ?`, account, addr)
}

// PurgeLoginAttempts deletes the attempts made before before.
func (s *Store) PurgeLoginAttempts(ctx context.Context, before time.Time) error {
	return s.loginExec(ctx, `DELETE FROM login_attempts WHERE at < ?`, TimeArg(s.D, before))
}

func (s *Store) loginExec(ctx context.Context, q string, args ...any) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, s.q(q), args...)
		return err
	})
}
