package export

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/tessera-app/tessera/engine/pdf"
)

// xlsxSheet writes rows through excelize's StreamWriter: rows are encoded
// as they come and spill to a temporary file past its buffer, so memory
// does not grow with the row count.
type xlsxSheet struct {
	f      *excelize.File
	sw     *excelize.StreamWriter
	styles []int // per column: its number or date format (0: none)
	n      int
}

// Excel number formats (ids of the built-in ones).
const (
	fmtDate     = "yyyy-mm-dd"
	fmtDateTime = "yyyy-mm-dd hh:mm:ss"
	fmtInteger  = 1 // 0
)

func newXLSX(p *Plan) (*xlsxSheet, error) {
	f := excelize.NewFile()
	name := sheetName(p.Title())
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	x := &xlsxSheet{f: f, sw: sw, styles: make([]int, len(p.cols))}
	for i, c := range p.cols {
		var st *excelize.Style
		switch c.kind {
		case kindDate:
			st = &excelize.Style{CustomNumFmt: ptr(fmtDate)}
		case kindDateTime:
			st = &excelize.Style{CustomNumFmt: ptr(fmtDateTime)}
		case kindInteger:
			st = &excelize.Style{NumFmt: fmtInteger}
		case kindCurrency:
			st = &excelize.Style{CustomNumFmt: ptr(numberFormat(c.scale))}
		case kindNumber:
			if c.scale > 0 {
				st = &excelize.Style{CustomNumFmt: ptr(numberFormat(c.scale))}
			}
		}
		if st != nil {
			if x.styles[i], err = f.NewStyle(st); err != nil {
				return nil, err
			}
		}
	}
	return x, nil
}

func ptr[T any](v T) *T { return &v }

// numberFormat is a thousands-separated format with scale decimals.
func numberFormat(scale int) string {
	if scale <= 0 {
		return "#,##0"
	}
	return "#,##0." + strings.Repeat("0", scale)
}

// sheetName makes a valid sheet name of a label: at most 31 characters,
// none of : \ / ? * [ ].
func sheetName(label string) string {
	name := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '_'
		}
		return r
	}, strings.Trim(label, "'"))
	if r := []rune(name); len(r) > 31 {
		name = string(r[:31])
	}
	if strings.TrimSpace(name) == "" {
		return "Sheet1"
	}
	return name
}

func (x *xlsxSheet) header(labels []string) error {
	row := make([]any, len(labels))
	for i, l := range labels {
		row[i] = l
	}
	x.n = 1
	return x.sw.SetRow("A1", row)
}

func (x *xlsxSheet) row(vals []any) error {
	x.n++
	row := make([]any, len(vals))
	for i, v := range vals {
		if d, ok := v.(date); ok {
			v = d.Time
		}
		if v == nil {
			continue
		}
		row[i] = excelize.Cell{StyleID: x.styles[i], Value: v}
	}
	cell, _ := excelize.CoordinatesToCellName(1, x.n)
	return x.sw.SetRow(cell, row)
}

// directCells bounds the cells of a workbook zipped straight to the
// writer: past 4 GiB of sheet XML (some 50 million cells) excelize patches
// the zip's local headers for zip64 afterwards, which needs the whole file
// in memory.
const directCells = 40_000_000

func (x *xlsxSheet) close(w io.Writer) error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return err
	}
	if x.n*len(x.styles) <= directCells {
		// excelize's WriteTo builds the whole zip in a bytes.Buffer
		// before copying it to w — memory as large as the file (about
		// 50 MB per million rows, twice that while the buffer grows).
		// Its zip writer, given w itself, leaves that buffer empty.
		x.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
		_, err := x.f.WriteTo(io.Discard)
		return err
	}
	_, err := x.f.WriteTo(w)
	return err
}

// csvSheet writes UTF-8 with a byte order mark (so Excel reads it as
// UTF-8), CRLF line ends and RFC 4180 quoting.
type csvSheet struct {
	b    *bufio.Writer
	w    *csv.Writer
	cols []column
	rec  []string
}

func newCSV(w io.Writer, cols []column) *csvSheet {
	b := bufio.NewWriterSize(w, 64<<10)
	c := csv.NewWriter(b)
	c.UseCRLF = true
	return &csvSheet{b: b, w: c, cols: cols}
}

func (c *csvSheet) header(labels []string) error {
	if _, err := c.b.WriteString("\uFEFF"); err != nil {
		return err
	}
	return c.w.Write(guardAll(labels))
}

func (c *csvSheet) row(vals []any) error {
	c.rec = c.rec[:0]
	for i, v := range vals {
		s := text(v, c.cols[i])
		if _, isText := v.(string); isText {
			s = guard(s)
		}
		c.rec = append(c.rec, s)
	}
	return c.w.Write(c.rec)
}

func (c *csvSheet) close(io.Writer) error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.b.Flush()
}

// guard keeps a spreadsheet from running text as a formula (CSV
// injection): text starting with = + - @ (or a tab or carriage return,
// which some programs skip before looking) gets a leading apostrophe.
// Numbers are written as numbers and need no guard.
func guard(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func guardAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = guard(s)
	}
	return out
}

// pdfSheet collects the rows into a table of engine/pdf (the document is
// built in memory, hence Service.PDFMaxRows).
type pdfSheet struct {
	p *Plan
	t pdf.Table
}

func newPDF(p *Plan) *pdfSheet { return &pdfSheet{p: p} }

func (d *pdfSheet) header(labels []string) error {
	for i, l := range labels {
		col := pdf.Column{Label: l}
		switch d.p.cols[i].kind {
		case kindInteger, kindNumber, kindCurrency, kindPercent:
			col.Align = "R"
		}
		d.t.Columns = append(d.t.Columns, col)
	}
	return nil
}

func (d *pdfSheet) row(vals []any) error {
	r := make([]string, len(vals))
	for i, v := range vals {
		r[i] = text(v, d.p.cols[i])
	}
	d.t.Rows = append(d.t.Rows, r)
	return nil
}

func (d *pdfSheet) close(w io.Writer) error {
	title := d.p.Title()
	doc, err := pdf.New(pdf.Options{Landscape: len(d.t.Columns) > 5, Header: func(doc *pdf.Doc) {
		doc.SetFont(pdf.SizeTitle, true)
		doc.Paragraph(title, "L")
		doc.SetFont(pdf.SizeBody, false)
	}, Footer: title})
	if err != nil {
		return err
	}
	doc.Table(d.t)
	return doc.Output(w)
}
