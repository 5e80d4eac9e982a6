package pdf

import (
	"io"
	"math"
)

// Column is a table column: its header, alignment ("L", "C", "R"; "" is
// "L") and relative width (0: from the widths of its header and cells).
type Column struct {
	Label  string
	Align  string
	Weight float64
}

// Table is a grid with a header row that repeats on every page it spans,
// and footer rows (totals) in bold after the body.
type Table struct {
	Columns []Column
	Rows    [][]string
	Foot    [][]string
}

// cell padding (mm)
const pad = 1.5

// style is how row draws cells.
type style int

const (
	boxed  style = 1 << iota // a border around each cell
	filled                   // grey background (header rows)
)

// Lines writes rows without borders in columns sized by weight, the
// text in bold when bold is set (totals).
func (d *Doc) Lines(columns []Column, rows [][]string, bold bool) {
	widths := d.widths(Table{Columns: columns, Rows: rows})
	aligns := make([]string, len(columns))
	for i, c := range columns {
		aligns[i] = c.Align
	}
	d.SetFont(d.size, bold)
	for _, r := range rows {
		d.row(widths, r, aligns, 0, nil)
	}
	d.SetFont(d.size, false)
}

// Table writes t across the width between the margins.
func (d *Doc) Table(t Table) {
	if len(t.Columns) == 0 {
		return
	}
	widths := d.widths(t)
	head := make([]string, len(t.Columns))
	aligns := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i], aligns[i] = c.Label, c.Align
	}
	header := func() {
		d.SetFont(d.size, true)
		d.row(widths, head, nil, boxed|filled, nil)
		d.SetFont(d.size, false)
	}
	// The header never ends a page alone: it goes with the first row.
	d.ensure(2 * (d.LineHeight() + 2*pad))
	header()
	for _, r := range t.Rows {
		d.row(widths, r, aligns, boxed, header)
	}
	d.SetFont(d.size, true)
	for _, r := range t.Foot {
		d.row(widths, r, aligns, boxed, header)
	}
	d.SetFont(d.size, false)
}

// widths shares the width between the columns: by weight when every
// column has one, else in proportion to each column's widest text (capped,
// so that one long cell does not starve the others), at least 12 mm each.
func (d *Doc) widths(t Table) []float64 {
	n := len(t.Columns)
	natural := make([]float64, n)
	weighted := true
	for i, c := range t.Columns {
		if c.Weight <= 0 {
			weighted = false
		}
		natural[i] = c.Weight
	}
	if !weighted {
		d.SetFont(d.size, true)
		for i, c := range t.Columns {
			natural[i] = d.TextWidth(c.Label)
		}
		d.SetFont(d.size, false)
		for _, rows := range [][][]string{t.Rows, t.Foot} {
			for _, r := range rows {
				for i := 0; i < n && i < len(r); i++ {
					natural[i] = math.Max(natural[i], math.Min(d.TextWidth(r[i]), 80))
				}
			}
		}
	}
	total := 0.0
	for i := range natural {
		natural[i] = math.Max(natural[i], 1)
		total += natural[i]
	}
	avail := d.Width()
	out := make([]float64, n)
	minW := math.Min(12, avail/float64(n))
	rest, restNat := avail, total
	// Columns whose share falls under the minimum get the minimum; the
	// others share what is left.
	for {
		changed := false
		for i := range natural {
			if out[i] == 0 && avail*natural[i]/total < minW {
				out[i] = minW
				rest -= minW
				restNat -= natural[i]
				changed = true
			}
		}
		if !changed {
			break
		}
		total = restNat
		avail = rest
		if total <= 0 {
			break
		}
	}
	for i := range natural {
		if out[i] == 0 {
			out[i] = rest * natural[i] / restNat
		}
	}
	return out
}

