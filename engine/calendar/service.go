package calendar

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/store"
)

// CacheTTL is how long a process trusts a cached calendar. Saving one
// bumps cache_versions, so other processes drop their copies at once
// (engine/cluster); the TTL only bounds changes made behind the service's
// back.
var CacheTTL = 5 * time.Second

// Service stores calendars and serves them compiled, cached per process.
type Service struct {
	Store *store.Store
	Log   *slog.Logger

	mu    sync.Mutex
	cache map[string]cached
	gen   uint64 // invalidations: a calendar read before one is not cached
}

type cached struct {
	cal *Calendar
	at  time.Time
}

// NewService returns a calendar service over s.
func NewService(s *store.Store) *Service { return &Service{Store: s, cache: map[string]cached{}} }

// Get returns calendar key, compiled. The default calendar exists even
// when nobody saved it: it is then the built-in one (Builtin).
func (s *Service) Get(ctx context.Context, key string) (*Calendar, error) {
	s.mu.Lock()
	c, ok := s.cache[key]
	gen := s.gen
	s.mu.Unlock()
	if ok && time.Since(c.at) < CacheTTL {
		return c.cal, nil
	}
	cal, err := s.load(ctx, key)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.gen == gen {
		s.cache[key] = cached{cal: cal, at: time.Now()}
	}
	s.mu.Unlock()
	return cal, nil
}

func (s *Service) load(ctx context.Context, key string) (*Calendar, error) {
	row, err := s.Store.Calendar(ctx, key)
	if errs.Is(err, errs.NotFound) && key == DefaultKey {
		return Builtin(), nil
	}
	if err != nil {
		return nil, err
	}
	var cal Calendar
	if err := json.Unmarshal(row.Doc, &cal); err != nil {
		return nil, err
	}
	cal.Key, cal.Version, cal.UpdatedAt = key, row.Version, row.UpdatedAt
	if err := cal.Compile(); err != nil {
		return nil, err
	}
	return &cal, nil
}

// Put saves calendar c under key (creating it, or replacing the version
// the caller read: c.Version, 0 for a new calendar or the never-saved
// default). It refuses invalid calendars with one error per problem and
// returns the saved calendar.
func (s *Service) Put(ctx context.Context, by, key string, c *Calendar) (*Calendar, error) {
	c.Key = key
	if err := c.Compile(); err != nil {
		return nil, err
	}
	version := c.Version
	if version == 0 {
		// Saving over an existing calendar needs its version, so that two
		// administrators' edits cannot silently overwrite each other.
		if _, err := s.Store.Calendar(ctx, key); err == nil {
			return nil, errs.Fields(errs.Field("version", "required", "calendar.version_required"))
		}
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	if _, err := s.Store.PutCalendar(ctx, key, doc, version, by); err != nil {
		return nil, err
	}
	s.mu.Lock()
	delete(s.cache, key)
	s.gen++
	s.mu.Unlock()
	return s.Get(ctx, key)
}

// Invalidate drops every cached calendar (another process saved one;
// engine/cluster calls it).
func (s *Service) Invalidate() {
	s.mu.Lock()
	s.cache = map[string]cached{}
	s.gen++
	s.mu.Unlock()
}

// Default returns the default calendar; when it cannot be read it falls
// back to the built-in one (and logs why), so callers that must answer —
// an expression, a due time — always get a calendar.
func (s *Service) Default(ctx context.Context) *Calendar {
	c, err := s.Get(ctx, DefaultKey)
	if err != nil {
		s.log().Error("calendar: default calendar unreadable; using the built-in one", "err", err)
		return Builtin()
	}
	return c
}

// WorkdaysBetween counts working days of the default calendar (see
// Calendar.WorkdaysBetween). It makes the service the expression
// language's calendar (expr.Workdays) for businessDaysBetween, so an
// administrator's holiday edits reach expressions within CacheTTL.
func (s *Service) WorkdaysBetween(a, b time.Time) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.Default(ctx).WorkdaysBetween(a, b)
}

// AddWorkingHours and WorkingDuration are the default calendar's (see
// Calendar): they make the service expr.WorkingHours, for
// addBusinessHours and businessHoursBetween (SLA due times).
func (s *Service) AddWorkingHours(t time.Time, hours float64) time.Time {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.Default(ctx).AddWorkingHours(t, hours)
}

// WorkingDuration: see AddWorkingHours.
func (s *Service) WorkingDuration(from, to time.Time) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.Default(ctx).WorkingDuration(from, to)
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}
