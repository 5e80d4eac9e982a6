package exportapi_test

// Dashboard widget exports through the real HTTP stack on SQLite and
// PostgreSQL, over the deals of exportSetup. Expected values are computed
// in Go from xdeals and compared with the dashboard data endpoint's.

import (
	"context"
	"fmt"
	"math"
	"sort"
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

// salesDashboard: shared with sales and finance, a date range on the
// deals' close date.
func salesDashboard() map[string]any {
	w := func(key, typ string, x, y int, title map[string]string, query map[string]any, options map[string]any) map[string]any {
		out := map[string]any{"key": key, "type": typ, "x": x, "y": y, "w": 4, "h": 3, "title": title, "query": query}
		if options != nil {
			out["options"] = options
		}
		return out
	}
	dims := func(d ...map[string]any) []any {
		out := []any{}
		for _, x := range d {
			out = append(out, x)
		}
		return out
	}
	return map[string]any{"key": "sales", "label": lbl("Sales", "销售"), "roles": []string{"sales", "finance"},
		"filters": []any{map[string]any{"key": "period", "type": "date_range", "field": "closed"}},
		"widgets": []any{
			w("by_stage", "table", 0, 0, lbl("Deals by stage", "按阶段"), map[string]any{"module": "deal",
				"dimensions": dims(map[string]any{"field": "stage"}),
				"measures":   []any{map[string]any{"op": "count"}, map[string]any{"op": "sum", "field": "amount"}, map[string]any{"op": "avg", "field": "qty"}},
				"sort":       []any{map[string]any{"key": "stage"}}}, nil),
			w("pivot", "pivot", 4, 0, lbl("Stage by year", "阶段×年份"), map[string]any{"module": "deal",
				"dimensions": dims(map[string]any{"field": "stage"}, map[string]any{"field": "closed", "bucket": "year"}),
				"measures":   []any{map[string]any{"op": "sum", "field": "amount", "as": "total"}}},
				map[string]any{"labels": map[string]any{"total": lbl("Revenue", "收入")}}),
			w("daily", "line", 8, 0, lbl("Daily", "每日"), map[string]any{"module": "deal",
				"dimensions": dims(map[string]any{"field": "closed", "bucket": "day"}),
				"measures":   []any{map[string]any{"op": "count"}},
				"sort":       []any{map[string]any{"key": "closed"}}}, nil),
			w("recent", "list", 0, 3, lbl("Recent deals", "最近商机"), map[string]any{"module": "deal"},
				map[string]any{"fields": []any{"name", "amount", "secret", "closed"}, "sort": "qty", "limit": 5}),
			w("secrets", "table", 4, 3, lbl("Secrets", "机密"), map[string]any{"module": "deal",
				"dimensions": dims(map[string]any{"field": "stage"}),
				"measures":   []any{map[string]any{"op": "sum", "field": "secret"}}}, nil),
		}}
}

func widgetURL(widget, query string) string {
	return "/api/apps/crm/dashboards/sales/widgets/" + widget + "/export?" + query
}

// dealsFor are the deals who reads closed on or after from ("" for all).
func dealsFor(who, from string) []xdeal {
	var out []xdeal
	for _, d := range visible(who) {
		if from == "" || d.closed >= from {
			out = append(out, d)
		}
	}
	return out
}

func cellRaw(f *excelize.File, sh string, col, row int) string {
	c, _ := excelize.CoordinatesToCellName(col, row)
	v, _ := f.GetCellValue(sh, c, excelize.Options{RawCellValue: true})
	return v
}

func cellType(f *excelize.File, sh string, col, row int) excelize.CellType {
	c, _ := excelize.CoordinatesToCellName(col, row)
	ct, _ := f.GetCellType(sh, c)
	return ct
}

func isNumberCell(ct excelize.CellType) bool {
	return ct == excelize.CellTypeUnset || ct == excelize.CellTypeNumber
}

func parseNum(t *testing.T, s string) float64 {
	t.Helper()
	var x float64
	if _, err := fmt.Sscan(s, &x); err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return x
}

func TestWidgetExportTable(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := exportSetup(t, s)
		e.Do(t, "admin", "POST", "/api/apps/crm/dashboards", salesDashboard()).Want(t, 201)
		headers := map[string][]string{
			"en":    {"Stage", "Count", "Sum of Amount", "Average Quantity"},
			"zh-CN": {"阶段", "计数", "金额（合计）", "数量（平均值）"},
		}
		for _, who := range []string{"admin", "rep"} {
			for _, locale := range []string{"en", "zh-CN"} {
				from := "2025-01-01"
				data := e.Do(t, who, "GET", "/api/apps/crm/dashboards/sales/data?from="+from, nil, "Accept-Language", locale).Want(t, 200)
				r := e.Do(t, who, "GET", widgetURL("by_stage", "format=xlsx&from="+from), nil, "Accept-Language", locale).Want(t, 200)
				if !strings.Contains(r.Header.Get("Content-Disposition"), "filename*=UTF-8''") {
					t.Errorf("Content-Disposition %q", r.Header.Get("Content-Disposition"))
				}
				f, sh := openXLSX(t, r.Body)
				if want := lbl("Deals by stage", "按阶段")[locale]; sh != want {
					t.Errorf("%s %s: sheet %q, want %q", who, locale, sh, want)
				}
				rows, err := f.GetRows(sh, excelize.Options{RawCellValue: true})
				if err != nil {
					t.Fatal(err)
				}
				if strings.Join(rows[0], "|") != strings.Join(headers[locale], "|") {
					t.Errorf("%s %s: header %q, want %q", who, locale, rows[0], headers[locale])
				}
				// Expected, from the deals: by stage, sorted by stage value.
				type agg struct {
					n        int
					sum, qty float64
				}
				want := map[string]*agg{}
				for _, d := range dealsFor(who, from) {
					if want[d.stage] == nil {
						want[d.stage] = &agg{}
					}
					a := want[d.stage]
					a.n++
					a.sum += d.amount
					a.qty += float64(d.qty)
				}
				stages := []string{}
				for st := range want {
					stages = append(stages, st)
				}
				sort.Strings(stages)
				if len(rows) != len(stages)+1 {
					t.Fatalf("%s %s: %d rows, want %d: %q", who, locale, len(rows)-1, len(stages), rows)
				}
				dataRows := data.List("widgets.by_stage.rows")
				if len(dataRows) != len(stages) {
					t.Fatalf("%s: data endpoint has %d rows: %s", who, len(dataRows), data.Body)
				}
				for i, st := range stages {
					n := i + 2
					a := want[st]
					if got := cellRaw(f, sh, 1, n); got != stageLabels[st][locale] {
						t.Errorf("%s %s row %d: stage %q, want %q", who, locale, n, got, stageLabels[st][locale])
					}
					exp := []float64{float64(a.n), a.sum, a.qty / float64(a.n)}
					for j, x := range exp {
						col := j + 2
						if ct := cellType(f, sh, col, n); !isNumberCell(ct) {
							t.Errorf("%s row %d col %d: type %v, want a number", who, n, col, ct)
						}
						got := parseNum(t, cellRaw(f, sh, col, n))
						if math.Abs(got-x) > 1e-6 {
							t.Errorf("%s row %d col %d = %v, want %v", who, n, col, got, x)
						}
						// The same value as the data endpoint's.
						if dv := data.Num(fmt.Sprintf("widgets.by_stage.rows.%d.%d", i, j+1)); math.Abs(dv-got) > 1e-9 {
							t.Errorf("%s row %d col %d: export %v, data endpoint %v", who, n, col, got, dv)
						}
					}
					c, _ := excelize.CoordinatesToCellName(3, n)
					if nf := numFmt(t, f, sh, c); nf != "#,##0.00" {
						t.Errorf("sum of a currency field has format %q, want #,##0.00", nf)
					}
					c, _ = excelize.CoordinatesToCellName(2, n)
					if nf := numFmt(t, f, sh, c); nf != "1" {
						t.Errorf("count has format %q, want the integer format 1", nf)
					}
				}
			}
		}
		// csv bytes: rep's deals, no date filter.
		raw := string(e.Do(t, "rep", "GET", widgetURL("by_stage", "format=csv"), nil).Want(t, 200).Body)
		if want := "\uFEFFStage,Count,Sum of Amount,Average Quantity\r\nOpen,1,99.99,2\r\nWon,1,1234.50,1\r\n"; raw != want {
			t.Errorf("rep's csv is %q, want %q", raw, want)
		}
		raw = string(e.Do(t, "rep", "GET", widgetURL("by_stage", "format=csv"), nil, "Accept-Language", "zh-CN").Want(t, 200).Body)
		if want := "\uFEFF阶段,计数,金额（合计）,数量（平均值）\r\n进行中,1,99.99,2\r\n赢单,1,1234.50,1\r\n"; raw != want {
			t.Errorf("rep's zh-CN csv is %q, want %q", raw, want)
		}

		// Day buckets are dates, as dates.
		r := e.Do(t, "admin", "GET", widgetURL("daily", "format=xlsx"), nil).Want(t, 200)
		f, sh := openXLSX(t, r.Body)
		days := []string{}
		for _, d := range xdeals {
			days = append(days, d.closed)
		}
		sort.Strings(days)
		for i, day := range days {
			n := i + 2
			c, _ := excelize.CoordinatesToCellName(1, n)
			dt, _ := time.Parse("2006-01-02", day)
			if got := parseNum(t, cellRaw(f, sh, 1, n)); got != excelSerial(dt) || numFmt(t, f, sh, c) != "yyyy-mm-dd" {
				t.Errorf("daily row %d: %v (format %s), want the date %s", n, got, numFmt(t, f, sh, c), day)
			}
			if shown, _ := f.GetCellValue(sh, c); shown != day {
				t.Errorf("daily row %d shows %q, want %q", n, shown, day)
			}
		}
	})
}

