package importapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/server"
)

// snapshot is every customer row as stored (id, version and values), to
// compare a table before and after.
func snapshot(t *testing.T, s *store.Store, table string) string {
	t.Helper()
	rows, err := s.R.QueryContext(context.Background(), `SELECT "id", "version", "name", "code", "level", "amount" FROM `+store.Quote(table)+` ORDER BY "id"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, name string
		var version int64
		var code, level, amount any
		if err := rows.Scan(&id, &version, &name, &code, &level, &amount); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %d %s %v %v %v\n", id, version, name, code, level, amount)
	}
	return b.String()
}

func customerTable(t *testing.T, svc *server.Services, module string) string {
	t.Helper()
	m, err := svc.Meta.Module(context.Background(), "crm", module)
	if err != nil {
		t.Fatal(err)
	}
	return m.Table
}

func TestImportUpsertTwiceAndProgress(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		// Each imported write looks at the import's progress as others
		// see it (committed): batch by batch, two rows each.
		var seen []int64
		e := setup(t, s, func(svc *server.Services) {
			svc.Imports.BatchSize = 2
			svc.Records.Hooks.InTx = append(svc.Records.Hooks.InTx, func(ctx context.Context, tx *store.Tx, ev *record.Event) error {
				if ev.Actor.Via == "import" {
					var done int64
					err := s.R.QueryRowContext(ctx, `SELECT done_rows FROM imports WHERE status = 'running'`).Scan(&done)
					if errors.Is(err, sql.ErrNoRows) {
						return nil // a dry run
					} else if err != nil {
						return err
					}
					seen = append(seen, done)
				}
				return nil
			})
		})
		tbl := customerTable(t, e.Svc, "customer")
		// An existing customer of rep's, which the file updates.
		old := e.Do(t, "rep", "POST", "/api/apps/crm/modules/customer/records", map[string]any{"name": "旧名", "code": "U2", "level": "normal"}).Want(t, 201)
		rows := [][]any{{"编号", "名称", "级别", "金额"}}
		for i := 1; i <= 5; i++ {
			rows = append(rows, []any{fmt.Sprintf("U%d", i), fmt.Sprintf("客户%d", i), "重要", i * 100})
		}
		rows = append(rows, []any{"U1", "客户1改", "普通", 1}) // the same key again: updates what row 2 created
		file := xlsxOf(t, "Sheet1", rows)
		short := xlsxOf(t, "Sheet1", rows[:6]) // without the repeated key
		body := map[string]any{"mapping": map[string]any{"编号": "code", "名称": "name", "级别": "level", "金额": "amount"}, "mode": "upsert", "key": "code"}
		runFile := func(file []byte, n float64) map[string]any {
			up := upload(t, e, "rep", "customer", "u.xlsx", file, nil).Want(t, 201)
			id, total := up.Str("id"), up.Num("rows")
			// The dry run (batch by batch too, each rolled back) predicts
			// the run's counts, the rows of earlier batches included.
			dry := e.Do(t, "rep", "POST", "/api/imports/"+id+"/dry-run", body).Want(t, 200)
			e.Do(t, "rep", "POST", "/api/imports/"+id+"/run", body).Want(t, 202)
			defer func() {
				st := e.Do(t, "rep", "GET", "/api/imports/"+id, nil).Want(t, 200)
				for _, k := range []string{"created", "updated", "skipped", "failed"} {
					if dry.Num(k) != st.Num("counts."+k) {
						t.Errorf("dry run %s = %v, the run's %v", k, dry.Num(k), st.Num("counts."+k))
					}
				}
			}()
			// The job runs batch by batch: two rows, then the progress.
			st := e.Do(t, "rep", "GET", "/api/imports/"+id, nil).Want(t, 200)
			if st.Str("status") != "pending" || total != n || st.Num("progress.total") != total || st.Num("progress.done") != 0 {
				t.Fatalf("before the job: %s", st.Body)
			}
			e.RunJobs(t)
			st = e.Do(t, "rep", "GET", "/api/imports/"+id, nil).Want(t, 200)
			if st.Str("status") != "done" || st.Num("progress.done") != total || st.Num("progress.percent") != 100 {
				t.Fatalf("after the job: %s", st.Body)
			}
			return st.Obj("counts")
		}
		c := runFile(file, 6)
		if fmt.Sprint(seen) != "[0 0 2 2 4 4]" {
			t.Errorf("progress seen by the rows' writes: %v, want [0 0 2 2 4 4]", seen)
		}
		if fmt.Sprint(c) != "map[created:4 failed:0 skipped:0 updated:2]" {
			t.Errorf("first run counts %v", c)
		}
		recs := records(t, e, "customer")
		if len(recs) != 5 || recs["U1"]["name"] != "客户1改" || recs["U1"]["level"] != "normal" || recs["U2"]["name"] != "客户2" ||
			recs["U2"]["id"] != old.Str("id") || recs["U2"]["version"].(json.Number).String() != "2" {
			t.Fatalf("after the first run: %v", recs)
		}
		// The same file again: only U1 changes (the file sets it to 客户1
		// and back to 客户1改); every other row is skipped.
		c = runFile(file, 6)
		if fmt.Sprint(c) != "map[created:0 failed:0 skipped:4 updated:2]" {
			t.Errorf("second run counts %v", c)
		}
		// A file without the repeated key: run twice, the second run
		// changes nothing — no version, no value, no history entry.
		if c = runFile(short, 5); fmt.Sprint(c) != "map[created:0 failed:0 skipped:4 updated:1]" {
			t.Errorf("third run counts %v", c)
		}
		before := snapshot(t, s, tbl)
		var audits2 int
		_ = s.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE module = 'customer'`).Scan(&audits2)
		c = runFile(short, 5)
		if fmt.Sprint(c) != "map[created:0 failed:0 skipped:5 updated:0]" {
			t.Errorf("repeated run counts %v", c)
		}
		if after := snapshot(t, s, tbl); after != before {
			t.Errorf("the second identical upsert changed the table:\n%s\nvs\n%s", before, after)
		}
		var audits3 int
		_ = s.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE module = 'customer'`).Scan(&audits3)
		if audits3 != audits2 {
			t.Errorf("the no-op upsert wrote %d history entries", audits3-audits2)
		}
		// A duplicate of a unique value two batches apart: the dry run
		// finds it as the run does.
		id0 := upload(t, e, "rep", "customer", "d.csv", []byte("编号,名称\nD1,a\nD2,b\nD3,c\nD1,d\n"), nil).Want(t, 201).Str("id")
		m0 := map[string]any{"mapping": map[string]any{"编号": "code", "名称": "name"}}
		d0 := e.Do(t, "rep", "POST", "/api/imports/"+id0+"/dry-run", m0).Want(t, 200)
		if d0.Num("created") != 3 || d0.Num("failed") != 1 || d0.Num("errors.0.row") != 5 || d0.Str("errors.0.column") != "编号" {
			t.Errorf("dry run of a duplicate: %s", d0.Body)
		}
		e.Do(t, "rep", "POST", "/api/imports/"+id0+"/run", m0).Want(t, 202)
		e.RunJobs(t)
		if st := e.Do(t, "rep", "GET", "/api/imports/"+id0, nil).Want(t, 200); st.Num("counts.created") != 3 || st.Num("counts.failed") != 1 {
			t.Errorf("run of a duplicate: %s", st.Body)
		}
		// insert with a key skips the existing rows, creates the new one.
		id := upload(t, e, "rep", "customer", "i.csv", []byte("编号,名称\nU1,x\nU9,新\n"), nil).Want(t, 201).Str("id")
		d := e.Do(t, "rep", "POST", "/api/imports/"+id+"/dry-run", map[string]any{"mapping": map[string]any{"编号": "code", "名称": "name"}, "key": "code"}).Want(t, 200)
		if d.Num("created") != 1 || d.Num("skipped") != 1 {
			t.Errorf("insert with key: %s", d.Body)
		}
	})
}

func TestImportAbortAndSkip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		tbl := customerTable(t, e.Svc, "customer")
		e.Do(t, "rep", "POST", "/api/apps/crm/modules/customer/records", map[string]any{"name": "已有", "code": "A0"}).Want(t, 201)
		csv := "编号,名称,级别,金额\nA1,甲,重要,1\nA2,乙,普通,2\nA3,丙,坏的,3\nA0,重复,普通,4\nA4,丁,重要,5\n"
		mapping := map[string]any{"编号": "code", "名称": "name", "级别": "level", "金额": "amount"}
		before := snapshot(t, s, tbl)
		// All or nothing: two bad rows (a bad option; a duplicate code,
		// which only the unique index finds) and nothing is written.
		id := upload(t, e, "rep", "customer", "a.csv", []byte(csv), nil).Want(t, 201).Str("id")
		d := e.Do(t, "rep", "POST", "/api/imports/"+id+"/dry-run", map[string]any{"mapping": mapping, "on_error": "abort"}).Want(t, 200)
		if d.Get("aborted") != true || d.Num("created") != 0 || d.Num("failed") != 2 {
			t.Errorf("abort dry run: %s", d.Body)
		}
		e.Do(t, "rep", "POST", "/api/imports/"+id+"/run", map[string]any{"mapping": mapping, "on_error": "abort"}).Want(t, 202)
		e.RunJobs(t)
		st := e.Do(t, "rep", "GET", "/api/imports/"+id, nil, "Accept-Language", "zh-CN").Want(t, 200)
		if st.Str("status") != "failed" || st.Num("counts.created") != 0 || st.Num("counts.failed") != 2 || !strings.Contains(st.Str("error"), "有 2 行有误") {
			t.Errorf("abort run: %s", st.Body)
		}
		if after := snapshot(t, s, tbl); after != before {
			t.Errorf("the aborted import changed the table:\n%s\nvs\n%s", before, after)
		}
		var n int
		_ = s.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE module = 'customer' AND via = 'import'`).Scan(&n)
		if n != 0 {
			t.Errorf("the aborted import left %d history entries", n)
		}
		// Skip: the good rows go in, the bad ones are reported with their
		// row, column and message, and come back in errors.xlsx.
		id = upload(t, e, "rep", "customer", "客户.csv", []byte(csv), nil).Want(t, 201).Str("id")
		d = e.Do(t, "rep", "POST", "/api/imports/"+id+"/dry-run", map[string]any{"mapping": mapping}).Want(t, 200)
		errsList := d.List("errors")
		if d.Num("created") != 3 || d.Num("failed") != 2 || len(errsList) != 2 {
			t.Fatalf("skip dry run: %s", d.Body)
		}
		e0, e1 := errsList[0].(map[string]any), errsList[1].(map[string]any)
		if e0["row"].(json.Number).String() != "4" || e0["column"] != "级别" || e0["field"] != "level" || !strings.Contains(e0["message"].(string), `"坏的" is not one of the options`) {
			t.Errorf("first error %v", e0)
		}
		if e1["row"].(json.Number).String() != "5" || e1["column"] != "编号" || e1["field"] != "code" || e1["message"] == "" {
			t.Errorf("second error %v", e1)
		}
		e.Do(t, "rep", "POST", "/api/imports/"+id+"/run", map[string]any{"mapping": mapping}).Want(t, 202)
		e.RunJobs(t)
		st = e.Do(t, "rep", "GET", "/api/imports/"+id, nil).Want(t, 200)
		if st.Str("status") != "done" || st.Num("counts.created") != 3 || st.Num("counts.failed") != 2 || st.Str("errors_url") != "/api/imports/"+id+"/errors.xlsx" {
			t.Fatalf("skip run: %s", st.Body)
		}
		if recs := records(t, e, "customer"); len(recs) != 4 || recs["A1"] == nil || recs["A4"] == nil || recs["A3"] != nil || recs["A0"]["name"] != "已有" {
			t.Errorf("after the skip run: %v", recs)
		}
		for _, locale := range []string{"en", "zh-CN"} {
			r := e.Do(t, "rep", "GET", st.Str("errors_url"), nil, "Accept-Language", locale).Want(t, 200)
			f, err := excelize.OpenReader(bytes.NewReader(r.Body))
			if err != nil {
				t.Fatalf("errors.xlsx: %v", err)
			}
			got, _ := f.GetRows(f.GetSheetList()[0])
			f.Close()
			errCol := map[string]string{"en": "Error", "zh-CN": "错误原因"}[locale]
			rowCol := map[string]string{"en": "Row", "zh-CN": "行号"}[locale]
			if len(got) != 3 || strings.Join(got[0], "|") != rowCol+"|编号|名称|级别|金额|"+errCol {
				t.Fatalf("%s errors.xlsx rows %q", locale, got)
			}
			if strings.Join(got[1][:5], "|") != "4|A3|丙|坏的|3" || strings.Join(got[2][:5], "|") != "5|A0|重复|普通|4" {
				t.Errorf("%s failed rows %q", locale, got[1:])
			}
			want := map[string]string{"en": `级别: "坏的" is not one of the options`, "zh-CN": "级别: “坏的”不是可选项之一"}[locale]
			if !strings.Contains(got[1][5], want) || !strings.HasPrefix(got[2][5], "编号: ") {
				t.Errorf("%s error column %q / %q", locale, got[1][5], got[2][5])
			}
		}
		// Nobody else reads the file.
		e.Do(t, "other", "GET", st.Str("errors_url"), nil).Want(t, 404)
	})
}

