// Package pdf writes PDF documents with Chinese and Latin text on
// go-pdf/fpdf: paragraphs, label/value grids, tables whose header row
// repeats on every page, images, signature lines and page numbers.
//
// Text is split into runs: Latin-1 runes go in Helvetica (a core font,
// nothing embedded), everything else in the CJK TrueType font (FontPath),
// of which fpdf embeds only the glyphs used. Lines are wrapped here, token
// by token — a Latin word, or one CJK rune with the punctuation that may
// not start or end a line — and by rune inside tokens wider than the line,
// because fpdf's MultiCell drops characters in CJK text. Page breaks are
// placed here too (fpdf's automatic break is off), so a table row is never
// cut by fpdf in the middle of a cell.
package pdf

import (
	"bytes"
	"io"
	"strings"
	"unicode"

	"github.com/go-pdf/fpdf"

	"github.com/tessera-app/tessera/engine/errs"
)

// PageSizes are the page sizes documents may use.
var PageSizes = []string{"A4", "A3", "A5", "Letter", "Legal"}

// Font families registered in every document.
const (
	latin = "Helvetica"
	cjk   = "cjk"
)

// Options configure a new document.
type Options struct {
	Page      string // one of PageSizes; "" is A4
	Landscape bool
	FontPath  string // the CJK font; "" is FontPath()
	// Header draws the top of every page (logo, title); nil: none.
	Header func(d *Doc)
	// Footer is the text at the bottom left of every page; the page
	// number, in PageLabel's form, is at the bottom right.
	Footer string
	// PageLabel formats the page number: "{page}" and "{pages}" are
	// replaced ("Page {page} of {pages}"); "" is "{page} / {pages}".
	PageLabel string
}

// Doc is a document being written; text goes from top to bottom, and
// every method that writes breaks the page when what it writes would not
// fit.
type Doc struct {
	f      *fpdf.Fpdf
	o      Options
	size   float64 // current font size, pt
	bold   bool
	margin float64
}

// Text sizes, in points.
const (
	SizeBody  = 10
	SizeSmall = 8
	SizeTitle = 16
)

// New starts a document with its first page.
func New(o Options) (*Doc, error) {
	if o.Page == "" {
		o.Page = "A4"
	}
	if !validPage(o.Page) {
		return nil, errs.New(errs.Invalid, "pdf.bad_page", "page", o.Page, "sizes", strings.Join(PageSizes, ", "))
	}
	path := o.FontPath
	if path == "" {
		path = FontPath()
	}
	font, err := loadFont(path)
	if err != nil {
		return nil, err
	}
	orient := "P"
	if o.Landscape {
		orient = "L"
	}
	f := fpdf.New(orient, "mm", o.Page, "")
	f.SetCompression(true)
	f.AddUTF8FontFromBytes(cjk, "", font)
	f.AddUTF8FontFromBytes(cjk, "B", font) // the font has no bold face
	if err := f.Error(); err != nil {
		return nil, errs.Wrap(err, errs.Internal, "pdf.font_missing", "path", path, "env", EnvFont)
	}
	d := &Doc{f: f, o: o, size: SizeBody, margin: 15}
	f.SetMargins(d.margin, d.margin, d.margin)
	f.SetAutoPageBreak(false, d.margin)
	f.AliasNbPages("{nb}")
	f.SetHeaderFuncMode(func() {
		if d.o.Header != nil {
			size, bold := d.size, d.bold
			d.o.Header(d)
			d.SetFont(size, bold)
		}
	}, false) // the page's content starts below the header, not over it
	f.SetFooterFunc(d.footer)
	f.AddPage()
	d.SetFont(SizeBody, false)
	return d, nil
}

func validPage(p string) bool {
	for _, s := range PageSizes {
		if s == p {
			return true
		}
	}
	return false
}

