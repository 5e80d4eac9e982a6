// Package migrations embeds the system-table migrations for both dialects.
// Module tables are never created here: they follow the metadata through
// engine/store's schema sync.
package migrations

import "embed"

// FS holds sqlite/*.sql and postgres/*.sql, applied by goose.
//
//go:embed sqlite/*.sql postgres/*.sql
var FS embed.FS