func TestWidgetExportPivot(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := exportSetup(t, s)
		e.Do(t, "admin", "POST", "/api/apps/crm/dashboards", salesDashboard()).Want(t, 201)
		for _, locale := range []string{"en", "zh-CN"} {
			r := e.Do(t, "admin", "GET", widgetURL("pivot", "format=xlsx"), nil, "Accept-Language", locale).Want(t, 200)
			f, sh := openXLSX(t, r.Body)
			rows, _ := f.GetRows(sh, excelize.Options{RawCellValue: true})
			total := map[string]string{"en": "Total", "zh-CN": "合计"}[locale]
			if got, want := strings.Join(rows[0], "|"), strings.Join([]string{lbl("Stage", "阶段")[locale], "2024", "2025", "2026", total}, "|"); got != want {
				t.Fatalf("%s: pivot header %q, want %q", locale, got, want)
			}
			// Cells from the deals: stage × year of closed, sum of amount.
			years := []string{"2024", "2025", "2026"}
			stages := []string{"lost", "open", "won"}
			sum := map[[2]string]float64{}
			has := map[[2]string]bool{}
			for _, d := range xdeals {
				k := [2]string{d.stage, d.closed[:4]}
				sum[k] += d.amount
				has[k] = true
			}
			if len(rows) != len(stages)+2 {
				t.Fatalf("%s: %d pivot rows: %q", locale, len(rows), rows)
			}
			var grand float64
			colSum := map[string]float64{}
			for i, st := range stages {
				n := i + 2
				if got := cellRaw(f, sh, 1, n); got != stageLabels[st][locale] {
					t.Errorf("pivot row %d: %q, want %q", n, got, stageLabels[st][locale])
				}
				var rowSum float64
				for j, y := range years {
					k := [2]string{st, y}
					got := cellRaw(f, sh, j+2, n)
					if !has[k] {
						if got != "" {
							t.Errorf("pivot %v = %q, want empty", k, got)
						}
						continue
					}
					if v := parseNum(t, got); math.Abs(v-sum[k]) > 1e-6 || !isNumberCell(cellType(f, sh, j+2, n)) {
						t.Errorf("pivot %v = %q, want the number %v", k, got, sum[k])
					}
					rowSum += sum[k]
					colSum[y] += sum[k]
				}
				grand += rowSum
				if v := parseNum(t, cellRaw(f, sh, 5, n)); math.Abs(v-rowSum) > 1e-6 {
					t.Errorf("pivot row total %s = %v, want %v", st, v, rowSum)
				}
			}
			last := len(stages) + 2
			if got := cellRaw(f, sh, 1, last); got != total {
				t.Errorf("last row starts %q", got)
			}
			for j, y := range years {
				if v := parseNum(t, cellRaw(f, sh, j+2, last)); math.Abs(v-colSum[y]) > 1e-6 {
					t.Errorf("pivot column total %s = %v, want %v", y, v, colSum[y])
				}
			}
			if v := parseNum(t, cellRaw(f, sh, 5, last)); math.Abs(v-grand) > 1e-6 {
				t.Errorf("pivot grand total %v, want %v", v, grand)
			}
			c, _ := excelize.CoordinatesToCellName(5, last)
			if nf := numFmt(t, f, sh, c); nf != "#,##0.00" {
				t.Errorf("pivot total format %q", nf)
			}
		}
		// The csv of the same pivot: the measure's label from options.labels
		// is not a column here (the cells are the measure), totals are.
		raw := string(e.Do(t, "rep", "GET", widgetURL("pivot", "format=csv"), nil).Want(t, 200).Body)
		if want := "\uFEFFStage,2025,2026,Total\r\nOpen,99.99,,99.99\r\nWon,,1234.50,1234.50\r\nTotal,99.99,1234.50,1334.49\r\n"; raw != want {
			t.Errorf("rep's pivot csv %q, want %q", raw, want)
		}
	})
}

