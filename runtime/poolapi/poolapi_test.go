package poolapi_test

// Pools (公海) by 战区 through the real HTTP stack on both dialects: two
// pools of one module with their own grants (by role, by department and
// the departments below it), claims within a daily limit under many
// concurrent claims, batch assignment evenly and at random (all or none),
// and the daily reclaim job with thresholds per tier that spares statuses
// the pool does not name.

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

const customerProps = `{"properties":{
	"name":{"x-field":{"type":"text"}},
	"region":{"x-field":{"type":"select","options":[{"value":"east"},{"value":"south"}]}},
	"tier":{"x-field":{"type":"select","options":[{"value":"A"},{"value":"B"},{"value":"C"}]}},
	"status":{"x-field":{"type":"select","options":[{"value":"following"},{"value":"cooperating"}]}},
	"last_followup":{"x-field":{"type":"date"}}}}`

// start: 2026-03-02 10:00 in Shanghai.
var start = time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)

// setup: app crm, module customer; roles east_rep and south_rep read and
// update their own customers; department east_sales with east_team below
// it, where mgr (role manager: read all) is a member.
func setup(t *testing.T, s *store.Store) *apitest.Env {
	e := apitest.New(t, s, start)
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": apitest.Label("CRM")}).Want(t, 201)
	var schema map[string]any
	if err := json.Unmarshal([]byte(customerProps), &schema); err != nil {
		t.Fatal(err)
	}
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "customer", "label": apitest.Label("Customer"), "schema": schema}).Want(t, 201)
	own := map[string]string{"read": "own", "update": "own"}
	for _, r := range []string{"east_rep", "south_rep"} {
		e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": r, "label": apitest.Label(r), "permissions": []any{
			map[string]any{"app": "crm", "module": "customer", "actions": []string{"read", "update"}, "scope": own},
		}}).Want(t, 201)
	}
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "manager", "label": apitest.Label("Manager"), "permissions": []any{
		map[string]any{"app": "crm", "module": "customer", "actions": []string{"read"}, "scope": map[string]string{"read": "all"}},
	}}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/departments", map[string]any{"key": "east_sales", "label": apitest.Label("华东销售部")}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/departments", map[string]any{"key": "east_team", "label": apitest.Label("华东一组"), "parent": "east_sales"}).Want(t, 201)
	for name, roles := range map[string][]string{"e1": {"east_rep"}, "e2": {"east_rep"}, "s1": {"south_rep"}, "mgr": {"manager"}} {
		e.User(t, name, access.NewUser{})
		patch := map[string]any{"roles": roles}
		if name == "mgr" {
			patch["departments"] = []string{"east_team"}
		}
		e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs[name], patch).Want(t, 200)
	}
	return e
}

func pools(t *testing.T, e *apitest.Env, limit int) {
	t.Helper()
	e.Do(t, "admin", "POST", "/api/apps/crm/pools", map[string]any{"key": "east", "module": "customer",
		"label": map[string]string{"en": "East pool", "zh-CN": "华东公海"}, "filter": `region == "east"`,
		"view": map[string]any{"roles": []string{"east_rep"}}, "claim": map[string]any{"roles": []string{"east_rep"}},
		"assign":      map[string]any{"departments": []string{"east_sales"}},
		"claim_limit": map[string]any{"count": limit, "period": "day"},
		"reclaim": map[string]any{"date_field": "last_followup", "tier_field": "tier", "days": map[string]int{"A": 30, "B": 15, "*": 7},
			"status_field": "status", "statuses": []string{"following"}}}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/apps/crm/pools", map[string]any{"key": "south", "module": "customer",
		"label": map[string]string{"en": "South pool", "zh-CN": "华南公海"}, "filter": `region == "south"`,
		"view": map[string]any{"roles": []string{"south_rep"}}, "claim": map[string]any{"roles": []string{"south_rep"}}}).Want(t, 201)
}

func customer(t *testing.T, e *apitest.Env, name, region string, extra map[string]any) string {
	t.Helper()
	body := map[string]any{"name": name, "region": region}
	owner := any(nil)
	for k, v := range extra {
		if k == "owner" {
			owner = v
		} else if v != "" {
			body[k] = v
		}
	}
	r := e.Do(t, "admin", "POST", "/api/apps/crm/modules/customer/records", body).Want(t, 201)
	id := r.Str("id")
	e.Do(t, "admin", "PATCH", "/api/apps/crm/modules/customer/records/"+id, map[string]any{"owner": owner, "version": r.Num("version")}).Want(t, 200)
	return id
}

func names(r *apitest.Response) string {
	var out []string
	for _, rec := range r.List("records") {
		out = append(out, rec.(map[string]any)["name"].(string))
	}
	return strings.Join(out, ",")
}

