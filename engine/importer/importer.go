// Package importer imports xlsx and csv files into a module. An upload is
// checked (format, encoding, size, zip bombs, columns and rows within
// bounds), stored in the database with what was detected in it — the
// sheet, the header row, the columns — and answered with a suggested
// mapping of columns to fields and a sample. A dry run writes every row
// through the record write path in a transaction it rolls back, and says
// what would be created, updated, skipped and which cells are wrong; a run
// does the same for real, as a durable job with progress. Every row goes
// through engine/record (validation, rules, audit, permissions and flows
// apply) as the user who uploaded the file.
//
// Memory is bounded by the upload limit: the file is held whole while it
// is read (an xlsx must be), its sheets stream through excelize's row
// reader (large ones from temporary files), and rows are written one at a
// time in transactions of BatchSize rows (all-or-nothing runs: one).
package importer

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Defaults of a Service.
const (
	DefaultMaxSize    = 20 << 20  // bytes of an uploaded file
	DefaultMaxRows    = 200_000   // data rows of one import
	DefaultMaxColumns = 1000      // columns of the header row
	DefaultBatchSize  = 500       // rows per transaction of a run
	DefaultChunkSize  = 1 << 20   // bytes per stored chunk of the file
	DefaultUnzipped   = 512 << 20 // bytes of an xlsx's parts, uncompressed
	DefaultMaxErrors  = 1000      // errors a dry run answers with
	sampleRows        = 5
	headerScan        = 20 // rows searched for the header
	keep              = 7 * 24 * time.Hour
)

// JobKind is the kind of import jobs.
const JobKind = "import.run"

// Service imports files. Set the exported fields before use; zero values
// take the defaults.
type Service struct {
	Store   *store.Store
	Records *record.Service
	Modules record.ModuleSource
	// MaxSize bounds uploads (bytes); MaxRows the data rows and
	// MaxColumns the header's columns of a sheet.
	MaxSize    int64
	MaxRows    int64
	MaxColumns int
	// BatchSize is how many rows a run writes per transaction (and
	// between progress reports).
	BatchSize int
	// MaxErrors bounds the errors a dry run answers with (the counts are
	// always whole).
	MaxErrors int
	// Enqueue adds the import's job inside tx (jobs.Enqueue).
	Enqueue func(ctx context.Context, tx *store.Tx, kind string, payload []byte) error
}

func (s *Service) maxSize() int64 { return orDefault(s.MaxSize, DefaultMaxSize) }
func (s *Service) maxRows() int64 { return orDefault(s.MaxRows, DefaultMaxRows) }
func (s *Service) maxColumns() int {
	return int(orDefault(int64(s.MaxColumns), DefaultMaxColumns))
}
func (s *Service) batchSize() int { return int(orDefault(int64(s.BatchSize), DefaultBatchSize)) }
func (s *Service) maxErrors() int { return int(orDefault(int64(s.MaxErrors), DefaultMaxErrors)) }

func orDefault(v, d int64) int64 {
	if v > 0 {
		return v
	}
	return d
}

// MaxUpload is the upload limit in bytes (the HTTP layer reads no more).
func (s *Service) MaxUpload() int64 { return s.maxSize() }

// TooLarge is the error of an upload over the limit.
func (s *Service) TooLarge() error {
	return errs.New(errs.TooLarge, "import.too_large", "max", mib(s.maxSize()))
}

// Options are the caller's locale (messages, matching) and time zone
// (date-times without one are read in it).
type Options struct {
	Locale   string `json:"locale,omitempty"`
	TimeZone string `json:"time_zone,omitempty"`
}

func (o Options) loc() *time.Location {
	if o.TimeZone != "" {
		if l, err := time.LoadLocation(o.TimeZone); err == nil {
			return l
		}
	}
	return time.UTC
}