func TestWidgetExportListAndHidden(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := exportSetup(t, s)
		e.Do(t, "admin", "POST", "/api/apps/crm/dashboards", salesDashboard()).Want(t, 201)
		from := "2025-01-01"
		// fin sees every deal but not secret: the list widget's secret
		// column is left out, the other fields are there.
		for who, header := range map[string]string{"fin": "Name|Amount|Closed on", "rep": "Name|Amount|Secret|Closed on"} {
			r := e.Do(t, who, "GET", widgetURL("recent", "format=xlsx&from="+from), nil).Want(t, 200)
			if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "Recent%20deals.xlsx") {
				t.Errorf("Content-Disposition %q", cd)
			}
			f, sh := openXLSX(t, r.Body)
			rows, _ := f.GetRows(sh, excelize.Options{RawCellValue: true})
			if strings.Join(rows[0], "|") != header {
				t.Errorf("%s: header %q, want %s", who, rows[0], header)
			}
			want := dealsFor(who, from)
			if len(rows)-1 != len(want) {
				t.Fatalf("%s: %d rows, want %d: %q", who, len(rows)-1, len(want), rows)
			}
			for i, d := range want {
				if rows[i+1][0] != d.name || math.Abs(parseNum(t, rows[i+1][1])-d.amount) > 1e-9 {
					t.Errorf("%s row %d = %q, want %s %v", who, i+1, rows[i+1], d.name, d.amount)
				}
				if who == "fin" && len(rows[i+1]) != 3 {
					t.Errorf("fin row %d has %d cells: %q", i+1, len(rows[i+1]), rows[i+1])
				}
			}
		}
		// A widget measuring the hidden field: refused for fin, with no
		// file; the data endpoint shows the same refusal.
		for _, locale := range []string{"en", "zh-CN"} {
			r := e.Do(t, "fin", "GET", widgetURL("secrets", "format=csv"), nil, "Accept-Language", locale)
			if r.Status < 400 || r.Status >= 500 {
				t.Fatalf("fin's export of secrets: %d %s", r.Status, r.Body)
			}
			r.Contains(t, map[string]string{"en": "Widget \\\"Secrets\\\" cannot be computed", "zh-CN": "组件“机密”无法计算"}[locale])
			for _, d := range xdeals {
				if strings.Contains(string(r.Body), fmt.Sprint(d.secret)) {
					t.Errorf("a secret leaked: %s", r.Body)
				}
			}
		}
		data := e.Do(t, "fin", "GET", "/api/apps/crm/dashboards/sales/data", nil).Want(t, 200)
		if data.Str("widgets.secrets.error.code") == "" {
			t.Errorf("the data endpoint computed secrets for fin: %s", data.Body)
		}
		// rep may read secret: the sum of rep's own.
		raw := string(e.Do(t, "rep", "GET", widgetURL("secrets", "format=csv"), nil).Want(t, 200).Body)
		if want := "\uFEFFStage,Sum of Secret\r\nOpen,12\r\nWon,11\r\n"; raw != want && raw != "\uFEFFStage,Sum of Secret\r\nWon,11\r\nOpen,12\r\n" {
			t.Errorf("rep's secrets csv %q", raw)
		}
	})
}

