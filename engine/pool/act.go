package pool

import (
	"context"
	"math/rand/v2"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// MaxAssign bounds one batch assignment (records and users).
const (
	MaxAssign      = store.MaxLimit
	MaxAssignUsers = 200
)

// unowned admits the records nobody owns.
var unowned = store.Cond{SQL: `"owner_id" IS NULL`}

// within are the conditions of the pool's records: no owner, its filter.
func (p *Pool) within() []store.Cond {
	c := []store.Cond{unowned}
	if p.Filter != "" {
		c = append(c, store.Cond{Expr: p.Filter})
	}
	return c
}

// acting loads pool key for an action the actor must hold (else 403; a
// pool they hold nothing of is not found) and its module, which the actor
// must be able to read (their field levels shape every answer).
func (s *Service) acting(ctx context.Context, a *record.Actor, app, key, action string) (*Pool, *meta.Module, error) {
	p, err := s.Get(ctx, *a, app, key)
	if err != nil {
		return nil, nil, err
	}
	g := map[string]Grant{"view": p.View, "claim": p.Claim, "assign": p.Assign}[action]
	if ok, err := s.holds(ctx, a, g); err != nil {
		return nil, nil, err
	} else if !ok {
		return nil, nil, forbidden(p, action)
	}
	m, err := s.Meta.Module(ctx, app, p.Module)
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.Records.ReachOf(ctx, a, m); err != nil {
		return nil, nil, err
	}
	return p, m, nil
}

// PoolRecords lists the pool's records (no owner, the pool's filter, and q's
// own filter), whatever the viewer's role scope: the view grant is the
// reach. Fields hidden from the viewer stay hidden.
func (s *Service) PoolRecords(ctx context.Context, a record.Actor, app, key string, q store.ListQuery) (*store.Page, error) {
	p, m, err := s.acting(ctx, &a, app, key, "view")
	if err != nil {
		return nil, err
	}
	w := p.within()
	q.Where = append(q.Where, w[1:]...)
	return s.Records.ListWithin(ctx, a, m, q, w[0])
}

// Claim makes the actor the owner of record id of the pool. With a claim
// limit, the claim counts against the actor's claims of the period in the
// same transaction (store.RaiseCounter): a claim past the limit is a 429
// and changes nothing, and so is every concurrent claim beyond it. A
// record claimed meanwhile by someone else is a 409, and does not count.
func (s *Service) Claim(ctx context.Context, a record.Actor, app, key, id string) (store.Record, error) {
	p, m, err := s.acting(ctx, &a, app, key, "claim")
	if err != nil {
		return nil, err
	}
	var rec store.Record
	err = s.Records.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if l := p.ClaimLimit; l != nil {
			period, ends := l.period(tx.Now, p.zone())
			ok, err := s.Store.RaiseCounter(ctx, tx, counterScope(p), a.User.ID, period, l.Count, ends)
			if err != nil {
				return err
			}
			if !ok {
				return errs.New(errs.TooMany, "pool.claim_limit", "count", l.Count, "period", i18n.M("pool.period."+l.Period), "pool", p.named())
			}
		}
		var err error
		rec, err = s.Records.SetOwner(ctx, a, m, id, record.OwnerChange{Within: p.within(), Free: true, Owner: a.User.ID,
			Facts: map[string]any{"pool": map[string]string{"key": p.Key, "action": "claim"}}})
		return err
	})
	return rec, err
}

// Claimed is how many claims the actor made in the pool's current period
// and the limit (0: none), for the pool page's "3 of 5 today".
func (s *Service) Claimed(ctx context.Context, a record.Actor, app, key string) (int, int, error) {
	p, err := s.Get(ctx, a, app, key)
	if err != nil || p.ClaimLimit == nil {
		return 0, 0, err
	}
	period, _ := p.ClaimLimit.period(s.Store.Now(), p.zone())
	n, err := s.Store.Counter(ctx, counterScope(p), a.User.ID, period)
	return n, p.ClaimLimit.Count, err
}

func counterScope(p *Pool) string { return "pool:" + p.ID }

// Assignment is a batch assignment from a pool: Records (ids) or, when
// none are named, the Limit oldest records of the pool, dealt to Users —
// "even": in turn, so counts differ by at most one; "random": each record
// to a user drawn at random.
type Assignment struct {
	Users   []string `json:"users"`
	Mode    string   `json:"mode"`
	Records []string `json:"records,omitempty"`
	Limit   int      `json:"limit,omitempty"`
}

// Assigned is the outcome: each record's new owner.
type Assigned struct {
	Owners map[string]string `json:"owners"` // record id → user id
	Counts map[string]int    `json:"counts"` // user id → records
}

// Assign deals pool records to users in one transaction: all are
// assigned, or — a record no longer in the pool, a user who is not a live
// one — none is. Claim limits do not apply (they bound claims).
func (s *Service) Assign(ctx context.Context, a record.Actor, app, key string, in Assignment) (*Assigned, error) {
	p, m, err := s.acting(ctx, &a, app, key, "assign")
	if err != nil {
		return nil, err
	}
	if fes := checkAssignment(&in); len(fes) > 0 {
		return nil, errs.Fields(fes...)
	}
	ids := in.Records
	if len(ids) == 0 {
		limit := in.Limit
		if limit <= 0 || limit > MaxAssign {
			limit = MaxAssign
		}
		page, err := s.Store.ListRecords(ctx, m, store.ListQuery{Sort: "created_at", Limit: limit, Where: p.within(), Fields: []string{"id"}})
		if err != nil {
			return nil, err
		}
		for _, r := range page.Records {
			ids = append(ids, r["id"].(string))
		}
	}
	out := &Assigned{Owners: map[string]string{}, Counts: map[string]int{}}
	err = s.Records.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		for i, id := range ids {
			u := in.Users[i%len(in.Users)]
			if in.Mode == "random" {
				u = in.Users[rand.IntN(len(in.Users))]
			}
			if _, err := s.Records.SetOwner(ctx, a, m, id, record.OwnerChange{Within: p.within(), Free: true, Owner: u,
				Facts: map[string]any{"pool": map[string]string{"key": p.Key, "action": "assign"}}}); err != nil {
				return err
			}
			out.Owners[id] = u
			out.Counts[u]++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func checkAssignment(in *Assignment) []errs.FieldError {
	var fes []errs.FieldError
	if in.Mode != "even" && in.Mode != "random" {
		fes = append(fes, errs.Field("mode", "invalid", "pool.bad_mode", "mode", in.Mode))
	}
	if len(in.Users) == 0 || len(in.Users) > MaxAssignUsers {
		fes = append(fes, errs.Field("users", "required", "pool.users_required", "max", MaxAssignUsers))
	}
	seen := map[string]bool{}
	for _, u := range in.Users {
		if seen[u] {
			fes = append(fes, errs.Field("users", "duplicate", "pool.duplicate_user", "user", u))
		}
		seen[u] = true
	}
	if len(in.Records) > MaxAssign {
		fes = append(fes, errs.Field("records", "too_many", "pool.too_many_records", "max", MaxAssign))
	}
	if in.Limit < 0 || in.Limit > MaxAssign {
		fes = append(fes, errs.Field("limit", "invalid", "pool.too_many_records", "max", MaxAssign))
	}
	return fes
}
