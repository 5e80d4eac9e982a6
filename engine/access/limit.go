package access

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tessera-app/tessera/engine/errs"
)

// Default sign-in limits: failed attempts allowed in a sliding window.
const (
	LoginWindow = 15 * time.Minute
	// LoginPerPair failures of one account from one address, then that
	// address is refused (429) for that account: a guesser slows only
	// themselves.
	LoginPerPair = 10
	// LoginPerAddress failures from one address over all accounts, then
	// the address is refused (429): one client cannot sweep many accounts.
	LoginPerAddress = 50
	// LoginPerAccount failures of one account from all addresses, then
	// every further attempt for it waits LoginAccountDelay before the
	// password is checked. It is a delay, never a lockout, so that guessers
	// elsewhere cannot keep the owner out, yet a guesser with many
	// addresses is slowed down.
	LoginPerAccount   = 50
	LoginAccountDelay = 3 * time.Second
)

// The limits a sign-in can meet (Throttled.Limit).
const (
	LimitPair    = "account_address" // refused: this account from this address
	LimitAddress = "address"         // refused: this address
	LimitAccount = "account"         // delayed: this account, from everywhere
)

// maxEmailKey bounds the bytes of an email kept as a key (no address is
// longer than 320), so a huge request body cannot become a huge key.
const maxEmailKey = 320

// LoginRepo keeps sign-in attempts; engine/store implements it. The
// counts live in the database so that they hold across restarts and
// across several serve processes on one database.
type LoginRepo interface {
	// LoginAttempts runs fn in a transaction in which no other attempt of
	// account, nor any other attempt from addr, is counted or stored (on
	// any process), so fn's counts stay true until it commits.
	LoginAttempts(ctx context.Context, account, addr string, fn func(tx LoginTx) error) error
	// DeleteLoginAttempt forgets one attempt.
	DeleteLoginAttempt(ctx context.Context, id int64) error
	// ClearLoginFailures forgets every attempt of account from addr.
	ClearLoginFailures(ctx context.Context, account, addr string) error
	// PurgeLoginAttempts deletes the attempts made before before.
	PurgeLoginAttempts(ctx context.Context, before time.Time) error
}

// LoginTx counts and stores attempts inside LoginRepo.LoginAttempts.
type LoginTx interface {
	// Failures returns the times of the attempts q selects, newest first.
	Failures(q LoginFailureQuery) ([]time.Time, error)
	// Add stores an attempt of the transaction's account and address (it
	// counts as failed until it is deleted) and returns its id.
	Add(at time.Time) (int64, error)
}

// LoginFailureQuery selects attempts made after Since, at most Limit: of
// Account (any account when it is ""), from Addr (from any address when
// AnyAddr is set).
type LoginFailureQuery struct {
	Account, Addr string
	AnyAddr       bool
	Since         time.Time
	Limit         int
}

// LoginLimiter throttles failed sign-ins (see the Login* defaults): per
// account and address, per address, and, with a delay, per account.
type LoginLimiter struct {
	Repo         LoginRepo
	Window       time.Duration
	PerPair      int // 0: no such limit
	PerAddress   int // 0: no such limit
	PerAccount   int // 0: no such delay
	AccountDelay time.Duration

	mu      sync.Mutex
	purgeAt time.Time // when old attempts are next deleted
}

// NewLoginLimiter returns a limiter over r with the default limits.
func NewLoginLimiter(r LoginRepo) *LoginLimiter {
	return &LoginLimiter{Repo: r, Window: LoginWindow, PerPair: LoginPerPair, PerAddress: LoginPerAddress,
		PerAccount: LoginPerAccount, AccountDelay: LoginAccountDelay}
}

// Attempt is a sign-in attempt under way. It counts as failed from the
// start (so that parallel guesses cannot all slip past the check), until
// Succeeded or Cancel says otherwise.
type Attempt struct {
	id            int64
	account, addr string
	// Delayed, when set, says how long to wait before checking the
	// password, and why (the per-account limit).
	Delayed *Throttled
}

// accountKey is the email as sign-in looks it up, made storable whatever
// the client sent: valid UTF-8 without NUL, at most maxEmailKey bytes.
func accountKey(email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	email = strings.ReplaceAll(strings.ToValidUTF8(email, "\uFFFD"), "\x00", "")
	if len(email) > maxEmailKey {
		n := maxEmailKey
		for n > 0 && !utf8.RuneStart(email[n]) {
			n--
		}
		email = email[:n]
	}
	return email
}

