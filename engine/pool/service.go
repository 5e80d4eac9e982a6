package pool

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Service keeps pools and acts on their records.
type Service struct {
	Store   *store.Store
	Meta    *meta.Service
	Records *record.Service
	Access  *access.Service // roles and the department tree of grants
}

// New returns the pool service.
func New(s *store.Store, m *meta.Service, r *record.Service, a *access.Service) *Service {
	return &Service{Store: s, Meta: m, Records: r, Access: a}
}

func fromRow(r *store.AppDocRow) (*Pool, error) {
	var p Pool
	if err := json.Unmarshal(r.Doc, &p); err != nil {
		return nil, err
	}
	p.ID, p.App, p.Key, p.Module, p.Version, p.CreatedAt, p.UpdatedAt = r.ID, r.App, r.Key, r.Module, r.Version, r.CreatedAt, r.UpdatedAt
	return &p, nil
}

func (p *Pool) row(appID string) *store.AppDocRow {
	doc := *p
	doc.ID, doc.App, doc.Key, doc.Module, doc.Version, doc.CreatedAt, doc.UpdatedAt = "", "", "", "", 0, time.Time{}, time.Time{}
	b, _ := json.Marshal(doc)
	return &store.AppDocRow{ID: p.ID, AppID: appID, Kind: Kind, Key: p.Key, Module: p.Module, Doc: b}
}

func (s *Service) load(ctx context.Context, app, key string) (*Pool, error) {
	if _, err := s.Store.App(ctx, app); err != nil {
		return nil, err
	}
	r, err := s.Store.AppDoc(ctx, app, Kind, key)
	if err != nil {
		return nil, err
	}
	return fromRow(r)
}

// List returns the app's pools the actor may view, claim from or assign
// from (administrators: all).
func (s *Service) List(ctx context.Context, a record.Actor, app string) ([]*Pool, error) {
	if _, err := s.Store.App(ctx, app); err != nil {
		return nil, err
	}
	rows, err := s.Store.AppDocs(ctx, app, Kind)
	if err != nil {
		return nil, err
	}
	out := []*Pool{}
	for _, r := range rows {
		p, err := fromRow(r)
		if err != nil {
			return nil, err
		}
		if ok, err := s.anyGrant(ctx, &a, p); err != nil {
			return nil, err
		} else if ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// Get returns one pool; a pool the actor holds no grant of is not found.
func (s *Service) Get(ctx context.Context, a record.Actor, app, key string) (*Pool, error) {
	p, err := s.load(ctx, app, key)
	if err != nil {
		return nil, err
	}
	if ok, err := s.anyGrant(ctx, &a, p); err != nil {
		return nil, err
	} else if !ok {
		return nil, errs.New(errs.NotFound, "pool.not_found", "key", key)
	}
	return p, nil
}

func (s *Service) anyGrant(ctx context.Context, a *record.Actor, p *Pool) (bool, error) {
	for _, g := range []Grant{p.View, p.Claim, p.Assign} {
		if ok, err := s.holds(ctx, a, g); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// Create checks and stores a new pool, and plans its reclaim job.
func (s *Service) Create(ctx context.Context, app string, p *Pool) (*Pool, error) {
	p.ID = ""
	return s.save(ctx, app, p, 0)
}

// Replace stores a new definition of pool key if version is the current
// one (so two editors do not overwrite each other), and re-plans its
// reclaim job. The claim counters of the running period stay.
func (s *Service) Replace(ctx context.Context, app, key string, p *Pool, version int) (*Pool, error) {
	cur, err := s.load(ctx, app, key)
	if err != nil {
		return nil, err
	}
	if err := errs.Replacing(Kind, key, p.Key, version); err != nil {
		return nil, err
	}
	p.Key, p.ID = key, cur.ID
	return s.save(ctx, app, p, version)
}

// save checks p and stores it with its reclaim job in one transaction.
func (s *Service) save(ctx context.Context, app string, p *Pool, version int) (*Pool, error) {
	a, err := s.Store.App(ctx, app)
	if err != nil {
		return nil, err
	}
	p.App = app
	if probs := check(ctx, s.Meta, p); len(probs) > 0 {
		return nil, errs.Fields(probs...)
	}
	row := p.row(a.ID)
	err = s.Store.SaveAppDoc(ctx, row, version, func(tx *store.Tx) error {
		p.ID = row.ID
		return plan(ctx, tx, p)
	})
	if err != nil {
		return nil, err
	}
	return s.load(ctx, app, p.Key)
}

// Delete removes pool key and its reclaim job. Its records stay where they
// are (without owner, they are in the module's public pool).
func (s *Service) Delete(ctx context.Context, app, key string) error {
	p, err := s.load(ctx, app, key)
	if err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := s.Store.DeleteAppDoc(ctx, tx, p.ID); err != nil {
			return err
		}
		return jobs.Cancel(ctx, tx, jobKey(p.ID))
	})
}

// holds reports whether the actor holds grant g: administrators always;
// others through a role named, or a department named that they are a
// member of or are below.
func (s *Service) holds(ctx context.Context, a *record.Actor, g Grant) (bool, error) {
	if a.User == nil || a.User.Disabled {
		return false, errs.New(errs.Unauthorized, "access.signin_required")
	}
	if a.User.IsAdmin {
		return true, nil
	}
	if a.Principal == nil {
		p, err := s.Access.Principal(ctx, a.User)
		if err != nil {
			return false, err
		}
		a.Principal = p
	}
	for _, r := range a.Principal.Roles {
		if slices.Contains(g.Roles, r.Key) {
			return true, nil
		}
	}
	if len(g.Departments) == 0 || len(a.Principal.Departments) == 0 {
		return false, nil
	}
	depts, _, err := s.Access.Departments(ctx)
	if err != nil {
		return false, err
	}
	byID := make(map[string]*access.Department, len(depts))
	for _, d := range depts {
		byID[d.ID] = d
	}
	for _, id := range a.Principal.Departments {
		for d, seen := byID[id], 0; d != nil && seen <= len(depts); d, seen = byID[d.ParentID], seen+1 {
			if slices.Contains(g.Departments, d.Key) {
				return true, nil
			}
		}
	}
	return false, nil
}

// forbidden refuses an action on a pool, naming it.
func forbidden(p *Pool, action string) error {
	return errs.New(errs.Forbidden, "pool.forbidden", "action", i18n.M("pool.act."+action), "pool", p.named())
}

func (p *Pool) named() meta.Named { return meta.Named{Key: p.Key, Label: p.Label} }