func TestWidgetExportRefusals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := exportSetup(t, s, func(svc *server.Services) { svc.Exports.AsyncOver = -1 })
		e.Do(t, "admin", "POST", "/api/apps/crm/dashboards", salesDashboard()).Want(t, 201)
		// Who cannot see the dashboard: not found, like the dashboard itself.
		e.User(t, "nobody", access.NewUser{})
		e.Do(t, "nobody", "GET", "/api/apps/crm/dashboards/sales/data", nil).Want(t, 404)
		e.Do(t, "nobody", "GET", widgetURL("by_stage", "format=xlsx"), nil).Want(t, 404)
		e.Do(t, "nobody", "GET", widgetURL("recent", "format=xlsx"), nil).Want(t, 404)
		priv := salesDashboard()
		priv["key"], priv["private"] = "mine", true
		delete(priv, "roles")
		e.Do(t, "rep", "POST", "/api/apps/crm/dashboards", priv).Want(t, 201)
		e.Do(t, "rep", "GET", "/api/apps/crm/dashboards/mine/widgets/by_stage/export?format=csv", nil).Want(t, 200)
		e.Do(t, "bob", "GET", "/api/apps/crm/dashboards/mine/widgets/by_stage/export?format=csv", nil).Want(t, 404)
		e.Do(t, "admin", "GET", "/api/apps/crm/dashboards/mine/widgets/by_stage/export?format=csv", nil).Want(t, 404)
		e.Do(t, "", "GET", widgetURL("by_stage", "format=csv"), nil).Want(t, 401)
		// Bad requests, each localized.
		cases := []struct {
			url    string
			status int
			en, zh string
		}{
			{widgetURL("by_stage", "format=docx"), 400, "is not one of xlsx, csv, pdf", "导出格式“docx”无效"},
			{widgetURL("by_stage", ""), 400, "is not one of xlsx, csv, pdf", "导出格式"},
			{widgetURL("nope", "format=csv"), 404, `has no widget \"nope\"`, "没有组件“nope”"},
			{"/api/apps/crm/dashboards/nope/widgets/by_stage/export?format=csv", 404, "", ""},
			{widgetURL("by_stage", "format=csv&from=yesterday"), 400, `bad value \"yesterday\"`, "“yesterday”无效"},
		}
		for _, c := range cases {
			en := e.Do(t, "rep", "GET", c.url, nil).Want(t, c.status)
			zh := e.Do(t, "rep", "GET", c.url, nil, "Accept-Language", "zh-CN").Want(t, c.status)
			if c.en != "" {
				en.Contains(t, c.en)
				zh.Contains(t, c.zh)
			}
		}
		// The record list over the threshold is a job, like a list export;
		// none of the above left one.
		if n, j := countExports(t, s); n != 0 || j != 0 {
			t.Errorf("refused requests left %d exports and %d jobs", n, j)
		}
		r := e.Do(t, "rep", "GET", widgetURL("recent", "format=xlsx"), nil).Want(t, 202)
		e.RunJobs(t)
		st := e.Do(t, "rep", "GET", "/api/exports/"+r.Str("id"), nil).Want(t, 200)
		if st.Str("status") != "done" || st.Str("filename") != "Recent deals.xlsx" {
			t.Errorf("list widget job: %s", st.Body)
		}

		// A widget whose module was deleted: a clear, localized 409 (and the
		// data endpoint's error for it).
		e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "memo", "label": lbl("Memo", "备忘"), "schema": map[string]any{
			"properties": map[string]any{"text": map[string]any{"x-field": map[string]any{"type": "text"}}}}}).Want(t, 201)
		e.Do(t, "admin", "POST", "/api/apps/crm/modules/memo/records", map[string]any{"text": "hi"}).Want(t, 201)
		memo := map[string]any{"key": "memos", "label": lbl("Memos", "备忘"), "widgets": []any{
			map[string]any{"key": "count", "type": "kpi", "x": 0, "y": 0, "w": 3, "h": 2, "title": lbl("Memo count", "备忘数"),
				"query": map[string]any{"module": "memo", "measures": []any{map[string]any{"op": "count"}}}},
			map[string]any{"key": "list", "type": "list", "x": 3, "y": 0, "w": 3, "h": 2, "title": lbl("Memo list", "备忘列表"),
				"query": map[string]any{"module": "memo"}}}}
		e.Do(t, "admin", "POST", "/api/apps/crm/dashboards", memo).Want(t, 201)
		raw := string(e.Do(t, "admin", "GET", "/api/apps/crm/dashboards/memos/widgets/count/export?format=csv", nil).Want(t, 200).Body)
		if raw != "\uFEFFCount\r\n1\r\n" {
			t.Errorf("memo count csv %q", raw)
		}
		e.Do(t, "admin", "DELETE", "/api/apps/crm/modules/memo", nil).Want(t, 204)
		for _, w := range []string{"count", "list"} {
			url := "/api/apps/crm/dashboards/memos/widgets/" + w + "/export?format=xlsx"
			title := map[string]string{"count": "Memo count", "list": "Memo list"}[w]
			titleZh := map[string]string{"count": "备忘数", "list": "备忘列表"}[w]
			e.Do(t, "admin", "GET", url, nil).Want(t, 409).Contains(t, `Widget \"`+title+`\" cannot be computed`, `memo`)
			e.Do(t, "admin", "GET", url, nil, "Accept-Language", "zh-CN").Want(t, 409).Contains(t, "组件“"+titleZh+"”无法计算", "memo")
		}
		data := e.Do(t, "admin", "GET", "/api/apps/crm/dashboards/memos/data", nil).Want(t, 200)
		if data.Str("widgets.count.error.code") == "" {
			t.Errorf("data endpoint: %s", data.Body)
		}
		if n, _ := countExports(t, s); n != 1 {
			t.Errorf("%d exports, want the one list job", n)
		}
	})
}

