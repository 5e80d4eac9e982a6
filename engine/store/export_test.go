package store

import (
	"context"

	"github.com/tessera-app/tessera/engine/meta"
)

// Test hooks for the external store_test package, which can use storetest
// (storetest imports store, so package store tests cannot).

// SyncForTest runs syncModuleTable in a schema transaction, as UpdateModule does.
func SyncForTest(ctx context.Context, s *Store, old, next *meta.Module) error {
	return s.inSchemaTx(ctx, func(tx *Tx) error { return syncModuleTable(ctx, tx, old, next) })
}

// CreateForTest creates m's table in a schema transaction.
func CreateForTest(ctx context.Context, s *Store, m *meta.Module) error {
	return s.inSchemaTx(ctx, func(tx *Tx) error { return createModuleTable(ctx, tx, m) })
}

// IndexNameForTest and FieldFromIndexForTest expose index naming.
func IndexNameForTest(kind, table, field string) string { return indexName(kind, table, field) }

func FieldFromIndexForTest(name string) (string, bool) { return fieldFromIndex(name) }
