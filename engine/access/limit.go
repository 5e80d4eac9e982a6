package access

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Default sign-in limits: failed attempts allowed per sliding window.
const (
	LoginWindow     = 15 * time.Minute
	LoginPerAccount = 10
	LoginPerAddress = 50
)

// maxEmailKey bounds the bytes of an email kept as a key (no address is
// longer than 320), so a huge request body cannot become a huge map key.
const maxEmailKey = 320

// LoginLimiter counts failed sign-ins per account (the email, whether or
// not it exists) and per client address, each in a sliding window. An
// attempt is refused once either has reached its limit, before the
// password is checked; a successful sign-in clears the account's count.
//
// The counts live in memory, per process: a restart forgets them, and
// several processes behind one load balancer each count on their own, so
// the effective limit is the per-process one times the number of processes.
// A locked account can still be locked out by someone guessing at it; the
// window bounds how long.
type LoginLimiter struct {
	Window     time.Duration
	PerAccount int // 0: no per-account limit
	PerAddress int // 0: no per-address limit

	mu      sync.Mutex
	hits    map[string][]time.Time // key → failure times in the window, oldest first
	sweepAt time.Time
}

// NewLoginLimiter returns a limiter with the default limits.
func NewLoginLimiter() *LoginLimiter {
	return &LoginLimiter{Window: LoginWindow, PerAccount: LoginPerAccount, PerAddress: LoginPerAddress}
}

func accountKey(email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	if len(email) > maxEmailKey {
		email = email[:maxEmailKey]
	}
	return "a:" + email
}

func addressKey(addr string) string {
	if addr == "" {
		return ""
	}
	return "i:" + addr
}

// Begin starts a sign-in attempt for email from addr at now. When either
// the account or the address has used up its failures it returns false
// with how long to wait, and records nothing. Otherwise the attempt is
// counted as failed at once (so parallel guesses cannot all slip past the
// check), until Succeeded or Cancel says otherwise.
func (l *LoginLimiter) Begin(email, addr string, now time.Time) (*Throttled, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	acct, ip := accountKey(email), addressKey(addr)
	var t *Throttled
	if w := l.wait(acct, l.PerAccount, now); w > 0 {
		t = &Throttled{Scope: "account", Email: acct[2:], Addr: addr, Wait: w}
	}
	if w := l.wait(ip, l.PerAddress, now); w > 0 && (t == nil || w > t.Wait) {
		t = &Throttled{Scope: "address", Email: acct[2:], Addr: addr, Wait: w}
	}
	if t != nil {
		return t, false
	}
	if l.hits == nil {
		l.hits = map[string][]time.Time{}
	}
	if l.PerAccount > 0 {
		l.hits[acct] = append(l.hits[acct], now)
	}
	if ip != "" && l.PerAddress > 0 {
		l.hits[ip] = append(l.hits[ip], now)
	}
	return nil, true
}

// Succeeded ends an attempt that signed in: the account's failures are
// forgotten and the address gets its attempt back.
func (l *LoginLimiter) Succeeded(email, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, accountKey(email))
	l.refund(addressKey(addr))
}

// Cancel ends an attempt that failed for a reason other than the
// credentials (the database was down): it is not held against anyone.
func (l *LoginLimiter) Cancel(email, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refund(accountKey(email))
	l.refund(addressKey(addr))
}

// refund drops the newest failure of key.
func (l *LoginLimiter) refund(key string) {
	h := l.hits[key]
	switch {
	case len(h) > 1:
		l.hits[key] = h[:len(h)-1]
	case len(h) == 1:
		delete(l.hits, key)
	}
}

// wait returns how long until key may fail again (0: now). It also drops
// the failures that have left the window.
func (l *LoginLimiter) wait(key string, limit int, now time.Time) time.Duration {
	if key == "" || limit <= 0 {
		return 0
	}
	h := l.hits[key]
	i := 0
	for i < len(h) && !h[i].Add(l.Window).After(now) {
		i++
	}
	if i > 0 {
		h = h[i:]
		if len(h) == 0 {
			delete(l.hits, key)
		} else {
			l.hits[key] = h
		}
	}
	if len(h) < limit {
		return 0
	}
	// Allowed again once enough of the oldest failures have expired.
	return h[len(h)-limit].Add(l.Window).Sub(now)
}

// sweep drops keys with no failure left in the window, at most once a
// minute, so that the map holds only recent failures.
func (l *LoginLimiter) sweep(now time.Time) {
	if now.Before(l.sweepAt) {
		return
	}
	l.sweepAt = now.Add(time.Minute)
	for k, h := range l.hits {
		if len(h) == 0 || !h[len(h)-1].Add(l.Window).After(now) {
			delete(l.hits, k)
		}
	}
}

// Throttled is why a sign-in was refused by the limiter; it is the cause
// of the 429 (logged, not sent) and tells the HTTP layer the Retry-After.
type Throttled struct {
	Scope string // "account" or "address": which limit was reached
	Email string
	Addr  string
	Wait  time.Duration
}

func (t *Throttled) Error() string {
	return fmt.Sprintf("sign-in throttled (%s limit; email %q, address %q) for %v", t.Scope, t.Email, t.Addr, t.Wait)
}

// RetryAfter is how long the client should wait.
func (t *Throttled) RetryAfter() time.Duration { return t.Wait }

// LogValue describes the refusal for the request log.
func (t *Throttled) LogValue() slog.Value {
	return slog.GroupValue(slog.String("reason", "throttled"), slog.String("limit", t.Scope),
		slog.String("email", t.Email), slog.String("addr", t.Addr), slog.Duration("retry_after", t.Wait))
}