// Upload is what the caller may say about the file besides sending it:
// the sheet to read and the header row's number (default: detected).
type Upload struct {
	Filename  string
	Sheet     string
	HeaderRow int
}

// Uploaded is what an upload answers: the import's id, what was detected
// and the suggested mapping.
type Uploaded struct {
	ID        string            `json:"id"`
	Filename  string            `json:"filename"`
	Format    string            `json:"format"`
	Encoding  string            `json:"encoding,omitempty"`
	Sheets    []string          `json:"sheets"`
	Sheet     string            `json:"sheet"`
	HeaderRow int               `json:"header_row"`
	Rows      int64             `json:"rows"`
	Columns   []string          `json:"columns"`
	Mapping   map[string]string `json:"mapping"`
	Sample    [][]string        `json:"sample"`
}

// detected is what reading a sheet found.
type detected struct {
	sheet     string
	headerRow int
	columns   []string
	rows      int64
	sample    [][]string
}

// Create checks an uploaded file as actor a (who must be able to create
// records of the module), detects its sheet, header and columns, stores
// it and answers with a suggested mapping. A bad file stores nothing.
func (s *Service) Create(ctx context.Context, a record.Actor, app, module string, up Upload, file []byte, o Options) (*Uploaded, error) {
	m, err := s.Modules.Module(ctx, app, module)
	if err != nil {
		return nil, err
	}
	reach, err := s.Records.ReachOf(ctx, &a, m)
	if err != nil {
		return nil, err
	}
	if !reach.Rights.Can(access.ActCreate) && !reach.Rights.Can(access.ActUpdate) {
		return nil, record.Forbidden(m, access.ActCreate)
	}
	if int64(len(file)) > s.maxSize() {
		return nil, s.TooLarge()
	}
	if len(file) == 0 {
		return nil, errs.New(errs.Invalid, "import.empty_file")
	}
	name := up.Filename
	if name == "" {
		name = "upload"
	}
	b, format, enc, err := openBook(name, file, s.limits())
	if err != nil {
		return nil, err
	}
	defer b.close()
	d, err := s.detect(b, up, m, reach.Rights)
	if err != nil {
		return nil, err
	}
	cols, _ := json.Marshal(d.columns)
	s.purge(ctx)
	row := &store.ImportRow{App: m.AppKey, Module: m.Key, CreatedBy: a.User.ID, Filename: name, Format: format, Encoding: enc,
		Size: int64(len(file)), Sheet: d.sheet, HeaderRow: d.headerRow, Columns: string(cols), Total: d.rows}
	if err := s.Store.CreateImport(ctx, row, file, DefaultChunkSize); err != nil {
		return nil, err
	}
	return &Uploaded{ID: row.ID, Filename: name, Format: format, Encoding: enc, Sheets: b.sheets(), Sheet: d.sheet,
		HeaderRow: d.headerRow, Rows: d.rows, Columns: d.columns, Mapping: suggest(d.columns, m, reach.Rights), Sample: d.sample}, nil
}

func (s *Service) limits() limits {
	return limits{unzipped: DefaultUnzipped, part: 16 << 20}
}

// purge drops imports untouched for a week; a failure is not the
// caller's problem (the next upload tries again).
func (s *Service) purge(ctx context.Context) {
	_, _ = s.Store.PurgeImports(ctx, s.Store.Now().Add(-keep))
}

