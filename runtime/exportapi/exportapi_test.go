package exportapi_test

// List exports through the real HTTP stack on SQLite and PostgreSQL. The
// expected cells are computed in Go from the inserted xdeals, and the
// files are read back with excelize and encoding/csv.

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/pdf/pdftest"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
	"github.com/tessera-app/tessera/runtime/server"
)

type xdeal struct {
	who, name string
	amount    float64 // currency
	qty       int64
	closed    string // date
	at        time.Time
	won       bool
	stage     string
	tags      []string
	account   string // the account's name
	secret    int
}

// xdeals: rep's, bob's and admin's. Role sales (rep, bob) reads its own;
// role finance (fin) reads all but not "secret".
var xdeals = []xdeal{
	{"rep", "Alpha, \"big\" deal", 1234.5, 1, "2026-03-02", time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC), true, "won", []string{"red", "blue"}, "Acme", 11},
	{"rep", "=HYPERLINK(\"http://x\")", 99.99, 2, "2025-12-31", time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC), false, "open", nil, "", 12},
	{"bob", "-minus\nsecond line", 0, -3, "2024-02-29", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), true, "lost", []string{"blue"}, "Zeta 有限公司", 13},
	{"admin", "@mention 中文", 1000000, 4, "2026-01-01", time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), false, "won", []string{"red"}, "Acme", 14},
}

var stageLabels = map[string]map[string]string{
	"open": {"en": "Open", "zh-CN": "进行中"}, "won": {"en": "Won", "zh-CN": "赢单"}, "lost": {"en": "Lost", "zh-CN": "输单"},
}
var tagLabels = map[string]string{"red": "Red", "blue": "Blue"}

func lbl(en, zh string) map[string]string { return map[string]string{"en": en, "zh-CN": zh} }

// fieldLabels are the deal fields in schema order, with their labels.
var fieldKeys = []string{"name", "amount", "qty", "closed", "at", "won", "stage", "tags", "account", "rep", "secret"}
var fieldLabels = map[string]map[string]string{
	"name": lbl("Name", "名称"), "amount": lbl("Amount", "金额"), "qty": lbl("Quantity", "数量"),
	"closed": lbl("Closed on", "成交日期"), "at": lbl("Signed at", "签约时间"), "won": lbl("Won?", "是否赢单"),
	"stage": lbl("Stage", "阶段"), "tags": lbl("Tags", "标签"), "account": lbl("Account", "客户"),
	"rep": lbl("Rep", "销售"), "secret": lbl("Secret", "机密"),
}

