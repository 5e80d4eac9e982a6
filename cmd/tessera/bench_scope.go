package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/meta"
)

// The record-scope bench: a rep whose role reads only their own records
// (scope "own") lists a module of cfg.rows rows spread over scopeReps
// owners, against the administrator listing the same module. Scopes are
// meant to be just another indexed WHERE (owner_id has an index), so the
// target is the rep within 1.2× of the admin.
const (
	scopeReps   = 20
	scopeTarget = 1.2
)

func benchScope(ctx context.Context, env *benchEnv, cfg benchConfig, rep *report) error {
	m, err := env.createModule(ctx, "scoped")
	if err != nil {
		return err
	}
	reps, err := scopeUsers(ctx, env, m)
	if err != nil {
		return err
	}
	owner := func(i int) string { return reps[i%len(reps)].ID }
	if err := bulkLoad(ctx, env, m, benchRows(cfg.rows, 3), owner); err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	if err := analyze(ctx, env.s, m.Table); err != nil {
		return err
	}
	token, err := scopeLogin(ctx, env)
	if err != nil {
		return err
	}
	for _, c := range []struct{ name, query string }{
		{"list as rep (scope own) vs admin: default sort -created_at", ""},
		{`list as rep vs admin: stage == "won", sort -amount`, `filter=stage+%3D%3D+%22won%22&sort=-amount`},
	} {
		path := recordsPath(m) + "?limit=50&" + c.query
		var repPage, adminPage struct {
			Records []map[string]any `json:"records"`
		}
		if err := env.doAs(ctx, token, http.MethodGet, path, nil, http.StatusOK, &repPage); err != nil {
			return err
		}
		if err := env.do(ctx, http.MethodGet, path, nil, http.StatusOK, &adminPage); err != nil {
			return err
		}
		for _, r := range repPage.Records {
			if r["owner"] != reps[0].ID {
				return fmt.Errorf("rep sees a record owned by %v", r["owner"])
			}
		}
		if len(repPage.Records) == 0 || len(adminPage.Records) == 0 {
			return fmt.Errorf("%s: empty page", c.name)
		}
		steps := []func() error{
			func() error { return env.doAs(ctx, token, http.MethodGet, path, nil, http.StatusOK, nil) },
			func() error { return env.do(ctx, http.MethodGet, path, nil, http.StatusOK, nil) },
		}
		times := [2][]time.Duration{}
		for i := 0; i < listWarmup+listReps; i++ {
			for j, step := range steps {
				t0 := time.Now()
				if err := step(); err != nil {
					return err
				}
				if i >= listWarmup {
					times[j] = append(times[j], time.Since(t0))
				}
			}
		}
		r, a := summarize(times[0]), summarize(times[1])
		// The table's columns read API | engine | SQL; here they are rep |
		// — | admin, and the ratio is rep / admin.
		rep.add(reportRow{name: c.name, metric: "mean", api: fmtDur(r.mean), sql: fmtDur(a.mean), ratio: ratio(r.mean, a.mean), target: scopeTarget})
		rep.add(reportRow{name: fmt.Sprintf("  (rep: %s of %s rows; columns: rep | admin)", groupDigits(int64(cfg.rows/scopeReps)), groupDigits(int64(cfg.rows))),
			metric: "p50", api: fmtDur(r.p50), sql: fmtDur(a.p50), ratio: ratio(r.p50, a.p50), target: scopeTarget})
	}
	return nil
}

// scopeUsers creates the reps and a role that lets them work on their own
// records of m only.
func scopeUsers(ctx context.Context, env *benchEnv, m *meta.Module) ([]*access.User, error) {
	role, _ := json.Marshal(map[string]any{
		"key": "bench_rep", "label": map[string]string{"en": "Rep"},
		"permissions": []map[string]any{{
			"app": benchApp, "module": m.Key, "actions": []string{"create", "read", "update", "delete"},
			"scope": map[string]string{"read": "own", "update": "own", "delete": "own"},
		}},
	})
	if err := env.do(ctx, http.MethodPost, "/api/roles", role, http.StatusCreated, nil); err != nil {
		return nil, fmt.Errorf("create role: %w", err)
	}
	var reps []*access.User
	for i := 0; i < scopeReps; i++ {
		body, _ := json.Marshal(map[string]any{
			"email": fmt.Sprintf("rep%02d@example.com", i), "password": scopePassword,
			"name": fmt.Sprintf("Rep %d", i), "roles": []string{"bench_rep"},
		})
		var u access.User
		if err := env.do(ctx, http.MethodPost, "/api/users", body, http.StatusCreated, &u); err != nil {
			return nil, fmt.Errorf("create rep: %w", err)
		}
		reps = append(reps, &u)
	}
	return reps, nil
}

const scopePassword = "bench-rep-password"

func scopeLogin(ctx context.Context, env *benchEnv) (string, error) {
	var login struct {
		Token string `json:"token"`
	}
	body, _ := json.Marshal(map[string]string{"email": "rep00@example.com", "password": scopePassword})
	if err := env.doAs(ctx, "", http.MethodPost, "/api/auth/login", body, http.StatusOK, &login); err != nil {
		return "", fmt.Errorf("rep login: %w", err)
	}
	return login.Token, nil
}
