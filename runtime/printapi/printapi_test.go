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

const quoteProps = `"number":{"x-field":{"type":"text"}},
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
		"product":{"x-field":{"type":"text"}},
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
			"报价单Q-2026-0042",                    // title with its placeholder
			"上海云帆国际贸易有限公司",                     // lookup shown by title
			pdftest.Compact(contact),             // a long value wrapping in its grid cell
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
			if w := fmt.Sprintf("第%d页，共%d页", i+1, len(pages)); !strings.Contains(pdftest.Compact(p), w) {
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
