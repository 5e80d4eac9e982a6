package importer

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"github.com/tessera-app/tessera/engine/errs"
)

// Encodings of csv files (ImportRow.Encoding).
const (
	EncUTF8    = "utf-8"
	EncUTF8BOM = "utf-8-bom"
	EncGB18030 = "gb18030" // GBK is a subset
)

// book is an uploaded file opened for reading: its sheets, each read row
// by row, as strings.
type book interface {
	sheets() []string
	// rows calls fn with each row of sheet in order: its number in the
	// sheet (1-based) and its cells (raw: numbers unformatted, dates as
	// serial numbers; formatted: as the sheet shows them). fn returning
	// errStop ends the reading without an error.
	rows(sheet string, raw bool, fn func(n int, cells []string) error) error
	// date1904 reports whether date serials count from 1904.
	date1904() bool
	close()
}

var errStop = errors.New("stop")

// limits bound what an opened file may make the server hold.
type limits struct {
	unzipped int64 // all parts of an xlsx, uncompressed
	part     int64 // one part that is read into memory
}

// openBook opens file as xlsx or csv, by its content (a zip is an xlsx)
// checked against its name's extension.
func openBook(name string, file []byte, lim limits) (book, string, string, error) {
	ext := strings.ToLower(path.Ext(name))
	isZip := bytes.HasPrefix(file, []byte("PK\x03\x04"))
	switch {
	case ext == ".xlsx" || ext == ".xlsm" || (isZip && ext != ".csv"):
		if !isZip {
			return nil, "", "", errs.New(errs.Invalid, "import.not_xlsx", "file", name)
		}
		b, err := openXLSX(name, file, lim)
		return b, "xlsx", "", err
	case ext == ".xls":
		return nil, "", "", errs.New(errs.Invalid, "import.xls", "file", name)
	default:
		if isZip {
			return nil, "", "", errs.New(errs.Invalid, "import.not_csv", "file", name)
		}
		b, enc, err := openCSV(name, file)
		return b, "csv", enc, err
	}
}

// xlsxBook reads an xlsx with excelize's streaming row reader: a sheet
// over the part limit is unzipped to a temporary file and read from
// there, not held in memory.
type xlsxBook struct {
	f     *excelize.File
	names []string
	d1904 bool
}

// wantedParts are what an xlsx's content types must name for excelize to
// find its sheets.
func openXLSX(name string, file []byte, lim limits) (book, error) {
	zr, err := zip.NewReader(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		return nil, errs.New(errs.Invalid, "import.not_xlsx", "file", name)
	}
	// A zip bomb is refused before anything is unzipped: by the sizes
	// its entries declare (archive/zip refuses to inflate an entry past
	// its declared size, so they cannot lie). Sheets and the shared
	// strings may be large (excelize spills them to temporary files);
	// any other part is read into memory and must be small.
	var total int64
	workbook := false
	for _, f := range zr.File {
		size := int64(f.UncompressedSize64)
		if size < 0 || f.UncompressedSize64 > 1<<62 {
			return nil, errs.New(errs.Invalid, "import.unzip_too_large", "file", name, "max", mib(lim.unzipped))
		}
		// An entry holding more data than it says it unpacks to lies
		// about its size (deflate never grows data by more than a few
		// bytes a block): what it claims cannot be trusted.
		if f.CompressedSize64 > f.UncompressedSize64+f.UncompressedSize64/100+1024 {
			return nil, errs.New(errs.Invalid, "import.zip_damaged", "file", name)
		}
		total += size
		if total > lim.unzipped {
			return nil, errs.New(errs.Invalid, "import.unzip_too_large", "file", name, "max", mib(lim.unzipped))
		}
		lower := strings.ToLower(f.Name)
		streamed := strings.HasPrefix(lower, "xl/worksheets/sheet") || lower == "xl/sharedstrings.xml"
		if !streamed && size > lim.part {
			return nil, errs.New(errs.Invalid, "import.unzip_too_large", "file", name, "max", mib(lim.unzipped))
		}
		if lower == "xl/workbook.xml" {
			workbook = true
		}
	}
	if !workbook {
		return nil, errs.New(errs.Invalid, "import.not_xlsx", "file", name)
	}
	f, err := excelize.OpenReader(bytes.NewReader(file), excelize.Options{UnzipSizeLimit: lim.unzipped, UnzipXMLSizeLimit: lim.part})
	if err != nil {
		if errors.Is(err, excelize.ErrWorkbookFileFormat) || errors.Is(err, excelize.ErrWorkbookPassword) {
			return nil, errs.New(errs.Invalid, "import.xlsx_encrypted", "file", name)
		}
		return nil, errs.Wrap(err, errs.Invalid, "import.not_xlsx", "file", name)
	}
	b := &xlsxBook{f: f}
	for _, s := range f.GetSheetList() {
		if v, _ := f.GetSheetVisible(s); v {
			b.names = append(b.names, s)
		}
	}
	if len(b.names) == 0 {
		f.Close()
		return nil, errs.New(errs.Invalid, "import.no_sheet", "file", name)
	}
	if p, err := f.GetWorkbookProps(); err == nil && p.Date1904 != nil {
		b.d1904 = *p.Date1904
	}
	return b, nil
}

