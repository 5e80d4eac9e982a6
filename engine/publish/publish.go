// Package publish keeps what a module publishes to people who do not sign
// in: public forms (外链表单 — web-to-lead, the support form, CSAT and NPS
// surveys) that create a record, and public views (the published
// knowledge base) that list chosen records with chosen fields.
//
// Each is reached by an unguessable token (256 bits, shown once when
// issued; only its SHA-256 is stored, so the database does not hold a
// usable secret), revocable and re-issuable by administrators. A form's
// submission goes through the write path as the form's system user
// ("form:<key>"), so validation, formulas, rules and the audit log apply
// as to any create; a view reads with no user's rights and answers only
// the fields it names, of the records its filter admits. Both are
// rate-limited per client address (the peer, or what a trusted proxy
// says: httpx.Proxies), counted in the database so every node shares the
// count.
package publish

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/tessera-app/tessera/engine/meta"
)

// Types of publication, and their app-document kinds.
const (
	TypeForm = "form"
	TypeView = "view"
)

// Kind is the app-document kind (and message prefix) of a type.
func Kind(typ string) string { return "public_" + typ }

// Publication is a public form or view of a module.
type Publication struct {
	ID     string     `json:"id,omitempty"`
	App    string     `json:"app,omitempty"`
	Type   string     `json:"type,omitempty"`
	Key    string     `json:"key"`
	Module string     `json:"module"`
	Label  meta.Label `json:"label"`
	// Description is shown above the form or view.
	Description meta.Label `json:"description,omitempty"`
	// Fields are what the form asks for, in order, or what the view shows.
	Fields []string `json:"fields"`
	// Required (forms) are fields the form requires beyond the module's
	// own required fields.
	Required []string `json:"required,omitempty"`
	// Values (forms) are set on every record the form creates, whatever
	// was sent (source = "web"); they need not be among Fields.
	Values map[string]any `json:"values,omitempty"`
	// Owner (forms) is the user id owning the records created; "" leaves
	// them without owner (in the module's pool) for rules or pools to
	// assign.
	Owner string `json:"owner,omitempty"`
	// Success (forms) is the message shown after a submission, and where
	// to send the browser then (an http(s) URL).
	Success Success `json:"success,omitzero"`
	// Filter (views) admits the records shown (status == "published").
	Filter string `json:"filter,omitempty"`
	// Sort (views): "-updated_at,title"; default newest first.
	Sort string `json:"sort,omitempty"`
	// RateLimit is the requests one client address may make per minute
	// (default 10 for a form, 120 for a view).
	RateLimit int `json:"rate_limit,omitempty"`
	// Token says whether a token is issued (its value is shown only when
	// issued).
	Token     bool      `json:"token"`
	Version   int       `json:"version,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Success is what a form answers after a submission.
type Success struct {
	Message  meta.Label `json:"message,omitempty"`
	Redirect string     `json:"redirect,omitempty"`
}

// Default rate limits per client address and minute.
const (
	DefaultFormRate = 10
	DefaultViewRate = 120
	MaxRate         = 10000
)

func (p *Publication) rate() int {
	if p.RateLimit > 0 {
		return p.RateLimit
	}
	if p.Type == TypeForm {
		return DefaultFormRate
	}
	return DefaultViewRate
}

// newToken makes an unguessable 256-bit URL secret.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is what the store keeps of a token and looks it up by.
func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}