// detect picks the sheet (the one asked for, else the first with
// anything in it) and its header row (the one asked for, else among the
// first rows the one naming most fields, else the first of the widest),
// names the columns and counts the data rows (checking the limits).
func (s *Service) detect(b book, up Upload, m *meta.Module, r *access.ModuleRights) (*detected, error) {
	d := &detected{}
	var head [][]string // the first rows, formatted; nil entries are blank rows
	read := func(sheet string) error {
		head = head[:0]
		return b.rows(sheet, false, func(n int, cells []string) error {
			if n > headerScan+sampleRows*4 {
				return errStop
			}
			if blank(cells) {
				head = append(head, nil)
			} else {
				head = append(head, append([]string(nil), cells[:min(len(cells), s.maxColumns()+1)]...))
			}
			return nil
		})
	}
	if up.Sheet != "" {
		found := false
		for _, sh := range b.sheets() {
			found = found || sh == up.Sheet
		}
		if !found {
			return nil, errs.New(errs.Invalid, "import.no_such_sheet", "sheet", up.Sheet, "sheets", strings.Join(b.sheets(), ", "))
		}
		d.sheet = up.Sheet
		if err := read(d.sheet); err != nil {
			return nil, err
		}
	} else {
		for _, sh := range b.sheets() {
			if err := read(sh); err != nil {
				return nil, err
			}
			if !allBlank(head) {
				d.sheet = sh
				break
			}
		}
		if d.sheet == "" {
			return nil, errs.New(errs.Invalid, "import.empty_sheet")
		}
	}
	if up.HeaderRow > 0 {
		if up.HeaderRow > len(head) || head[up.HeaderRow-1] == nil {
			return nil, errs.New(errs.Invalid, "import.bad_header_row", "row", up.HeaderRow)
		}
		d.headerRow = up.HeaderRow
	} else {
		d.headerRow = headerRow(head, m, r)
		if d.headerRow == 0 {
			return nil, errs.New(errs.Invalid, "import.empty_sheet")
		}
	}
	header := head[d.headerRow-1]
	width := len(header)
	for width > 0 && strings.TrimSpace(header[width-1]) == "" {
		width--
	}
	if width > s.maxColumns() {
		return nil, errs.New(errs.Invalid, "import.too_many_columns", "max", s.maxColumns())
	}
	d.columns = columnNames(header[:width])
	for _, cells := range head[d.headerRow:] {
		if cells != nil && len(d.sample) < sampleRows {
			d.sample = append(d.sample, fit(cells, width))
		}
	}
	// Count the data rows to the end of the sheet (and refuse too many
	// before anything is stored).
	err := b.rows(d.sheet, true, func(n int, cells []string) error {
		if n <= d.headerRow || blank(cells) {
			return nil
		}
		d.rows++
		if d.rows > s.maxRows() {
			return errs.New(errs.Invalid, "import.too_many_rows", "max", s.maxRows())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if d.rows == 0 {
		return nil, errs.New(errs.Invalid, "import.no_rows")
	}
	return d, nil
}

// headerRow is the number of the header among the first rows: the one
// whose cells name most fields, else the first of those with the most
// cells filled; 0 when all are blank.
func headerRow(head [][]string, m *meta.Module, r *access.ModuleRights) int {
	best, bestMatches, widest, widestN := 0, 0, 0, 0
	for i, cells := range head[:min(len(head), headerScan)] {
		if cells == nil {
			continue
		}
		if n := len(suggest(columnNames(cells), m, r)); n > bestMatches {
			best, bestMatches = i+1, n
		}
		filled := 0
		for _, c := range cells {
			if strings.TrimSpace(c) != "" {
				filled++
			}
		}
		if filled > widestN {
			widest, widestN = i+1, filled
		}
	}
	if best > 0 {
		return best
	}
	return widest
}

// columnNames are the header's cells as column names: trimmed, a blank
// one named by its column letter, a repeated one numbered.
func columnNames(header []string) []string {
	out := make([]string, len(header))
	seen := map[string]int{}
	for i, h := range header {
		name := strings.Join(strings.Fields(h), " ")
		if name == "" {
			name, _ = excelize.ColumnNumberToName(i + 1)
		}
		seen[name]++
		if n := seen[name]; n > 1 {
			name += " (" + strconv.Itoa(n) + ")"
		}
		out[i] = name
	}
	return out
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func allBlank(rows [][]string) bool {
	for _, r := range rows {
		if r != nil {
			return false
		}
	}
	return true
}

// fit is cells cut or padded to width.
func fit(cells []string, width int) []string {
	out := make([]string, width)
	copy(out, cells)
	return out
}

// Import is an import as its uploader sees it.
type Import struct {
	ID        string     `json:"id"`
	Status    string     `json:"status"` // uploaded, pending, running, done, failed
	Module    string     `json:"module"`
	App       string     `json:"app"`
	Filename  string     `json:"filename"`
	Format    string     `json:"format"`
	Encoding  string     `json:"encoding,omitempty"`
	Sheet     string     `json:"sheet"`
	HeaderRow int        `json:"header_row"`
	Columns   []string   `json:"columns"`
	Request   *Request   `json:"request,omitempty"`
	Progress  Progress   `json:"progress"`
	Counts    Counts     `json:"counts"`
	Error     string     `json:"error,omitempty"`
	ErrorsURL string     `json:"errors_url,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// Progress is how many of the data rows a run has gone through.
type Progress struct {
	Done    int64 `json:"done"`
	Total   int64 `json:"total"`
	Percent int   `json:"percent"`
}

// Counts are the outcomes of a run's (or a dry run's) rows.
type Counts struct {
	Created int64 `json:"created"`
	Updated int64 `json:"updated"`
	Skipped int64 `json:"skipped"`
	Failed  int64 `json:"failed"`
}

// own returns import id if u uploaded it; else it is not found.
func (s *Service) own(ctx context.Context, u *access.User, id string) (*store.ImportRow, error) {
	row, err := s.Store.Import(ctx, id)
	if err != nil {
		return nil, err
	}
	if u == nil || row.CreatedBy != u.ID {
		return nil, errs.New(errs.NotFound, "import.not_found", "id", id)
	}
	return row, nil
}

// Get returns import id as its uploader sees it, messages in locale.
func (s *Service) Get(ctx context.Context, u *access.User, id, locale string) (*Import, error) {
	row, err := s.own(ctx, u, id)
	if err != nil {
		return nil, err
	}
	im := &Import{ID: row.ID, Status: row.Status, Module: row.Module, App: row.App, Filename: row.Filename, Format: row.Format,
		Encoding: row.Encoding, Sheet: row.Sheet, HeaderRow: row.HeaderRow, CreatedAt: row.CreatedAt,
		Progress: Progress{Done: row.Done, Total: row.Total},
		Counts:   Counts{Created: row.Created, Updated: row.Updated, Skipped: row.Skipped, Failed: row.Failed}}
	updated := row.UpdatedAt
	im.UpdatedAt = &updated
	_ = json.Unmarshal([]byte(row.Columns), &im.Columns)
	if row.Request != "" {
		var st stored
		if json.Unmarshal([]byte(row.Request), &st) == nil {
			im.Request = &st.Request
		}
	}
	if row.Total > 0 {
		im.Progress.Percent = int(min(row.Done*100/row.Total, 100))
	}
	if row.Status == store.ImportDone {
		im.Progress.Percent = 100
	}
	if row.Error != "" {
		var m i18n.Msg
		if json.Unmarshal([]byte(row.Error), &m) == nil && m.Key != "" {
			im.Error = i18n.T(locale, m)
		}
	}
	if (row.Status == store.ImportDone || row.Status == store.ImportFailed) && row.Failed > 0 {
		im.ErrorsURL = "/api/imports/" + row.ID + "/errors.xlsx"
	}
	return im, nil
}

// stored is a run's request as kept with the import, with the options it
// was asked with (the job runs in the caller's locale and time zone).
type stored struct {
	Request
	Options Options `json:"options"`
}

// jobPayload is an import job's payload.
type jobPayload struct {
	ID string `json:"id"`
}

// errRollback ends a transaction that must not commit (a dry run, a
// failed all-or-nothing run) without being an error of its own.
var errRollback = errors.New("rollback")
