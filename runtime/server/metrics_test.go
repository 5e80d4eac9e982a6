package server_test

// Issue 10 item 6: GET /metrics (administrators only) reports requests by
// route pattern and status — the same statuses the access log has — the
// job queue, rule runs by outcome and refused sign-ins by reason.

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// metricValue is the value of the sample named exactly so (labels in
// exposition order, which is sorted by label name); -1 when absent.
func metricValue(t *testing.T, body, sample string) float64 {
	t.Helper()
	for _, l := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(l, sample+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatalf("sample %s: %v", l, err)
			}
			return v
		}
	}
	return -1
}

func TestMetrics(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		id := e.create(t, "crm", "deal", map[string]any{"name": "x"}).str("id")
		e.do(t, "admin", "GET", recIDPath("crm", "deal", id), nil).want(t, 200)
		e.do(t, "admin", "GET", recIDPath("crm", "deal", noSuchID), nil).want(t, 404)
		e.do(t, "admin", "GET", recIDPath("crm", "deal", noSuchID), nil).want(t, 404)
		e.do(t, "admin", "POST", recPath("crm", "deal"), map[string]any{"name": 5}).want(t, 422)
		for range 10 {
			e.do(t, "", "POST", "/api/auth/login", map[string]string{"email": "victim@example.com", "password": "wrong-password"}).want(t, 401)
		}
		e.do(t, "", "POST", "/api/auth/login", map[string]string{"email": "victim@example.com", "password": "wrong-password"}).want(t, 429)

		// One due job and one scheduled a day ahead, of a kind nothing runs.
		ctx := context.Background()
		now := e.s.Now()
		if err := e.s.InTx(ctx, func(tx *store.Tx) error {
			if err := store.EnqueueJob(ctx, tx, &store.Job{Kind: "test.metrics", RunAt: now.Add(-90e9)}); err != nil {
				return err
			}
			return store.EnqueueJob(ctx, tx, &store.Job{Kind: "test.metrics", RunAt: now.Add(24 * 3600e9)})
		}); err != nil {
			t.Fatal(err)
		}

		// Who may scrape: administrators only.
		e.do(t, "", "GET", "/metrics", nil).want(t, 401)
		e.do(t, "user", "GET", "/metrics", nil).want(t, 403)

		// The access log so far, by status (the scrape below is logged
		// only after it is answered, so it is in neither).
		logged := map[string]int{}
		status := regexp.MustCompile(`msg=http .* status=(\d+) `)
		for _, l := range e.log.Lines() {
			if m := status.FindStringSubmatch(l); m != nil {
				logged[m[1]]++
			}
		}
		body := string(e.do(t, "admin", "GET", "/metrics", nil).want(t, 200).Body)

		route := `/api/apps/:app/modules/:module/records/:id`
		for sample, want := range map[string]float64{
			`tessera_http_requests_total{method="GET",route="` + route + `",status="200"}`:                           1,
			`tessera_http_requests_total{method="GET",route="` + route + `",status="404"}`:                           2,
			`tessera_http_requests_total{method="POST",route="/api/apps/:app/modules/:module/records",status="422"}`: 1,
			`tessera_http_requests_total{method="POST",route="/api/auth/login",status="429"}`:                        1,
			`tessera_http_requests_total{method="GET",route="/metrics",status="401"}`:                                1,
			`tessera_http_requests_total{method="GET",route="/metrics",status="403"}`:                                1,
			`tessera_http_request_duration_seconds_count{method="GET",route="` + route + `",status="404"}`:           2,
			`tessera_login_refusals_total{reason="bad_credentials"}`:                                                 10,
			`tessera_login_refusals_total{reason="limit_account_address"}`:                                           1,
			`tessera_jobs_queued{kind="test.metrics",state="due"}`:                                                   1,
			`tessera_jobs_queued{kind="test.metrics",state="scheduled"}`:                                             1,
		} {
			if got := metricValue(t, body, sample); got != want {
				t.Errorf("%s = %v, want %v", sample, got, want)
			}
		}
		if age := metricValue(t, body, `tessera_jobs_oldest_age_seconds{kind="test.metrics",state="due"}`); age < 89 || age > 3600 {
			t.Errorf("oldest due job's age = %v s, want about 90", age)
		}
		if metricValue(t, body, `go_goroutines`) <= 0 || !strings.Contains(body, `go_sql_open_connections{db_name="write"}`) {
			t.Errorf("runtime or pool metrics missing:\n%s", body)
		}
		// Paths with ids never become labels.
		if strings.Contains(body, id) || strings.Contains(body, noSuchID) {
			t.Error("a record id is a metric label")
		}

		// The metrics and the access log agree on every status.
		counted := map[string]float64{}
		sample := regexp.MustCompile(`(?m)^tessera_http_requests_total\{.*status="(\d+)"\} (\d+)$`)
		for _, m := range sample.FindAllStringSubmatch(body, -1) {
			n, _ := strconv.ParseFloat(m[2], 64)
			counted[m[1]] += n
		}
		if fmt.Sprint(counted) != fmt.Sprint(toFloat(logged)) {
			t.Errorf("requests by status: metrics %v, access log %v", counted, logged)
		}
	})
}

func toFloat(m map[string]int) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		out[k] = float64(v)
	}
	return out
}

// Rule runs are counted by outcome once their job has run.
func TestMetricsRuleRuns(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		leadsAndTasks(t, e, "")
		e.Do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "follow_up", "label": apitest.Label("Follow up"), "module": "lead",
			"trigger": map[string]any{"type": "created"},
			"actions": []any{map[string]any{"type": "task", "module": "task", "values": map[string]string{"title": `"Call " + name`, "lead": "id"}}}}).Want(t, 201)
		for _, n := range []string{"Acme", "Globex"} {
			e.Do(t, "rep", "POST", "/api/apps/crm/modules/lead/records", map[string]any{"name": n}).Want(t, 201)
		}
		e.RunJobs(t)
		body := string(e.Do(t, "admin", "GET", "/metrics", nil).Want(t, 200).Body)
		if got := metricValue(t, body, `tessera_rule_runs_total{outcome="ok"}`); got != 2 {
			t.Errorf(`rule runs ok = %v, want 2:\n%s`, got, body)
		}
	})
}
