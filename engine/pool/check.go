package pool

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
)

// Bounds of a pool definition.
const (
	MaxGrantNames = 100
	MaxStatuses   = 50
	MaxTiers      = 50
	MaxDays       = 3650
	MaxClaims     = 10000
)

// check lists every problem of p against the app's modules (422 when
// saved); roles and departments are names only, checked when a grant is
// evaluated (a deleted role grants nothing).
func check(ctx context.Context, ms *meta.Service, p *Pool) []errs.FieldError {
	var fes []errs.FieldError
	add := func(field, code, key string, kv ...any) { fes = append(fes, errs.Field(field, code, key, kv...)) }
	if !meta.ValidKey(p.Key, 40) {
		add("key", "invalid", "pool.bad_key")
	}
	if len(p.Label) == 0 {
		add("label", "required", "pool.label_required")
	}
	if p.TimeZone != "" {
		if _, err := time.LoadLocation(p.TimeZone); err != nil {
			add("time_zone", "invalid", "pool.bad_zone", "zone", p.TimeZone)
		}
	}
	for name, g := range map[string]Grant{"view": p.View, "claim": p.Claim, "assign": p.Assign} {
		if len(g.Roles) > MaxGrantNames || len(g.Departments) > MaxGrantNames {
			add(name, "too_many", "pool.too_many_names", "max", MaxGrantNames)
		}
	}
	if l := p.ClaimLimit; l != nil {
		if l.Count < 1 || l.Count > MaxClaims {
			add("claim_limit.count", "invalid", "pool.bad_count", "max", MaxClaims)
		}
		if !slices.Contains(Periods, l.Period) {
			add("claim_limit.period", "invalid", "pool.bad_period", "period", l.Period)
		}
	}
	if p.Module == "" {
		add("module", "required", "pool.module_required")
		return fes
	}
	m, err := ms.Module(ctx, p.App, p.Module)
	if err != nil {
		add("module", "not_found", "pool.unknown_module", "module", p.Module)
		return fes
	}
	if p.Filter != "" && meta.CheckFilter != nil {
		if err := meta.CheckFilter(p.Filter, m); err != nil {
			add("filter", "bad_filter", "pool.bad_filter", "detail", errs.Detail(err))
		}
	}
	if r := p.Reclaim; r != nil {
		fes = append(fes, checkReclaim(m, r)...)
	}
	return fes
}

func checkReclaim(m *meta.Module, r *Reclaim) []errs.FieldError {
	var fes []errs.FieldError
	add := func(field, code, key string, kv ...any) { fes = append(fes, errs.Field(field, code, key, kv...)) }
	if f := m.Field(r.DateField); f == nil || (f.Column().Kind != meta.ColDate && f.Column().Kind != meta.ColTime) {
		add("reclaim.date_field", "not_date", "pool.not_date", "field", r.DateField)
	}
	if r.TierField != "" && !isChoice(m, r.TierField) {
		add("reclaim.tier_field", "not_select", "pool.not_select", "field", r.TierField)
	}
	if !isChoice(m, r.StatusField) {
		add("reclaim.status_field", "not_select", "pool.not_select", "field", r.StatusField)
	}
	if len(r.Statuses) == 0 || len(r.Statuses) > MaxStatuses {
		add("reclaim.statuses", "required", "pool.statuses_required", "max", MaxStatuses)
	}
	if len(r.Days) == 0 || len(r.Days) > MaxTiers {
		add("reclaim.days", "required", "pool.days_required", "max", MaxTiers)
	}
	for tier, d := range r.Days {
		if d < 1 || d > MaxDays {
			add(fmt.Sprintf("reclaim.days.%s", tier), "invalid", "pool.bad_days", "max", MaxDays)
		}
		if tier != "*" && r.TierField == "" {
			add(fmt.Sprintf("reclaim.days.%s", tier), "no_tier", "pool.tier_without_field")
		}
	}
	return fes
}

// isChoice reports whether key is a field whose stored values are plain
// strings compared whole (a select, or text).
func isChoice(m *meta.Module, key string) bool {
	f := m.Field(key)
	return f != nil && f.Column().Kind == meta.ColText
}
