package record

import (
	"context"
	"strings"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// RecordSet returns the live records of m the actor may read, narrowed by
// filters (expressions; hidden fields are unknown in them, lookups read
// within the actor's scope on the target), for readers that aggregate
// over records in SQL — the pipeline analytics — and must count exactly
// what the actor could list. It also returns the actor's rights on m, so
// the caller can refuse hidden fields it would group or sum by.
func (s *Service) RecordSet(ctx context.Context, a Actor, m *meta.Module, filters ...string) (store.RecordSet, *access.ModuleRights, error) {
	r, err := s.readRights(ctx, &a, m, nil)
	if err != nil {
		return store.RecordSet{}, nil, err
	}
	var kept []string
	for _, f := range filters {
		if strings.TrimSpace(f) != "" {
			kept = append(kept, f)
		}
	}
	rs := store.RecordSet{Module: m, Where: []store.Cond{scope(a.Principal, r.Read)}, Filters: kept,
		Hidden: hidden(r, m), Consts: consts(a.Principal)}
	if rs.Lookups, err = s.readableLookups(ctx, &a, m, r, strings.Join(kept, " ")); err != nil {
		return store.RecordSet{}, nil, err
	}
	return rs, r, nil
}
