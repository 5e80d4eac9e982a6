package importapi_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

// minimal parts of a workbook with one sheet, for hand-made xlsx files.
var workbookParts = map[string]string{
	"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
	"_rels/.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
	"xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
	"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
}

// rawXLSX is a workbook whose sheet1.xml sheet writes; raw, when given,
// adds an entry with a made-up header (a zip bomb's).
func rawXLSX(t *testing.T, sheet func(w io.Writer), raw ...func(zw *zip.Writer)) []byte {
	t.Helper()
	return rawXLSXTail(t, sheet, "", raw...)
}

// rawXLSXTail is rawXLSX with tail after the sheet's data (merged cells).
func rawXLSXTail(t *testing.T, sheet func(w io.Writer), tail string, raw ...func(zw *zip.Writer)) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range workbookParts {
		w, _ := zw.Create(name)
		io.WriteString(w, body)
	}
	if sheet != nil {
		w, _ := zw.Create("xl/worksheets/sheet1.xml")
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
		sheet(w)
		io.WriteString(w, `</sheetData>`+tail+`</worksheet>`)
	}
	for _, fn := range raw {
		fn(zw)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// deflated is n zero bytes, deflated.
func deflated(n int) []byte {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	zeros := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(zeros))
		fw.Write(zeros[:k])
		n -= k
	}
	fw.Close()
	return buf.Bytes()
}