// The job runner's periodic purge drops expired export files (the
// export's row stays, so its link answers 410), not live ones.
func TestExportPurgedPeriodically(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := exportSetup(t, s, func(svc *server.Services) {
			svc.Exports.AsyncOver = 1
			svc.Exports.ChunkSize = 500
		})
		e.Do(t, "admin", "POST", "/api/apps/crm/dashboards", salesDashboard()).Want(t, 201)
		old := post(t, e, "admin", map[string]any{"format": "xlsx"}).Want(t, 202).Str("id")
		e.RunJobs(t)
		e.Advance(12 * time.Hour)
		fresh := e.Do(t, "admin", "GET", widgetURL("recent", "format=xlsx"), nil).Want(t, 202).Str("id")
		e.RunJobs(t)
		chunks := func(id string) int {
			var n int
			if err := s.R.QueryRowContext(context.Background(), store.Rebind(s.D, `SELECT COUNT(*) FROM export_chunks WHERE export_id = ?`), id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		oldURL := e.Do(t, "admin", "GET", "/api/exports/"+old, nil).Want(t, 200).Str("download_url")
		freshURL := e.Do(t, "admin", "GET", "/api/exports/"+fresh, nil).Want(t, 200).Str("download_url")
		if chunks(old) < 2 || chunks(fresh) < 2 {
			t.Fatalf("chunks %d, %d: want files in several chunks", chunks(old), chunks(fresh))
		}
		// Nothing expired yet: the purge keeps both.
		e.Svc.Jobs.Purge(context.Background())
		if chunks(old) < 2 || chunks(fresh) < 2 {
			t.Fatalf("a purge before expiry dropped chunks: %d, %d", chunks(old), chunks(fresh))
		}
		// 24 h after the first finished: its file goes, the second's stays.
		e.Advance(12*time.Hour + time.Second)
		e.Svc.Jobs.Purge(context.Background())
		if n := chunks(old); n != 0 {
			t.Errorf("%d chunks of the expired export left", n)
		}
		if chunks(fresh) < 2 {
			t.Errorf("the live export lost its chunks")
		}
		e.Do(t, "admin", "GET", oldURL, nil).Want(t, 410)
		if st := e.Do(t, "admin", "GET", "/api/exports/"+old, nil).Want(t, 200); st.Str("status") != "expired" {
			t.Errorf("expired export: %s", st.Body)
		}
		f, sh := openXLSX(t, e.Do(t, "admin", "GET", freshURL, nil).Want(t, 200).Body)
		if rows, _ := f.GetRows(sh); len(rows) != len(xdeals)+1 {
			t.Errorf("the live export has %d rows", len(rows))
		}
		// A week later the rows go too.
		e.Advance(8 * 24 * time.Hour)
		e.Svc.Jobs.Purge(context.Background())
		if n, _ := countExports(t, s); n != 0 {
			t.Errorf("%d exports left a week after expiry", n)
		}
	})
}

