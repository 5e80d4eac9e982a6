package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/tessera-app/tessera/engine/errs"
)

// InstalledTemplate is an app's row of templates_installed: the template
// package it came from and that package's files (path → text) as
// installed — the base of the next upgrade's merge.
type InstalledTemplate struct {
	App         string // app key
	AppID       string
	Template    string // the template's key
	Version     string
	Files       string // JSON object: path → file text
	InstalledAt any
	UpgradedAt  any
}

// SaveInstalledTemplate records (or, after an upgrade, replaces) the
// template app appID was installed from.
func (s *Store) SaveInstalledTemplate(ctx context.Context, t *InstalledTemplate) error {
	return s.InTx(ctx, func(tx *Tx) error {
		// The app's origin shows in its metadata (meta.App.Template).
		if err := BumpCacheTx(ctx, tx, CacheModules); err != nil {
			return err
		}
		now := TimeArg(s.D, tx.Now)
		res, err := tx.ExecContext(ctx, s.q(`UPDATE templates_installed SET template_key = ?, version = ?, files = ?, upgraded_at = ? WHERE app_id = ?`),
			t.Template, t.Version, t.Files, now, t.AppID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO templates_installed (app_id, template_key, version, files, installed_at, upgraded_at) VALUES (?, ?, ?, ?, ?, ?)`),
			t.AppID, t.Template, t.Version, t.Files, now, now)
		return err
	})
}

const installedCols = `a.key, a.id, t.template_key, t.version, t.files, t.installed_at, t.upgraded_at
	FROM templates_installed t JOIN apps a ON a.id = t.app_id`

// InstalledTemplateOf returns what app was installed from; NotFound when
// it was not installed from a template.
func (s *Store) InstalledTemplateOf(ctx context.Context, app string) (*InstalledTemplate, error) {
	t, err := scanInstalled(s.rd(ctx).QueryRowContext(ctx, s.q(`SELECT `+installedCols+` WHERE a.key = ?`), app))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.New(errs.NotFound, "template.not_installed", "app", app)
	}
	return t, err
}

// InstalledTemplates lists every app installed from a template, by app key.
func (s *Store) InstalledTemplates(ctx context.Context) ([]*InstalledTemplate, error) {
	return queryAll(ctx, s.rd(ctx), `SELECT `+installedCols+` ORDER BY a.key`, nil, scanInstalled)
}

// DeleteInstalledTemplate forgets where app appID came from (its
// metadata stays: it is now an app like any other).
func (s *Store) DeleteInstalledTemplate(ctx context.Context, appID string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if err := BumpCacheTx(ctx, tx, CacheModules); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM templates_installed WHERE app_id = ?`), appID)
		return err
	})
}

func scanInstalled(r scanner) (*InstalledTemplate, error) {
	var t InstalledTemplate
	var i, u any
	if err := r.Scan(&t.App, &t.AppID, &t.Template, &t.Version, &t.Files, &i, &u); err != nil {
		return nil, err
	}
	t.InstalledAt, t.UpgradedAt = DecodeTime(i), DecodeTime(u)
	return &t, nil
}
