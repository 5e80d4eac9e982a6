package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
)

// Notification is an in-app message to one user.
type Notification struct {
	ID       string `json:"id"`
	UserID   string `json:"-"`
	Title    string `json:"title"`
	App      string `json:"app,omitempty"`
	Module   string `json:"module,omitempty"`
	RecordID string `json:"record_id,omitempty"`
	// RecordTitle is the record's title as the reader may see it, filled
	// in when the notification is read (runtime/notifyapi), not stored.
	RecordTitle string     `json:"record_title,omitempty"`
	Source      string     `json:"source,omitempty"` // e.g. "rule:<key>"
	CreatedAt   time.Time  `json:"created_at"`
	ReadAt      *time.Time `json:"read_at,omitempty"`
	// Message is the message itself (its key, and its arguments as
	// i18n.Encode keeps them), rendered into Title for each reader when
	// read (runtime/notifyapi); nil for rows from before it was kept,
	// whose Title is the text in the recipient's language at the time.
	Message *i18n.Msg `json:"-"`
}

// Notify stores a notification in tx.
func (s *Store) Notify(ctx context.Context, tx *Tx, n *Notification) error {
	n.ID, n.CreatedAt = NewID(), tx.Now
	var key string
	var params any
	if m := n.Message; m != nil {
		b, err := i18n.Encode(i18n.Msg{Text: m.Text, Args: m.Args})
		if err != nil {
			return err
		}
		key, params = m.Key, string(b)
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO notifications (id, user_id, title, app, module, record_id, source, created_at, msg_key, msg_params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		n.ID, n.UserID, n.Title, n.App, n.Module, nullable(n.RecordID), n.Source, TimeArg(s.D, tx.Now), key, params)
	return err
}

// Notifications lists a user's notifications, newest first (unread only
// when asked).
func (s *Store) Notifications(ctx context.Context, userID string, unread bool, limit int) ([]*Notification, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	cond := ""
	if unread {
		cond = " AND read_at IS NULL"
	}
	rows, err := s.rd(ctx).QueryContext(ctx, s.q(fmt.Sprintf(`SELECT id, title, app, module, record_id, source, created_at, read_at, msg_key, msg_params FROM notifications
		WHERE user_id = ?%s ORDER BY created_at DESC, id DESC LIMIT %d`, cond, limit)), userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Notification{}
	for rows.Next() {
		var n Notification
		var rec, params sql.NullString
		var key string
		var c, r any
		if err := rows.Scan(&n.ID, &n.Title, &n.App, &n.Module, &rec, &n.Source, &c, &r, &key, &params); err != nil {
			return nil, err
		}
		if key != "" {
			m := i18n.Msg{}
			if params.String != "" {
				if m, err = i18n.Decode([]byte(params.String)); err != nil {
					return nil, fmt.Errorf("notification %s: %w", n.ID, err)
				}
			}
			m.Key = key
			n.Message = &m
		}
		n.RecordID, n.CreatedAt = rec.String, DecodeTime(c)
		if r != nil {
			t := DecodeTime(r)
			n.ReadAt = &t
		}
		out = append(out, &n)
	}
	return out, rows.Err()
}

// MarkRead marks a user's notification read.
func (s *Store) MarkRead(ctx context.Context, userID, id string) error {
	if !validID(id) {
		return notFoundNotification()
	}
	return s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE notifications SET read_at = ? WHERE id = ? AND user_id = ? AND read_at IS NULL`),
			TimeArg(s.D, tx.Now), id, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFoundNotification()
		}
		return nil
	})
}

// RuleState reads a rule's named state value in tx ("" when unset).
func (s *Store) RuleState(ctx context.Context, tx *Tx, ruleID, name string) (string, error) {
	var v string
	err := tx.QueryRowContext(ctx, s.q(`SELECT value FROM rule_state WHERE rule_id = ? AND name = ?`), ruleID, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetRuleState writes a rule's named state value in tx.
func (s *Store) SetRuleState(ctx context.Context, tx *Tx, ruleID, name, value string) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO rule_state (rule_id, name, value) VALUES (?, ?, ?)
		ON CONFLICT (rule_id, name) DO UPDATE SET value = excluded.value`), ruleID, name, value)
	return err
}

func notFoundNotification() error { return errs.New(errs.NotFound, "store.notification_not_found") }
