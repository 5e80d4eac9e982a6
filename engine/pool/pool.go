// Package pool keeps the named pools (公海) of a module — several per
// module, one per 战区 (华东公海, 华南公海): each a filter over the module's
// records that nobody owns, with its own grants of who may view, claim and
// assign, a ceiling on claims per user per period, and reclaim thresholds
// that send records back when nobody followed them up.
//
// Pools extend the module's one public pool (records without owner, and the
// claim permission of roles, engine/record.Claim) rather than replace it:
// a record in a pool is still simply a record without owner; the pool
// decides who reaches it. Every owner change goes through the write path
// (record.SetOwner), so history, rules and the audit log see claims,
// assignments and reclaims like any write.
package pool

import (
	"time"

	"github.com/tessera-app/tessera/engine/meta"
)

// Kind is the app-document kind of pools (store.AppDocRow.Kind), and the
// prefix of their messages.
const Kind = "pool"

// Pool is one named pool of a module.
type Pool struct {
	ID     string     `json:"id,omitempty"`
	App    string     `json:"app,omitempty"`
	Key    string     `json:"key"`
	Module string     `json:"module"`
	Label  meta.Label `json:"label"`
	// Filter is an expression over the module's fields choosing the
	// pool's records among those without owner (`region == "east"`); ""
	// takes them all.
	Filter string `json:"filter,omitempty"`
	// View, Claim and Assign grant seeing the pool's records, claiming
	// one for oneself, and assigning them to others. Administrators hold
	// all three. Claim and Assign do not imply View's list, but a claim
	// or an assignment reads the record through the pool.
	View   Grant `json:"view"`
	Claim  Grant `json:"claim"`
	Assign Grant `json:"assign"`
	// ClaimLimit caps the claims of one user in this pool per period;
	// nil: no cap.
	ClaimLimit *Limit `json:"claim_limit,omitempty"`
	// Reclaim sends owned records of the pool's filter back to it;
	// nil: never.
	Reclaim *Reclaim `json:"reclaim,omitempty"`
	// TimeZone (IANA) is where periods and the reclaim job's midnight
	// are; "" is Asia/Shanghai.
	TimeZone  string    `json:"time_zone,omitempty"`
	Version   int       `json:"version,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Grant names who holds a pool permission: users with any of the roles
// (keys), or members of any of the departments (keys) or of a department
// below one.
type Grant struct {
	Roles       []string `json:"roles,omitempty"`
	Departments []string `json:"departments,omitempty"`
}

// Limit is a ceiling per period: Count claims a "day", "week" (from
// Monday) or "month", in the pool's time zone.
type Limit struct {
	Count  int    `json:"count"`
	Period string `json:"period"`
}

// Reclaim decides which owned records go back to the pool: those whose
// StatusField holds one of Statuses (a status not named — 合作 — is never
// reclaimed) and whose DateField (the last follow-up) is more than Days
// days ago, Days chosen by the record's TierField value ("*" for any
// other value, and for a record without tier; a tier without an entry and
// no "*" is never reclaimed). An empty DateField counts from the record's
// creation.
type Reclaim struct {
	DateField   string         `json:"date_field"`
	TierField   string         `json:"tier_field,omitempty"`
	Days        map[string]int `json:"days"`
	StatusField string         `json:"status_field"`
	Statuses    []string       `json:"statuses"`
}

// DefaultZone is the time zone of pools that name none.
const DefaultZone = "Asia/Shanghai"

// Periods a claim limit may count in.
var Periods = []string{"day", "week", "month"}

func (p *Pool) zone() *time.Location {
	name := p.TimeZone
	if name == "" {
		name = DefaultZone
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC // checked when saved; a zone the system lost later is UTC
	}
	return loc
}

// period names the limit period holding t, and when it ends.
func (l *Limit) period(t time.Time, loc *time.Location) (string, time.Time) {
	t = t.In(loc)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	switch l.Period {
	case "week":
		start := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
		return "w" + start.Format("2006-01-02"), start.AddDate(0, 0, 7)
	case "month":
		start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
		return "m" + start.Format("2006-01"), start.AddDate(0, 1, 0)
	default:
		return "d" + day.Format("2006-01-02"), day.AddDate(0, 0, 1)
	}
}

// nextMidnight is the first local midnight after t (when the reclaim job
// runs next).
func nextMidnight(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc).UTC()
}
