package main

// tessera gen crm: the demo company of templates/crm/demo/demo.json,
// generated at the small size through the write path, on both dialects —
// counts, rollups against the records they sum, the stage history, the
// demo sign-ins, no failed rule run or job, and the refusals (a spec
// naming an unknown field, a second run, --if-empty).

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/server"
)

func TestGenCRM(t *testing.T) {
	dbs := map[string]string{"sqlite": ""}
	if base := os.Getenv(storetest.EnvURL); base != "" {
		dbs["postgres"], _ = storetest.SchemaURL(t, base)
	}
	crm := filepath.Join("..", "..", "templates", "crm")
	made := map[string]string{} // dialect → what one seed made
	for _, name := range []string{"sqlite", "postgres"} {
		url, ok := dbs[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			data := t.TempDir()
			at := []string{"--data", data, "--database", url}
			run := func(args ...string) (string, error) {
				var out bytes.Buffer
				err := Main(ctx, append(args, at...), &out, &out)
				return out.String(), err
			}
			if _, err := run("gen", "crm"); err == nil || !strings.Contains(err.Error(), `App "crm" is not installed`) {
				t.Fatalf("gen before install: %v", err)
			}
			if out, err := run("template", "install", crm); err != nil {
				t.Fatalf("install: %v %s", err, out)
			}
			// A spec naming a field the module does not have: the error
			// names the file and the pointer, and nothing is written.
			bad := t.TempDir()
			copyDir(t, crm, bad)
			spec := filepath.Join(bad, "demo", "demo.json")
			b, _ := os.ReadFile(spec)
			os.WriteFile(spec, bytes.Replace(b, []byte(`"decision_role":`), []byte(`"decision_rol":`), 1), 0o644)
			_, err := run("gen", "crm", "--template", bad, "--size", "small")
			if err == nil || !strings.Contains(err.Error(), "demo.json#/records/2/values/decision_rol") ||
				!strings.Contains(err.Error(), `Module "contact" has no field "decision_rol"`) {
				t.Fatalf("bad spec: %v", err)
			}
			s, err := store.Open(ctx, data, url)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			svc := server.NewServices(s)
			if _, _, err := s.UserByEmail(ctx, "ceo@crm.example.com"); err == nil {
				t.Fatal("a refused spec created users")
			}

			out, err := run("gen", "crm", "--template", crm, "--size", "small", "--seed", "7", "--until", "2026-11-30")
			if err != nil {
				t.Fatalf("gen: %v\n%s", err, out)
			}
			t.Log(lastLines(out, 8))
			// One seed and one end day make one company, on either dialect.
			made[name] = regexp.MustCompile(`records in \S+ (.*)`).FindStringSubmatch(out)[1]
			if made["sqlite"] != made[name] {
				t.Fatalf("seed 7 made on %s: %s\nand on sqlite: %s", name, made[name], made["sqlite"])
			}
			for _, want := range []string{"demo data for app crm (size small, seed 7)", "rep1.east@crm.example.com", "tessera-demo"} {
				if !strings.Contains(out, want) {
					t.Fatalf("output lacks %q:\n%s", want, out)
				}
			}

			mod := func(key string) *meta.Module {
				m, err := svc.Meta.Module(ctx, "crm", key)
				if err != nil {
					t.Fatal(err)
				}
				return m
			}
			all := func(key string) []store.Record {
				var recs []store.Record
				cursor := ""
				for {
					p, err := s.ListRecords(ctx, mod(key), store.ListQuery{Limit: 500, Cursor: cursor})
					if err != nil {
						t.Fatal(err)
					}
					recs = append(recs, p.Records...)
					if cursor = p.Next; cursor == "" {
						return recs
					}
				}
			}
			num := func(v any) float64 {
				switch x := v.(type) {
				case json.Number:
					f, _ := x.Float64()
					return f
				case float64:
					return x
				case int64:
					return float64(x)
				case nil:
					return 0
				}
				t.Fatalf("not a number: %T %v", v, v)
				return 0
			}
			accounts, opps, contracts, payments := all("account"), all("opportunity"), all("contract"), all("payment")
			if len(accounts) != 150 || len(all("lead")) != 200 || len(all("product")) != 12 {
				t.Fatalf("counts: %d accounts, %d leads, %d products", len(accounts), len(all("lead")), len(all("product")))
			}
			// A plausible funnel: every stage is reached, deals are won
			// and lost, and each won deal has its signed contract.
			stages := map[string]int{}
			won := map[string]float64{}
			for _, o := range opps {
				st := o["stage"].(string)
				stages[st]++
				if st == "won" {
					won[o["account"].(string)] += num(o["amount"])
				}
			}
			if stages["won"] == 0 || stages["lost"] == 0 || stages["won"] > len(opps)/2 {
				t.Fatalf("funnel: %v", stages)
			}
			for _, a := range accounts {
				if got, want := num(a["won_amount"]), won[a["id"].(string)]; got != want {
					t.Fatalf("account %s: won_amount %v, its won deals sum to %v", a["name"], got, want)
				}
			}
			received := map[string]float64{}
			for _, p := range payments {
				if p["kind"] == "receipt" {
					received[p["contract"].(string)] += num(p["amount"])
				}
			}
			signed := 0
			for _, c := range contracts {
				if got, want := num(c["received"]), received[c["id"].(string)]; got != want {
					t.Fatalf("contract %s: received %v, its receipts sum to %v", c["number"], got, want)
				}
				if c["status"] == "signed" {
					signed++
				}
			}
			if signed < stages["won"] {
				t.Fatalf("%d won deals, %d signed contracts", stages["won"], signed)
			}
			// The stage history is the story's: a won deal went through
			// every stage, at times spread over the year.
			for _, o := range opps {
				if o["stage"] != "won" {
					continue
				}
				h, err := s.RecordStages(ctx, "crm", "opportunity", o["id"].(string))
				if err != nil {
					t.Fatal(err)
				}
				if len(h) < 6 || h[len(h)-1].To != "won" || !h[len(h)-1].At.After(h[0].At) {
					t.Fatalf("history of a won deal: %d entries", len(h))
				}
				break
			}
			// No rule run failed; no job died or waits after an error.
			outcomes, err := s.RuleRunOutcomes(ctx, "crm")
			if err != nil {
				t.Fatal(err)
			}
			if outcomes["failed"] > 0 || outcomes["ok"] == 0 {
				t.Fatalf("rule runs: %v", outcomes)
			}
			for _, st := range []string{store.JobDead, store.JobPending} {
				js, err := s.ListJobs(ctx, store.JobFilter{Status: st, Limit: 500})
				if err != nil {
					t.Fatal(err)
				}
				for _, j := range js {
					if st == store.JobDead || j.LastError != "" {
						t.Fatalf("job %s %s: %s", j.Kind, j.Status, j.LastError)
					}
				}
			}
			// The sign-ins printed work.
			for _, email := range []string{"director@crm.example.com", "rep1.east@crm.example.com", "finance@crm.example.com"} {
				if _, _, err := svc.Access.Login(ctx, email, "tessera-demo"); err != nil {
					t.Fatalf("sign in as %s: %v", email, err)
				}
			}

			// A second run refuses, naming the app; --if-empty skips.
			if _, err := run("gen", "crm", "--template", crm, "--size", "small"); err == nil || !strings.Contains(err.Error(), `App "crm" has data already`) {
				t.Fatalf("second run: %v", err)
			}
			out, err = run("gen", "crm", "--template", crm, "--size", "small", "--if-empty")
			if err != nil || !strings.Contains(out, "app crm has data already") {
				t.Fatalf("--if-empty: %v %s", err, out)
			}
			if n := len(all("account")); n != 150 {
				t.Fatalf("the refused runs changed the data: %d accounts", n)
			}
		})
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
