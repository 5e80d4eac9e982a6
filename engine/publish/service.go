package publish

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Service keeps public forms and views and answers their visitors.
type Service struct {
	Store   *store.Store
	Meta    *meta.Service
	Records *record.Service
}

// New returns the publication service.
func New(s *store.Store, m *meta.Service, r *record.Service) *Service {
	return &Service{Store: s, Meta: m, Records: r}
}

func fromRow(typ string, r *store.AppDocRow) (*Publication, error) {
	var p Publication
	if err := json.Unmarshal(r.Doc, &p); err != nil {
		return nil, err
	}
	p.ID, p.App, p.Type, p.Key, p.Module, p.Version, p.CreatedAt, p.UpdatedAt = r.ID, r.App, typ, r.Key, r.Module, r.Version, r.CreatedAt, r.UpdatedAt
	p.Token = r.TokenHash != ""
	return &p, nil
}

func (p *Publication) row(appID, tokenHash string) *store.AppDocRow {
	doc := *p
	doc.ID, doc.App, doc.Type, doc.Key, doc.Module, doc.Version, doc.Token = "", "", "", "", "", 0, false
	doc.CreatedAt, doc.UpdatedAt = time.Time{}, time.Time{}
	b, _ := json.Marshal(doc)
	return &store.AppDocRow{ID: p.ID, AppID: appID, Kind: Kind(p.Type), Key: p.Key, Module: p.Module, Doc: b, TokenHash: tokenHash}
}

func (s *Service) load(ctx context.Context, app, typ, key string) (*Publication, *store.AppDocRow, error) {
	if _, err := s.Store.App(ctx, app); err != nil {
		return nil, nil, err
	}
	r, err := s.Store.AppDoc(ctx, app, Kind(typ), key)
	if err != nil {
		return nil, nil, err
	}
	p, err := fromRow(typ, r)
	return p, r, err
}

// List returns the app's publications of a type.
func (s *Service) List(ctx context.Context, app, typ string) ([]*Publication, error) {
	if _, err := s.Store.App(ctx, app); err != nil {
		return nil, err
	}
	rows, err := s.Store.AppDocs(ctx, app, Kind(typ))
	if err != nil {
		return nil, err
	}
	out := []*Publication{}
	for _, r := range rows {
		p, err := fromRow(typ, r)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Get returns one publication.
func (s *Service) Get(ctx context.Context, app, typ, key string) (*Publication, error) {
	p, _, err := s.load(ctx, app, typ, key)
	return p, err
}

// Create checks and stores a new publication with a token, returned once.
func (s *Service) Create(ctx context.Context, app, typ string, p *Publication) (*Publication, string, error) {
	p.ID, p.Type = "", typ
	token := newToken()
	out, err := s.save(ctx, app, p, 0, hashToken(token))
	if err != nil {
		return nil, "", err
	}
	return out, token, nil
}

// Replace stores a new definition if version is the current one; the
// token stays.
func (s *Service) Replace(ctx context.Context, app, typ, key string, p *Publication, version int) (*Publication, error) {
	_, cur, err := s.load(ctx, app, typ, key)
	if err != nil {
		return nil, err
	}
	if err := errs.Replacing(Kind(typ), key, p.Key, version); err != nil {
		return nil, err
	}
	p.Key, p.ID, p.Type = key, cur.ID, typ
	return s.save(ctx, app, p, version, cur.TokenHash)
}

func (s *Service) save(ctx context.Context, app string, p *Publication, version int, tokenHash string) (*Publication, error) {
	a, err := s.Store.App(ctx, app)
	if err != nil {
		return nil, err
	}
	p.App = app
	if probs := check(ctx, s.Meta, p); len(probs) > 0 {
		return nil, errs.Fields(probs...)
	}
	if p.Type == TypeView && p.Sort != "" {
		// The sort is checked by running it once.
		m, err := s.Meta.Module(ctx, app, p.Module)
		if err != nil {
			return nil, err
		}
		if _, err := s.Store.ListRecords(ctx, m, store.ListQuery{Sort: p.Sort, Limit: 1, Fields: []string{"id"}}); err != nil {
			return nil, errs.Fields(errs.Field("sort", "invalid", "publish.bad_sort", "detail", errs.Detail(err)))
		}
	}
	if err := s.Store.SaveAppDoc(ctx, p.row(a.ID, tokenHash), version, nil); err != nil {
		return nil, err
	}
	return s.Get(ctx, app, p.Type, p.Key)
}

// Delete removes a publication; its token stops working.
func (s *Service) Delete(ctx context.Context, app, typ, key string) error {
	p, _, err := s.load(ctx, app, typ, key)
	if err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error { return s.Store.DeleteAppDoc(ctx, tx, p.ID) })
}

// IssueToken replaces the publication's token with a new one (returned
// once); the old one stops working at once.
func (s *Service) IssueToken(ctx context.Context, app, typ, key string) (string, error) {
	token := newToken()
	return token, s.setToken(ctx, app, typ, key, hashToken(token))
}

// RevokeToken removes the publication's token: nobody reaches it until a
// new one is issued.
func (s *Service) RevokeToken(ctx context.Context, app, typ, key string) error {
	return s.setToken(ctx, app, typ, key, "")
}

func (s *Service) setToken(ctx context.Context, app, typ, key, hash string) error {
	_, cur, err := s.load(ctx, app, typ, key)
	if err != nil {
		return err
	}
	cur.TokenHash = hash
	return s.Store.SaveAppDoc(ctx, cur, cur.Version, nil)
}
