package rule

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/tessera-app/tessera/engine/jobs"
)

// WebhookTimeout bounds one delivery; a target that hangs fails the
// attempt, and the job retries with backoff until it is dead-lettered.
var WebhookTimeout = 10 * time.Second

var webhookClient = &http.Client{Timeout: WebhookTimeout}

// SetWebhookTimeout changes the delivery timeout (tests use a short one).
func SetWebhookTimeout(d time.Duration) {
	WebhookTimeout = d
	webhookClient = &http.Client{Timeout: d}
}

// webhookJob delivers one webhook: a JSON POST signed with HMAC-SHA256 of
// "<timestamp>.<body>" under the rule's secret (header X-Tessera-Signature:
// t=<unix>,v1=<hex>), with the job id as X-Tessera-Delivery so receivers
// can drop a retried delivery they already processed.
//
// It is an external job: it runs with no transaction open (holding one for
// a slow target would stall every write on SQLite), at least once — hence
// the delivery id.
func (e *Engine) webhookJob(ctx context.Context, job *jobs.Job) error {
	var p webhookPayload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return err
	}
	body, _ := json.Marshal(p.Body)
	ctx, cancel := context.WithTimeout(ctx, WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(e.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Tessera-Webhook/1")
	req.Header.Set("X-Tessera-Delivery", job.ID)
	if p.Secret != "" {
		req.Header.Set("X-Tessera-Signature", "t="+ts+",v1="+Sign(p.Secret, ts, body))
	}
	res, err := webhookClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("webhook %s answered %d", p.URL, res.StatusCode)
	}
	return nil
}

// Sign is the webhook signature of body at timestamp ts.
func Sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}
