package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/pdf/pdftest"
)

// long is Chinese text with Latin words, digits and punctuation that
// wraps over many lines.
const long = "本报价单所列产品均为原厂正品，含税价格以人民币计算（税率13%）。交货期为合同签订后30个工作日内，" +
	"由供应商负责运输至客户指定地点，运输保险费用已包含在报价中。付款方式：预付30%，货到验收合格后支付65%，" +
	"余款5%作为质保金于质保期满后一次付清。质保期为验收合格之日起十二个月，质保期内非人为损坏免费维修或更换。" +
	"Model TX-9000 with firmware v2.3.1 is covered; 报价有效期为自报价之日起三十天，逾期需重新确认。"

func newDoc(t *testing.T) *Doc {
	t.Helper()
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// randomText mixes CJK, Latin words, spaces and punctuation.
func randomText(r *rand.Rand, n int) string {
	parts := []string{"报", "价", "单", "，", "。", "（", "）", "“", "”", "Model", " ", "TX-9000", "v2.3", "、", "%", "12,000.00", "Ünïcödé", "《合同》", "：", "a", "  "}
	var b strings.Builder
	for range n {
		b.WriteString(parts[r.Intn(len(parts))])
	}
	return b.String()
}

func TestTokensKeepEveryRune(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := range 500 {
		s := randomText(r, 1+i%60)
		if got := strings.Join(tokens(s), ""); got != s {
			t.Fatalf("tokens of %q join to %q", s, got)
		}
	}
	if got := tokens("价格，含税（13%）。"); !equal(got, []string{"价", "格，", "含", "税", "（13%）。"}) {
		t.Errorf("punctuation stays with its rune: %q", got)
	}
}

func equal(a, b []string) bool { return strings.Join(a, "|") == strings.Join(b, "|") }

func TestWrapLosesNothing(t *testing.T) {
	d := newDoc(t)
	r := rand.New(rand.NewSource(2))
	texts := []string{long, strings.Repeat("测", 300), strings.Repeat("x", 400), ""}
	for range 200 {
		texts = append(texts, randomText(r, 80))
	}
	for _, size := range []float64{SizeSmall, SizeBody, SizeTitle} {
		d.SetFont(size, false)
		for _, w := range []float64{15, 37.5, 80, d.Width()} {
			for _, s := range texts {
				lines := d.Wrap(s, w)
				if got, want := pdftest.Compact(strings.Join(lines, "")), pdftest.Compact(s); got != want {
					t.Fatalf("size %v width %v: %q wrapped to %q", size, w, s, lines)
				}
				for _, ln := range lines {
					if lw := d.TextWidth(ln); lw > w+0.001 && len([]rune(ln)) > 1 {
						t.Fatalf("size %v: line %q is %.2f mm wide, more than %.2f", size, ln, lw, w)
					}
				}
			}
		}
	}
	if n := len(d.Wrap(long, 60)); n < 5 {
		t.Errorf("the long text wraps to %d lines at 60 mm", n)
	}
}

// TestChineseDocument renders a paragraph that wraps over many lines and
// a table over several pages, and reads them back with pdftotext.
func TestChineseDocument(t *testing.T) {
	d, err := New(Options{Footer: "深圳市星辰科技有限公司 · Confidential", PageLabel: "第 {page} 页 / 共 {pages} 页",
		Header: func(d *Doc) { d.SetFont(SizeSmall, false); d.Paragraph("报价单 Quotation", "R") }})
	if err != nil {
		t.Fatal(err)
	}
	d.SetFont(SizeTitle, true)
	d.Paragraph("报价单 Q-2026-001", "C")
	d.SetFont(SizeBody, false)
	d.Grid([][2]string{{"客户名称", "上海云帆贸易有限公司"}, {"Contact", "Zoë Müller"}, {"备注", long}}, 2)
	d.Paragraph(long, "L")
	var rows [][]string
	for i := range 120 {
		rows = append(rows, []string{fmt.Sprint(i + 1), fmt.Sprintf("产品%03d 高强度不锈钢紧固件组合套装", i+1), "12,000.00"})
	}
	d.Table(Table{Columns: []Column{{Label: "序号"}, {Label: "品名 Item"}, {Label: "金额", Align: "R"}}, Rows: rows,
		Foot: [][]string{{"", "合计", "1,440,000.00"}}})
	d.Signature([]string{"客户签字", "日期"})
	var buf bytes.Buffer
	if err := d.Output(&buf); err != nil {
		t.Fatal(err)
	}
	pdftest.Dump(t, "document.pdf", buf.Bytes())
	text := pdftest.Text(t, buf.Bytes())
	all := pdftest.Compact(text)
	for _, want := range []string{"报价单Q-2026-001", "上海云帆贸易有限公司", "ZoëMüller", pdftest.Compact(long), "合计", "1,440,000.00", "客户签字"} {
		if !strings.Contains(all, want) {
			t.Errorf("the text lacks %q:\n%s", want, text)
		}
	}
	pages := pdftest.Pages(text)
	if len(pages) < 3 {
		t.Fatalf("%d pages, want the table to span several", len(pages))
	}
	for i, p := range pages {
		c := pdftest.Compact(p)
		if want := fmt.Sprintf("第%d页/共%d页", i+1, len(pages)); !strings.Contains(c, want) {
			t.Errorf("page %d lacks %q", i+1, want)
		}
		if !strings.Contains(c, "深圳市星辰科技有限公司") || !strings.Contains(c, "报价单Quotation") {
			t.Errorf("page %d lacks the header or the footer", i+1)
		}
		if i > 0 && !strings.Contains(c, "品名Item") && strings.Contains(c, "产品") {
			t.Errorf("page %d has rows but not the header row", i+1)
		}
	}
	for i := range rows {
		if want := fmt.Sprintf("产品%03d高强度不锈钢紧固件组合套装", i+1); !strings.Contains(all, want) {
			t.Errorf("row %d missing", i+1)
		}
	}
}

func TestWriteTable(t *testing.T) {
	var rows [][]string
	for i := range 80 {
		rows = append(rows, []string{fmt.Sprintf("客户%02d", i), "广东省深圳市南山区科技园", fmt.Sprint(i * 100)})
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, "客户列表", []Column{{Label: "名称"}, {Label: "地址"}, {Label: "Amount", Align: "R"}}, rows, Options{}); err != nil {
		t.Fatal(err)
	}
	pages := pdftest.Pages(pdftest.Text(t, buf.Bytes()))
	if len(pages) < 2 {
		t.Fatalf("%d pages", len(pages))
	}
	for i, p := range pages {
		c := pdftest.Compact(p)
		for _, h := range []string{"名称", "地址", "Amount"} {
			if !strings.Contains(c, h) {
				t.Errorf("page %d lacks header %q: %s", i+1, h, p)
			}
		}
		if !strings.Contains(c, fmt.Sprintf("%d/%d", i+1, len(pages))) {
			t.Errorf("page %d lacks its number", i+1)
		}
	}
	if !strings.Contains(pdftest.Compact(strings.Join(pages, "")), "客户79广东省深圳市南山区科技园") {
		t.Error("last row missing")
	}
}

func TestMissingFont(t *testing.T) {
	_, err := New(Options{FontPath: "/nonexistent/font.ttf"})
	var e *errs.Error
	if !errors.As(err, &e) || e.Msg.Key != "pdf.font_missing" {
		t.Fatalf("err %v", err)
	}
	if msg := i18n.T(i18n.ZhCN, e.Msg); !strings.Contains(msg, "/nonexistent/font.ttf") || !strings.Contains(msg, EnvFont) {
		t.Errorf("message %q", msg)
	}
	if _, err := New(Options{FontPath: "pdf_test.go"}); err == nil {
		t.Error("a Go file taken for a font")
	}
	if _, err := New(Options{Page: "B7"}); err == nil {
		t.Error("page size B7 accepted")
	}
}