func TestPoolsByRegion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		pools(t, e, 5)
		east1 := customer(t, e, "东1", "east", nil)
		customer(t, e, "东2", "east", nil)
		south1 := customer(t, e, "南1", "south", nil)
		customer(t, e, "东-有主", "east", map[string]any{"owner": e.IDs["e2"]})

		// Each rep sees only the pools granted to them; the pool's records
		// are the unowned ones of its region, beyond the rep's own scope.
		if got := e.Do(t, "e1", "GET", "/api/apps/crm/pools", nil).Want(t, 200).List("pools"); len(got) != 1 || got[0].(map[string]any)["key"] != "east" {
			t.Fatalf("e1's pools: %v", got)
		}
		if got := names(e.Do(t, "e1", "GET", "/api/apps/crm/pools/east/records?sort=name", nil).Want(t, 200)); got != "东1,东2" {
			t.Fatalf("east pool: %q", got)
		}
		e.Do(t, "s1", "GET", "/api/apps/crm/pools/east/records", nil).Want(t, 404)
		if got := names(e.Do(t, "s1", "GET", "/api/apps/crm/pools/south/records", nil).Want(t, 200)); got != "南1" {
			t.Fatalf("south pool: %q", got)
		}
		// The manager is in a department below east_sales: may assign, not
		// claim (403, in the reader's language).
		r := e.Do(t, "mgr", "POST", "/api/apps/crm/pools/east/records/"+east1+"/claim", nil, "Accept-Language", "zh-CN").Want(t, 403)
		r.Contains(t, "华东公海", "领取记录")

		// A claim makes e1 the owner; the record left the pool. A record
		// of the other region is not in this pool; a claimed one is a 409.
		rec := e.Do(t, "e1", "POST", "/api/apps/crm/pools/east/records/"+east1+"/claim", nil).Want(t, 200)
		if rec.Str("owner") != e.IDs["e1"] {
			t.Fatalf("owner after claim: %v", rec.Get("owner"))
		}
		e.Do(t, "e1", "POST", "/api/apps/crm/pools/east/records/"+south1+"/claim", nil).Want(t, 404)
		e.Do(t, "e2", "POST", "/api/apps/crm/pools/east/records/"+east1+"/claim", nil).Want(t, 404)
		if got := names(e.Do(t, "e1", "GET", "/api/apps/crm/pools/east/records", nil).Want(t, 200)); got != "东2" {
			t.Fatalf("east pool after the claim: %q", got)
		}
		e.Do(t, "e1", "GET", "/api/apps/crm/modules/customer/records/"+east1, nil).Want(t, 200)
		// The claim is in the record's history, by e1, naming the pool.
		h := e.Do(t, "admin", "GET", "/api/apps/crm/modules/customer/records/"+east1+"/history", nil).Want(t, 200)
		if !strings.Contains(string(h.Body), `"pool":{"action":"claim","key":"east"}`) {
			t.Fatalf("history does not name the pool: %s", h.Body)
		}
		if got := e.Do(t, "e1", "GET", "/api/apps/crm/pools/east", nil).Want(t, 200).Obj("claimed"); fmt.Sprintf("%v %v", got["count"], got["limit"]) != "1 5" {
			t.Fatalf("claimed: %v", got)
		}
	})
}

func TestPoolDefinitionsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		r := e.Do(t, "admin", "POST", "/api/apps/crm/pools", map[string]any{"key": "x", "module": "customer", "label": apitest.Label("X"),
			"filter": `nosuch == 1`, "claim_limit": map[string]any{"count": 0, "period": "year"}, "time_zone": "Mars/Base",
			"reclaim": map[string]any{"date_field": "name", "days": map[string]int{"A": 3}, "status_field": "status"}},
			"Accept-Language", "zh-CN").Want(t, 422)
		for _, f := range []string{"filter", "claim_limit.count", "claim_limit.period", "time_zone", "reclaim.date_field", "reclaim.statuses", "reclaim.days.A"} {
			if !strings.Contains(string(r.Body), `"field":"`+f+`"`) {
				t.Errorf("no error on %s: %s", f, r.Body)
			}
		}
		r.Contains(t, "周期“year”无效", "不是该模块的日期或日期时间字段")
		e.Do(t, "admin", "POST", "/api/apps/crm/pools", map[string]any{"key": "x", "module": "nosuch", "label": apitest.Label("X")}).Want(t, 422)
		e.Do(t, "e1", "POST", "/api/apps/crm/pools", map[string]any{"key": "x", "module": "customer", "label": apitest.Label("X")}).Want(t, 403)
		pools(t, e, 5)
		e.Do(t, "admin", "POST", "/api/apps/crm/pools", map[string]any{"key": "east", "module": "customer", "label": apitest.Label("X")}).Want(t, 409)
		p := e.Do(t, "admin", "GET", "/api/apps/crm/pools/east", nil).Want(t, 200)
		body := map[string]any{"module": "customer", "label": apitest.Label("East"), "version": p.Num("version")}
		e.Do(t, "admin", "PUT", "/api/apps/crm/pools/east", body).Want(t, 200)
		e.Do(t, "admin", "PUT", "/api/apps/crm/pools/east", body).Want(t, 409) // stale version
		e.Do(t, "admin", "DELETE", "/api/apps/crm/pools/east", nil).Want(t, 204)
		e.Do(t, "admin", "GET", "/api/apps/crm/pools/east", nil).Want(t, 404)
	})
}