func TestImportJobResumesAndIsRefusedLater(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		// The fifth imported write fails once as the database might (not
		// the row's fault): the job is retried and goes on after the last
		// committed batch, writing no row twice.
		writes, failOnce := 0, true
		e := setup(t, s, func(svc *server.Services) {
			svc.Imports.BatchSize = 2
			svc.Records.Hooks.InTx = append(svc.Records.Hooks.InTx, func(ctx context.Context, tx *store.Tx, ev *record.Event) error {
				if ev.Actor.Via == "import" {
					writes++
					if writes == 5 && failOnce {
						failOnce = false
						return errors.New("connection reset")
					}
				}
				return nil
			})
		})
		var csv strings.Builder
		csv.WriteString("名称,编号\n")
		for i := 1; i <= 7; i++ {
			fmt.Fprintf(&csv, "客户%d,R%d\n", i, i)
		}
		id := upload(t, e, "rep", "customer", "r.csv", []byte(csv.String()), nil).Want(t, 201).Str("id")
		e.Do(t, "rep", "POST", "/api/imports/"+id+"/run", map[string]any{"mapping": map[string]any{"名称": "name", "编号": "code"}}).Want(t, 202)
		e.RunJobs(t)
		st := e.Do(t, "rep", "GET", "/api/imports/"+id, nil).Want(t, 200)
		if st.Str("status") != "running" || st.Num("progress.done") != 4 || st.Num("counts.created") != 4 {
			t.Fatalf("after the failed attempt: %s", st.Body)
		}
		for i := 0; i < 10 && st.Str("status") != "done"; i++ {
			e.Advance(time.Hour)
			e.RunJobs(t)
			st = e.Do(t, "rep", "GET", "/api/imports/"+id, nil).Want(t, 200)
		}
		if st.Str("status") != "done" || st.Num("progress.done") != 7 || st.Num("counts.created") != 7 {
			t.Fatalf("after the retry: %s", st.Body)
		}
		if recs := records(t, e, "customer"); len(recs) != 7 {
			t.Errorf("%d records, want 7: %v", len(recs), recs)
		}
		// A run refused when it runs: the field is hidden from rep since
		// the run was queued. The import fails with the reason; nothing
		// is written.
		id = upload(t, e, "rep", "customer", "r.csv", []byte("名称,金额\n甲,1\n"), nil).Want(t, 201).Str("id")
		e.Do(t, "rep", "POST", "/api/imports/"+id+"/run", map[string]any{"mapping": map[string]any{"名称": "name", "金额": "amount"}}).Want(t, 202)
		e.Do(t, "admin", "PUT", "/api/roles/sales", map[string]any{"label": map[string]string{"en": "Sales", "zh-CN": "Sales"}, "permissions": []any{
			map[string]any{"app": "crm", "module": "customer", "actions": []string{"create", "read", "update"},
				"scope": map[string]string{"read": "own", "update": "own"}, "fields": map[string]string{"note": "hidden", "amount": "hidden"}},
			map[string]any{"app": "crm", "module": "account", "actions": []string{"read"}},
		}}).Want(t, 200)
		e.RunJobs(t)
		st = e.Do(t, "rep", "GET", "/api/imports/"+id, nil, "Accept-Language", "zh-CN").Want(t, 200)
		if st.Str("status") != "failed" || !strings.Contains(st.Str("error"), "amount") || st.Num("counts.created") != 0 {
			t.Errorf("refused run: %s", st.Body)
		}
		if recs := records(t, e, "customer"); len(recs) != 7 {
			t.Errorf("the refused run wrote: %d records", len(recs))
		}
		// The uploader disabled before the job runs: nothing is written.
		id = upload(t, e, "rep", "customer", "r.csv", []byte("名称\n乙\n"), nil).Want(t, 201).Str("id")
		e.Do(t, "rep", "POST", "/api/imports/"+id+"/run", map[string]any{"mapping": map[string]any{"名称": "name"}}).Want(t, 202)
		e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs["rep"], map[string]any{"disabled": true}).Want(t, 200)
		e.RunJobs(t)
		var status, msg string
		if err := s.R.QueryRowContext(context.Background(), store.Rebind(s.D, `SELECT status, error FROM imports WHERE id = ?`), id).Scan(&status, &msg); err != nil ||
			status != "failed" || !strings.Contains(msg, "import.uploader_disabled") {
			t.Errorf("disabled uploader's import: %s %s (%v)", status, msg, err)
		}
		if recs := records(t, e, "customer"); len(recs) != 7 {
			t.Errorf("the disabled uploader's run wrote: %d records", len(recs))
		}
	})
}
