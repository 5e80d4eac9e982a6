package printapi_test

// Print templates through the real HTTP stack on both dialects: a Chinese
// quote with line items rendered to PDF and read back with pdftotext,
// CRUD with validation and optimistic concurrency, who may do what, and a
// template left behind by a deleted field.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/pdf/pdftest"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// terms is long Chinese text (with Latin and digits) that wraps over many
// lines of the page; product names wrap inside their table cells.
const terms = "本报价单所列产品均为原厂正品，含税价格以人民币计算（税率13%）。交货期为合同签订后30个工作日内，" +
	"由供应商负责运输至客户指定地点，运输保险费用已包含在报价中。付款方式：预付30%，货到验收合格后支付65%，" +
	"余款5%作为质保金于质保期满后一次付清。质保期为验收合格之日起十二个月，质保期内非人为损坏免费维修或更换。" +
	"Model TX-9000 with firmware v2.3.1 is covered; 报价有效期为自报价之日起三十天，逾期需重新确认。"

func schema(t *testing.T, props string) map[string]any {
	t.Helper()
	var s map[string]any
	if err := json.Unmarshal([]byte(`{"properties":{`+props+`}}`), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

const quoteProps = `"number":{"x-field":{"type":"text","label":{"en":"Quote no.","zh-CN":"报价单号"}}},
	"customer":{"x-field":{"type":"lookup","module":"customer"}},
	"contact":{"x-field":{"type":"textarea"}},
	"total":{"x-field":{"type":"currency"}},
	"cost":{"x-field":{"type":"currency"}},
	"remark":{"x-field":{"type":"text"}}`

// setup: customer, quote and quote_line (quote → quote_line through the
// lookup quote_line.quote). Role rep reads and writes its own quotes and
// lines (cost hidden), and every customer; nobody has no role.
func setup(t *testing.T, s *store.Store) *apitest.Env {
	e := apitest.New(t, s, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "sales", "label": apitest.Label("Sales")}).Want(t, 201)
	mod := func(key, props string) {
		e.Do(t, "admin", "POST", "/api/apps/sales/modules", map[string]any{"key": key, "label": apitest.Label(key), "schema": schema(t, props)}).Want(t, 201)
	}
	mod("customer", `"name":{"x-field":{"type":"text"}}`)
	mod("quote", quoteProps)
	mod("quote_line", `"quote":{"x-field":{"type":"lookup","module":"quote"}},
		"product":{"x-field":{"type":"text","label":{"en":"Item","zh-CN":"品名"}}},
		"qty":{"x-field":{"type":"integer"}},
		"price":{"x-field":{"type":"currency"}},
		"amount":{"x-field":{"type":"currency"}}`)
	own := map[string]string{"read": "own", "update": "own"}
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "rep", "label": apitest.Label("Rep"), "permissions": []any{
		map[string]any{"app": "sales", "module": "quote", "actions": []string{"create", "read", "update"}, "scope": own, "fields": map[string]string{"cost": "hidden"}},
		map[string]any{"app": "sales", "module": "quote_line", "actions": []string{"create", "read", "update"}, "scope": own},
		map[string]any{"app": "sales", "module": "customer", "actions": []string{"read"}, "scope": map[string]string{"read": "all"}},
	}}).Want(t, 201)
	e.User(t, "rep", access.NewUser{})
	e.User(t, "nobody", access.NewUser{})
	e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs["rep"], map[string]any{"roles": []string{"rep"}}).Want(t, 200)
	return e
}