// Twenty claims at once by one rep with a limit of five a day: exactly
// five records become theirs, the others are 429 and stay in the pool;
// the next day (in Shanghai) five more may be claimed.
func TestClaimLimitHoldsUnderConcurrentClaims(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		pools(t, e, 5)
		var ids []string
		for i := range 30 {
			ids = append(ids, customer(t, e, fmt.Sprintf("c%02d", i), "east", nil))
		}
		statuses := claimAll(e, "e1", ids[:20])
		if statuses[200] != 5 || statuses[429] != 15 {
			t.Fatalf("statuses of 20 concurrent claims: %v", statuses)
		}
		mine := e.Do(t, "e1", "GET", "/api/apps/crm/modules/customer/records?limit=100", nil).Want(t, 200).List("records")
		if len(mine) != 5 {
			t.Fatalf("e1 owns %d records", len(mine))
		}
		r := e.Do(t, "e1", "POST", "/api/apps/crm/pools/east/records/"+ids[25]+"/claim", nil, "Accept-Language", "zh-CN").Want(t, 429)
		r.Contains(t, "本日已从公海“华东公海”领取 5 条记录")
		// Another rep has a limit of their own.
		if got := claimAll(e, "e2", ids[20:23]); got[200] != 3 {
			t.Fatalf("e2's claims: %v", got)
		}
		// 2026-03-02 23:59 in Shanghai is still the same day; 00:00 is the next.
		e.Set(time.Date(2026, 3, 2, 15, 59, 0, 0, time.UTC))
		e.Do(t, "e1", "POST", "/api/apps/crm/pools/east/records/"+ids[25]+"/claim", nil).Want(t, 429)
		e.Set(time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC))
		if got := claimAll(e, "e1", ids[23:30]); got[200] != 5 || got[429] != 2 {
			t.Fatalf("next day's claims: %v", got)
		}
	})
}

// claimAll claims every record at once as who and counts the statuses.
func claimAll(e *apitest.Env, who string, ids []string) map[int]int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	got := map[int]int{}
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.Try(who, "POST", "/api/apps/crm/pools/east/records/"+id+"/claim", nil)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				got[-1]++
				return
			}
			got[r.Status]++
		}()
	}
	wg.Wait()
	return got
}

func TestBatchAssignment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		pools(t, e, 5)
		for i := range 7 {
			customer(t, e, fmt.Sprintf("c%d", i), "east", nil)
		}
		south := customer(t, e, "南", "south", nil)
		users := []string{e.IDs["e1"], e.IDs["e2"]}
		// Reps hold no assign grant.
		e.Do(t, "e1", "POST", "/api/apps/crm/pools/east/assign", map[string]any{"users": users, "mode": "even"}).Want(t, 403)
		// A record outside the pool or a user who does not exist: nothing
		// is assigned.
		e.Do(t, "mgr", "POST", "/api/apps/crm/pools/east/assign", map[string]any{"users": users, "mode": "even", "records": []string{south}}).Want(t, 404)
		e.Do(t, "mgr", "POST", "/api/apps/crm/pools/east/assign", map[string]any{"users": []string{e.IDs["e1"], store.NewID()}, "mode": "even"}).Want(t, 422)
		e.Do(t, "mgr", "POST", "/api/apps/crm/pools/east/assign", map[string]any{"users": users, "mode": "shuffle"}).Want(t, 422)
		if n := len(e.Do(t, "e1", "GET", "/api/apps/crm/pools/east/records", nil).Want(t, 200).List("records")); n != 7 {
			t.Fatalf("pool after refused assignments: %d records", n)
		}
		// Evenly: 5 records to two reps, 3 and 2, oldest first.
		r := e.Do(t, "mgr", "POST", "/api/apps/crm/pools/east/assign", map[string]any{"users": users, "mode": "even", "limit": 5}).Want(t, 200)
		if c := r.Obj("counts"); fmt.Sprintf("%v %v", c[users[0]], c[users[1]]) != "3 2" || len(r.Obj("owners")) != 5 {
			t.Fatalf("even counts: %v (users %v)", c, users)
		}
		// At random: the 2 left, both assigned to one of the users.
		r = e.Do(t, "mgr", "POST", "/api/apps/crm/pools/east/assign", map[string]any{"users": users, "mode": "random"}).Want(t, 200)
		if n := len(r.Obj("owners")); n != 2 {
			t.Fatalf("random assignment: %s", r.Body)
		}
		if n := len(e.Do(t, "e1", "GET", "/api/apps/crm/pools/east/records", nil).Want(t, 200).List("records")); n != 0 {
			t.Fatalf("pool after assignment: %d records", n)
		}
		n1 := len(e.Do(t, "e1", "GET", "/api/apps/crm/modules/customer/records", nil).Want(t, 200).List("records"))
		n2 := len(e.Do(t, "e2", "GET", "/api/apps/crm/modules/customer/records", nil).Want(t, 200).List("records"))
		if n1+n2 != 7 || n1 < 3 || n2 < 2 {
			t.Fatalf("owned after both: e1 %d, e2 %d", n1, n2)
		}
	})
}

