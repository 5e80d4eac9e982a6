package store

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tessera-app/tessera/engine/meta"
)

// Dialect is what differs between SQLite and PostgreSQL. Everything else
// in the store is shared SQL.
type Dialect interface {
	Name() string // "sqlite" or "postgres" (also the migrations folder)
	// Placeholder returns the n-th (1-based) bind placeholder.
	Placeholder(n int) string
	// ColumnType is the column type for a field's storage kind.
	ColumnType(c meta.Column) string
	// IDType and TimeType are used for system columns.
	IDType() string
	TimeType() string
	// UniqueViolation returns the violated index or column name when err
	// is a unique-constraint failure.
	UniqueViolation(err error) (string, bool)
}

// Quote quotes an identifier. Identifiers come only from validated keys
// (meta.ValidKey), so they never contain quotes; this guards anyway.
func Quote(ident string) string {
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}

type sqliteDialect struct{}

func (sqliteDialect) Name() string           { return "sqlite" }
func (sqliteDialect) Placeholder(int) string { return "?" }
func (sqliteDialect) IDType() string         { return "TEXT" }
func (sqliteDialect) TimeType() string       { return "TEXT" }

func (sqliteDialect) ColumnType(c meta.Column) string {
	switch c.Kind {
	case meta.ColInteger, meta.ColBool:
		return "INTEGER"
	case meta.ColFloat:
		return "REAL"
	case meta.ColDecimal:
		return "NUMERIC"
	default: // text, date, time, json, ref are TEXT in SQLite
		return "TEXT"
	}
}

func (sqliteDialect) UniqueViolation(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	// modernc reports "constraint failed: UNIQUE constraint failed: t.col (2067)".
	msg := err.Error()
	i := strings.Index(msg, "UNIQUE constraint failed: ")
	if i < 0 {
		return "", false
	}
	rest := msg[i+len("UNIQUE constraint failed: "):]
	rest = strings.Fields(rest)[0]
	rest = strings.TrimSuffix(rest, ",")
	if j := strings.LastIndex(rest, "."); j >= 0 {
		rest = rest[j+1:]
	}
	return rest, true
}

type postgresDialect struct{}

func (postgresDialect) Name() string             { return "postgres" }
func (postgresDialect) Placeholder(n int) string { return fmt.Sprintf("$%d", n) }
func (postgresDialect) IDType() string           { return "UUID" }
func (postgresDialect) TimeType() string         { return "TIMESTAMPTZ" }

func (postgresDialect) ColumnType(c meta.Column) string {
	switch c.Kind {
	case meta.ColInteger:
		return "BIGINT"
	case meta.ColFloat:
		return "DOUBLE PRECISION"
	case meta.ColDecimal:
		return fmt.Sprintf("NUMERIC(%d,%d)", c.Precision, c.Scale)
	case meta.ColBool:
		return "BOOLEAN"
	case meta.ColDate:
		return "DATE"
	case meta.ColTime:
		return "TIMESTAMPTZ"
	case meta.ColJSON:
		return "JSONB"
	case meta.ColRef:
		return "UUID"
	default:
		return "TEXT"
	}
}

func (postgresDialect) UniqueViolation(err error) (string, bool) {
	var pe *pgconn.PgError
	if err != nil && errors.As(err, &pe) && pe.Code == "23505" {
		return pe.ConstraintName, true
	}
	return "", false
}