func exportSetup(t *testing.T, s *store.Store, configure ...func(*server.Services)) *apitest.Env {
	e := apitest.New(t, s, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), configure...)
	for _, n := range []string{"rep", "bob", "fin"} {
		e.User(t, n, access.NewUser{})
	}
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": lbl("CRM", "客户管理")}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "account", "label": lbl("Account", "客户"), "schema": map[string]any{
		"properties": map[string]any{"title": map[string]any{"x-field": map[string]any{"type": "text"}}},
		"x-title":    "title",
	}}).Want(t, 201)
	opts := func(labels map[string]map[string]string, order ...string) []any {
		var out []any
		for _, v := range order {
			out = append(out, map[string]any{"value": v, "label": labels[v]})
		}
		return out
	}
	field := func(typ, key string, extra ...any) map[string]any {
		xf := map[string]any{"type": typ, "label": fieldLabels[key]}
		for i := 0; i+1 < len(extra); i += 2 {
			xf[extra[i].(string)] = extra[i+1]
		}
		return map[string]any{"x-field": xf}
	}
	props := map[string]any{
		"name": field("text", "name"), "amount": field("currency", "amount"), "qty": field("integer", "qty"),
		"closed": field("date", "closed"), "at": field("datetime", "at"), "won": field("boolean", "won"),
		"stage": field("select", "stage", "options", opts(stageLabels, "open", "won", "lost")),
		"tags": field("multiselect", "tags", "options", []any{
			map[string]any{"value": "red", "label": lbl("Red", "红")}, map[string]any{"value": "blue", "label": lbl("Blue", "蓝")}}),
		"account": field("lookup", "account", "module", "account"), "rep": field("user", "rep"), "secret": field("number", "secret"),
	}
	// Fields keep the order of the properties as sent; a Go map would sort them.
	ordered := "{"
	for i, k := range fieldKeys {
		b, _ := json.Marshal(props[k])
		if i > 0 {
			ordered += ","
		}
		ordered += fmt.Sprintf("%q:%s", k, b)
	}
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "deal", "label": lbl("Deals", "商机"), "schema": map[string]any{
		"properties": json.RawMessage(ordered + "}"),
	}}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "sales", "label": apitest.Label("Sales"), "permissions": []any{
		map[string]any{"app": "crm", "module": "deal", "actions": []string{"create", "read"}, "scope": map[string]string{"read": "own"}},
		map[string]any{"app": "crm", "module": "account", "actions": []string{"read"}},
	}}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "finance", "label": apitest.Label("Finance"), "permissions": []any{
		map[string]any{"app": "crm", "module": "deal", "actions": []string{"read"}, "fields": map[string]string{"secret": "hidden"}},
		map[string]any{"app": "crm", "module": "account", "actions": []string{"read"}},
	}}).Want(t, 201)
	for _, who := range []string{"rep", "bob"} {
		e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs[who], map[string]any{"roles": []string{"sales"}}).Want(t, 200)
	}
	e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs["fin"], map[string]any{"roles": []string{"finance"}}).Want(t, 200)
	accounts := map[string]string{}
	for _, d := range xdeals {
		if d.account != "" && accounts[d.account] == "" {
			accounts[d.account] = e.Do(t, "admin", "POST", "/api/apps/crm/modules/account/records", map[string]any{"title": d.account}).Want(t, 201).Str("id")
		}
	}
	for _, d := range xdeals {
		rec := map[string]any{"name": d.name, "amount": d.amount, "qty": d.qty, "closed": d.closed,
			"at": d.at.Format(time.RFC3339), "won": d.won, "stage": d.stage, "rep": e.IDs[d.who], "secret": d.secret}
		if d.tags != nil {
			rec["tags"] = d.tags
		}
		if d.account != "" {
			rec["account"] = accounts[d.account]
		}
		e.Do(t, d.who, "POST", "/api/apps/crm/modules/deal/records", rec).Want(t, 201)
	}
	return e
}

// visible are the deals who reads, by qty (the export's sort).
func visible(who string) []xdeal {
	var out []xdeal
	for _, d := range xdeals {
		if who == "rep" || who == "bob" {
			if d.who != who {
				continue
			}
		}
		out = append(out, d)
	}
	// sorted by qty ascending
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].qty < out[i].qty {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func post(t *testing.T, e *apitest.Env, who string, body map[string]any, hdr ...string) *apitest.Response {
	t.Helper()
	return e.Do(t, who, "POST", "/api/apps/crm/modules/deal/exports", body, hdr...)
}

func openXLSX(t *testing.T, b []byte) (*excelize.File, string) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not an xlsx: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f, f.GetSheetList()[0]
}

// excelSerial is the spreadsheet serial number of a wall-clock time
// (days since 1899-12-30, the 1900 system's epoch past its leap bug).
func excelSerial(t time.Time) float64 {
	wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	return wall.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24
}

func numFmt(t *testing.T, f *excelize.File, sheet, cell string) string {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt != nil {
		return *st.CustomNumFmt
	}
	return fmt.Sprint(st.NumFmt)
}

func TestExportXLSXRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := exportSetup(t, s)
		// admin reads in Shanghai time: datetimes are shown in it.
		e.Do(t, "admin", "PATCH", "/api/auth/me", map[string]any{"time_zone": "Asia/Shanghai"}).Want(t, 200)
		shanghai, _ := time.LoadLocation("Asia/Shanghai")
		for _, locale := range []string{"en", "zh-CN"} {
			r := post(t, e, "admin", map[string]any{"format": "xlsx", "sort": "qty"}, "Accept-Language", locale).Want(t, 200)
			f, sh := openXLSX(t, r.Body)
			if want := lbl("Deals", "商机")[locale]; sh != want {
				t.Errorf("%s: sheet %q, want %q", locale, sh, want)
			}
			rows, err := f.GetRows(sh, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			want := visible("admin")
			if len(rows) != len(want)+1 {
				t.Fatalf("%s: %d rows, want %d header + %d", locale, len(rows), 1, len(want))
			}
			for i, k := range fieldKeys {
				if rows[0][i] != fieldLabels[k][locale] {
					t.Errorf("%s: header %d = %q, want %q", locale, i, rows[0][i], fieldLabels[k][locale])
				}
			}
			for i, d := range want {
				n := i + 2
				cell := func(col int) string { c, _ := excelize.CoordinatesToCellName(col, n); return c }
				raw := func(col int) string {
					v, _ := f.GetCellValue(sh, cell(col), excelize.Options{RawCellValue: true})
					return v
				}
				typ := func(col int) excelize.CellType { ct, _ := f.GetCellType(sh, cell(col)); return ct }
				isText := func(col int) bool {
					return typ(col) == excelize.CellTypeInlineString || typ(col) == excelize.CellTypeSharedString
				}
				isNumber := func(col int) bool { return typ(col) == excelize.CellTypeUnset || typ(col) == excelize.CellTypeNumber }
				num := func(col int) float64 { var x float64; fmt.Sscan(raw(col), &x); return x }

				if raw(1) != d.name || !isText(1) {
					t.Errorf("row %d name %q (type %v), want %q as text", n, raw(1), typ(1), d.name)
				}
				if math.Abs(num(2)-d.amount) > 1e-9 || !isNumber(2) || numFmt(t, f, sh, cell(2)) != "#,##0.00" {
					t.Errorf("row %d amount %q (type %v, format %s), want the number %v as #,##0.00", n, raw(2), typ(2), numFmt(t, f, sh, cell(2)), d.amount)
				}
				if raw(3) != fmt.Sprint(d.qty) || !isNumber(3) {
					t.Errorf("row %d qty %q (type %v), want the number %d", n, raw(3), typ(3), d.qty)
				}
				day, _ := time.Parse("2006-01-02", d.closed)
				if math.Abs(num(4)-excelSerial(day)) > 1e-9 || !isNumber(4) || numFmt(t, f, sh, cell(4)) != "yyyy-mm-dd" {
					t.Errorf("row %d closed %q (format %s), want serial %v as yyyy-mm-dd", n, raw(4), numFmt(t, f, sh, cell(4)), excelSerial(day))
				}
				if shown, _ := f.GetCellValue(sh, cell(4)); shown != d.closed {
					t.Errorf("row %d closed shows %q, want %q", n, shown, d.closed)
				}
				local := d.at.In(shanghai)
				if math.Abs(num(5)-excelSerial(local)) > 1e-6 || numFmt(t, f, sh, cell(5)) != "yyyy-mm-dd hh:mm:ss" {
					t.Errorf("row %d at %q (format %s), want serial %v of %v", n, raw(5), numFmt(t, f, sh, cell(5)), excelSerial(local), local)
				}
				wonRaw := map[bool]string{true: "1", false: "0"}[d.won]
				if raw(6) != wonRaw || typ(6) != excelize.CellTypeBool {
					t.Errorf("row %d won %q (type %v), want boolean %v", n, raw(6), typ(6), d.won)
				}
				if raw(7) != stageLabels[d.stage][locale] {
					t.Errorf("row %d stage %q, want %q", n, raw(7), stageLabels[d.stage][locale])
				}
				var tags []string
				for _, tg := range d.tags {
					if locale == "en" {
						tags = append(tags, tagLabels[tg])
					} else {
						tags = append(tags, map[string]string{"red": "红", "blue": "蓝"}[tg])
					}
				}
				if raw(8) != strings.Join(tags, ", ") {
					t.Errorf("row %d tags %q, want %q", n, raw(8), strings.Join(tags, ", "))
				}
				if raw(9) != d.account || raw(10) != d.who {
					t.Errorf("row %d account %q rep %q, want %q %q", n, raw(9), raw(10), d.account, d.who)
				}
				if num(11) != float64(d.secret) {
					t.Errorf("row %d secret %q, want %d", n, raw(11), d.secret)
				}
			}
		}
	})
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("csv lacks the UTF-8 byte order mark: %q", b[:min(len(b), 10)])
	}
	rows, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatalf("bad csv: %v\n%s", err, b)
	}
	return rows
}

// guarded is how a text cell must appear in the CSV.
func guarded(s string) string {
	if s != "" && strings.ContainsAny(s[:1], "=+-@") {
		return "'" + s
	}
	return s
}

func TestExportCSVAndScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := exportSetup(t, s)
		for _, who := range []string{"rep", "bob", "admin"} {
			r := post(t, e, who, map[string]any{"format": "csv", "sort": "qty", "fields": []string{"name", "qty", "amount", "closed", "won", "stage", "account", "owner"}}).Want(t, 200)
			if ct := r.Status; ct != 200 {
				t.Fatal(ct)
			}
			rows := readCSV(t, r.Body)
			if strings.Join(rows[0], "|") != "Name|Quantity|Amount|Closed on|Won?|Stage|Account|Owner" {
				t.Errorf("%s: header %q", who, rows[0])
			}
			want := visible(who)
			if len(rows)-1 != len(want) {
				t.Fatalf("%s: %d rows, want %d: %q", who, len(rows)-1, len(want), rows)
			}
			for i, d := range want {
				exp := []string{guarded(d.name), fmt.Sprint(d.qty), fmt.Sprintf("%.2f", d.amount), d.closed, fmt.Sprint(d.won),
					stageLabels[d.stage]["en"], d.account, d.who}
				if got := rows[i+1]; strings.Join(got, "|") != strings.Join(exp, "|") {
					t.Errorf("%s: row %d = %q, want %q", who, i+1, got, exp)
				}
			}
		}
		// The raw bytes: quotes doubled, the line break kept inside quotes
		// (as CRLF, like the rows' ends, for Excel).
		raw := string(post(t, e, "bob", map[string]any{"format": "csv", "fields": []string{"name"}}).Want(t, 200).Body)
		if raw != "\uFEFFName\r\n\"'-minus\r\nsecond line\"\r\n" {
			t.Errorf("bob's csv is %q", raw)
		}
		raw = string(post(t, e, "rep", map[string]any{"format": "csv", "fields": []string{"name"}, "sort": "qty"}).Want(t, 200).Body)
		if !strings.Contains(raw, "\"Alpha, \"\"big\"\" deal\"\r\n") || !strings.Contains(raw, "\"'=HYPERLINK(\"\"http://x\"\")\"") {
			t.Errorf("rep's csv is %q", raw)
		}
		// fin reads every deal but not secret: absent by default, refused by name.
		r := post(t, e, "fin", map[string]any{"format": "xlsx"}).Want(t, 200)
		f, sh := openXLSX(t, r.Body)
		rows, _ := f.GetRows(sh)
		if len(rows) != len(xdeals)+1 {
			t.Fatalf("fin: %d rows", len(rows))
		}
		for _, h := range rows[0] {
			if h == "Secret" {
				t.Errorf("fin's export has the hidden field: %q", rows[0])
			}
		}
		if len(rows[0]) != len(fieldKeys)-1 {
			t.Errorf("fin's header %q", rows[0])
		}
		for _, row := range rows[1:] {
			for _, d := range xdeals {
				if row[0] == d.name && slicesContains(row, fmt.Sprint(d.secret)) {
					t.Errorf("a secret value leaked: %q", row)
				}
			}
		}
		post(t, e, "fin", map[string]any{"format": "csv", "fields": []string{"name", "secret"}}).Want(t, 400).Contains(t, "secret")
		// A filter on the hidden field is refused too.
		post(t, e, "fin", map[string]any{"format": "csv", "filter": "secret > 12"}).Want(t, 400)
	})
}

func slicesContains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestExportPDF(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := exportSetup(t, s)
		r := post(t, e, "rep", map[string]any{"format": "pdf", "fields": []string{"name", "stage", "account"}}, "Accept-Language", "zh-CN").Want(t, 200)
		if !bytes.HasPrefix(r.Body, []byte("%PDF")) {
			t.Fatalf("not a PDF: %q", r.Body[:min(20, len(r.Body))])
		}
		text := pdftest.Compact(pdftest.Text(t, r.Body))
		for _, want := range []string{"商机", "名称", "阶段", "客户", "赢单", "进行中", "Acme"} {
			if !strings.Contains(text, pdftest.Compact(want)) {
				t.Errorf("PDF lacks %q: %s", want, text)
			}
		}
		if strings.Contains(text, "Zeta") || strings.Contains(text, "mention") {
			t.Errorf("PDF has deals rep cannot read: %s", text)
		}
	})
}

func countExports(t *testing.T, s *store.Store) (exports, jobs int) {
	t.Helper()
	ctx := context.Background()
	if err := s.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM exports`).Scan(&exports); err != nil {
		t.Fatal(err)
	}
	if err := s.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE kind = 'export.run'`).Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	return exports, jobs
}

