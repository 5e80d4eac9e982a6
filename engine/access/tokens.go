package access

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tessera-app/tessera/engine/errs"
)

// Kinds of rows in the sessions table.
const (
	KindSession = "session" // a browser or API sign-in with a password
	KindToken   = "token"   // a personal API token
)

// TokenPrefix starts every personal API token, so that tokens are easy
// to tell from session tokens in logs and for secret scanners to find.
const TokenPrefix = "tsk_"

// Limits of personal API tokens.
const (
	MaxTokenName = 100 // characters
	MaxTokens    = 100 // live tokens per user
)

// TouchEvery is how stale last_used_at may get: a credential's use is
// written at most this often, not on every request.
const TouchEvery = time.Minute

// Retention is how long expired and revoked sessions and tokens are kept
// before they are purged: while they are kept, presenting one is logged
// as a replay ("revoked", "expired") rather than as an unknown token.
const Retention = 30 * 24 * time.Hour

// tokenLen is the length of a raw token: 32 random bytes, base64url.
const tokenLen = 43

// Refusal is why a credential was refused: the cause of the 401, logged
// with the request and never sent. It names the session row and user when
// they are known, never the token.
type Refusal struct {
	Reason    string // malformed, unknown, revoked, expired, disabled
	Kind      string // KindSession or KindToken (from the token's shape)
	SessionID string
	UserID    string
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("%s refused: %s (session %q, user %q)", r.Kind, r.Reason, r.SessionID, r.UserID)
}

// LogValue describes the refusal for the request log.
func (r *Refusal) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("reason", r.Reason), slog.String("kind", r.Kind)}
	if r.SessionID != "" {
		attrs = append(attrs, slog.String("session_id", r.SessionID))
	}
	if r.UserID != "" {
		attrs = append(attrs, slog.String("user_id", r.UserID))
	}
	return slog.GroupValue(attrs...)
}

// refusalMsg is the message the client gets for each reason and kind.
func refusalMsg(reason, kind string) string {
	switch {
	case reason == "disabled":
		return "access.disabled"
	case reason == "revoked" && kind == KindToken:
		return "access.token_revoked"
	case reason == "revoked":
		return "access.session_ended"
	case reason == "expired" && kind == KindToken:
		return "access.token_expired"
	case reason == "expired":
		return "access.session_expired"
	}
	return "access.token_invalid"
}

func refuse(r *Refusal) error {
	return errs.Wrap(r, errs.Unauthorized, refusalMsg(r.Reason, r.Kind))
}

// tokenKind tells the kind from the token's shape; "" when it has neither
// shape, so that garbage never reaches the database.
func tokenKind(token string) string {
	kind, raw := KindSession, token
	if strings.HasPrefix(token, TokenPrefix) {
		kind, raw = KindToken, token[len(TokenPrefix):]
	}
	if len(raw) != tokenLen {
		return ""
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return ""
		}
	}
	return kind
}

// AuthenticateSession resolves a session token or API token to its user
// and session row. It refuses, with a Refusal as the cause, a token that
// is malformed or unknown (forged), revoked (signed out, or replayed after
// revocation), expired, or whose user is disabled. Use is recorded in
// last_used_at at most every TouchEvery.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (*User, *Session, error) {
	if token == "" {
		return nil, nil, errs.New(errs.Unauthorized, "access.signin_required")
	}
	kind := tokenKind(token)
	if kind == "" {
		guess := KindSession
		if strings.HasPrefix(token, TokenPrefix) {
			guess = KindToken
		}
		return nil, nil, refuse(&Refusal{Reason: "malformed", Kind: guess})
	}
	now := s.Now()
	hash := HashToken(token)
	sess, u, gen, cached := s.sessions.get(hash, now)
	if !cached {
		var err error
		sess, u, err = s.Repo.SessionByHash(ctx, hash)
		if errs.Is(err, errs.NotFound) {
			return nil, nil, refuse(&Refusal{Reason: "unknown", Kind: kind})
		}
		if err != nil {
			return nil, nil, err
		}
		if ttl := s.sessionTTL(); ttl > 0 {
			s.sessions.put(hash, gen, sess, u, now.Add(ttl))
		}
	}
	r := &Refusal{Kind: kind, SessionID: sess.ID, UserID: u.ID}
	switch {
	case sess.Kind != kind: // cannot happen for tokens this service made
		r.Reason = "unknown"
	case !sess.RevokedAt.IsZero():
		r.Reason = "revoked"
	case !sess.ExpiresAt.IsZero() && !now.Before(sess.ExpiresAt):
		r.Reason = "expired"
	case u.Disabled:
		r.Reason = "disabled"
	default:
		if now.Sub(sess.LastUsedAt) >= TouchEvery {
			if err := s.Repo.TouchSession(ctx, sess.ID, now, now.Add(-TouchEvery)); err != nil {
				return nil, nil, err
			}
			sess.LastUsedAt = now
			if ttl := s.sessionTTL(); ttl > 0 {
				s.sessions.put(hash, gen, sess, u, now.Add(ttl))
			}
		}
		return u, sess, nil
	}
	return nil, nil, refuse(r)
}

