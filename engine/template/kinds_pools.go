package template

import (
	"context"

	"github.com/tessera-app/tessera/engine/pool"
	"github.com/tessera-app/tessera/engine/publish"
)

// Pools (pools/<key>.json) and public forms and views (public-forms/,
// public-views/) are kinds of their own, applied after modules and roles
// (which their documents name). A replace during an upgrade writes over
// the installed version (the plan already merged it). An installed public
// form or view gets a token of its own, which no package carries: an
// administrator issues it (POST …/public-forms/{key}/token) to get the link.
func init() {
	Register(jsonKind("pool", "pools", 75,
		func(ctx context.Context, e *Env, app string) ([]*pool.Pool, error) {
			return e.Pools.List(ctx, e.Actor, app)
		},
		func(p *pool.Pool) string { return p.Key },
		func(ctx context.Context, e *Env, app string, p *pool.Pool) error {
			_, err := e.Pools.Create(ctx, app, p)
			return err
		},
		func(ctx context.Context, e *Env, app, key string, p *pool.Pool) error {
			cur, err := e.Pools.Get(ctx, e.Actor, app, key)
			if err != nil {
				return err
			}
			_, err = e.Pools.Replace(ctx, app, key, p, cur.Version)
			return err
		},
		func(ctx context.Context, e *Env, app, key string) error { return e.Pools.Delete(ctx, app, key) }))
	for _, k := range []struct {
		typ, name, dir string
		order          int
	}{{publish.TypeForm, "public form", "public-forms", 76}, {publish.TypeView, "public view", "public-views", 77}} {
		Register(jsonKind(k.name, k.dir, k.order,
			func(ctx context.Context, e *Env, app string) ([]*publish.Publication, error) {
				return e.Publications.List(ctx, app, k.typ)
			},
			func(p *publish.Publication) string { return p.Key },
			func(ctx context.Context, e *Env, app string, p *publish.Publication) error {
				_, _, err := e.Publications.Create(ctx, app, k.typ, p)
				return err
			},
			func(ctx context.Context, e *Env, app, key string, p *publish.Publication) error {
				cur, err := e.Publications.Get(ctx, app, k.typ, key)
				if err != nil {
					return err
				}
				_, err = e.Publications.Replace(ctx, app, k.typ, key, p, cur.Version)
				return err
			},
			func(ctx context.Context, e *Env, app, key string) error {
				return e.Publications.Delete(ctx, app, k.typ, key)
			}))
	}
}
