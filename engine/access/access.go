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
	"time"

	"github.com/tessera-app/tessera/engine/errs"
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

// Session is a sign-in: the token itself is never stored, only its hash.
type Session struct {
	ID        string
	UserID    string
	TokenHash string
	Kind      string // "session" (browser sign-in)
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Repo is the persistence access needs; engine/store implements it.
type Repo interface {
	CreateUser(ctx context.Context, u *User, passwordHash string) error
	UserByEmail(ctx context.Context, email string) (*User, string, error) // user, password hash
	UserByID(ctx context.Context, id string) (*User, error)
	CreateSession(ctx context.Context, s *Session) error
	// SessionUser returns the user of the unexpired, unrevoked session
	// whose token hashes to tokenHash.
	SessionUser(ctx context.Context, tokenHash string, now time.Time) (*User, error)
	DeleteSession(ctx context.Context, tokenHash string) error
}

// Service signs users in and out and resolves tokens to users.
type Service struct {
	Repo       Repo
	SessionTTL time.Duration
	Now        func() time.Time
}

// NewService returns a service with a 7-day session lifetime.
func NewService(r Repo) *Service {
	return &Service{Repo: r, SessionTTL: 7 * 24 * time.Hour, Now: func() time.Time { return time.Now().UTC() }}
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
	email := strings.ToLower(strings.TrimSpace(in.Email))
	var fes []errs.FieldError
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		fes = append(fes, errs.Field("email", "format", "access.bad_email"))
	}
	if len(in.Password) < MinPassword || len(in.Password) > 1024 {
		fes = append(fes, errs.Field("password", "length", "access.bad_password", "min", MinPassword))
	}
	if len(fes) > 0 {
		return nil, errs.Fields(fes...)
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	name := in.Name
	if name == "" {
		name = strings.SplitN(email, "@", 2)[0]
	}
	u := &User{Email: email, Name: name, IsAdmin: in.IsAdmin, Locale: "zh-CN", TimeZone: "Asia/Shanghai"}
	if err := s.Repo.CreateUser(ctx, u, hash); err != nil {
		return nil, err
	}
	return u, nil
}

// Login checks a password and opens a session, returning its token. The
// same error is returned for an unknown email and a wrong password, and a
// hash is checked either way, so responses do not reveal which accounts exist.
func (s *Service) Login(ctx context.Context, email, password string) (string, *User, error) {
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
	token, sess := newToken()
	sess.UserID, sess.Kind = u.ID, "session"
	sess.CreatedAt = s.Now()
	sess.ExpiresAt = sess.CreatedAt.Add(s.SessionTTL)
	if err := s.Repo.CreateSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return token, u, nil
}

// Authenticate resolves a session token to its (enabled) user.
func (s *Service) Authenticate(ctx context.Context, token string) (*User, error) {
	if token == "" || len(token) > 200 {
		return nil, errs.New(errs.Unauthorized, "access.signin_required")
	}
	u, err := s.Repo.SessionUser(ctx, HashToken(token), s.Now())
	if errs.Is(err, errs.NotFound) || (err == nil && u.Disabled) {
		return nil, errs.New(errs.Unauthorized, "access.signin_required")
	}
	return u, err
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.Repo.DeleteSession(ctx, HashToken(token))
}

// newToken makes a random 256-bit token and the session row for it.
func newToken() (string, *Session) {
	b := make([]byte, 32)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	return token, &Session{TokenHash: HashToken(token)}
}

// HashToken is how tokens are stored: SHA-256 is enough for 256-bit random
// tokens (no dictionary to attack), and lets lookups use an index.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}
