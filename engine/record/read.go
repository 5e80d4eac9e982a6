package record

import (
	"bytes"
	"context"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// Get returns one live record, with the named lookups expanded.
func (s *Service) Get(ctx context.Context, a Actor, m *meta.Module, id string, expand []string) (store.Record, error) {
	if err := s.Auth.Authorize(ctx, a, m, OpRead, nil); err != nil {
		return nil, err
	}
	rec, err := s.Store.Record(ctx, m, id)
	if err != nil {
		return nil, err
	}
	if err := s.Expand(ctx, m, []store.Record{rec}, expand); err != nil {
		return nil, err
	}
	return rec, nil
}

// List returns a page of live records.
func (s *Service) List(ctx context.Context, a Actor, m *meta.Module, q store.ListQuery, expand []string) (*store.Page, error) {
	if err := s.Auth.Authorize(ctx, a, m, OpRead, nil); err != nil {
		return nil, err
	}
	if err := checkExpand(m, expand); err != nil {
		return nil, err
	}
	page, err := s.Store.ListRecords(ctx, m, q)
	if err != nil {
		return nil, err
	}
	if err := s.Expand(ctx, m, page.Records, expand); err != nil {
		return nil, err
	}
	return page, nil
}

// Expand loads the records that lookup (or user) fields point to and puts
// them under rec["expand"][field]: one batched query per field, never one
// per row. A reference to a deleted record expands to nothing.
func (s *Service) Expand(ctx context.Context, m *meta.Module, recs []store.Record, fields []string) error {
	if err := checkExpand(m, fields); err != nil {
		return err
	}
	for _, key := range fields {
		f := m.Field(key)
		ids := make([]string, 0, len(recs))
		seen := map[string]bool{}
		for _, r := range recs {
			if id, ok := r[key].(string); ok && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		var found map[string]store.Record
		var err error
		if c := f.Column(); c.RefUsers {
			found, err = s.Store.UserSummaries(ctx, ids)
		} else {
			var target *meta.Module
			target, err = s.Store.Module(ctx, m.AppKey, c.RefModule)
			if err == nil {
				found, err = s.Store.RecordsByIDs(ctx, target, ids)
			}
		}
		if err != nil {
			return err
		}
		for _, r := range recs {
			id, _ := r[key].(string)
			ex, _ := r["expand"].(map[string]any)
			if ex == nil {
				ex = map[string]any{}
				r["expand"] = ex
			}
			if t, ok := found[id]; ok {
				ex[key] = t
			}
		}
	}
	return nil
}

func checkExpand(m *meta.Module, fields []string) error {
	if len(fields) > 10 {
		return errs.New(errs.Invalid, "record.bad_expand", "field", fields[10])
	}
	for _, key := range fields {
		f := m.Field(key)
		if f == nil || f.Column().Kind != meta.ColRef {
			return errs.New(errs.Invalid, "record.bad_expand", "field", key)
		}
	}
	return nil
}
