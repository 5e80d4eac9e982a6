package store

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/tessera-app/tessera/engine/meta"
)

// This file and ddl_sync.go are the only places that write DDL for module
// tables. Identifiers come from validated keys and are always quoted.

// systemColumns are every module table's own columns, before the fields.
func systemColumns(d Dialect) []string {
	id, ts := d.IDType(), d.TimeType()
	return []string{
		`"id" ` + id + ` PRIMARY KEY`,
		`"version" INTEGER NOT NULL DEFAULT 1`,
		`"created_at" ` + ts + ` NOT NULL`,
		`"updated_at" ` + ts + ` NOT NULL`,
		`"created_by" ` + id,
		`"updated_by" ` + id,
		`"owner_id" ` + id + ` REFERENCES "users"("id")`,
		`"deleted_at" ` + ts,
	}
}

// columnDef is the column definition of a field, including its foreign
// key for lookups (to the target module's table) and user fields.
func columnDef(d Dialect, appKey string, f *meta.Field) string {
	c := f.Column()
	def := Quote(f.Key) + " " + d.ColumnType(c)
	switch {
	case c.Kind == meta.ColRef && c.RefUsers:
		def += ` REFERENCES "users"("id")`
	case c.Kind == meta.ColRef && c.RefModule != "":
		def += " REFERENCES " + Quote(meta.TableName(appKey, c.RefModule)) + `("id")`
	}
	return def
}

// indexName derives a short, stable index name: PostgreSQL truncates
// identifiers at 63 bytes, so table and field are hashed, and the field
// key is kept readable at the end so a unique violation names the field.
func indexName(kind, table, field string) string {
	h := sha1.Sum([]byte(table))
	return kind + "_" + hex.EncodeToString(h[:6]) + "_" + field
}

// fieldFromIndex recovers the field key from an indexName.
func fieldFromIndex(name string) (string, bool) {
	for _, kind := range []string{"ux_", "ix_"} {
		if strings.HasPrefix(name, kind) && len(name) > len(kind)+13 {
			return name[len(kind)+13:], true
		}
	}
	return "", false
}

// wantsIndex reports whether a field gets a plain (non-unique) index.
func wantsIndex(f *meta.Field) bool {
	return !f.Unique && (f.Indexed || f.Column().Kind == meta.ColRef)
}

// indexDDL returns the CREATE INDEX statement for f, or "" if none.
// Unique indexes ignore soft-deleted rows, so a deleted record does not
// block its value being reused.
func indexDDL(table string, f *meta.Field) string {
	switch {
	case f.Unique:
		return fmt.Sprintf(`CREATE UNIQUE INDEX %s ON %s (%s) WHERE "deleted_at" IS NULL`,
			Quote(indexName("ux", table, f.Key)), Quote(table), Quote(f.Key))
	case wantsIndex(f):
		return fmt.Sprintf(`CREATE INDEX %s ON %s (%s)`,
			Quote(indexName("ix", table, f.Key)), Quote(table), Quote(f.Key))
	}
	return ""
}

// systemIndexDDL indexes owner (record scopes filter on it) and creation
// order (the default list order). The owner index continues with the
// creation order, so a rep's "own" page in the default order is one index
// range, not a sort of all their records.
func systemIndexDDL(table string) []string {
	return []string{
		fmt.Sprintf(`CREATE INDEX %s ON %s ("owner_id", "created_at", "id")`, Quote(indexName("ix", table, "owner_id")), Quote(table)),
		fmt.Sprintf(`CREATE INDEX %s ON %s ("created_at", "id")`, Quote(indexName("ix", table, "created_at")), Quote(table)),
	}
}

// createModuleTable creates m's table with its indexes.
func createModuleTable(ctx context.Context, tx *Tx, m *meta.Module) error {
	cols := systemColumns(tx.D)
	for _, f := range m.Fields {
		cols = append(cols, columnDef(tx.D, m.AppKey, f))
	}
	stmts := []string{fmt.Sprintf("CREATE TABLE %s (\n  %s\n)", Quote(m.Table), strings.Join(cols, ",\n  "))}
	stmts = append(stmts, systemIndexDDL(m.Table)...)
	for _, f := range m.Fields {
		if ddl := indexDDL(m.Table, f); ddl != "" {
			stmts = append(stmts, ddl)
		}
	}
	return execAll(ctx, tx, stmts)
}

// dropModuleTable drops m's table (its indexes go with it).
func dropModuleTable(ctx context.Context, tx *Tx, m *meta.Module) error {
	return execAll(ctx, tx, []string{"DROP TABLE " + Quote(m.Table)})
}

func execAll(ctx context.Context, tx *Tx, stmts []string) error {
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", firstLine(s), err)
		}
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
