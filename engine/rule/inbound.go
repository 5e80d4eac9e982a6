package rule

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// The inbound webhook trigger: a secret URL (POST /api/hooks/{token})
// whose JSON body creates a record of the rule's module — or updates one,
// when it names an "id" — through the record service, as channel
// "webhook"; then the rule's actions run on that record like any after-save
// rule's, from a job.

func init() {
	RegisterTrigger("webhook", TriggerType{Check: func(Trigger, *meta.Module) []errs.FieldError { return nil }})
}

// newToken makes an unguessable 256-bit URL secret.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Inbound handles one delivery to a webhook URL and returns the record
// written. An unknown or disabled token is not found.
func (e *Engine) Inbound(ctx context.Context, token string, body map[string]any) (store.Record, bool, error) {
	r, err := e.byToken(ctx, token)
	if err != nil {
		return nil, false, err
	}
	m, err := e.Meta.Module(ctx, r.App, r.Module)
	if err != nil {
		return nil, false, err
	}
	var rec store.Record
	created := false
	err = e.Store.InTx(ctx, func(tx *store.Tx) error {
		wctx := record.WithTx(ctx, tx)
		// The delivery writes as the rule's own system user (created_by
		// names it, as for its actions), on channel "webhook": an
		// automation, so it owns nothing it creates and is never asked
		// whether a duplicate is meant (no one could answer; a merge rule
		// deals with duplicates).
		webhookActor, err := e.actorFor(ctx, tx, r)
		if err != nil {
			return err
		}
		webhookActor.Via = "webhook"
		if id, ok := body["id"].(string); ok {
			cur, err := e.Store.RecordInTx(ctx, tx, m, id)
			if err != nil {
				return err
			}
			delete(body, "id")
			if rec, err = e.Records.Update(wctx, webhookActor, m, id, cur["version"].(int64), body); err != nil {
				return err
			}
		} else {
			created = true
			if rec, err = e.Records.Create(wctx, webhookActor, m, body); err != nil {
				return err
			}
		}
		return enqueueRun(ctx, tx, payload{RuleID: r.ID, Version: r.Version, App: r.App, Module: m.Key,
			Record: rec["id"].(string), Trigger: "webhook", Depth: 1})
	})
	return rec, created, err
}

// byToken finds the enabled webhook rule with token, comparing in constant
// time so the secret cannot be found a byte at a time.
func (e *Engine) byToken(ctx context.Context, token string) (*Rule, error) {
	rows, err := e.Store.Rules(ctx, "")
	if err != nil {
		return nil, err
	}
	var found *Rule
	for _, row := range rows {
		r, err := fromRow(row)
		if err != nil || r.Trigger.Type != "webhook" || r.Trigger.Token == "" {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(r.Trigger.Token), []byte(token)) == 1 && r.Enabled {
			found = r
		}
	}
	if found == nil {
		return nil, errs.New(errs.NotFound, "rule.no_hook")
	}
	return found, nil
}