// logo is a small PNG as a data: URL.
func logo(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for x := range 40 {
		for y := range 20 {
			img.Set(x, y, color.RGBA{R: uint8(x * 6), G: 80, B: 160, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())
}

func template(t *testing.T) map[string]any {
	return map[string]any{"key": "quote", "module": "quote", "label": map[string]string{"en": "Quote", "zh-CN": "报价单"}, "page": "A4",
		"layout": map[string]any{"title": "报价单 {{number}}", "logo": logo(t), "footer": "深圳市星辰科技有限公司 {{number}}",
			"blocks": []any{
				map[string]any{"type": "fields", "title": "客户信息", "fields": []string{"number", "customer", "cost", "owner"}},
				// One pair a row: pdftotext reads side-by-side cells line by
				// line, interleaving a wrapped value with its neighbour's.
				map[string]any{"type": "fields", "fields": []string{"contact"}, "per_row": 1},
				map[string]any{"type": "table", "title": "报价明细", "module": "quote_line", "via": "quote",
					"columns": []string{"product", "qty", "price", "amount"}, "sum": []string{"amount"}},
				map[string]any{"type": "totals", "fields": []string{"total"}},
				map[string]any{"type": "amount_in_words", "field": "total", "label": "合计金额（大写）"},
				map[string]any{"type": "text", "title": "条款", "text": "尊敬的{{customer}}：" + terms + "（成本 {{cost}}）"},
				map[string]any{"type": "fields", "fields": []string{"remark"}, "per_row": 1},
				map[string]any{"type": "signature", "labels": []string{"客户签字盖章", "日期"}},
			}}}
}

type line struct {
	product string
	qty     int
	price   string
}

// amount is qty × price exactly, with two decimals.
func (l line) amount() *big.Rat {
	p, _ := new(big.Rat).SetString(l.price)
	return p.Mul(p, big.NewRat(int64(l.qty), 1))
}

// grouped shows a two-decimal amount with thousands separators, written
// out independently of engine/printtpl.Decimal.
func grouped(r *big.Rat) string {
	s := r.FloatString(2)
	ip, fp, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i := range ip {
		if i > 0 && (len(ip)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(ip[i])
	}
	return b.String() + "." + fp
}

func TestPrintQuote(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		cust := e.Do(t, "admin", "POST", "/api/apps/sales/modules/customer/records", map[string]any{"name": "上海云帆国际贸易有限公司"}).Want(t, 201).Str("id")
		lines := []line{
			{"高强度不锈钢紧固件组合套装（含304材质六角螺栓、螺母、平垫圈及弹簧垫圈，适用于户外钢结构长期使用）", 3, "1409.50"},
			{"工业级智能温湿度监测终端 Model TX-9000，支持RS485与LoRa无线双模通信及远程固件升级", 2, "6007.14"},
			{"现场安装调试服务费", 1, "325.04"},
		}
		total := new(big.Rat)
		for _, l := range lines {
			total.Add(total, l.amount())
		}
		// 4228.50 + 12014.28 + 325.04 = 16567.82, in capitals by hand:
		const words = "壹万陆仟伍佰陆拾柒元捌角贰分"
		if got := total.FloatString(2); got != "16567.82" {
			t.Fatalf("test arithmetic: total %s", got)
		}
		contact := "王小明，采购部经理，电话 021-5555-0101，地址：上海市浦东新区张江高科技园区碧波路690号3号楼5层"
		q := e.Do(t, "rep", "POST", "/api/apps/sales/modules/quote/records", map[string]any{
			"number": "Q-2026-0042", "customer": cust, "contact": contact,
			"total": json.Number(total.FloatString(2)), "remark": "请于三日内确认"}).Want(t, 201)
		qid := q.Str("id")
		// cost is hidden from the rep, so the admin sets it.
		e.Do(t, "admin", "PATCH", "/api/apps/sales/modules/quote/records/"+qid, map[string]any{"cost": json.Number("98765.43"), "version": q.Num("version")}).Want(t, 200)
		for _, l := range lines {
			e.Do(t, "rep", "POST", "/api/apps/sales/modules/quote_line/records", map[string]any{
				"quote": qid, "product": l.product, "qty": l.qty, "price": json.Number(l.price), "amount": json.Number(l.amount().FloatString(2))}).Want(t, 201)
		}
		// A line the rep may not read (scope own): printed for the admin only.
		e.Do(t, "admin", "POST", "/api/apps/sales/modules/quote_line/records", map[string]any{
			"quote": qid, "product": "管理员追加的保密备件", "qty": 1, "price": 1, "amount": 1}).Want(t, 201)

		e.Do(t, "admin", "POST", "/api/apps/sales/print-templates", template(t)).Want(t, 201)

		path := "/api/apps/sales/modules/quote/records/" + qid + "/print/quote"
		r := e.Do(t, "rep", "GET", path, nil, "Accept-Language", "zh-CN").Want(t, 200)
		pdftest.Dump(t, "quote-"+s.D.Name()+".pdf", r.Body)
		text := pdftest.Text(t, r.Body)
		all := pdftest.Compact(text)
		want := []string{
			"报价单Q-2026-0042",         // title with its placeholder
			"上海云帆国际贸易有限公司",           // lookup shown by title
			pdftest.Compact(contact), // a long value wrapping in its grid cell
			"尊敬的上海云帆国际贸易有限公司：" + pdftest.Compact(terms), // long text wrapping over lines
			"请于三日内确认",
			grouped(total), // totals and the table sum
			words + "（¥" + grouped(total) + "）",
			"客户签字盖章",
			"深圳市星辰科技有限公司Q-2026-0042",
			"rep", // owner shown by name
		}
		for _, l := range lines {
			want = append(want, pdftest.Compact(l.product), grouped(l.amount()), fmt.Sprint(l.qty))
			p, _ := new(big.Rat).SetString(l.price)
			want = append(want, grouped(p))
		}
		for _, w := range want {
			if !strings.Contains(all, w) {
				t.Errorf("the PDF text lacks %q:\n%s", w, text)
			}
		}
		// Hidden from the rep: cost (field block and placeholder), and the
		// admin's line (out of their read scope).
		for _, no := range []string{"98,765.43", "98765.43", "管理员追加的保密备件"} {
			if strings.Contains(all, no) {
				t.Errorf("the rep's PDF shows %q", no)
			}
		}
		pages := pdftest.Pages(text)
		for i, p := range pages {
			// On one line, as written: the page count takes its own width
			// (not that of fpdf's "{nb}" alias), so nothing stands apart.
			if w := fmt.Sprintf("第 %d 页，共 %d 页", i+1, len(pages)); !strings.Contains(p, w) {
				t.Errorf("page %d lacks %q", i+1, w)
			}
		}

		// The admin sees the cost and the extra line; the sum includes it.
		r = e.Do(t, "admin", "GET", path, nil, "Accept-Language", "zh-CN").Want(t, 200)
		if ct := r.Status; ct != 200 {
			t.Fatal(ct)
		}
		all = pdftest.Compact(pdftest.Text(t, r.Body))
		withExtra := new(big.Rat).Add(total, big.NewRat(1, 1))
		for _, w := range []string{"98,765.43", "管理员追加的保密备件", grouped(withExtra)} {
			if !strings.Contains(all, w) {
				t.Errorf("the admin's PDF lacks %q", w)
			}
		}

		// Another user's record is not found; a module they may not read is refused.
		other := e.Do(t, "admin", "POST", "/api/apps/sales/modules/quote/records", map[string]any{"number": "Q-X"}).Want(t, 201).Str("id")
		e.Do(t, "rep", "GET", "/api/apps/sales/modules/quote/records/"+other+"/print/quote", nil).Want(t, 404)
		e.Do(t, "nobody", "GET", path, nil).Want(t, 403)
		// The template prints only its own module's records.
		e.Do(t, "admin", "GET", "/api/apps/sales/modules/customer/records/"+cust+"/print/quote", nil).Want(t, 404)
		e.Do(t, "admin", "GET", "/api/apps/sales/modules/quote/records/"+qid+"/print/nosuch", nil).Want(t, 404)
	})
}

// problem finds the field error at field in a problem document (or in a
// template's "problems") and returns its code and message.
func problem(r *apitest.Response, list, field string) (code, msg string, ok bool) {
	for _, p := range r.List(list) {
		p := p.(map[string]any)
		if p["field"] == field {
			return p["code"].(string), p["message"].(string), true
		}
	}
	return "", "", false
}

func TestPrintTemplateCRUD(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		base := "/api/apps/sales/print-templates"
		tpl := template(t)

		// Only administrators write.
		e.Do(t, "rep", "POST", base, tpl).Want(t, 403)
		r := e.Do(t, "admin", "POST", base, tpl).Want(t, 201)
		if r.Num("version") != 1 || r.Str("key") != "quote" || len(r.List("problems")) != 0 {
			t.Fatalf("created: %s", r.Body)
		}
		e.Do(t, "admin", "POST", base, tpl).Want(t, 409)

		// Readers of the module list and read it; others do not see it.
		if l := e.Do(t, "rep", "GET", base, nil).Want(t, 200).List("print_templates"); len(l) != 1 {
			t.Fatalf("rep lists %d templates", len(l))
		}
		if l := e.Do(t, "nobody", "GET", base, nil).Want(t, 200).List("print_templates"); len(l) != 0 {
			t.Fatalf("nobody lists %d templates", len(l))
		}
		e.Do(t, "rep", "GET", base+"/quote", nil).Want(t, 200).Contains(t, `"module":"quote"`, `"title":"报价单 {{number}}"`)
		e.Do(t, "nobody", "GET", base+"/quote", nil).Want(t, 404)
		e.Do(t, "admin", "GET", "/api/apps/nosuch/print-templates", nil).Want(t, 404)

		// Optimistic concurrency: a stale version is refused, the current one
		// replaces; the key is fixed.
		tpl["label"] = apitest.Label("Quotation")
		e.Do(t, "admin", "PUT", base+"/quote", tpl, "Accept-Language", "zh-CN").Want(t, 422).Contains(t, `"field":"version"`, "版本号")
		tpl["version"] = 1
		r = e.Do(t, "admin", "PUT", base+"/quote", tpl).Want(t, 200)
		if r.Num("version") != 2 || r.Str("label.en") != "Quotation" {
			t.Fatalf("replaced: %s", r.Body)
		}
		e.Do(t, "admin", "PUT", base+"/quote", tpl, "Accept-Language", "zh-CN").Want(t, 409).Contains(t, "已被他人修改")
		e.Do(t, "rep", "PUT", base+"/quote", tpl).Want(t, 403)
		tpl["version"] = 2
		tpl["key"] = "other"
		e.Do(t, "admin", "PUT", base+"/quote", tpl).Want(t, 422).Contains(t, `"field":"key"`)
		tpl["key"] = "quote"

		// Bad input: each names its place with a localized message, and
		// nothing is stored.
		block := func(b map[string]any) map[string]any {
			return map[string]any{"key": "bad", "module": "quote", "label": apitest.Label("Bad"),
				"layout": map[string]any{"title": "x", "blocks": []any{b}}}
		}
		tooBig := "data:image/png;base64," + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0}, 300<<10))
		for _, c := range []struct {
			name        string
			body        map[string]any
			field, code string
			zh          string // in the zh-CN message
		}{
			{"unknown module", map[string]any{"key": "bad", "module": "nosuch", "label": apitest.Label("Bad"), "layout": map[string]any{"title": "x"}},
				"module", "unknown_module", "没有模块“nosuch”"},
			{"unknown field", block(map[string]any{"type": "fields", "fields": []string{"number", "nosuch"}}),
				"layout.blocks.0.fields.1", "unknown_field", "没有字段“nosuch”"},
			{"unknown placeholder", block(map[string]any{"type": "text", "text": "见 {{nosuch}}"}),
				"layout.blocks.0.text", "unknown_field", "没有字段“nosuch”"},
			{"unknown child module", block(map[string]any{"type": "table", "module": "nosuch", "via": "quote", "columns": []string{"product"}}),
				"layout.blocks.0.module", "unknown_module", "没有模块“nosuch”"},
			{"via not a lookup to the module", block(map[string]any{"type": "table", "module": "quote_line", "via": "product", "columns": []string{"product"}}),
				"layout.blocks.0.via", "bad_via", "“product”不是模块“quote_line”中指向“quote”的关联字段"},
			{"unknown column", block(map[string]any{"type": "table", "module": "quote_line", "via": "quote", "columns": []string{"colour"}}),
				"layout.blocks.0.columns.0", "unknown_field", "没有字段“colour”"},
			{"sum of a text column", block(map[string]any{"type": "table", "module": "quote_line", "via": "quote", "columns": []string{"product"}, "sum": []string{"product"}}),
				"layout.blocks.0.sum.0", "not_numeric", "不是数值字段"},
			{"amount of a text field", block(map[string]any{"type": "amount_in_words", "field": "number"}),
				"layout.blocks.0.field", "not_numeric", "不是数值字段"},
			{"bad block type", block(map[string]any{"type": "chart"}),
				"layout.blocks.0.type", "bad_block", "区块类型“chart”无效"},
			{"bad page size", map[string]any{"key": "bad", "module": "quote", "label": apitest.Label("Bad"), "page": "B7", "layout": map[string]any{"title": "x"}},
				"page", "bad_page", "页面尺寸“B7”无效"},
			{"logo not an image", map[string]any{"key": "bad", "module": "quote", "label": apitest.Label("Bad"),
				"layout": map[string]any{"title": "x", "logo": "data:image/png;base64," + base64.StdEncoding.EncodeToString([]byte("not a png"))}},
				"layout.logo", "bad_logo", "PNG 或 JPEG"},
			{"logo too large", map[string]any{"key": "bad", "module": "quote", "label": apitest.Label("Bad"),
				"layout": map[string]any{"title": "x", "logo": tooBig}},
				"layout.logo", "bad_logo", "超过 256 KB"},
			{"bad key", map[string]any{"key": "Bad Key", "module": "quote", "label": apitest.Label("Bad"), "layout": map[string]any{"title": "x"}},
				"key", "bad_key", "模板标识"},
		} {
			r := e.Do(t, "admin", "POST", base, c.body, "Accept-Language", "zh-CN").Want(t, 422)
			code, msg, ok := problem(r, "errors", c.field)
			if !ok || code != c.code || !strings.Contains(msg, c.zh) {
				t.Errorf("%s: want %s %s %q: %s", c.name, c.field, c.code, c.zh, r.Body)
			}
		}
		e.Do(t, "admin", "GET", base+"/bad", nil).Want(t, 404)
		// Unknown members are refused too (a misspelt block member would
		// otherwise be dropped silently).
		e.Do(t, "admin", "POST", base, map[string]any{"key": "bad", "module": "quote", "label": apitest.Label("Bad"), "layuot": map[string]any{}}).Want(t, 400)

		// Delete: administrators only.
		e.Do(t, "rep", "DELETE", base+"/quote", nil).Want(t, 403)
		e.Do(t, "admin", "DELETE", base+"/quote", nil).Want(t, 204)
		e.Do(t, "admin", "GET", base+"/quote", nil).Want(t, 404)
		e.Do(t, "admin", "DELETE", base+"/quote", nil).Want(t, 404)
	})
}

