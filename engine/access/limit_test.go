package access_test

// The sign-in limiter over the real store, on each dialect: the counts
// live in the database.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func testLimiter(s *store.Store, perPair, perAddress, perAccount int) *access.LoginLimiter {
	return &access.LoginLimiter{Repo: s, Window: 15 * time.Minute, PerPair: perPair, PerAddress: perAddress,
		PerAccount: perAccount, AccountDelay: 2 * time.Second}
}

// refusal returns the limit that refused err, or fails.
func refusal(t *testing.T, err error) *access.Throttled {
	t.Helper()
	var th *access.Throttled
	if !errs.Is(err, errs.TooMany) || !errors.As(err, &th) {
		t.Fatalf("want a throttled refusal, got %v", err)
	}
	return th
}

func mustBegin(t *testing.T, l *access.LoginLimiter, email, addr string, at time.Time) *access.Attempt {
	t.Helper()
	a, err := l.Begin(context.Background(), email, addr, at)
	if err != nil {
		t.Fatalf("attempt by %s from %s at %v refused: %v", email, addr, at, err)
	}
	return a
}

func rows(t *testing.T, s *store.Store) int {
	t.Helper()
	var n int
	if err := s.R.QueryRow(`SELECT count(*) FROM login_attempts`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLimiterPerPair(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		l := testLimiter(s, 3, 100, 100)
		for i := range 3 {
			mustBegin(t, l, " Ann@Example.com", "10.0.0.1", t0.Add(time.Duration(i)*time.Minute))
		}
		// The email is normalized: the fourth attempt from that address is
		// refused, until the oldest failure (t0) leaves the window.
		_, err := l.Begin(ctx, "ann@example.com", "10.0.0.1", t0.Add(3*time.Minute))
		th := refusal(t, err)
		if th.Limit != access.LimitPair || th.Email != "ann@example.com" || th.Addr != "10.0.0.1" || th.Wait != 12*time.Minute {
			t.Errorf("throttled = %+v", th)
		}
		if e, _ := errs.As(err); e.Msg.Key != "access.too_many_attempts" {
			t.Errorf("message %q", e.Msg.Key)
		}
		// The same account from elsewhere, and others from there, go ahead.
		mustBegin(t, l, "ann@example.com", "10.9.9.9", t0.Add(3*time.Minute))
		mustBegin(t, l, "bob@example.com", "10.0.0.1", t0.Add(3*time.Minute))
		// A refused attempt was not recorded.
		if n := rows(t, s); n != 5 {
			t.Errorf("%d attempts stored, want 5", n)
		}
		// Sliding window: one slot frees at t0+15m, the next at t0+16m.
		if _, err := l.Begin(ctx, "ann@example.com", "10.0.0.1", t0.Add(15*time.Minute-time.Microsecond)); err == nil {
			t.Error("allowed just before the oldest failure expired")
		}
		mustBegin(t, l, "ann@example.com", "10.0.0.1", t0.Add(15*time.Minute))
		if _, err := l.Begin(ctx, "ann@example.com", "10.0.0.1", t0.Add(15*time.Minute)); refusal(t, err).Wait != time.Minute {
			t.Errorf("slot reused: %v", err)
		}
	})
}

func TestLimiterPerAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		l := testLimiter(s, 10, 4, 100)
		for i := range 4 {
			mustBegin(t, l, fmt.Sprintf("u%d@example.com", i), "192.0.2.1", t0)
		}
		_, err := l.Begin(context.Background(), "new@example.com", "192.0.2.1", t0.Add(time.Second))
		if th := refusal(t, err); th.Limit != access.LimitAddress || th.Wait != 15*time.Minute-time.Second {
			t.Fatalf("fifth address attempt: %+v", th)
		}
		if e, _ := errs.As(err); e.Msg.Key != "access.too_many_from_address" {
			t.Errorf("message %q", e.Msg.Key)
		}
		mustBegin(t, l, "new@example.com", "192.0.2.2", t0.Add(time.Second))
		// Attempts without an address (not over HTTP) have no address limit.
		for range 6 {
			mustBegin(t, l, "cli@example.com", "", t0)
		}
	})
}

