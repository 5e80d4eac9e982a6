package pool

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// JobKind is the job that reclaims a pool's records, once a day at the
// first minute after midnight in the pool's time zone (keyed per pool, so
// saving the pool moves it, deleting it cancels it).
const JobKind = "pool.reclaim"

// SweepBatch bounds the records one reclaim run sends back; when more
// qualify, the job runs again at once instead of at the next midnight.
const SweepBatch = 500

func jobKey(id string) string { return JobKind + ":" + id }

type jobPayload struct {
	Pool string `json:"pool"`
}

// plan (re)plans the pool's reclaim job in tx: at the next local midnight
// when it reclaims, cancelled otherwise.
func plan(ctx context.Context, tx *store.Tx, p *Pool) error {
	return planAt(ctx, tx, p, nextMidnight(tx.Now, p.zone()))
}

func planAt(ctx context.Context, tx *store.Tx, p *Pool, at time.Time) error {
	if p.Reclaim == nil {
		return jobs.Cancel(ctx, tx, jobKey(p.ID))
	}
	body, _ := json.Marshal(jobPayload{Pool: p.ID})
	return jobs.Enqueue(ctx, tx, jobs.Job{Kind: JobKind, Key: jobKey(p.ID), RunAt: at, Payload: body})
}

// Job runs a pool's reclaim in the job's transaction and plans the next
// run. A pool deleted or without thresholds since is left alone.
func (s *Service) Job(ctx context.Context, tx *store.Tx, job *jobs.Job) error {
	var pl jobPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return err
	}
	row, err := s.Store.AppDocInTx(ctx, tx, Kind, pl.Pool)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	p, err := fromRow(row)
	if err != nil || p.Reclaim == nil {
		return err
	}
	m, err := s.Meta.Module(ctx, p.App, p.Module)
	if errs.Is(err, errs.NotFound) {
		return planAt(ctx, tx, p, nextMidnight(tx.Now, p.zone())) // module gone: try again tomorrow
	}
	if err != nil {
		return err
	}
	n, more, err := s.sweep(record.WithTx(ctx, tx), tx, p, m)
	if err != nil {
		return err
	}
	_ = n
	next := nextMidnight(tx.Now, p.zone())
	if more {
		next = tx.Now
	}
	return planAt(ctx, tx, p, next)
}

// ReclaimNow runs pool key's reclaim at once (an administrator's "run
// now"), in one transaction, and returns how many records went back.
func (s *Service) ReclaimNow(ctx context.Context, app, key string) (int, error) {
	p, err := s.load(ctx, app, key)
	if err != nil {
		return 0, err
	}
	if p.Reclaim == nil {
		return 0, errs.New(errs.Conflict, "pool.no_reclaim", "pool", p.named())
	}
	m, err := s.Meta.Module(ctx, app, p.Module)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.Records.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		n, _, err = s.sweep(ctx, tx, p, m)
		return err
	})
	return n, err
}

// sweep sends back (owner → nobody) up to SweepBatch records meeting the
// reclaim conditions, as the pool's system user "pool:<key>", through the
// write path. more is true when the batch was full.
func (s *Service) sweep(ctx context.Context, tx *store.Tx, p *Pool, m *meta.Module) (n int, more bool, err error) {
	conds, err := p.reclaimConds(m, tx.Now)
	if err != nil {
		return 0, false, err
	}
	page, err := s.Store.ListRecords(ctx, m, store.ListQuery{Sort: "created_at", Limit: SweepBatch, Where: conds, Fields: []string{"id"}})
	if err != nil {
		return 0, false, err
	}
	name := "pool:" + p.Key
	uid, err := s.Store.SystemUser(ctx, tx, p.App+"/"+name, name)
	if err != nil {
		return 0, false, err
	}
	actor := record.Actor{User: &access.User{ID: uid, Name: name, IsAdmin: true}, Via: "pool", System: true}
	for _, r := range page.Records {
		_, err := s.Records.SetOwner(ctx, actor, m, r["id"].(string), record.OwnerChange{Within: conds, Owner: nil,
			Facts: map[string]any{"pool": map[string]string{"key": p.Key, "action": "reclaim"}}})
		if errs.Is(err, errs.NotFound) {
			continue // followed up or taken since the list was read
		}
		if err != nil {
			return n, false, err
		}
		n++
	}
	return n, len(page.Records) == SweepBatch, nil
}

// reclaimConds are the conditions of a record to reclaim at now: owned, in
// the pool's filter, in a reclaimable status, and not followed up for
// longer than its tier's threshold. Day counts are civil days in the
// pool's zone: a threshold of 30 days reclaims, today, a record last
// followed up before the date 30 days ago. Values are bound constants;
// only field keys (validated) are written into the expression.
func (p *Pool) reclaimConds(m *meta.Module, now time.Time) ([]store.Cond, error) {
	r := p.Reclaim
	loc := p.zone()
	local := now.In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	f := m.Field(r.DateField)
	if f == nil {
		return nil, errs.New(errs.Conflict, "pool.not_date", "field", r.DateField)
	}
	consts := expr.Consts{"reclaim.statuses": r.Statuses}
	cut := func(i int, days int) string {
		day := today.AddDate(0, 0, -days)
		c, t := fmt.Sprintf("reclaim.c%d", i), fmt.Sprintf("reclaim.t%d", i)
		consts[t] = day.UTC().Format(time.RFC3339Nano)
		if f.Column().Kind == meta.ColDate {
			consts[c] = day.Format("2006-01-02")
		} else {
			consts[c] = consts[t]
		}
		return fmt.Sprintf("(%s < %s || (%s == nil && created_at < %s))", r.DateField, c, r.DateField, t)
	}
	tiers := make([]string, 0, len(r.Days))
	for t := range r.Days {
		if t != "*" {
			tiers = append(tiers, t)
		}
	}
	sort.Strings(tiers)
	var alts []string
	for i, t := range tiers {
		v := fmt.Sprintf("reclaim.v%d", i)
		consts[v] = t
		alts = append(alts, fmt.Sprintf("(%s == %s && %s)", r.TierField, v, cut(i, r.Days[t])))
	}
	if d, ok := r.Days["*"]; ok {
		other := cut(len(tiers), d)
		if len(tiers) > 0 {
			consts["reclaim.tiers"] = tiers
			other = fmt.Sprintf("(!(%s in reclaim.tiers) && %s)", r.TierField, other)
		}
		alts = append(alts, other)
	}
	src := fmt.Sprintf("%s in reclaim.statuses && (%s)", r.StatusField, strings.Join(alts, " || "))
	conds := []store.Cond{{SQL: `"owner_id" IS NOT NULL`}, {Expr: src, Consts: consts}}
	if p.Filter != "" {
		conds = append(conds, store.Cond{Expr: p.Filter})
	}
	return conds, nil
}
