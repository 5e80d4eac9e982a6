package access

import (
	"sync"
	"time"
)

// Sessions are read on every request, so AuthenticateSession keeps the
// sessions it has read (with their users) in memory for SessionCacheTTL.
// The checks — revoked, expired, disabled — still run on every request,
// on the cached copy. Every revocation and every change to a user, role or
// department made through this Service drops the whole cache at once, so
// on this process a sign-out or a disabled user takes effect on the next
// request; those changes also bump cache_versions (sessions, org), so
// other processes over the same database drop their copies as well
// (engine/cluster). A change behind the service's back is seen when the
// copy expires: the TTL is short for that reason.

// DefaultSessionCacheTTL is how long a process trusts a session it read.
const DefaultSessionCacheTTL = 2 * time.Second

// maxCachedSessions bounds the cache; when it is full it starts over.
const maxCachedSessions = 10000

type sessionEntry struct {
	sess    Session
	user    User
	expires time.Time
}

type sessionCache struct {
	mu      sync.Mutex
	gen     uint64 // bumped by every invalidation
	entries map[string]*sessionEntry
}

// get returns copies of the cached session and user of a token hash.
func (c *sessionCache) get(hash string, now time.Time) (*Session, *User, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[hash]
	if e == nil || !now.Before(e.expires) {
		return nil, nil, c.gen, false
	}
	sess, u := e.sess, e.user
	return &sess, &u, c.gen, true
}

// put caches copies of sess and u, unless the cache was invalidated since
// gen (what was read may predate the change).
func (c *sessionCache) put(hash string, gen uint64, sess *Session, u *User, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.entries == nil || len(c.entries) >= maxCachedSessions {
		c.entries = map[string]*sessionEntry{}
	}
	c.entries[hash] = &sessionEntry{sess: *sess, user: *u, expires: expires}
}

func (c *sessionCache) invalidate() {
	c.mu.Lock()
	c.gen++
	c.entries = nil
	c.mu.Unlock()
}

func (s *Service) sessionTTL() time.Duration {
	if s.SessionCacheTTL != 0 {
		return s.SessionCacheTTL
	}
	return DefaultSessionCacheTTL
}