func (b *xlsxBook) sheets() []string { return b.names }
func (b *xlsxBook) date1904() bool   { return b.d1904 }
func (b *xlsxBook) close()           { b.f.Close() }

func (b *xlsxBook) rows(sheet string, raw bool, fn func(n int, cells []string) error) error {
	rows, err := b.f.Rows(sheet)
	if err != nil {
		return errs.Wrap(err, errs.Invalid, "import.bad_sheet", "sheet", sheet)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		cells, err := rows.Columns(excelize.Options{RawCellValue: raw})
		if err != nil {
			if errors.Is(err, excelize.ErrMaxRows) {
				return errs.New(errs.Invalid, "import.too_many_rows", "max", excelize.TotalRows)
			}
			return errs.Wrap(err, errs.Invalid, "import.bad_sheet", "sheet", sheet)
		}
		if err := fn(n, cells); err != nil {
			if err == errStop {
				return nil
			}
			return err
		}
	}
	if err := rows.Error(); err != nil {
		if errors.Is(err, excelize.ErrMaxRows) {
			return errs.New(errs.Invalid, "import.too_many_rows", "max", excelize.TotalRows)
		}
		return errs.Wrap(err, errs.Invalid, "import.bad_sheet", "sheet", sheet)
	}
	return nil
}

// csvBook is a decoded csv file: one sheet, named after the file.
type csvBook struct {
	name  string
	text  []byte // UTF-8
	comma rune
}

// openCSV detects the file's encoding — a UTF-8 byte order mark, valid
// UTF-8, else GB18030 (which GBK files are) — and its delimiter.
func openCSV(name string, file []byte) (book, string, error) {
	if bytes.HasPrefix(file, []byte{0xFF, 0xFE}) || bytes.HasPrefix(file, []byte{0xFE, 0xFF}) {
		return nil, "", errs.New(errs.Invalid, "import.utf16", "file", name)
	}
	if bytes.IndexByte(file, 0) >= 0 {
		return nil, "", errs.New(errs.Invalid, "import.not_text", "file", name)
	}
	var text []byte
	var enc string
	switch {
	case bytes.HasPrefix(file, []byte("\xEF\xBB\xBF")):
		text, enc = file[3:], EncUTF8BOM
		if !utf8.Valid(text) {
			return nil, "", errs.New(errs.Invalid, "import.bad_encoding", "file", name)
		}
	case utf8.Valid(file):
		text, enc = file, EncUTF8
	default:
		out, _, err := transform.Bytes(simplifiedchinese.GB18030.NewDecoder(), file)
		// GB18030 maps most byte sequences to something; what it cannot
		// map comes out as U+FFFD, and a file holding it is in some other
		// encoding.
		if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
			return nil, "", errs.New(errs.Invalid, "import.bad_encoding", "file", name)
		}
		text, enc = out, EncGB18030
	}
	base := strings.TrimSuffix(path.Base(name), path.Ext(name))
	if base == "" || base == "." || base == "/" {
		base = "csv"
	}
	return &csvBook{name: base, text: text, comma: delimiter(text)}, enc, nil
}

// delimiter is the one of , ; and tab found most often, outside quotes,
// on the file's first line (comma when none is).
func delimiter(text []byte) rune {
	counts := map[rune]int{}
	quoted := false
	for _, r := range string(text[:min(len(text), 64<<10)]) {
		if r == '"' {
			quoted = !quoted
		}
		if quoted {
			continue
		}
		if r == '\n' {
			break
		}
		if r == ',' || r == ';' || r == '\t' {
			counts[r]++
		}
	}
	best := ','
	for _, r := range []rune{';', '\t'} {
		if counts[r] > counts[best] {
			best = r
		}
	}
	return best
}

func (b *csvBook) sheets() []string { return []string{b.name} }
func (b *csvBook) date1904() bool   { return false }
func (b *csvBook) close()           {}

func (b *csvBook) rows(sheet string, raw bool, fn func(n int, cells []string) error) error {
	r := csv.NewReader(bytes.NewReader(b.text))
	r.Comma, r.FieldsPerRecord, r.LazyQuotes, r.ReuseRecord = b.comma, -1, true, true
	for n := 1; ; n++ {
		cells, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			line, _ := r.FieldPos(0)
			return errs.Wrap(err, errs.Invalid, "import.bad_csv", "line", line)
		}
		if err := fn(n, cells); err != nil {
			if err == errStop {
				return nil
			}
			return err
		}
	}
}

func mib(n int64) int64 { return n >> 20 }
