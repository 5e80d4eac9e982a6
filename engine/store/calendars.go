package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
)

// Business calendars are JSON documents owned by engine/calendar; the store
// keeps them by key with a version for optimistic updates.

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"store.calendar_not_found": {i18n.EN: "Calendar \"{key}\" does not exist.", i18n.ZhCN: "日历“{key}”不存在。"},
		"store.calendar_stale":     {i18n.EN: "Calendar \"{key}\" was changed meanwhile (version {version} is not current); reload it and try again.", i18n.ZhCN: "日历“{key}”已被他人修改（版本 {version} 已过期），请重新加载后再试。"},
	})
}

// CalendarRow is one stored calendar.
type CalendarRow struct {
	Key       string
	Doc       []byte
	Version   int
	UpdatedAt time.Time
	UpdatedBy string
}

// Calendar reads a stored calendar (not found: an errs.NotFound error).
func (s *Store) Calendar(ctx context.Context, key string) (*CalendarRow, error) {
	var r CalendarRow
	var doc string
	var at any
	var by sql.NullString
	err := s.rd(ctx).QueryRowContext(ctx, s.q(`SELECT key, doc, version, updated_at, updated_by FROM calendars WHERE key = ?`), key).
		Scan(&r.Key, &doc, &r.Version, &at, &by)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.New(errs.NotFound, "store.calendar_not_found", "key", key)
	}
	if err != nil {
		return nil, err
	}
	r.Doc, r.UpdatedAt, r.UpdatedBy = []byte(doc), DecodeTime(at), by.String
	return &r, nil
}

// PutCalendar stores a calendar. version is the version the caller read
// (0: the calendar is new, or the built-in one was never saved); a stale
// version is a conflict. It returns the new version.
func (s *Store) PutCalendar(ctx context.Context, key string, doc []byte, version int, by string) (int, error) {
	next := version + 1
	err := s.InTx(ctx, func(tx *Tx) error {
		if err := BumpCacheTx(ctx, tx, CacheCalendars); err != nil {
			return err
		}
		now := TimeArg(s.D, tx.Now)
		var res sql.Result
		var err error
		if version == 0 {
			res, err = tx.ExecContext(ctx, s.q(`INSERT INTO calendars (key, doc, version, updated_at, updated_by) VALUES (?, ?, 1, ?, ?)
				ON CONFLICT (key) DO NOTHING`), key, string(doc), now, nullableID(by))
		} else {
			res, err = tx.ExecContext(ctx, s.q(`UPDATE calendars SET doc = ?, version = version + 1, updated_at = ?, updated_by = ?
				WHERE key = ? AND version = ?`), string(doc), now, nullableID(by), key, version)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = errs.New(errs.Conflict, "store.calendar_stale", "key", key, "version", version)
			}
			return err
		}
		return nil
	})
	return next, err
}