// Begin starts an attempt for email from addr at now. Past the pair or
// the address limit it is refused with errs.TooMany (the cause, a
// *Throttled, says which limit and for how long) and nothing is recorded;
// past the account limit it is let through with a delay. The counting and
// the storing happen in one transaction that parallel attempts of the
// account or from the address wait for, so no more than the limit get
// through, on any number of processes.
func (l *LoginLimiter) Begin(ctx context.Context, email, addr string, now time.Time) (*Attempt, error) {
	l.purge(ctx, now)
	a := &Attempt{account: accountKey(email), addr: addr}
	var refused *Throttled
	err := l.Repo.LoginAttempts(ctx, a.account, addr, func(tx LoginTx) error {
		var err error
		if refused, a.Delayed, err = l.check(tx, a, now); err != nil || refused != nil {
			return err
		}
		a.id, err = tx.Add(now)
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case refused != nil:
		minutes := int((refused.Wait + time.Minute - 1) / time.Minute)
		return nil, errs.Wrap(refused, errs.TooMany, throttledMsg[refused.Limit], "minutes", minutes)
	}
	return a, nil
}

// check counts the failures a meets: the limit that refuses it, or the
// one that delays it.
func (l *LoginLimiter) check(tx LoginTx, a *Attempt, now time.Time) (refused, delayed *Throttled, err error) {
	for _, lim := range []struct {
		name  string
		limit int
		q     LoginFailureQuery
	}{
		{LimitPair, l.PerPair, LoginFailureQuery{Account: a.account, Addr: a.addr}},
		{LimitAddress, l.PerAddress, LoginFailureQuery{Addr: a.addr}},
		{LimitAccount, l.PerAccount, LoginFailureQuery{Account: a.account, AnyAddr: true}},
	} {
		if lim.limit <= 0 || lim.name == LimitAddress && a.addr == "" {
			continue
		}
		q := lim.q
		q.Since, q.Limit = now.Add(-l.Window), lim.limit
		times, err := tx.Failures(q)
		if err != nil {
			return nil, nil, err
		}
		if len(times) < lim.limit {
			continue
		}
		t := &Throttled{Limit: lim.name, Email: a.account, Addr: a.addr}
		if lim.name == LimitAccount {
			t.Delayed, t.Wait = true, l.AccountDelay
			delayed = t
			continue
		}
		// Allowed again once the oldest of the last limit failures has
		// left the window.
		t.Wait = times[lim.limit-1].Add(l.Window).Sub(now)
		return t, nil, nil
	}
	return nil, delayed, nil
}

var throttledMsg = map[string]string{
	LimitPair:    "access.too_many_attempts",
	LimitAddress: "access.too_many_from_address",
}

// Succeeded ends an attempt that signed in: the failures of the account
// from this address are forgotten (those from elsewhere are not, or a
// guesser's count would start afresh whenever the owner signs in).
func (l *LoginLimiter) Succeeded(ctx context.Context, a *Attempt) error {
	return l.Repo.ClearLoginFailures(ctx, a.account, a.addr)
}

// Cancel ends an attempt that failed for a reason other than the
// credentials (the database was down): it is not held against anyone.
func (l *LoginLimiter) Cancel(ctx context.Context, a *Attempt) error {
	return l.Repo.DeleteLoginAttempt(context.WithoutCancel(ctx), a.id)
}

// purge deletes attempts that have left the window, at most once a minute
// per process, so the table holds only recent ones.
func (l *LoginLimiter) purge(ctx context.Context, now time.Time) {
	l.mu.Lock()
	due := !now.Before(l.purgeAt)
	if due {
		l.purgeAt = now.Add(time.Minute)
	}
	l.mu.Unlock()
	if due {
		// A failed purge only delays the clean-up to the next minute.
		_ = l.Repo.PurgeLoginAttempts(ctx, now.Add(-l.Window))
	}
}

// Throttled is how a limit met a sign-in: the cause of the 429 (logged,
// not sent) with the Retry-After, or, Delayed, why the attempt was held
// back for Wait before its password was checked.
type Throttled struct {
	Limit   string // LimitPair, LimitAddress or LimitAccount
	Email   string
	Addr    string
	Wait    time.Duration
	Delayed bool // the attempt went ahead after Wait (LimitAccount)
}

func (t *Throttled) Error() string {
	what := "throttled"
	if t.Delayed {
		what = "delayed"
	}
	return fmt.Sprintf("sign-in %s (%s limit; email %q, address %q) for %v", what, t.Limit, t.Email, t.Addr, t.Wait)
}

// RetryAfter is how long the client should wait.
func (t *Throttled) RetryAfter() time.Duration { return t.Wait }

// LogValue describes the refusal or delay for the request log.
func (t *Throttled) LogValue() slog.Value {
	reason := "throttled"
	if t.Delayed {
		reason = "delayed"
	}
	return slog.GroupValue(slog.String("reason", reason), slog.String("limit", t.Limit),
		slog.String("email", t.Email), slog.String("addr", t.Addr), slog.Duration("wait", t.Wait))
}
