// Package access is who may do what: users, sign-in sessions and (later)
// roles and permissions. It defines the types and the rules; the store
// persists them through the Repo interface.
package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/meta"
)

// User is a person who signs in.
type User struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	IsAdmin   bool      `json:"is_admin"`
	Disabled  bool      `json:"disabled"`
	Locale    string    `json:"locale"`
	TimeZone  string    `json:"time_zone"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Session is a sign-in or a personal API token (a row of the sessions
// table): the token itself is never stored, only its hash. Zero times are
// unset: no expiry, never used, not revoked.
type Session struct {
	ID         string
	UserID     string
	TokenHash  string
	Kind       string // KindSession (sign-in) or KindToken (API token)
	Name       string // the API token's name
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// Repo is the persistence access needs; engine/store implements it.
type Repo interface {
	CreateUser(ctx context.Context, u *User, passwordHash string) error
	UserByEmail(ctx context.Context, email string) (*User, string, error) // user, password hash
	UserByID(ctx context.Context, id string) (*User, error)
	CreateSession(ctx context.Context, s *Session) error
	// SessionByHash returns the session whose token hashes to tokenHash,
	// whatever its state (expired, revoked), and its user.
	SessionByHash(ctx context.Context, tokenHash string) (*Session, *User, error)
	// TouchSession sets last_used_at to at unless it is already later than
	// since.
	TouchSession(ctx context.Context, id string, at, since time.Time) error
	// Sessions lists a user's unrevoked, unexpired sessions of kind,
	// newest first.
	Sessions(ctx context.Context, userID, kind string, now time.Time) ([]*Session, error)
	// UnrevokedSessions lists a user's unrevoked sessions of kind, expired
	// ones included, newest first.
	UnrevokedSessions(ctx context.Context, userID, kind string) ([]*Session, error)
	// RevokeSession revokes the user's unrevoked session id of kind;
	// NotFound when there is none.
	RevokeSession(ctx context.Context, userID, kind, id string, at time.Time) error
	// RevokeSessionByHash revokes the unrevoked session of kind whose token
	// hashes to tokenHash, if there is one.
	RevokeSessionByHash(ctx context.Context, tokenHash, kind string, at time.Time) error
	// PurgeSessions deletes the sessions that expired or were revoked
	// before before.
	PurgeSessions(ctx context.Context, before time.Time) error
}

// Service signs users in and out and resolves tokens to users.
type Service struct {
	Repo       Repo
	SessionTTL time.Duration
	Now        func() time.Time
	// Limiter throttles failed sign-ins in LoginFrom; nil: no limits.
	// NewService sets it up when the Repo is also a LoginRepo.
	Limiter *LoginLimiter
	// Sleep waits d or until ctx ends (the per-account delay); tests
	// replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnLogin, when set, is told of every sign-in attempt once it is
	// decided, refusals by the limiter included. The audit log plugs in
	// here.
	OnLogin func(ctx context.Context, a LoginAttempt)

	// Org persists departments, roles and memberships (see org.go);
	// NewService takes it from the Repo when that implements OrgRepo.
	Org OrgRepo
	// Modules and Resolve check role permissions: the modules they name
	// and the fields their scope expressions read. NewService takes them
	// from the Repo when it can; the server sets Modules to the cached
	// metadata service.
	Modules ModuleFinder
	Resolve func(*meta.Module) expr.Resolver
	// OnOrgChange, when set, is told of every department, role and user
	// change made through the organisation API, after it has committed;
	// the audit log plugs in here.
	OnOrgChange func(ctx context.Context, c OrgChange)
	// OrgCacheTTL bounds how long the department tree and the roles are
	// cached (0: DefaultOrgCacheTTL); see org.go.
	OrgCacheTTL time.Duration
	org         orgCache
	// SessionCacheTTL bounds how long a session read by
	// AuthenticateSession is reused (0: DefaultSessionCacheTTL; negative:
	// read every time); see sessioncache.go.
	SessionCacheTTL time.Duration
	sessions        sessionCache

	purgeMu sync.Mutex
	purgeAt time.Time // when expired and revoked sessions are next purged
}

// NewService returns a service with a 7-day session lifetime and the
// default sign-in limits.
func NewService(r Repo) *Service {
	s := &Service{Repo: r, SessionTTL: 7 * 24 * time.Hour, Now: func() time.Time { return time.Now().UTC() }, Sleep: sleep}
	if lr, ok := r.(LoginRepo); ok {
		s.Limiter = NewLoginLimiter(lr)
	}
	if o, ok := r.(OrgRepo); ok {
		s.Org = o
	}
	if m, ok := r.(ModuleFinder); ok {
		s.Modules = m
	}
	if fr, ok := r.(fieldResolver); ok {
		s.Resolve = fr.FieldResolver
	}
	return s
}

// NewUser is the input for creating a user.
type NewUser struct {
	Email    string
	Password string
	Name     string
	IsAdmin  bool
}

// MinPassword is the shortest password accepted.
const MinPassword = 8

// CreateUser validates and stores a new user with a hashed password.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (*User, error) {
	u, fes := newUserErrors(in)
	if len(fes) > 0 {
		return nil, errs.Fields(fes...)
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	if u.Name == "" {
		u.Name = strings.SplitN(u.Email, "@", 2)[0]
	}
	if err := s.Repo.CreateUser(ctx, u, hash); err != nil {
		return nil, err
	}
	return u, nil
}

// newUserErrors checks the email and password of a new user and returns
// the user (not stored yet) with the default locale and time zone.
func newUserErrors(in NewUser) (*User, []errs.FieldError) {
	email := strings.ToLower(strings.TrimSpace(in.Email))
	var fes []errs.FieldError
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		fes = append(fes, errs.Field("email", "format", "access.bad_email"))
	}
	if len(in.Password) < MinPassword || len(in.Password) > 1024 {
		fes = append(fes, errs.Field("password", "length", "access.bad_password", "min", MinPassword))
	}
	return &User{Email: email, Name: in.Name, IsAdmin: in.IsAdmin, Locale: "zh-CN", TimeZone: "Asia/Shanghai"}, fes
}

// LoginAttempt is a decided sign-in attempt, as OnLogin is told of it.
type LoginAttempt struct {
	Email string // as the client sent it
	Addr  string // the client address ("" when not over HTTP)
	User  *User  // the signed-in user; nil when the attempt failed
	// Err is why it failed: wrong credentials, a disabled account, or
	// errs.TooMany with a *Throttled cause naming the limit that refused it.
	Err error
	// Delayed, when set, is the per-account delay the attempt waited out.
	Delayed *Throttled
}

// Login checks a password and opens a session, returning its token. It is
// not throttled (LoginFrom is); OnLogin is told either way.
func (s *Service) Login(ctx context.Context, email, password string) (string, *User, error) {
	token, u, err := s.signIn(ctx, email, password)
	s.told(ctx, LoginAttempt{Email: email, User: u, Err: err})
	return token, u, err
}

// signIn checks the password and opens a session. The same error is
// returned for an unknown email and a wrong password, and a hash is
// checked either way, so responses do not reveal which accounts exist.
func (s *Service) signIn(ctx context.Context, email, password string) (string, *User, error) {
	u, hash, err := s.Repo.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if err != nil && !errs.Is(err, errs.NotFound) {
		return "", nil, err
	}
	if u == nil {
		hash = dummyHash
	}
	ok := CheckPassword(hash, password)
	if u == nil || !ok {
		return "", nil, errs.New(errs.Unauthorized, "access.bad_credentials")
	}
	if u.Disabled {
		return "", nil, errs.New(errs.Unauthorized, "access.disabled")
	}
	token, sess := newToken("")
	sess.UserID, sess.Kind = u.ID, KindSession
	sess.CreatedAt = s.Now()
	sess.ExpiresAt = sess.CreatedAt.Add(s.SessionTTL)
	if err := s.Repo.CreateSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return token, u, nil
}

func (s *Service) told(ctx context.Context, a LoginAttempt) {
	if s.OnLogin != nil {
		s.OnLogin(ctx, a)
	}
}

// LoginFrom is Login for a client at addr (its IP address), throttled by
// s.Limiter: past the limit of failures of the account from that address,
// or from the address at all, it is refused with errs.TooMany (429)
// before the password is checked; past the higher limit for the account
// from everywhere it waits first (see LoginPerAccount). A successful
// sign-in also purges long-dead sessions now and then.
func (s *Service) LoginFrom(ctx context.Context, email, password, addr string) (string, *User, error) {
	a := LoginAttempt{Email: email, Addr: addr}
	var pending *Attempt
	if s.Limiter != nil {
		var err error
		if pending, err = s.Limiter.Begin(ctx, email, addr, s.Now()); err != nil {
			a.Err = err
			s.told(ctx, a)
			return "", nil, err
		}
		if a.Delayed = pending.Delayed; a.Delayed != nil {
			if err := s.Sleep(ctx, a.Delayed.Wait); err != nil {
				// The client went away: nothing was tried.
				_ = s.Limiter.Cancel(ctx, pending)
				return "", nil, err
			}
		}
	}
	token, u, err := s.signIn(ctx, email, password)
	if pending != nil {
		// Settling is bookkeeping: if it fails, the attempt stays counted
		// as failed until it leaves the window, which errs on the safe side.
		switch {
		case err == nil:
			_ = s.Limiter.Succeeded(ctx, pending)
		case !errs.Is(err, errs.Unauthorized):
			_ = s.Limiter.Cancel(ctx, pending)
		}
	}
	a.User, a.Err = u, err
	s.told(ctx, a)
	if err == nil {
		// Housekeeping must not fail a sign-in; a failed purge is retried
		// within the hour and only delays the clean-up.
		_ = s.purge(ctx, s.Now())
	}
	return token, u, err
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Authenticate resolves a session token or API token to its (enabled)
// user; see AuthenticateSession.
func (s *Service) Authenticate(ctx context.Context, token string) (*User, error) {
	u, _, err := s.AuthenticateSession(ctx, token)
	return u, err
}

// Logout ends the sign-in session of token, and only that one. An API
// token is not a session: it stays valid until it is revoked by id.
func (s *Service) Logout(ctx context.Context, token string) error {
	defer s.sessions.invalidate()
	if err := s.Repo.RevokeSessionByHash(ctx, HashToken(token), KindSession, s.Now()); err != nil {
		return err
	}
	s.tellOthers(ctx, CacheSessions)
	return nil
}

// newToken makes a random 256-bit token, after prefix, and the session
// row for it.
func newToken(prefix string) (string, *Session) {
	b := make([]byte, 32)
	rand.Read(b)
	token := prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, &Session{TokenHash: HashToken(token)}
}

// HashToken is how tokens are stored: SHA-256 is enough for 256-bit random
// tokens (no dictionary to attack), and lets lookups use an index.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// CSRFToken is the CSRF token of a cookie session: a hash of the session
// token under a distinct prefix, so it reveals nothing of the session token
// and needs no storage.
func CSRFToken(sessionToken string) string {
	h := sha256.Sum256([]byte("tessera-csrf:" + sessionToken))
	return base64.RawURLEncoding.EncodeToString(h[:])
}