var _ = apitest.Label

// A widget's table as a PDF: the title, the localized headers, every
// stage label and count, read back with pdftotext.
func TestWidgetExportPDF(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := exportSetup(t, s)
		e.Do(t, "admin", "POST", "/api/apps/crm/dashboards", salesDashboard()).Want(t, 201)
		for _, locale := range []string{"en", "zh-CN"} {
			r := e.Do(t, "admin", "GET", widgetURL("by_stage", "format=pdf"), nil, "Accept-Language", locale).Want(t, 200)
			if ct := r.Header.Get("Content-Type"); ct != "application/pdf" {
				t.Fatalf("Content-Type %q", ct)
			}
			text := pdftest.Compact(pdftest.Text(t, r.Body))
			counts := map[string]int{}
			for _, d := range dealsFor("admin", "") {
				counts[d.stage]++
			}
			want := []string{lbl("Deals by stage", "按阶段")[locale], map[string]string{"en": "Sum of Amount", "zh-CN": "金额（合计）"}[locale]}
			for st, n := range counts {
				want = append(want, stageLabels[st][locale], fmt.Sprint(n))
			}
			for _, w := range want {
				if !strings.Contains(text, pdftest.Compact(w)) {
					t.Errorf("%s: %q not in the PDF text %q", locale, w, text)
				}
			}
		}
	})
}
