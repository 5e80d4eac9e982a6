package store

import (
	"context"

	"github.com/tessera-app/tessera/engine/meta"
)

// Test hooks for the external store_test package, which can use storetest
// (storetest imports store, so package store tests cannot).

// SyncForTest runs syncModuleTable in a schema transaction, as UpdateModule does.
func SyncForTest(ctx context.Context, s *Store, old, next *meta.Module) error {
	return s.inSchemaTx(ctx, func(tx *Tx) error { _, err := syncModuleTable(ctx, tx, old, next); return err })
}

// CreateForTest creates m's table in a schema transaction.
func CreateForTest(ctx context.Context, s *Store, m *meta.Module) error {
	return s.inSchemaTx(ctx, func(tx *Tx) error { return createModuleTable(ctx, tx, m) })
}

// IndexNameForTest and FieldFromIndexForTest expose index naming.
func IndexNameForTest(kind, table, field string) string { return indexName(kind, table, field) }

func FieldFromIndexForTest(name string) (string, bool) { return fieldFromIndex(name) }

// ConvertibleForTest reports whether value v (JSON form of column from)
// converts to column to.
func ConvertibleForTest(from, to meta.Column, v any) bool { return convertible(from, to, v) }

// MatchForTest describes how fields pair up: "old>new" for kept or renamed
// fields, "+new" for added and "-old" for dropped ones.
func MatchForTest(old, next *meta.Module) ([]string, error) {
	changes, err := matchFields(old, next)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(changes))
	for i, c := range changes {
		switch {
		case c.added():
			out[i] = "+" + c.new.Key
		case c.dropped():
			out[i] = "-" + c.old.Key
		default:
			out[i] = c.old.Key + ">" + c.new.Key
		}
	}
	return out, nil
}

// CachedStmtsForTest reports the module version whose prepared reads are
// kept for moduleID, and how many there are.
func CachedStmtsForTest(s *Store, moduleID string) (version, n int) {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	if ms := s.stmts.mods[moduleID]; ms != nil {
		return ms.version, len(ms.byText)
	}
	return 0, 0
}