func TestImportBadFiles(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		header := `<row r="1"><c r="A1" t="inlineStr"><is><t>名称</t></is></c></row>`
		cases := []struct {
			name     string
			filename string
			file     []byte
			status   int
			en, zh   string
		}{
			{"not an xlsx", "客户.xlsx", []byte("this is no workbook at all, just text"), 400, "is not an Excel workbook", "不是可读取的 Excel 工作簿"},
			{"a zip but no workbook", "x.xlsx", func() []byte {
				var buf bytes.Buffer
				zw := zip.NewWriter(&buf)
				w, _ := zw.Create("hello.txt")
				io.WriteString(w, "hello")
				zw.Close()
				return buf.Bytes()
			}(), 400, "is not an Excel workbook", "不是可读取的 Excel 工作簿"},
			{"zip bomb by its declared size", "bomb.xlsx", rawXLSX(t, func(w io.Writer) { io.WriteString(w, header) }, func(zw *zip.Writer) {
				w, _ := zw.CreateRaw(&zip.FileHeader{Name: "xl/styles.xml", Method: zip.Deflate, CompressedSize64: uint64(len(deflated(1 << 20))), UncompressedSize64: 1 << 40})
				w.Write(deflated(1 << 20))
			}), 400, "unpacks to more than 512 MB", "解压后超过 512 MB"},
			{"zip bomb lying about its size", "bomb.xlsx", rawXLSX(t, nil, func(zw *zip.Writer) {
				d := deflated(64 << 20)
				w, _ := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CompressedSize64: uint64(len(d)), UncompressedSize64: 1000})
				w.Write(d)
			}), 400, "not the sizes they claim", "与声明的大小不符"},
			{"xls", "old.xls", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1old"), 400, "Excel 97–2003", "Excel 97–2003"},
			{"xlsx named csv", "x.csv", rawXLSX(t, func(w io.Writer) { io.WriteString(w, header) }), 400, "holds a zip archive", "内容却是压缩包"},
			{"utf-16", "u.csv", []byte("\xFF\xFEa\x00,\x00b\x00"), 400, "UTF-16", "UTF-16"},
			{"neither utf-8 nor gb18030", "l.csv", []byte("name\ncaf\xFF\x80\n"), 400, "neither UTF-8 nor GBK/GB18030", "既不是 UTF-8 也不是 GBK/GB18030"},
			{"binary", "b.csv", []byte("name\n\x00\x01\x02"), 400, "is not a CSV text file", "不是 CSV 文本文件"},
			{"empty", "e.csv", nil, 400, "The file is empty", "文件是空的"},
			{"header only", "h.csv", []byte("名称,编号\n"), 400, "no rows below it", "没有数据行"},
			{"blank", "b.csv", []byte(" , \n,\n"), 400, "nothing in it", "没有可导入的内容"},
			{"10,000 columns", "wide.xlsx", func() []byte {
				row := make([]any, 10000)
				for i := range row {
					row[i] = fmt.Sprintf("列%d", i+1)
				}
				return xlsxOf(t, "Sheet1", [][]any{row, {"x"}})
			}(), 400, "more than 1000 columns", "超过 1000 列"},
			{"1,048,576 rows", "tall.xlsx", rawXLSX(t, func(w io.Writer) {
				io.WriteString(w, header)
				for r := 2; r <= 1048576; r++ {
					fmt.Fprintf(w, `<row r="%d"><c r="A%d"><v>%d</v></c></row>`, r, r, r)
				}
			}), 400, "more than 200000 rows", ""}, // in Chinese below (reading it takes seconds)
			{"over the size limit", "big.csv", bytes.Repeat([]byte("名称\n"), 21<<20/7), 413, "at most 20 MB", "不能超过 20 MB"},
		}
		for _, c := range cases {
			en := upload(t, e, "rep", "customer", c.filename, c.file, nil)
			zh := en
			if c.zh != "" {
				zh = upload(t, e, "rep", "customer", c.filename, c.file, nil, "Accept-Language", "zh-CN")
			}
			if en.Status != c.status || zh.Status != c.status {
				t.Errorf("%s: status %d / %d, want %d: %s", c.name, en.Status, zh.Status, c.status, en.Body)
				continue
			}
			if !strings.Contains(en.Str("detail"), c.en) || c.zh != "" && !strings.Contains(zh.Str("detail"), c.zh) {
				t.Errorf("%s: details %q / %q, want %q / %q", c.name, en.Str("detail"), zh.Str("detail"), c.en, c.zh)
			}
		}
		// A file over the server's 10 MB body limit but within the
		// import's is read (and refused here for its rows, not its size).
		r := upload(t, e, "rep", "customer", "many.csv", append([]byte("名称\n"), bytes.Repeat([]byte("甲\n"), 12<<20/4)...), nil, "Accept-Language", "zh-CN").Want(t, 400)
		r.Contains(t, "工作表超过 200000 行")
		// Requests without a file.
		upload(t, e, "rep", "customer", "", nil, map[string]string{"sheet": "x"}).Want(t, 400).Contains(t, `part named \"file\"`)
		e.Do(t, "rep", "POST", "/api/apps/crm/modules/customer/imports", map[string]any{"file": "x"}).Want(t, 400).Contains(t, "multipart")
		// A sheet or header row that is not there.
		good := xlsxOf(t, "Sheet1", [][]any{{"名称"}, {"甲"}})
		upload(t, e, "rep", "customer", "g.xlsx", good, map[string]string{"sheet": "Nope"}).Want(t, 400).Contains(t, `no worksheet \"Nope\"`, "Sheet1")
		upload(t, e, "rep", "customer", "g.xlsx", good, map[string]string{"header_row": "9"}).Want(t, 400).Contains(t, "Row 9 cannot be the header")
		upload(t, e, "rep", "customer", "g.xlsx", good, map[string]string{"header_row": "x"}).Want(t, 400)
		// A module that does not exist, one the user may not write.
		upload(t, e, "rep", "nope", "g.xlsx", good, nil).Want(t, 404)
		upload(t, e, "other", "customer", "g.xlsx", good, nil).Want(t, 403)
		upload(t, e, "rep", "account", "g.xlsx", good, nil).Want(t, 403)
		if n := count(t, s, "imports"); n != 0 {
			t.Errorf("bad uploads left %d imports", n)
		}
		if n := count(t, s, "import_chunks"); n != 0 {
			t.Errorf("bad uploads left %d chunks", n)
		}
		// The same header row a chosen sheet and row name works.
		upload(t, e, "rep", "customer", "g.xlsx", good, map[string]string{"sheet": "Sheet1", "header_row": "1"}).Want(t, 201)
	})
}