// NewToken is the input for creating a personal API token.
type NewToken struct {
	Name      string
	ExpiresAt string // RFC 3339, in the future; "" for a token that does not expire
}

// CreateToken makes a personal API token for u, who signed in with via
// (nil when not over HTTP). The token itself is returned only here; the
// store keeps its hash. An API token cannot make more tokens: otherwise a
// leaked token could outlive its expiry and its revocation.
func (s *Service) CreateToken(ctx context.Context, u *User, via *Session, in NewToken) (string, *Session, error) {
	if via != nil && via.Kind != KindSession {
		return "", nil, errs.New(errs.Forbidden, "access.token_cannot_mint")
	}
	now := s.Now()
	name := strings.TrimSpace(in.Name)
	var fes []errs.FieldError
	if n := utf8.RuneCountInString(name); n == 0 || n > MaxTokenName {
		fes = append(fes, errs.Field("name", "length", "access.token_name", "max", MaxTokenName))
	}
	var expires time.Time
	if in.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339, in.ExpiresAt)
		switch {
		case err != nil:
			fes = append(fes, errs.Field("expires_at", "format", "access.token_expiry_format"))
		case !t.After(now):
			fes = append(fes, errs.Field("expires_at", "past", "access.token_expiry_past"))
		default:
			expires = t.UTC().Truncate(time.Microsecond)
		}
	}
	if len(fes) > 0 {
		return "", nil, errs.Fields(fes...)
	}
	live, err := s.Repo.Sessions(ctx, u.ID, KindToken, now)
	if err != nil {
		return "", nil, err
	}
	if len(live) >= MaxTokens {
		return "", nil, errs.New(errs.Conflict, "access.too_many_tokens", "max", MaxTokens)
	}
	token, sess := newToken(TokenPrefix)
	sess.UserID, sess.Kind, sess.Name = u.ID, KindToken, name
	sess.CreatedAt, sess.ExpiresAt = now, expires
	if err := s.Repo.CreateSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// Tokens lists u's unrevoked API tokens, newest first: the live ones and
// those that expired less than Retention ago (see State), so that a
// script's owner can tell why it stopped working.
func (s *Service) Tokens(ctx context.Context, u *User) ([]*Session, error) {
	return s.Repo.UnrevokedSessions(ctx, u.ID, KindToken)
}

// States of a session or token.
const (
	StateActive  = "active"
	StateExpired = "expired"
	StateRevoked = "revoked"
)

// State is what the credential is at now: active, expired or revoked.
func (s *Session) State(now time.Time) string {
	switch {
	case !s.RevokedAt.IsZero():
		return StateRevoked
	case !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt):
		return StateExpired
	}
	return StateActive
}

// RevokeToken revokes one of u's API tokens; another user's is not found.
func (s *Service) RevokeToken(ctx context.Context, u *User, id string) error {
	defer s.sessions.invalidate()
	err := s.Repo.RevokeSession(ctx, u.ID, KindToken, id, s.Now())
	if errs.Is(err, errs.NotFound) {
		return errs.New(errs.NotFound, "access.token_not_found")
	}
	if err == nil {
		s.tellOthers(ctx, CacheSessions)
	}
	return err
}

// Sessions lists u's live sign-in sessions, newest first.
func (s *Service) Sessions(ctx context.Context, u *User) ([]*Session, error) {
	return s.Repo.Sessions(ctx, u.ID, KindSession, s.Now())
}

// RevokeSession ends one of u's sessions (signing out elsewhere).
func (s *Service) RevokeSession(ctx context.Context, u *User, id string) error {
	defer s.sessions.invalidate()
	err := s.Repo.RevokeSession(ctx, u.ID, KindSession, id, s.Now())
	if errs.Is(err, errs.NotFound) {
		return errs.New(errs.NotFound, "access.session_not_found")
	}
	if err == nil {
		s.tellOthers(ctx, CacheSessions)
	}
	return err
}

// purge deletes sessions and tokens that expired or were revoked more
// than Retention ago, at most once an hour per service.
func (s *Service) purge(ctx context.Context, now time.Time) error {
	s.purgeMu.Lock()
	due := !now.Before(s.purgeAt)
	if due {
		s.purgeAt = now.Add(time.Hour)
	}
	s.purgeMu.Unlock()
	if !due {
		return nil
	}
	return s.Repo.PurgeSessions(ctx, now.Add(-Retention))
}
