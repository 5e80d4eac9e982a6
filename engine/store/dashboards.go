package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
)

// Dashboards are JSON documents owned by engine/dashboard; the store keeps
// them per app by (owner, key) with a version for optimistic replaces.

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"store.dashboard_not_found": {i18n.EN: "Dashboard \"{key}\" does not exist.", i18n.ZhCN: "仪表盘“{key}”不存在。"},
		"store.dashboard_exists":    {i18n.EN: "A dashboard \"{key}\" already exists.", i18n.ZhCN: "仪表盘“{key}”已存在。"},
		"store.dashboard_stale":     {i18n.EN: "Dashboard \"{key}\" was changed meanwhile (version {version} is not current); reload it and try again.", i18n.ZhCN: "仪表盘“{key}”已被他人修改（版本 {version} 已过期），请重新加载后再试。"},
	})
}

// DashboardRow is one stored dashboard. Owner is "" for a shared one and
// the owning user's id for a private one; Publisher saved it last.
type DashboardRow struct {
	ID        string
	App       string
	Key       string
	Owner     string
	Publisher string
	Doc       []byte
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

const dashboardCols = `d.id, a.key, d.key, d.owner, d.publisher_id, d.doc, d.version, d.created_at, d.updated_at`

func scanDashboard(r scanner) (*DashboardRow, error) {
	var d DashboardRow
	var doc string
	var c, u any
	if err := r.Scan(&d.ID, &d.App, &d.Key, &d.Owner, &d.Publisher, &doc, &d.Version, &c, &u); err != nil {
		return nil, err
	}
	d.Doc, d.CreatedAt, d.UpdatedAt = []byte(doc), DecodeTime(c), DecodeTime(u)
	return &d, nil
}

// CreateDashboard inserts d (its App names the app); a dashboard with the
// same owner and key is a conflict.
func (s *Store) CreateDashboard(ctx context.Context, d *DashboardRow) error {
	return s.InTx(ctx, func(tx *Tx) error {
		var appID string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM apps WHERE key = ?`), d.App).Scan(&appID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return errs.New(errs.NotFound, "store.app_not_found", "key", d.App)
			}
			return err
		}
		d.ID, d.Version, d.CreatedAt, d.UpdatedAt = NewID(), 1, tx.Now, tx.Now
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO dashboards (id, app_id, key, owner, publisher_id, doc, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`),
			d.ID, appID, d.Key, d.Owner, d.Publisher, string(d.Doc), TimeArg(s.D, tx.Now), TimeArg(s.D, tx.Now))
		if _, dup := s.D.UniqueViolation(err); dup {
			return errs.New(errs.Conflict, "store.dashboard_exists", "key", d.Key)
		}
		return err
	})
}

// UpdateDashboard replaces d's document and publisher if its version is
// still version.
func (s *Store) UpdateDashboard(ctx context.Context, d *DashboardRow, version int) error {
	return s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE dashboards SET doc = ?, publisher_id = ?, version = version + 1, updated_at = ?
			WHERE id = ? AND version = ?`), string(d.Doc), d.Publisher, TimeArg(s.D, tx.Now), d.ID, version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = errs.New(errs.Conflict, "store.dashboard_stale", "key", d.Key, "version", version)
			}
			return err
		}
		d.Version, d.UpdatedAt = version+1, tx.Now
		return nil
	})
}

// DeleteDashboard removes a dashboard.
func (s *Store) DeleteDashboard(ctx context.Context, id string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM dashboards WHERE id = ?`), id)
		return err
	})
}

// Dashboards lists an app's dashboards visible by ownership to user: the
// shared ones and user's private ones, by key (private first on a tie).
func (s *Store) Dashboards(ctx context.Context, app, user string) ([]*DashboardRow, error) {
	return queryAll(ctx, s.rd(ctx), s.q(`SELECT `+dashboardCols+` FROM dashboards d JOIN apps a ON a.id = d.app_id
		WHERE a.key = ? AND d.owner IN ('', ?) ORDER BY d.key, d.owner DESC`), []any{app, user}, scanDashboard)
}