func TestExportBadInput(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		// Every list is "large" here, so a request that got through would
		// leave an export and a job behind.
		e := exportSetup(t, s, func(svc *server.Services) { svc.Exports.AsyncOver = -1 })
		cases := []struct {
			body     map[string]any
			en, zh   string
			wantCode int
		}{
			{map[string]any{"format": "docx"}, `is not one of xlsx, csv, pdf`, "导出格式", 400},
			{map[string]any{}, `is not one of`, "导出格式", 400},
			{map[string]any{"format": "xlsx", "fields": []string{"name", "nope"}}, `nope\" cannot be exported`, "无法导出字段“nope”", 400},
			{map[string]any{"format": "xlsx", "fields": []string{"name", "name"}}, `name\" is named twice`, "重复", 400},
			{map[string]any{"format": "csv", "filter": "amount >"}, "", "", 400},
			{map[string]any{"format": "csv", "filter": "nope == 1"}, "", "", 400},
			{map[string]any{"format": "csv", "sort": "nope"}, "", "", 400},
			{map[string]any{"format": "xlsx", "extra": 1}, "", "", 400},
		}
		for _, c := range cases {
			en := post(t, e, "rep", c.body).Want(t, c.wantCode)
			zh := post(t, e, "rep", c.body, "Accept-Language", "zh-CN").Want(t, c.wantCode)
			if c.en != "" {
				en.Contains(t, c.en)
				zh.Contains(t, c.zh)
			}
			if en.Str("detail") == "" || zh.Str("detail") == "" || (c.en != "" && en.Str("detail") == zh.Str("detail")) {
				t.Errorf("%v: details %q / %q", c.body, en.Str("detail"), zh.Str("detail"))
			}
		}
		// fin may not name the field hidden from them.
		post(t, e, "fin", map[string]any{"format": "xlsx", "fields": []string{"secret"}}, "Accept-Language", "zh-CN").Want(t, 400).Contains(t, "无法导出字段“secret”")
		// A module that does not exist, and one the user may not read.
		e.Do(t, "rep", "POST", "/api/apps/crm/modules/nope/exports", map[string]any{"format": "csv"}).Want(t, 404)
		e.User(t, "nobody", access.NewUser{})
		e.Do(t, "nobody", "POST", "/api/apps/crm/modules/deal/exports", map[string]any{"format": "csv"}).Want(t, 403)
		if n, j := countExports(t, s); n != 0 || j != 0 {
			t.Errorf("bad requests left %d exports and %d jobs", n, j)
		}
	})
}

func TestExportJob(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := exportSetup(t, s, func(svc *server.Services) {
			svc.Exports.AsyncOver = 2 // admin's 4 deals go to a job, rep's 2 do not
			svc.Exports.PageSize = 1  // one progress step per row
			svc.Exports.ChunkSize = 1000
		})
		post(t, e, "rep", map[string]any{"format": "csv"}).Want(t, 200)
		r := post(t, e, "admin", map[string]any{"format": "xlsx", "sort": "qty", "fields": []string{"name", "qty"}}).Want(t, 202)
		id := r.Str("id")
		if id == "" || r.Num("total") != float64(len(xdeals)) {
			t.Fatalf("202 body %s", r.Body)
		}
		st := e.Do(t, "admin", "GET", "/api/exports/"+id, nil).Want(t, 200)
		if st.Str("status") != "pending" || st.Str("download_url") != "" || st.Num("progress.total") != float64(len(xdeals)) {
			t.Fatalf("before the job: %s", st.Body)
		}
		// Someone else sees no export, whatever they try.
		e.Do(t, "rep", "GET", "/api/exports/"+id, nil).Want(t, 404)
		if n := e.RunJobs(t); n != 1 {
			t.Fatalf("%d jobs ran", n)
		}
		st = e.Do(t, "admin", "GET", "/api/exports/"+id, nil).Want(t, 200)
		if st.Str("status") != "done" || st.Num("progress.done") != float64(len(xdeals)) || st.Num("progress.percent") != 100 {
			t.Fatalf("after the job: %s", st.Body)
		}
		url := st.Str("download_url")
		if !strings.HasPrefix(url, "/api/exports/"+id+"/download?token=") {
			t.Fatalf("download_url %q", url)
		}
		if st.Str("filename") != "Deals.xlsx" {
			t.Errorf("filename %q", st.Str("filename"))
		}
		got := e.Do(t, "admin", "GET", url, nil).Want(t, 200)
		if int64(len(got.Body)) != int64(st.Num("size")) || len(got.Body) <= 1000 {
			t.Errorf("downloaded %d bytes, status says %v (and it should span several 1000-byte chunks)", len(got.Body), st.Num("size"))
		}
		f, sh := openXLSX(t, got.Body)
		rows, _ := f.GetRows(sh)
		want := visible("admin")
		if len(rows) != len(want)+1 || rows[0][0] != "Name" {
			t.Fatalf("downloaded rows %q", rows)
		}
		for i, d := range want {
			if rows[i+1][0] != d.name || rows[i+1][1] != fmt.Sprint(d.qty) {
				t.Errorf("row %d = %q, want %s %d", i+1, rows[i+1], d.name, d.qty)
			}
		}
		// Only the creator, only with the token.
		e.Do(t, "rep", "GET", url, nil).Want(t, 404)
		e.Do(t, "admin", "GET", "/api/exports/"+id+"/download?token=wrong", nil).Want(t, 404)
		e.Do(t, "admin", "GET", "/api/exports/"+id+"/download", nil).Want(t, 404)
		e.Do(t, "", "GET", url, nil).Want(t, 401)
		// The link expires after a day: 410, localized, and the status says so.
		e.Advance(24*time.Hour + time.Second)
		e.Do(t, "admin", "GET", url, nil).Want(t, 410).Contains(t, "expired")
		e.Do(t, "admin", "GET", url, nil, "Accept-Language", "zh-CN").Want(t, 410).Contains(t, "已过期")
		st = e.Do(t, "admin", "GET", "/api/exports/"+id, nil).Want(t, 200)
		if st.Str("status") != "expired" || st.Str("download_url") != "" {
			t.Errorf("expired status: %s", st.Body)
		}
		// The next export purges the expired file's chunks (the row stays,
		// so the link keeps answering 410).
		post(t, e, "admin", map[string]any{"format": "csv"}).Want(t, 202)
		var chunks int
		if err := s.R.QueryRowContext(context.Background(), store.Rebind(s.D, `SELECT COUNT(*) FROM export_chunks WHERE export_id = ?`), id).Scan(&chunks); err != nil || chunks != 0 {
			t.Errorf("%d chunks of the expired export left", chunks)
		}
		e.Do(t, "admin", "GET", url, nil).Want(t, 410)
	})
}

