package record

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// Formulas that read the clock (days since the last follow-up:
// `daysBetween(last_followup, today())`, RFM recency) are stored like every
// formula, so lists filter and reports group on them in SQL — and their
// stored value is only true on the day it was computed. A daily job per
// module (DailyKind, keyed "formula.daily:<module id>") recomputes them:
// it starts the module's recompute chain (RecomputeKind, the batches that
// follow a schema change) and plans itself for the next midnight.
//
// Midnight is UTC's: today() is the UTC date (engine/expr), so that is
// when the stored values go stale. The job is planned when a module with
// such a formula is created or changed (DailyChanged), cancelled when it
// has none left or is deleted, and planned for every module by PlanDaily
// when a server starts (modules saved before this existed).
const DailyKind = "formula.daily"

func dailyKey(moduleID string) string { return DailyKind + ":" + moduleID }

type dailyPayload struct {
	App      string `json:"app"`
	Module   string `json:"module"`
	ModuleID string `json:"module_id"`
}

// ClockFormulas lists the keys of m's formulas whose value depends on the
// clock: reading now or today, or reading such a formula of the record.
func ClockFormulas(m *meta.Module) []string {
	clock := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, f := range m.Fields {
			if f.Type.Name() != "formula" || clock[f.Key] {
				continue
			}
			if reads, _ := expr.ReadsClock(f.Formula, m); reads {
				clock[f.Key], changed = true, true
				continue
			}
			names, _ := expr.Reads(f.Formula, m)
			for _, n := range names {
				if clock[n] {
					clock[f.Key], changed = true, true
					break
				}
			}
		}
	}
	var out []string
	for _, f := range m.Fields {
		if clock[f.Key] {
			out = append(out, f.Key)
		}
	}
	return out
}

// nextUTCMidnight is the first UTC midnight after t.
func nextUTCMidnight(t time.Time) time.Time {
	y, mo, d := t.UTC().Date()
	return time.Date(y, mo, d+1, 0, 0, 0, 0, time.UTC)
}

// planDaily (re)plans or cancels m's daily recompute in tx.
func planDaily(ctx context.Context, tx *store.Tx, m *meta.Module) error {
	if len(ClockFormulas(m)) == 0 {
		return jobs.Cancel(ctx, tx, dailyKey(m.ID))
	}
	b, _ := json.Marshal(dailyPayload{App: m.AppKey, Module: m.Key, ModuleID: m.ID})
	return jobs.Enqueue(ctx, tx, jobs.Job{Kind: DailyKind, Key: dailyKey(m.ID), RunAt: nextUTCMidnight(tx.Now), Payload: b})
}

// DailyChanged plans, re-plans or cancels the daily recompute of a module
// created, changed or deleted (meta.Service.OnChange, after the commit).
func (s *Service) DailyChanged(ctx context.Context, c meta.Change) error {
	switch c.Action {
	case "module.create", "module.update":
		if c.New == nil {
			return nil
		}
		return s.Store.InTx(ctx, func(tx *store.Tx) error { return planDaily(ctx, tx, c.New) })
	case "module.delete":
		if c.Old == nil {
			return nil
		}
		return s.Store.InTx(ctx, func(tx *store.Tx) error { return jobs.Cancel(ctx, tx, dailyKey(c.Old.ID)) })
	}
	return nil
}

// PlanDaily plans the daily recompute of every module of every app that
// has a clock formula (a server starting: modules saved before the daily
// job existed, or whose job was lost). Planning again only moves a
// pending job to the same next midnight.
func (s *Service) PlanDaily(ctx context.Context) error {
	apps, err := s.Store.Apps(ctx)
	if err != nil {
		return err
	}
	for _, a := range apps {
		mods, err := s.appModules(ctx, a.Key)
		if err != nil {
			return err
		}
		for _, m := range mods {
			if len(ClockFormulas(m)) == 0 {
				continue
			}
			if err := s.Store.InTx(ctx, func(tx *store.Tx) error { return planDaily(ctx, tx, m) }); err != nil {
				return err
			}
		}
	}
	return nil
}

// Daily is the DailyKind job: start the module's recompute chain in the
// job's transaction (its batches run right after) and plan tomorrow's.
// A module deleted or replaced (another id) or without clock formulas
// any more ends the series.
func (s *Service) Daily(ctx context.Context, tx *store.Tx, job *jobs.Job) error {
	var p dailyPayload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return err
	}
	m, err := s.Modules.Module(ctx, p.App, p.Module)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if m.ID != p.ModuleID || len(ClockFormulas(m)) == 0 {
		return nil
	}
	if err := s.EnqueueRecompute(ctx, tx, m); err != nil {
		return err
	}
	return planDaily(ctx, tx, m)
}