// A field deleted after the template was saved: the template stays, is
// listed with the problem, and rendering it is a 422 naming the field.
func TestPrintTemplateDeletedField(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		e.Do(t, "admin", "POST", "/api/apps/sales/print-templates", template(t)).Want(t, 201)
		qid := e.Do(t, "rep", "POST", "/api/apps/sales/modules/quote/records", map[string]any{"number": "Q-1"}).Want(t, 201).Str("id")
		path := "/api/apps/sales/modules/quote/records/" + qid + "/print/quote"
		e.Do(t, "rep", "GET", path, nil).Want(t, 200)

		mod := e.Do(t, "admin", "GET", "/api/apps/sales/modules/quote", nil).Want(t, 200)
		without := strings.Replace(quoteProps, `,
	"remark":{"x-field":{"type":"text"}}`, "", 1)
		if without == quoteProps {
			t.Fatal("test: remark not removed from the schema")
		}
		e.Do(t, "admin", "PUT", "/api/apps/sales/modules/quote", map[string]any{"label": apitest.Label("quote"),
			"schema": schema(t, without), "version": mod.Num("version")}).Want(t, 200)

		// remark is in the seventh block (index 6) of template().
		const at = "layout.blocks.6.fields.0"
		r := e.Do(t, "rep", "GET", "/api/apps/sales/print-templates", nil, "Accept-Language", "zh-CN").Want(t, 200)
		code, msg, ok := problem(r, "print_templates.0.problems", at)
		if !ok || code != "unknown_field" || !strings.Contains(msg, "remark") {
			t.Fatalf("listing lacks the problem at %s: %s", at, r.Body)
		}
		if n := len(r.List("print_templates.0.problems")); n != 1 {
			t.Errorf("%d problems, want 1: %s", n, r.Body)
		}
		e.Do(t, "admin", "GET", "/api/apps/sales/print-templates/quote", nil).Want(t, 200).Contains(t, `"field":"`+at+`"`, `"remark"`)

		for _, lang := range []string{"en", "zh-CN"} {
			r = e.Do(t, "rep", "GET", path, nil, "Accept-Language", lang).Want(t, 422)
			detail := r.Str("detail")
			if !strings.Contains(detail, "remark") || !strings.Contains(detail, "quote") {
				t.Errorf("%s: detail %q does not name the field", lang, detail)
			}
			if lang == "zh-CN" && !strings.Contains(detail, "需修正后才能使用") {
				t.Errorf("detail %q is not Chinese", detail)
			}
			if _, _, ok := problem(r, "errors", at); !ok {
				t.Errorf("%s: errors lack %s: %s", lang, at, r.Body)
			}
		}

		// Fixed (the block removed), it renders again.
		tpl := template(t)
		l := tpl["layout"].(map[string]any)
		b := l["blocks"].([]any)
		l["blocks"] = append(b[:6:6], b[7:]...)
		tpl["version"] = e.Do(t, "admin", "GET", "/api/apps/sales/print-templates/quote", nil).Want(t, 200).Num("version")
		e.Do(t, "admin", "PUT", "/api/apps/sales/print-templates/quote", tpl).Want(t, 200)
		if n := len(e.Do(t, "admin", "GET", "/api/apps/sales/print-templates/quote", nil).Want(t, 200).List("problems")); n != 0 {
			t.Errorf("%d problems after the fix", n)
		}
		r = e.Do(t, "rep", "GET", path, nil).Want(t, 200)
		if !strings.Contains(pdftest.Compact(pdftest.Text(t, r.Body)), "报价单Q-1") {
			t.Error("the fixed template does not render the title")
		}
	})
}