func TestLimiterPerAccountDelays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		l := testLimiter(s, 3, 100, 5)
		// Five failures from five addresses: under every refusing limit.
		for i := range 5 {
			if a := mustBegin(t, l, "ann@example.com", fmt.Sprintf("10.0.0.%d", i), t0); a.Delayed != nil {
				t.Fatalf("attempt %d delayed", i+1)
			}
		}
		// The sixth, from anywhere, is let through after a delay.
		a := mustBegin(t, l, "ann@example.com", "10.1.1.1", t0.Add(time.Second))
		if a.Delayed == nil || a.Delayed.Limit != access.LimitAccount || a.Delayed.Wait != 2*time.Second || !a.Delayed.Delayed {
			t.Fatalf("sixth attempt: %+v", a.Delayed)
		}
		// A success there clears only that address's failures.
		if err := l.Succeeded(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		if a := mustBegin(t, l, "ann@example.com", "10.1.1.2", t0.Add(2*time.Second)); a.Delayed == nil {
			t.Error("the owner's success reset the count of failures from elsewhere")
		}
	})
}

func TestLimiterSuccessAndCancel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		l := testLimiter(s, 3, 5, 100)
		for range 2 {
			mustBegin(t, l, "ann@example.com", "192.0.2.1", t0)
		}
		mustBegin(t, l, "bob@example.com", "192.0.2.1", t0)
		// A success clears the account's failures from that address.
		if err := l.Succeeded(ctx, mustBegin(t, l, "ann@example.com", "192.0.2.1", t0)); err != nil {
			t.Fatal(err)
		}
		if n := rows(t, s); n != 1 {
			t.Errorf("%d attempts after the success, want bob's 1", n)
		}
		// A cancelled attempt (server error) counts against no one.
		if err := l.Cancel(ctx, mustBegin(t, l, "bob@example.com", "192.0.2.1", t0)); err != nil {
			t.Fatal(err)
		}
		if n := rows(t, s); n != 1 {
			t.Errorf("%d attempts after the cancel, want 1", n)
		}
	})
}

// Parallel guesses cannot slip past the check: of a burst, exactly the
// limit get through.
func TestLimiterParallel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		l := testLimiter(s, 10, 1000, 1000)
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for range 40 {
			wg.Go(func() {
				if _, err := l.Begin(context.Background(), "ann@example.com", "192.0.2.1", t0); err == nil {
					allowed.Add(1)
				} else if !errs.Is(err, errs.TooMany) {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := allowed.Load(); n != 10 {
			t.Errorf("%d parallel attempts allowed, want 10", n)
		}
		if n := rows(t, s); n != 10 {
			t.Errorf("%d attempts stored, want 10", n)
		}
	})
}

func TestLimiterPurgesAndBounds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		l := testLimiter(s, 10, 50, 100)
		for i := range 20 {
			mustBegin(t, l, fmt.Sprintf("u%d@example.com", i), fmt.Sprintf("192.0.2.%d", i), t0)
		}
		// The next attempt after the window purges the old ones.
		mustBegin(t, l, "late@example.com", "", t0.Add(16*time.Minute))
		if n := rows(t, s); n != 1 {
			t.Errorf("%d attempts after the window, want 1", n)
		}
		// A huge "email" is cut to a bounded key.
		mustBegin(t, l, strings.Repeat("é", 1<<19)+"\x00\xff", "", t0.Add(17*time.Minute))
		var longest int
		if err := s.R.QueryRow(`SELECT max(length(account)) FROM login_attempts`).Scan(&longest); err != nil {
			t.Fatal(err)
		}
		if longest > 320 {
			t.Errorf("account key of %d characters", longest)
		}
	})
}

func TestLimiterDisabledLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		l := testLimiter(s, 0, 0, 0)
		for i := range 30 {
			if a := mustBegin(t, l, "ann@example.com", "192.0.2.1", t0); a.Delayed != nil {
				t.Fatalf("attempt %d delayed with no limits", i+1)
			}
		}
	})
}