func TestExportJobRefusedLater(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := exportSetup(t, s, func(svc *server.Services) { svc.Exports.AsyncOver = 1 })
		id := post(t, e, "fin", map[string]any{"format": "csv", "fields": []string{"name", "amount"}}).Want(t, 202).Str("id")
		// Before the job runs, amount becomes hidden from fin: the job
		// fails with the reason instead of exporting it.
		e.Do(t, "admin", "GET", "/api/roles/finance", nil).Want(t, 200)
		e.Do(t, "admin", "PUT", "/api/roles/finance", map[string]any{"label": apitest.Label("Finance"), "permissions": []any{
			map[string]any{"app": "crm", "module": "deal", "actions": []string{"read"}, "fields": map[string]string{"secret": "hidden", "amount": "hidden"}},
		}}).Want(t, 200)
		e.RunJobs(t)
		st := e.Do(t, "fin", "GET", "/api/exports/"+id, nil, "Accept-Language", "zh-CN").Want(t, 200)
		if st.Str("status") != "failed" || !strings.Contains(st.Str("error"), "amount") || st.Str("download_url") != "" {
			t.Errorf("status %s", st.Body)
		}
	})
}

func TestExportJobDeadIsFailed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := exportSetup(t, s, func(svc *server.Services) { svc.Exports.AsyncOver = 1 })
		id := post(t, e, "admin", map[string]any{"format": "csv"}).Want(t, 202).Str("id")
		// The records cannot be read: every attempt fails (an internal
		// error, so the runner retries) until the job is dead.
		m, err := e.Svc.Meta.Module(context.Background(), "crm", "deal")
		if err != nil {
			t.Fatal(err)
		}
		storetest.Exec(t, s, `DROP TABLE `+store.Quote(m.Table))
		for range 20 {
			e.RunJobs(t)
			e.Advance(2 * time.Hour)
		}
		var status string
		if err := s.R.QueryRowContext(context.Background(), `SELECT status FROM jobs WHERE kind = 'export.run'`).Scan(&status); err != nil || status != "dead" {
			t.Fatalf("job status %q (%v), want dead", status, err)
		}
		st := e.Do(t, "admin", "GET", "/api/exports/"+id, nil, "Accept-Language", "zh-CN").Want(t, 200)
		if st.Str("status") != "failed" || !strings.Contains(st.Str("error"), "导出失败") {
			t.Errorf("status %s", st.Body)
		}
	})
}
