package importapi_test

// Imports through the real HTTP stack on SQLite and PostgreSQL: files are
// built in the test (GBK csv, xlsx with excelize, hand-made zips for the
// hostile ones), uploaded as multipart, and what lands in the module is
// read back through the record API.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
	"github.com/tessera-app/tessera/runtime/server"
)

func lbl(en, zh string) map[string]string { return map[string]string{"en": en, "zh-CN": zh} }

// customerKeys are the customer fields in schema order, with labels.
var customerKeys = []string{"name", "code", "level", "amount", "since", "active", "account", "rep", "note", "met", "tags", "visits"}
var customerLabels = map[string]map[string]string{
	"name": lbl("Name", "名称"), "code": lbl("Code", "编号"), "level": lbl("Level", "级别"), "amount": lbl("Amount", "金额"),
	"since": lbl("Customer since", "签约日期"), "active": lbl("Active", "有效"), "account": lbl("Account", "所属公司"),
	"rep": lbl("Rep", "销售"), "note": lbl("Note", "备注"), "met": lbl("Met at", "会面时间"), "tags": lbl("Tags", "标签"),
	"visits": lbl("Visits", "拜访次数"),
}

// setup makes app crm with module account (title unique by code) and
// module customer, users rep (role sales: create, read and update own
// customers; note is hidden from them) and other.
func setup(t *testing.T, s *store.Store, configure ...func(*server.Services)) *apitest.Env {
	e := apitest.New(t, s, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), configure...)
	e.User(t, "rep", access.NewUser{})
	e.User(t, "other", access.NewUser{})
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": lbl("CRM", "客户管理")}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "account", "label": lbl("Account", "公司"), "schema": map[string]any{
		"properties": map[string]any{
			"title": map[string]any{"x-field": map[string]any{"type": "text"}},
			"tax":   map[string]any{"x-field": map[string]any{"type": "text", "unique": true}},
		},
		"x-title": "title",
	}}).Want(t, 201)
	createCustomer(t, e, "customer")
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "sales", "label": apitest.Label("Sales"), "permissions": []any{
		map[string]any{"app": "crm", "module": "customer", "actions": []string{"create", "read", "update"},
			"scope": map[string]string{"read": "own", "update": "own"}, "fields": map[string]string{"note": "hidden"}},
		map[string]any{"app": "crm", "module": "account", "actions": []string{"read"}},
	}}).Want(t, 201)
	e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs["rep"], map[string]any{"roles": []string{"sales"}}).Want(t, 200)
	for _, a := range [][2]string{{"阿里巴巴", "91330100"}, {"Tencent", "91440300"}, {"同名", "1"}, {"同名", "2"}} {
		e.Do(t, "admin", "POST", "/api/apps/crm/modules/account/records", map[string]any{"title": a[0], "tax": a[1]}).Want(t, 201)
	}
	return e
}

// createCustomer creates a customer module named key (the round trip
// imports into an empty copy).
func createCustomer(t *testing.T, e *apitest.Env, key string) {
	t.Helper()
	field := func(typ, k string, extra ...any) map[string]any {
		xf := map[string]any{"type": typ, "label": customerLabels[k]}
		for i := 0; i+1 < len(extra); i += 2 {
			xf[extra[i].(string)] = extra[i+1]
		}
		return map[string]any{"x-field": xf}
	}
	props := map[string]any{
		"name": field("text", "name"), "code": field("text", "code", "unique", true),
		"level": field("select", "level", "options", []any{
			map[string]any{"value": "vip", "label": lbl("VIP", "重要")}, map[string]any{"value": "normal", "label": lbl("Normal", "普通")}}),
		"amount": field("currency", "amount"), "since": field("date", "since"), "active": field("boolean", "active"),
		"account": field("lookup", "account", "module", "account"), "rep": field("user", "rep"), "note": field("text", "note"),
		"met": field("datetime", "met"), "visits": field("integer", "visits"),
		"tags": field("multiselect", "tags", "options", []any{
			map[string]any{"value": "hot", "label": lbl("Hot", "热门")}, map[string]any{"value": "new", "label": lbl("New", "新客")}}),
	}
	ordered := "{"
	for i, k := range customerKeys {
		b, _ := json.Marshal(props[k])
		if i > 0 {
			ordered += ","
		}
		ordered += fmt.Sprintf("%q:%s", k, b)
	}
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": key, "label": lbl("Customers", "客户"), "schema": map[string]any{
		"properties": json.RawMessage(ordered + "}"), "required": []string{"name"},
	}}).Want(t, 201)
}