func TestImportBadRequests(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		id := upload(t, e, "rep", "customer", "c.csv", []byte("名称,编号,备注,Name\n甲,C1,n,x\n"), nil).Want(t, 201).Str("id")
		cases := []struct {
			body   map[string]any
			en, zh string
		}{
			{map[string]any{"mapping": map[string]any{"名称": "name", "nope": "code"}}, `column \"nope\", which the file does not have`, "映射中的列“nope”在文件中不存在"},
			{map[string]any{"mapping": map[string]any{"名称": "nope"}}, `there is no such field you can see`, "没有您可见的该字段"},
			{map[string]any{"mapping": map[string]any{"备注": "note"}}, `mapped to \"note\": there is no such field`, "没有您可见的该字段"},
			{map[string]any{"mapping": map[string]any{"名称": "name", "Name": "name"}}, `filled by two columns`, "被两列同时映射"},
			{map[string]any{"mapping": map[string]any{}}, `fills no field`, "请至少映射一列"},
			{map[string]any{"mapping": map[string]any{"名称": ""}}, `fills no field`, "请至少映射一列"},
			{map[string]any{"mapping": map[string]any{"名称": "name"}, "mode": "merge"}, `Mode \"merge\" is not one of`, "模式“merge”无效"},
			{map[string]any{"mapping": map[string]any{"名称": "name"}, "on_error": "ignore"}, `on_error \"ignore\"`, "on_error“ignore”无效"},
			{map[string]any{"mapping": map[string]any{"名称": "name"}, "mode": "upsert"}, `An upsert needs a key`, "需要指定关键字段"},
			{map[string]any{"mapping": map[string]any{"名称": "name"}, "mode": "upsert", "key": "name"}, `not a unique field`, "不是唯一字段"},
			{map[string]any{"mapping": map[string]any{"名称": "name"}, "mode": "upsert", "key": "code"}, `not filled by any column`, "没有被任何列映射"},
			{map[string]any{"mapping": map[string]any{"名称": "name"}, "key": "note"}, `not a field you can see`, "不是您可见的字段"},
			{map[string]any{"mapping": map[string]any{"名称": "name"}, "extra": 1}, "", ""},
			{map[string]any{"mapping": []string{"name"}}, "", ""},
		}
		for _, c := range cases {
			for _, path := range []string{"/dry-run", "/run"} {
				en := e.Do(t, "rep", "POST", "/api/imports/"+id+path, c.body).Want(t, 400)
				zh := e.Do(t, "rep", "POST", "/api/imports/"+id+path, c.body, "Accept-Language", "zh-CN").Want(t, 400)
				if c.en != "" {
					en.Contains(t, c.en)
					zh.Contains(t, c.zh)
				}
			}
		}
		// Nobody else sees the import, whatever they try.
		ok := map[string]any{"mapping": map[string]any{"名称": "name"}}
		for _, who := range []string{"other", "admin"} {
			e.Do(t, who, "GET", "/api/imports/"+id, nil).Want(t, 404)
			e.Do(t, who, "POST", "/api/imports/"+id+"/dry-run", ok).Want(t, 404)
			e.Do(t, who, "POST", "/api/imports/"+id+"/run", ok).Want(t, 404)
			e.Do(t, who, "GET", "/api/imports/"+id+"/errors.xlsx", nil).Want(t, 404)
		}
		e.Do(t, "rep", "GET", "/api/imports/not-an-id", nil).Want(t, 404)
		e.Do(t, "", "GET", "/api/imports/"+id, nil).Want(t, 401)
		// The errors file exists once the import has run.
		e.Do(t, "rep", "GET", "/api/imports/"+id+"/errors.xlsx", nil).Want(t, 409).Contains(t, "not finished")
		if st := e.Do(t, "rep", "GET", "/api/imports/"+id, nil).Want(t, 200); st.Str("status") != "uploaded" || count(t, s, "jobs") != 0 {
			t.Errorf("bad requests changed the import: %s", st.Body)
		}
		// A run goes once.
		e.Do(t, "rep", "POST", "/api/imports/"+id+"/run", ok).Want(t, 202)
		e.Do(t, "rep", "POST", "/api/imports/"+id+"/run", ok).Want(t, 409).Contains(t, "already been run")
		_ = excelize.TotalRows
	})
}
