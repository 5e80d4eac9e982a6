package record

import (
	"context"

	"github.com/tessera-app/tessera/engine/store"
)

// InTx runs fn in one transaction that every record write made with the
// context fn is given joins (an import's batch, an all-or-nothing
// import): the writes commit together when fn returns nil, or none does.
// Their after-commit hooks run once the transaction has committed, and
// never when it rolls back (they are deferred as an atomic batch's are).
func (s *Service) InTx(ctx context.Context, fn func(ctx context.Context, tx *store.Tx) error) error {
	later := &deferred{}
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		return fn(context.WithValue(WithTx(ctx, tx), deferredKey{}, later), tx)
	})
	if err != nil {
		return err
	}
	for _, ev := range later.events {
		s.afterCommit(ctx, ev)
	}
	return nil
}