// row writes one bordered row; a row taller than what is left of the page
// continues on the next one (after header, when given), line by line, so
// no text is cut.
func (d *Doc) row(widths []float64, cells, aligns []string, look style, header func()) {
	lh := d.LineHeight()
	lines := make([][]string, len(widths))
	most := 1
	for i, w := range widths {
		s := ""
		if i < len(cells) {
			s = cells[i]
		}
		lines[i] = d.Wrap(s, w-2*pad)
		most = max(most, len(lines[i]))
	}
	for from := 0; from < most; {
		_, ph := d.f.GetPageSize()
		room := int((ph - d.margin - 4 - d.f.GetY() - 2*pad) / lh)
		if room < 1 || (room < most-from && from == 0 && most <= d.pageLines()) {
			// Start the row on a new page when it fits on one.
			d.NewPage()
			if header != nil {
				header()
			}
			continue
		}
		n := min(room, most-from)
		h := float64(n)*lh + 2*pad
		x, y := d.margin, d.f.GetY()
		for i, w := range widths {
			switch {
			case look&filled != 0:
				d.f.SetFillColor(235, 235, 235)
				d.f.Rect(x, y, w, h, "FD")
			case look&boxed != 0:
				d.f.Rect(x, y, w, h, "D")
			}
			align := "L"
			if i < len(aligns) && aligns[i] != "" {
				align = aligns[i]
			}
			for j := from; j < from+n && j < len(lines[i]); j++ {
				d.line(x+pad, y+pad+float64(j-from)*lh, lines[i][j], align, w-2*pad)
			}
			x += w
		}
		d.f.SetXY(d.margin, y+h)
		from += n
	}
}

// pageLines is how many lines of the current size a row may have on an
// empty page.
func (d *Doc) pageLines() int {
	_, ph := d.f.GetPageSize()
	return int((ph - 3*d.margin - 4 - 2*pad) / d.LineHeight())
}

// Grid writes label/value pairs, cols pairs to a row, without borders:
// labels in bold, values wrapped.
func (d *Doc) Grid(pairs [][2]string, cols int) {
	if cols < 1 {
		cols = 1
	}
	lh := d.LineHeight()
	cell := d.Width() / float64(cols)
	labelW := math.Min(cell*0.35, 40)
	for start := 0; start < len(pairs); start += cols {
		end := min(start+cols, len(pairs))
		type wrapped struct{ label, value []string }
		var ws []wrapped
		most := 1
		for _, p := range pairs[start:end] {
			d.SetFont(d.size, true)
			l := d.Wrap(p[0], labelW-pad)
			d.SetFont(d.size, false)
			v := d.Wrap(p[1], cell-labelW-pad)
			ws = append(ws, wrapped{l, v})
			most = max(most, len(l), len(v))
		}
		// Values longer than a page go on line by line.
		for from := 0; from < most; {
			_, ph := d.f.GetPageSize()
			room := int((ph - d.margin - 4 - d.f.GetY()) / lh)
			if room < 1 || (room < most-from && from == 0 && most <= d.pageLines()) {
				d.NewPage()
				continue
			}
			n := min(room, most-from)
			y := d.f.GetY()
			for i, w := range ws {
				x := d.margin + float64(i)*cell
				d.SetFont(d.size, true)
				for j := from; j < from+n && j < len(w.label); j++ {
					d.line(x, y+float64(j-from)*lh, w.label[j], "L", labelW-pad)
				}
				d.SetFont(d.size, false)
				for j := from; j < from+n && j < len(w.value); j++ {
					d.line(x+labelW, y+float64(j-from)*lh, w.value[j], "L", cell-labelW-pad)
				}
			}
			d.f.SetXY(d.margin, y+float64(n)*lh+1)
			from += n
		}
	}
}

// Signature writes signature lines side by side: each label, then a line
// to sign on.
func (d *Doc) Signature(labels []string) {
	if len(labels) == 0 {
		return
	}
	lh := d.LineHeight()
	d.ensure(lh + 14)
	d.Space(8)
	w := d.Width() / float64(len(labels))
	y := d.f.GetY()
	for i, l := range labels {
		x := d.margin + float64(i)*w
		d.line(x, y, l, "L", w)
		lw := math.Min(d.TextWidth(l), w-26)
		d.f.Line(x+lw+2, y+lh, x+w-6, y+lh)
	}
	d.f.SetXY(d.margin, y+lh+4)
}

// WriteTable writes a list as a PDF to out: landscape A4, an optional
// title, a table with the header row on every page, page numbers. rows
// are the cells as text.
func WriteTable(out io.Writer, title string, columns []Column, rows [][]string, o Options) error {
	o.Landscape = true
	d, err := New(o)
	if err != nil {
		return err
	}
	if title != "" {
		d.SetFont(SizeTitle, true)
		d.Paragraph(title, "L")
		d.SetFont(SizeBody, false)
		d.Space(2)
	}
	d.SetFont(SizeSmall+1, false)
	d.Table(Table{Columns: columns, Rows: rows})
	return d.Output(out)
}