// Without the CJK font the render fails with a message saying which file
// is missing and how to provide it, not with a broken document.
func TestPrintWithoutFont(t *testing.T) {
	t.Parallel()
	s := storetest.SQLite(t)
	e := setup(t, s)
	e.Svc.Prints.FontPath = "/nonexistent/cjk.ttf"
	e.Do(t, "admin", "POST", "/api/apps/sales/print-templates", template(t)).Want(t, 201)
	qid := e.Do(t, "admin", "POST", "/api/apps/sales/modules/quote/records", map[string]any{"number": "Q-1"}).Want(t, 201).Str("id")
	r := e.Do(t, "admin", "GET", "/api/apps/sales/modules/quote/records/"+qid+"/print/quote", nil, "Accept-Language", "zh-CN").Want(t, 500)
	if d := r.Str("detail"); !strings.Contains(d, "/nonexistent/cjk.ttf") || !strings.Contains(d, "TESSERA_CJK_FONT") || !strings.Contains(d, "中文字体") {
		t.Errorf("detail %q", d)
	}
}

// The table follows the reader's rights on the child module: none without
// read on it, none when its lookup back to the record is hidden; the rest
// of the document still prints.
func TestPrintChildRights(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		all := map[string]string{"read": "all"}
		e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "head", "label": apitest.Label("Head"), "permissions": []any{
			map[string]any{"app": "sales", "module": "quote", "actions": []string{"read"}, "scope": all},
		}}).Want(t, 201)
		e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "clerk", "label": apitest.Label("Clerk"), "permissions": []any{
			map[string]any{"app": "sales", "module": "quote", "actions": []string{"read"}, "scope": all},
			map[string]any{"app": "sales", "module": "quote_line", "actions": []string{"read"}, "scope": all, "fields": map[string]string{"quote": "hidden"}},
		}}).Want(t, 201)
		e.User(t, "head", access.NewUser{})
		e.User(t, "clerk", access.NewUser{})
		e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs["head"], map[string]any{"roles": []string{"head"}}).Want(t, 200)
		e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs["clerk"], map[string]any{"roles": []string{"clerk"}}).Want(t, 200)
		e.Do(t, "admin", "POST", "/api/apps/sales/print-templates", template(t)).Want(t, 201)
		qid := e.Do(t, "admin", "POST", "/api/apps/sales/modules/quote/records", map[string]any{"number": "Q-7", "remark": "备注七"}).Want(t, 201).Str("id")
		e.Do(t, "admin", "POST", "/api/apps/sales/modules/quote_line/records", map[string]any{"quote": qid, "product": "保密产品甲", "qty": 1, "price": 5, "amount": 5}).Want(t, 201)
		path := "/api/apps/sales/modules/quote/records/" + qid + "/print/quote"
		if all := pdftest.Compact(pdftest.Text(t, e.Do(t, "admin", "GET", path, nil).Want(t, 200).Body)); !strings.Contains(all, "保密产品甲") {
			t.Fatal("the admin's PDF lacks the line")
		}
		for _, who := range []string{"head", "clerk"} {
			all := pdftest.Compact(pdftest.Text(t, e.Do(t, who, "GET", path, nil).Want(t, 200).Body))
			if strings.Contains(all, "保密产品甲") || strings.Contains(all, "报价明细") {
				t.Errorf("%s's PDF prints the table: %s", who, all)
			}
			if !strings.Contains(all, "报价单Q-7") || !strings.Contains(all, "备注七") {
				t.Errorf("%s's PDF lacks the rest of the document: %s", who, all)
			}
		}
	})
}