// The reclaim job runs at midnight in the pool's zone: customers being
// followed whose last follow-up is older than their tier's threshold go
// back to the pool; a cooperating customer never does; south customers
// are not this pool's.
func TestReclaimJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		pools(t, e, 5)
		owned := func(name, region, tier, status, last string) string {
			x := map[string]any{"owner": e.IDs["e1"], "tier": tier, "status": status}
			if last != "" {
				x["last_followup"] = last
			}
			return customer(t, e, name, region, x)
		}
		// Today (at the job's run) is 2026-03-03 in Shanghai.
		aOld := owned("A-31天", "east", "A", "following", "2026-01-31") // 31 days before 03-03: reclaimed
		owned("A-30天", "east", "A", "following", "2026-02-01")         // 30 days: kept
		bOld := owned("B-16天", "east", "B", "following", "2026-02-15")
		owned("B-14天", "east", "B", "following", "2026-02-17")
		cOld := owned("C-8天", "east", "C", "following", "2026-02-23") // "*" = 7 days
		noTier := owned("无等级-8天", "east", "", "following", "2026-02-23")
		owned("合作-100天", "east", "A", "cooperating", "2025-11-01")
		owned("华南-100天", "south", "A", "following", "2025-11-01")
		owned("从未跟进-新建", "east", "C", "following", "")

		if n := e.RunJobs(t); n != 0 {
			t.Fatalf("%d jobs ran before midnight", n)
		}
		e.Set(time.Date(2026, 3, 2, 16, 0, 30, 0, time.UTC)) // 00:00:30 on 03-03 in Shanghai
		if n := e.RunJobs(t); n < 1 {
			t.Fatal("the reclaim job did not run at midnight")
		}
		got := names(e.Do(t, "e1", "GET", "/api/apps/crm/pools/east/records?sort=name", nil).Want(t, 200))
		if got != "A-31天,B-16天,C-8天,无等级-8天" {
			t.Fatalf("reclaimed: %q", got)
		}
		for _, id := range []string{aOld, bOld, cOld, noTier} {
			h := e.Do(t, "admin", "GET", "/api/apps/crm/modules/customer/records/"+id+"/history", nil).Want(t, 200)
			if !strings.Contains(string(h.Body), `"pool":{"action":"reclaim","key":"east"}`) || !strings.Contains(string(h.Body), "pool:east") {
				t.Fatalf("reclaim not in the history: %s", h.Body)
			}
		}
		if n := len(e.Do(t, "e1", "GET", "/api/apps/crm/modules/customer/records", nil).Want(t, 200).List("records")); n != 5 {
			t.Fatalf("e1 keeps %d", n)
		}
		// The job planned itself for the next midnight: a week later the
		// never-followed customer (created 03-02, 8 days before) goes too.
		e.Set(time.Date(2026, 3, 9, 16, 0, 30, 0, time.UTC))
		e.RunJobs(t)
		if !strings.Contains(names(e.Do(t, "e1", "GET", "/api/apps/crm/pools/east/records", nil).Want(t, 200)), "从未跟进-新建") {
			t.Fatal("the never-followed customer was not reclaimed a week later")
		}
		e.Do(t, "admin", "POST", "/api/apps/crm/pools/south/reclaim", nil).Want(t, 409)
		if r := e.Do(t, "admin", "POST", "/api/apps/crm/pools/east/reclaim", nil).Want(t, 200); r.Num("reclaimed") != 0 {
			t.Fatalf("reclaim now: %s", r.Body)
		}
	})
}
