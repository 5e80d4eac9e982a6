package access_test

import (
	"context"
	"testing"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

// Organisation changes bump org, revocations bump sessions (other
// processes' watchers drop their caches on them); a refused change bumps
// nothing.
func TestChangesTellOtherProcesses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc := access.NewService(s)
		version := func(kind string) int64 {
			t.Helper()
			v, err := s.CacheVersions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return v[kind]
		}
		moves := func(what, kind string, want int64, fn func() error, wantErr bool) {
			t.Helper()
			before := version(kind)
			if err := fn(); (err != nil) != wantErr {
				t.Fatalf("%s: error %v", what, err)
			}
			if got := version(kind) - before; got != want {
				t.Errorf("%s: %s moved by %d, want %d", what, kind, got, want)
			}
		}
		u, err := svc.CreateUser(ctx, access.NewUser{Email: "u@example.com", Password: "password1", Name: "u"})
		if err != nil {
			t.Fatal(err)
		}
		moves("create role", access.CacheOrg, 1, func() error {
			_, err := svc.CreateRole(ctx, access.RoleInput{Key: "boss", Label: meta.Label{"en": "B"}})
			return err
		}, false)
		moves("create a taken role", access.CacheOrg, 0, func() error {
			_, err := svc.CreateRole(ctx, access.RoleInput{Key: "boss", Label: meta.Label{"en": "B"}})
			return err
		}, true)
		moves("create department", access.CacheOrg, 1, func() error {
			_, err := svc.CreateDepartment(ctx, access.DepartmentInput{Key: "sales", Label: meta.Label{"en": "S"}})
			return err
		}, false)
		tok, _, err := svc.Login(ctx, "u@example.com", "password1")
		if err != nil {
			t.Fatal(err)
		}
		moves("sign out", access.CacheSessions, 1, func() error { return svc.Logout(ctx, tok) }, false)
		tok, _, err = svc.Login(ctx, "u@example.com", "password1")
		if err != nil {
			t.Fatal(err)
		}
		_, sess, err := svc.AuthenticateSession(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		moves("revoke a session", access.CacheSessions, 1, func() error { return svc.RevokeSession(ctx, u, sess.ID) }, false)
		moves("revoke an unknown session", access.CacheSessions, 0, func() error { return svc.RevokeSession(ctx, u, sess.ID) }, true)
	})
}
