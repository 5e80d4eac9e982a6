package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-app/tessera/engine/access"
)

// Kinds of in-memory caches whose changes other processes must hear of
// (engine/cluster watches them). Each names one row of cache_versions.
const (
	CacheModules   = "modules"            // apps and modules (meta.Service)
	CacheRules     = "rules"              // rules (rule.Engine)
	CacheFlows     = "flows"              // stage pipelines (flow.Service)
	CacheCalendars = "calendars"          // business calendars (calendar.Service)
	CacheOrg       = access.CacheOrg      // departments, roles and users (access.Service bumps it)
	CacheSessions  = access.CacheSessions // sign-in sessions and API tokens (access.Service bumps it)
)

// CacheChannel is the PostgreSQL NOTIFY channel of cache changes. The
// payload is "schema/kind": installations in other schemas of the same
// database share the channel and ignore each other's notifications.
const CacheChannel = "tessera_cache"

// BumpCacheTx increments the versions of kinds in tx and, on PostgreSQL,
// notifies CacheChannel; PostgreSQL delivers the notification when tx
// commits, and never when it rolls back.
func BumpCacheTx(ctx context.Context, tx *Tx, kinds ...string) error {
	for _, kind := range kinds {
		if _, err := tx.ExecContext(ctx, Rebind(tx.D, `INSERT INTO cache_versions (kind, version) VALUES (?, 1)
			ON CONFLICT (kind) DO UPDATE SET version = cache_versions.version + 1`), kind); err != nil {
			return err
		}
		if tx.D.Name() == "postgres" {
			if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, current_schema() || '/' || $2)`, CacheChannel, kind); err != nil {
				return err
			}
		}
	}
	return nil
}

// BumpCache is BumpCacheTx in a transaction of its own, for changes that
// committed in transactions the caller does not hold.
func (s *Store) BumpCache(ctx context.Context, kinds ...string) error {
	return s.InTx(ctx, func(tx *Tx) error { return BumpCacheTx(ctx, tx, kinds...) })
}

// CacheVersions reads every kind's version (kinds never bumped are
// missing: version 0).
func (s *Store) CacheVersions(ctx context.Context) (map[string]int64, error) {
	rows, err := s.rd(ctx).QueryContext(ctx, `SELECT kind, version FROM cache_versions`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// ErrNoListen is returned by Listen on SQLite, which has no notifications.
var ErrNoListen = errors.New("store: LISTEN needs PostgreSQL")

// Listen opens a connection of its own (outside the pools) listening on
// channel, and returns it with the schema its notifications are about
// (current_schema()). The caller closes it.
func (s *Store) Listen(ctx context.Context, channel string) (*pgx.Conn, string, error) {
	if s.url == "" {
		return nil, "", ErrNoListen
	}
	c, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return nil, "", err
	}
	var schema string
	if err := c.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		c.Close(context.Background())
		return nil, "", err
	}
	if _, err := c.Exec(ctx, `LISTEN `+pgx.Identifier{channel}.Sanitize()); err != nil {
		c.Close(context.Background())
		return nil, "", err
	}
	return c, schema, nil
}
