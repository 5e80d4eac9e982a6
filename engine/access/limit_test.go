package access

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func testLimiter(perAccount, perAddress int) *LoginLimiter {
	return &LoginLimiter{Window: 15 * time.Minute, PerAccount: perAccount, PerAddress: perAddress}
}

func TestLimiterPerAccount(t *testing.T) {
	l := testLimiter(3, 100)
	for i := range 3 {
		// Different addresses: only the account limit applies.
		if th, ok := l.Begin(" Ann@Example.com", fmt.Sprintf("10.0.0.%d", i), t0.Add(time.Duration(i)*time.Minute)); !ok {
			t.Fatalf("attempt %d refused: %v", i+1, th)
		}
	}
	// The email is normalized: the fourth attempt is refused, from anywhere.
	th, ok := l.Begin("ann@example.com", "10.9.9.9", t0.Add(3*time.Minute))
	if ok {
		t.Fatal("fourth attempt allowed")
	}
	if th.Scope != "account" || th.Email != "ann@example.com" || th.Addr != "10.9.9.9" {
		t.Errorf("throttled = %+v", th)
	}
	// Allowed again when the oldest failure (t0) leaves the window.
	if want := 12 * time.Minute; th.Wait != want || th.RetryAfter() != want {
		t.Errorf("wait %v, want %v", th.Wait, want)
	}
	// Other accounts are unaffected.
	if _, ok := l.Begin("bob@example.com", "10.9.9.9", t0.Add(3*time.Minute)); !ok {
		t.Error("another account refused")
	}
	// Sliding window: one slot frees at t0+15m, the next at t0+16m.
	if _, ok := l.Begin("ann@example.com", "", t0.Add(15*time.Minute-time.Nanosecond)); ok {
		t.Error("allowed just before the oldest failure expired")
	}
	if _, ok := l.Begin("ann@example.com", "", t0.Add(15*time.Minute)); !ok {
		t.Error("refused after the oldest failure expired")
	}
	if th, ok := l.Begin("ann@example.com", "", t0.Add(15*time.Minute)); ok || th.Wait != time.Minute {
		t.Errorf("slot reused: ok=%v %+v", ok, th)
	}
}

func TestLimiterPerAddress(t *testing.T) {
	l := testLimiter(10, 4)
	for i := range 4 {
		if _, ok := l.Begin(fmt.Sprintf("u%d@example.com", i), "192.0.2.1", t0); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	th, ok := l.Begin("new@example.com", "192.0.2.1", t0.Add(time.Second))
	if ok || th.Scope != "address" || th.Wait != 15*time.Minute-time.Second {
		t.Fatalf("fifth address attempt: ok=%v %+v", ok, th)
	}
	// A refused attempt is not counted: the account stays clean.
	if _, ok := l.Begin("new@example.com", "192.0.2.2", t0.Add(time.Second)); !ok {
		t.Error("other address refused")
	}
	if got := len(l.hits[accountKey("new@example.com")]); got != 1 {
		t.Errorf("new@ has %d failures, want 1", got)
	}
}

func TestLimiterSuccessAndCancel(t *testing.T) {
	l := testLimiter(3, 5)
	for range 2 {
		l.Begin("ann@example.com", "192.0.2.1", t0)
	}
	// A success clears the account and gives the address its attempt back.
	l.Begin("ann@example.com", "192.0.2.1", t0)
	l.Succeeded("ann@example.com", "192.0.2.1")
	if n := len(l.hits[accountKey("ann@example.com")]); n != 0 {
		t.Errorf("account failures after success: %d", n)
	}
	if n := len(l.hits[addressKey("192.0.2.1")]); n != 2 {
		t.Errorf("address failures after success: %d, want 2", n)
	}
	// A cancelled attempt (server error) counts against no one.
	l.Begin("bob@example.com", "192.0.2.1", t0)
	l.Cancel("bob@example.com", "192.0.2.1")
	if n := len(l.hits[accountKey("bob@example.com")]); n != 0 {
		t.Errorf("bob failures after cancel: %d", n)
	}
	if n := len(l.hits[addressKey("192.0.2.1")]); n != 2 {
		t.Errorf("address failures after cancel: %d, want 2", n)
	}
}

func TestLimiterParallel(t *testing.T) {
	l := testLimiter(10, 1000)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok := l.Begin("ann@example.com", fmt.Sprintf("192.0.2.%d", i), t0); ok {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := allowed.Load(); n != 10 {
		t.Errorf("%d parallel attempts allowed, want 10", n)
	}
}

func TestLimiterSweepsAndBounds(t *testing.T) {
	l := testLimiter(10, 50)
	for i := range 20 {
		l.Begin(fmt.Sprintf("u%d@example.com", i), fmt.Sprintf("192.0.2.%d", i), t0)
	}
	if len(l.hits) != 40 {
		t.Fatalf("%d keys, want 40", len(l.hits))
	}
	l.Begin("late@example.com", "", t0.Add(16*time.Minute))
	if len(l.hits) != 1 {
		t.Errorf("%d keys after the window, want 1", len(l.hits))
	}
	// A huge "email" is cut to a bounded key.
	huge := string(make([]byte, 1<<20))
	l.Begin(huge, "", t0.Add(16*time.Minute))
	for k := range l.hits {
		if len(k) > maxEmailKey+2 {
			t.Errorf("key of %d bytes", len(k))
		}
	}
}

func TestLimiterDisabledLimits(t *testing.T) {
	l := testLimiter(0, 0)
	for i := range 100 {
		if _, ok := l.Begin("ann@example.com", "192.0.2.1", t0); !ok {
			t.Fatalf("attempt %d refused with no limits", i+1)
		}
	}
	if len(l.hits) != 0 {
		t.Errorf("%d keys kept with no limits", len(l.hits))
	}
}

func TestTokenKind(t *testing.T) {
	session, _ := newToken("")
	api, _ := newToken(TokenPrefix)
	for token, want := range map[string]string{
		session:                         KindSession,
		api:                             KindToken,
		"":                              "",
		"garbage":                       "",
		TokenPrefix + "x":               "",
		session + "=":                   "",
		session[:42] + "!":              "",
		TokenPrefix + TokenPrefix + api: "",
	} {
		if got := tokenKind(token); got != want {
			t.Errorf("tokenKind(%q) = %q, want %q", token, got, want)
		}
	}
}