// footer writes the footer text and the page number.
func (d *Doc) footer() {
	size, bold := d.size, d.bold
	d.SetFont(SizeSmall, false)
	_, h := d.f.GetPageSize()
	y := h - d.margin + 3
	label := d.o.PageLabel
	if label == "" {
		label = "{page} / {pages}"
	}
	// "{nb}" is replaced by the page count when the document is closed;
	// it is Latin text, so it is written as is.
	page := itoa(d.f.PageNo())
	// Aligned as if the count had as many digits as this page's number;
	// the alias is given that width too, so that the text after it does
	// not stand off by the width of "{nb}".
	w := d.TextWidth(strings.NewReplacer("{page}", page, "{pages}", page).Replace(label))
	x, pw := d.margin+d.Width()-w, d.TextWidth(page)
	for i, part := range strings.Split(strings.ReplaceAll(label, "{page}", page), "{pages}") {
		if i > 0 {
			d.line(x, y, "{nb}", "L", pw)
			x += pw
		}
		d.line(x, y, part, "L", d.TextWidth(part))
		x += d.TextWidth(part)
	}
	for _, ln := range d.Wrap(d.o.Footer, d.Width()*0.75) {
		d.line(d.margin, y, ln, "L", d.Width()*0.75)
		y += d.LineHeight()
	}
	d.SetFont(size, bold)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// SetFont sets the size (pt) and weight of the text that follows.
func (d *Doc) SetFont(size float64, bold bool) { d.size, d.bold = size, bold }

// Width is the width between the margins (mm).
func (d *Doc) Width() float64 {
	w, _ := d.f.GetPageSize()
	return w - 2*d.margin
}

// LineHeight is the height of a line of the current size (mm).
func (d *Doc) LineHeight() float64 { return d.size * 0.3528 * 1.4 }

// Y is the current vertical position (mm from the top).
func (d *Doc) Y() float64 { return d.f.GetY() }

// Space moves down by h mm (breaking the page when it runs out).
func (d *Doc) Space(h float64) {
	if !d.fits(h) {
		d.NewPage()
		return
	}
	d.f.SetY(d.f.GetY() + h)
}

// NewPage starts a new page; the header is drawn on it.
func (d *Doc) NewPage() {
	size, bold := d.size, d.bold
	d.f.AddPage()
	d.SetFont(size, bold)
}

// fits reports whether h mm fit above the bottom margin.
func (d *Doc) fits(h float64) bool {
	_, ph := d.f.GetPageSize()
	return d.f.GetY()+h <= ph-d.margin-4 // room for the footer line
}

// ensure breaks the page unless h mm fit.
func (d *Doc) ensure(h float64) {
	if !d.fits(h) {
		d.NewPage()
	}
}

// Paragraph writes s wrapped to the width between the margins, aligned
// "L", "C" or "R"; newlines in s break lines.
func (d *Doc) Paragraph(s, align string) {
	lh := d.LineHeight()
	for _, ln := range d.Wrap(s, d.Width()) {
		d.ensure(lh)
		d.line(d.margin, d.f.GetY(), ln, align, d.Width())
		d.f.SetY(d.f.GetY() + lh)
	}
}

// Rule draws a horizontal line across the page at the current position.
func (d *Doc) Rule() {
	y := d.f.GetY()
	d.f.SetDrawColor(120, 120, 120)
	d.f.Line(d.margin, y, d.margin+d.Width(), y)
	d.f.SetDrawColor(0, 0, 0)
}

// Image draws an image (PNG or JPEG, kind "png"/"jpg") h mm high at the
// left margin of the current position; it does not move the position.
func (d *Doc) Image(name string, data []byte, kind string, h float64) error {
	opt := fpdf.ImageOptions{ImageType: kind}
	d.f.RegisterImageOptionsReader(name, opt, bytes.NewReader(data))
	if err := d.f.Error(); err != nil {
		return errs.Wrap(err, errs.Invalid, "pdf.bad_image")
	}
	d.f.ImageOptions(name, d.margin, d.f.GetY(), 0, h, false, opt, 0, "")
	return d.f.Error()
}

// CheckImage reports whether data is an image fpdf can embed (PNG without
// interlacing or 16-bit channels, or JPEG).
func CheckImage(data []byte, kind string) error {
	f := fpdf.New("P", "mm", "A4", "")
	f.RegisterImageOptionsReader("check", fpdf.ImageOptions{ImageType: kind}, bytes.NewReader(data))
	if err := f.Error(); err != nil {
		return errs.Wrap(err, errs.Invalid, "pdf.bad_image")
	}
	return nil
}

// Output writes the finished document to w.
func (d *Doc) Output(w io.Writer) error {
	if err := d.f.Error(); err != nil {
		return err
	}
	return d.f.Output(w)
}

// run is text in one font.
type run struct {
	cjk  bool
	text string // UTF-8 for the CJK font, Latin-1 bytes for Helvetica
}

// isLatin reports whether Helvetica (WinAnsi) has r: Latin-1 printables.
func isLatin(r rune) bool { return (r >= 0x20 && r < 0x7f) || (r >= 0xa0 && r <= 0xff) }

// runs splits s by font.
func runs(s string) []run {
	var out []run
	var cur []byte
	var curCJK bool
	flush := func() {
		if len(cur) > 0 {
			out = append(out, run{cjk: curCJK, text: string(cur)})
			cur = cur[:0]
		}
	}
	for _, r := range s {
		if r == '\t' || (r < 0x20) {
			r = ' '
		}
		c := !isLatin(r)
		if c != curCJK {
			flush()
			curCJK = c
		}
		if c {
			cur = append(cur, string(r)...)
		} else {
			cur = append(cur, byte(r))
		}
	}
	flush()
	return out
}

func (d *Doc) use(r run) {
	style := ""
	if d.bold {
		style = "B"
	}
	if r.cjk {
		d.f.SetFont(cjk, style, d.size)
	} else {
		d.f.SetFont(latin, style, d.size)
	}
}

// TextWidth is the width of s in the current size (mm).
func (d *Doc) TextWidth(s string) float64 {
	var w float64
	for _, r := range runs(s) {
		d.use(r)
		w += d.f.GetStringWidth(r.text)
	}
	return w
}

// line writes one line (no wrapping) in a box of width w at x, y (top).
func (d *Doc) line(x, y float64, s, align string, w float64) {
	lh := d.LineHeight()
	switch align {
	case "R":
		x += w - d.TextWidth(s)
	case "C":
		x += (w - d.TextWidth(s)) / 2
	}
	for _, r := range runs(s) {
		d.use(r)
		rw := d.f.GetStringWidth(r.text)
		d.f.SetXY(x, y)
		d.f.CellFormat(rw, lh, r.text, "", 0, "L", false, 0, "")
		x += rw
	}
}

// Wrap breaks s into lines no wider than w mm in the current size.
// Nothing but spaces at a break is ever left out: joined, the lines give s
// back (less those spaces).
func (d *Doc) Wrap(s string, w float64) []string {
	var out []string
	for _, para := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		out = append(out, d.wrapLine(para, w)...)
	}
	return out
}