// upload posts file as the multipart part "file" (and extra parts).
func upload(t testing.TB, e *apitest.Env, who, module, filename string, file []byte, extra map[string]string, hdr ...string) *apitest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range extra {
		_ = mw.WriteField(k, v)
	}
	if filename != "" {
		fw, err := mw.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	mw.Close()
	return send(t, e, who, "/api/apps/crm/modules/"+module+"/imports", mw.FormDataContentType(), &body, hdr...)
}

func send(t testing.TB, e *apitest.Env, who, path, contentType string, body io.Reader, hdr ...string) *apitest.Response {
	t.Helper()
	req, err := http.NewRequest("POST", e.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept-Language", "en")
	req.Header.Set("Authorization", "Bearer "+e.Tokens[who])
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := &apitest.Response{Status: res.StatusCode}
	out.Body, _ = io.ReadAll(res.Body)
	if strings.Contains(res.Header.Get("Content-Type"), "json") {
		dec := json.NewDecoder(bytes.NewReader(out.Body))
		dec.UseNumber()
		if err := dec.Decode(&out.Doc); err != nil {
			t.Fatalf("not JSON: %s", out.Body)
		}
	}
	return out
}

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// xlsxOf builds a workbook with one sheet of rows (nil cells left empty).
func xlsxOf(t *testing.T, sheet string, rows [][]any, edit ...func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if sheet != "Sheet1" {
		if err := f.SetSheetName("Sheet1", sheet); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range rows {
		for j, v := range r {
			if v == nil {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellValue(sheet, cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, fn := range edit {
		fn(f)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// records lists a module's records as admin, by code.
func records(t *testing.T, e *apitest.Env, module string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	r := e.Do(t, "admin", "GET", "/api/apps/crm/modules/"+module+"/records?limit=500&sort=code", nil).Want(t, 200)
	for _, rec := range r.List("records") {
		m := rec.(map[string]any)
		code, _ := m["code"].(string)
		out[code] = m
	}
	return out
}

func count(t *testing.T, s *store.Store, table string) int {
	t.Helper()
	var n int
	if err := s.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func fullMapping() map[string]any {
	m := map[string]any{}
	for _, k := range customerKeys {
		if k != "note" {
			if k == "met" || k == "tags" || k == "visits" {
				continue
			}
			m[customerLabels[k]["zh-CN"]] = k
		}
	}
	return m
}

const gbkCSV = "名称,编号,级别,金额,签约日期,有效,所属公司,销售\r\n" +
	"华东贸易有限公司,C001,重要,\"12,000.50\",2026/3/1,是,阿里巴巴,rep@example.com\r\n" +
	"深圳科技,C002,普通,800,2025-12-31,否,91440300,rep\r\n" +
	"北京,C003,VIP,0,2024年2月29日,1,,\r\n"

func TestImportGBKCSV(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		file := gbk(t, gbkCSV)
		r := upload(t, e, "rep", "customer", "客户.csv", file, nil).Want(t, 201)
		if r.Str("format") != "csv" || r.Str("encoding") != "gb18030" || r.Num("rows") != 3 || r.Num("header_row") != 1 {
			t.Fatalf("upload: %s", r.Body)
		}
		cols := r.List("columns")
		if len(cols) != 8 || cols[0] != "名称" || cols[7] != "销售" {
			t.Errorf("columns %v", cols)
		}
		// Every column is matched by its zh-CN label; note (hidden from
		// rep) is no field of theirs.
		got := r.Obj("mapping")
		for col, key := range fullMapping() {
			if got[col] != key {
				t.Errorf("mapping[%s] = %v, want %v (all: %v)", col, got[col], key, got)
			}
		}
		if len(got) != 8 {
			t.Errorf("mapping %v", got)
		}
		if s := r.List("sample"); len(s) != 3 || s[0].([]any)[0] != "华东贸易有限公司" || s[0].([]any)[3] != "12,000.50" {
			t.Errorf("sample %v", s)
		}
		id := r.Str("id")
		d := e.Do(t, "rep", "POST", "/api/imports/"+id+"/dry-run", map[string]any{"mapping": got}).Want(t, 200)
		if d.Num("created") != 3 || d.Num("failed") != 0 || d.Num("rows") != 3 || len(d.List("errors")) != 0 {
			t.Fatalf("dry run: %s", d.Body)
		}
		// A dry run writes nothing.
		if n := len(records(t, e, "customer")); n != 0 {
			t.Fatalf("dry run left %d records", n)
		}
		// Run it: every value as typed, lookups and users resolved.
		run := e.Do(t, "rep", "POST", "/api/imports/"+id+"/run", map[string]any{"mapping": got}).Want(t, 202)
		if run.Str("status") != "pending" {
			t.Fatalf("run: %s", run.Body)
		}
		if n := e.RunJobs(t); n < 1 {
			t.Fatalf("%d jobs ran", n)
		}
		st := e.Do(t, "rep", "GET", "/api/imports/"+id, nil).Want(t, 200)
		if st.Str("status") != "done" || st.Num("counts.created") != 3 || st.Num("progress.done") != 3 || st.Num("progress.percent") != 100 {
			t.Fatalf("status: %s", st.Body)
		}
		// The planner's statistics know the imported rows.
		table := meta.TableName("crm", "customer")
		var rows float64
		if s.D.Name() == "sqlite" {
			var stat string
			if err := s.R.QueryRow(`SELECT stat FROM sqlite_stat1 WHERE tbl = ? LIMIT 1`, table).Scan(&stat); err != nil {
				t.Fatalf("no statistics after the import: %v", err)
			}
			fmt.Sscan(stat, &rows)
		} else if err := s.R.QueryRow(`SELECT reltuples FROM pg_class WHERE oid = to_regclass($1)`, store.Quote(table)).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != 3 {
			t.Errorf("statistics count %v rows after importing 3", rows)
		}
		recs := records(t, e, "customer")
		accounts := map[string]string{}
		for _, a := range e.Do(t, "admin", "GET", "/api/apps/crm/modules/account/records", nil).List("records") {
			m := a.(map[string]any)
			accounts[m["tax"].(string)] = m["id"].(string)
		}
		want := map[string]map[string]any{
			"C001": {"name": "华东贸易有限公司", "level": "vip", "amount": "12000.5", "since": "2026-03-01", "active": true, "account": accounts["91330100"], "rep": e.IDs["rep"]},
			"C002": {"name": "深圳科技", "level": "normal", "amount": "800", "since": "2025-12-31", "active": false, "account": accounts["91440300"], "rep": e.IDs["rep"]},
			"C003": {"name": "北京", "level": "vip", "amount": "0", "since": "2024-02-29", "active": true, "account": nil, "rep": nil},
		}
		for code, w := range want {
			rec := recs[code]
			if rec == nil {
				t.Fatalf("no record %s: %v", code, recs)
			}
			for k, v := range w {
				g := rec[k]
				if n, ok := g.(json.Number); ok {
					g = trimZeros(n.String())
				}
				if fmt.Sprint(g) != fmt.Sprint(v) && !(v == nil && g == nil) {
					t.Errorf("%s.%s = %v, want %v", code, k, rec[k], v)
				}
			}
			if rec["owner"] != e.IDs["rep"] {
				t.Errorf("%s owner %v, want the uploader", code, rec["owner"])
			}
		}
		// The history says who imported, through the write path.
		var n int
		if err := s.R.QueryRowContext(context.Background(), store.Rebind(s.D, `SELECT COUNT(*) FROM audit_log WHERE action = 'create' AND module = 'customer' AND via = 'import' AND actor = ?`), e.IDs["rep"]).Scan(&n); err != nil || n != 3 {
			t.Errorf("%d audited imports by rep (%v), want 3", n, err)
		}
	})
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func TestImportXLSXWithChineseLabels(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		since := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
		rows := [][]any{
			{"客户名单（2026）"}, // a title row above the header, merged across
			{"名称", "编号", "级别", "金额", "签约日期", "有效", "所属公司", "不相干"},
			{"甲", "X1", "重要", 100.25, since, true, "Tencent", "x"},
			{"乙", "X2", "普通", nil, "2026-02-01", false, "91330100", "y"},
			{},
			{"丙", "X3", "不存在的级别", "abc", "明天", "也许", "没有这家", "z"},
			{"", "X4", "普通", 5, nil, nil, "同名", nil},
		}
		file := xlsxOf(t, "客户", rows, func(f *excelize.File) {
			_ = f.MergeCell("客户", "A1", "H1")
			_ = f.SetCellFormula("客户", "D4", "=D3*2")
		})
		r := upload(t, e, "rep", "customer", "客户.xlsx", file, nil, "Accept-Language", "zh-CN").Want(t, 201)
		if r.Str("format") != "xlsx" || r.Str("sheet") != "客户" || r.Num("header_row") != 2 || r.Num("rows") != 4 {
			t.Fatalf("upload: %s", r.Body)
		}
		mapping := r.Obj("mapping")
		if len(mapping) != 7 || mapping["签约日期"] != "since" || mapping["不相干"] != nil {
			t.Fatalf("mapping %v", mapping)
		}
		id := r.Str("id")
		for _, locale := range []string{"en", "zh-CN"} {
			d := e.Do(t, "rep", "POST", "/api/imports/"+id+"/dry-run", map[string]any{"mapping": mapping}, "Accept-Language", locale).Want(t, 200)
			if d.Num("created") != 2 || d.Num("failed") != 2 || d.Get("aborted") != false {
				t.Fatalf("%s dry run: %s", locale, d.Body)
			}
			// Row 6: every wrong cell, each at its column; row 7: the
			// required name missing and the ambiguous account.
			type key struct {
				row    int
				column string
			}
			got := map[key]string{}
			for _, x := range d.List("errors") {
				m := x.(map[string]any)
				n, _ := m["row"].(json.Number).Int64()
				got[key{int(n), m["column"].(string)}] = m["message"].(string)
			}
			want := map[key][2]string{
				{6, "级别"}:   {`"不存在的级别" is not one of the options (vip, normal)`, "“不存在的级别”不是可选项之一"},
				{6, "金额"}:   {`"abc" is not a number`, "“abc”不是数字"},
				{6, "签约日期"}: {`"明天" is not a date`, "“明天”不是日期"},
				{6, "有效"}:   {`"也许" is not yes or no`, "“也许”不是“是/否”"},
				{6, "所属公司"}: {`No Account record you can see is named "没有这家"`, "找不到您可见的名为“没有这家”的公司记录"},
				{7, "所属公司"}: {`"同名" names more than one record`, "“同名”对应多条记录"},
			}
			for k, w := range want {
				msg := w[0]
				if locale == "zh-CN" {
					msg = w[1]
				}
				if !strings.Contains(got[k], msg) {
					t.Errorf("%s: error at %v = %q, want %q (all: %v)", locale, k, got[k], msg, got)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%s: errors %v", locale, got)
			}
		}
		// Once the account is unambiguous, row 7 fails on the write path:
		// the name is required (a field error without a column).
		mapping["所属公司"] = ""
		d := e.Do(t, "rep", "POST", "/api/imports/"+id+"/dry-run", map[string]any{"mapping": mapping}).Want(t, 200)
		var nameErr bool
		for _, x := range d.List("errors") {
			m := x.(map[string]any)
			if m["row"].(json.Number).String() == "7" && m["field"] == "name" && m["column"] == "名称" && m["message"] != "" {
				nameErr = true
			}
		}
		if !nameErr || d.Num("created") != 2 || d.Num("failed") != 2 {
			t.Errorf("dry run: %s", d.Body)
		}
		// The formula's cached value is what is imported (D4 = D3*2 was
		// saved without a cached value by excelize, so it is blank).
		if n := len(records(t, e, "customer")); n != 0 {
			t.Fatalf("dry runs left %d records", n)
		}
	})
}
