package access

import (
	"context"
	"log/slog"
)

// Kinds of this service's caches in cache_versions (see engine/cluster):
// a process that changed the organisation or revoked a session bumps the
// kind, and every other process over the same database drops its copy.
const (
	CacheOrg      = "org"      // the department tree and roles, and the sessions (users may have changed)
	CacheSessions = "sessions" // the sessions alone (a sign-out, a revoked token)
)

// cacheBumper is what a Repo offers when it can tell other processes of a
// change (engine/store does).
type cacheBumper interface {
	BumpCache(ctx context.Context, kinds ...string) error
}

// tellOthers bumps kinds after a change has committed. A failure leaves
// the change in place; other processes then see it when their copies
// expire (OrgCacheTTL, SessionCacheTTL).
func (s *Service) tellOthers(ctx context.Context, kinds ...string) {
	b, ok := s.Repo.(cacheBumper)
	if !ok {
		return
	}
	if err := b.BumpCache(context.WithoutCancel(ctx), kinds...); err != nil {
		slog.Default().Error("access: other nodes not told of a change", "kinds", kinds, "err", err)
	}
}

// InvalidateOrg drops the cached department tree and roles, and the
// cached sessions with their users (another process changed the
// organisation).
func (s *Service) InvalidateOrg() {
	s.org.invalidate()
	s.sessions.invalidate()
}

// InvalidateSessions drops the cached sessions (another process revoked
// one).
func (s *Service) InvalidateSessions() { s.sessions.invalidate() }