func (d *Doc) wrapLine(s string, w float64) []string {
	var lines []string
	var cur strings.Builder
	var curW float64
	flush := func() {
		lines = append(lines, strings.TrimRight(cur.String(), " "))
		cur.Reset()
		curW = 0
	}
	add := func(t string, tw float64) {
		cur.WriteString(t)
		curW += tw
	}
	for _, t := range tokens(s) {
		tw := d.TextWidth(t)
		if curW+tw <= w {
			add(t, tw)
			continue
		}
		if strings.TrimSpace(t) == "" { // a break at spaces drops them
			if cur.Len() > 0 {
				flush()
			}
			continue
		}
		if cur.Len() > 0 {
			flush()
		}
		if tw <= w {
			add(t, tw)
			continue
		}
		for _, r := range t { // wider than a line: break inside, by rune
			rw := d.TextWidth(string(r))
			if curW+rw > w && cur.Len() > 0 {
				flush()
			}
			add(string(r), rw)
		}
	}
	if cur.Len() > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// Punctuation that may not start a line (it stays with the rune before)
// and that may not end one (it goes with the rune after).
const (
	noStart = "，。、；：？！）》」』】〕〉…—”’,.;:?!)]}%"
	noEnd   = "（《「『【〔〈“‘([{"
)

// tokens splits s into the units a line may break between: runs of
// spaces, Latin words, and single wide runes — each with the punctuation
// that must stay with it.
func tokens(s string) []string {
	var out []string
	var cur []rune
	var open []rune // noEnd punctuation waiting for the next rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = nil
		}
	}
	for _, r := range s {
		if r == '\t' {
			r = ' '
		}
		if len(open) > 0 && !strings.ContainsRune(noEnd, r) {
			flush() // the opening punctuation starts the next token
			cur, open = append(open, r), nil
			continue
		}
		switch {
		case r == ' ':
			if len(cur) > 0 && cur[len(cur)-1] != ' ' {
				flush()
			}
			cur = append(cur, ' ')
		case strings.ContainsRune(noStart, r) && len(cur) > 0 && cur[len(cur)-1] != ' ':
			cur = append(cur, r) // stays with the rune before
		case strings.ContainsRune(noEnd, r):
			open = append(open, r)
		case wide(r):
			flush()
			cur = append(cur, r)
		default: // a Latin letter or digit: part of a word
			if len(cur) > 0 && (cur[len(cur)-1] == ' ' || wide(cur[len(cur)-1]) || strings.ContainsRune(noStart, cur[len(cur)-1])) {
				flush()
			}
			cur = append(cur, r)
		}
	}
	cur = append(cur, open...)
	flush()
	return out
}

// wide reports whether a line may break before and after r on its own:
// CJK ideographs, kana, Hangul and full-width forms.
func wide(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) ||
		unicode.Is(unicode.Hangul, r) || (r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef)
}