// A quote with many lines spans pages: every page repeats the title and
// the table's header row, numbers itself, and no line is lost at a break.
func TestPrintManyPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		e.Do(t, "admin", "POST", "/api/apps/sales/print-templates", template(t)).Want(t, 201)
		qid := e.Do(t, "admin", "POST", "/api/apps/sales/modules/quote/records", map[string]any{"number": "Q-99"}).Want(t, 201).Str("id")
		const n = 70
		sum := new(big.Rat)
		for i := range n {
			price := big.NewRat(int64(1000*(i+1)+37), 100) // 10.37, 20.37, …
			sum.Add(sum, price)
			e.Do(t, "admin", "POST", "/api/apps/sales/modules/quote_line/records", map[string]any{"quote": qid,
				"product": fmt.Sprintf("产品%03d 高强度不锈钢紧固件组合套装（户外型）", i+1), "qty": 1,
				"price": json.Number(price.FloatString(2)), "amount": json.Number(price.FloatString(2))}).Want(t, 201)
		}
		r := e.Do(t, "admin", "GET", "/api/apps/sales/modules/quote/records/"+qid+"/print/quote", nil, "Accept-Language", "zh-CN").Want(t, 200)
		text := pdftest.Text(t, r.Body)
		pages := pdftest.Pages(text)
		if len(pages) < 2 {
			t.Fatalf("%d pages, want the table to span several", len(pages))
		}
		for i, p := range pages {
			c := pdftest.Compact(p)
			if !strings.Contains(p, fmt.Sprintf("第 %d 页，共 %d 页", i+1, len(pages))) {
				t.Errorf("page %d lacks its number", i+1)
			}
			if !strings.Contains(c, "报价单Q-99") {
				t.Errorf("page %d lacks the title", i+1)
			}
			if strings.Contains(c, "产品") && !strings.Contains(c, "品名") {
				t.Errorf("page %d has rows but not the header row", i+1)
			}
		}
		all := pdftest.Compact(text)
		for i := range n {
			if w := fmt.Sprintf("产品%03d高强度不锈钢紧固件组合套装（户外型）", i+1); !strings.Contains(all, w) {
				t.Errorf("line %d missing", i+1)
			}
		}
		if !strings.Contains(all, grouped(sum)) {
			t.Errorf("the sum %s is missing", grouped(sum))
		}
	})
}
