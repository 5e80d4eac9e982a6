package importapi_test

import (
	"io"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
)

// CSV encodings and delimiters, and an xlsx with a formula's cached
// value and merged cells, each imported and read back.
func TestImportEncodingsFormulasMergedCells(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		gb18030, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte("名称;编号\n𠀀字;G1\n"))
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name, encoding string
			file           []byte
			want           map[string]string // code → name
		}{
			{"b.csv", "utf-8-bom", []byte("\xEF\xBB\xBF名称;编号\n\"甲;乙\";B1\n丙;B2\n"), map[string]string{"B1": "甲;乙", "B2": "丙"}},
			{"t.csv", "utf-8", []byte("Name\tCode\n\"a \"\"quoted\"\"\nline\"\tT1\n"), map[string]string{"T1": "a \"quoted\"\nline"}},
			{"g.csv", "gb18030", gb18030, map[string]string{"G1": "𠀀字"}}, // a character GBK lacks
		}
		for _, c := range cases {
			up := upload(t, e, "rep", "customer", c.name, c.file, nil).Want(t, 201)
			if up.Str("encoding") != c.encoding || len(up.Obj("mapping")) != 2 {
				t.Fatalf("%s: %s", c.name, up.Body)
			}
			e.Do(t, "rep", "POST", "/api/imports/"+up.Str("id")+"/run", map[string]any{"mapping": up.Obj("mapping")}).Want(t, 202)
			e.RunJobs(t)
			recs := records(t, e, "customer")
			for code, name := range c.want {
				if recs[code] == nil || recs[code]["name"] != name {
					t.Errorf("%s: %s = %v, want name %q", c.name, code, recs[code], name)
				}
			}
		}
		// A formula's cached value is what the sheet shows, so it is
		// what is imported; a merged cell's value is its top-left cell's.
		file := rawXLSXTail(t, func(w io.Writer) {
			io.WriteString(w, `<row r="1"><c r="A1" t="inlineStr"><is><t>编号</t></is></c><c r="B1" t="inlineStr"><is><t>名称</t></is></c><c r="C1" t="inlineStr"><is><t>拜访次数</t></is></c></row>`)
			io.WriteString(w, `<row r="2"><c r="A2" t="inlineStr"><is><t>F1</t></is></c><c r="B2" t="inlineStr"><is><t>合并</t></is></c><c r="C2"><f>1+1</f><v>2</v></c></row>`)
			io.WriteString(w, `<row r="3"><c r="A3" t="inlineStr"><is><t>F2</t></is></c><c r="B3"/><c r="C3" t="str"><f>"4"</f><v>4</v></c></row>`)
		}, `<mergeCells count="1"><mergeCell ref="B2:B3"/></mergeCells>`)
		up := upload(t, e, "rep", "customer", "f.xlsx", file, nil).Want(t, 201)
		d := e.Do(t, "rep", "POST", "/api/imports/"+up.Str("id")+"/dry-run", map[string]any{"mapping": up.Obj("mapping")}).Want(t, 200)
		// F2's name is blank (merged into the cell above): required.
		if d.Num("created") != 1 || d.Num("failed") != 1 || d.Str("errors.0.field") != "name" || d.Num("errors.0.row") != 3 {
			t.Fatalf("dry run: %s", d.Body)
		}
		e.Do(t, "rep", "POST", "/api/imports/"+up.Str("id")+"/run", map[string]any{"mapping": up.Obj("mapping")}).Want(t, 202)
		e.RunJobs(t)
		if r := records(t, e, "customer")["F1"]; r == nil || r["name"] != "合并" || r["visits"] == nil || r["visits"].(interface{ String() string }).String() != "2" {
			t.Errorf("F1 = %v", r)
		}
	})
}
