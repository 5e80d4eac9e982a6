// Package export writes a module's list — its filter, sort and columns —
// as xlsx, csv or pdf, read page by page through the record read path
// (record.Service.List), so the caller's scope and field permissions apply
// and hidden fields never reach the file. Small exports are written to
// the response directly; larger ones (over Service.AsyncOver rows) run
// as durable jobs whose file is kept in the database in chunks (any node
// can serve it) behind a download link that expires.
//
// Memory stays flat whatever the row count: rows are read PageSize at a
// time, xlsx goes through excelize's StreamWriter (which spills to a
// temporary file past its buffer) and csv is written as it is read. PDF
// keeps the document in memory (fpdf does), so it is bounded by PDFMaxRows.
package export

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/dashboard"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Formats are the file formats an export may ask for.
var Formats = []string{"xlsx", "csv", "pdf"}

// Defaults of a Service.
const (
	DefaultAsyncOver  = 5000
	DefaultTTL        = 24 * time.Hour
	DefaultPageSize   = 500
	DefaultChunkSize  = 1 << 20
	DefaultPDFMaxRows = 2000
	// keepExpired is how long an expired export's row stays (its file is
	// dropped at expiry), so its link answers "expired", not "unknown".
	keepExpired = 7 * 24 * time.Hour
)

// Request is what an export asks for: the list's filter and sort (as the
// list API takes them) and the fields to export, in order (default: every
// field of the module the caller can see).
type Request struct {
	Format string   `json:"format"`
	Filter string   `json:"filter,omitempty"`
	Sort   string   `json:"sort,omitempty"`
	Fields []string `json:"fields,omitempty"`
}

// Options are the caller's locale (headers, option labels) and time zone
// (datetimes).
type Options struct {
	Locale   string `json:"locale,omitempty"`
	TimeZone string `json:"time_zone,omitempty"`
}

// Service exports lists. Set the exported fields before use; zero values
// take the defaults.
type Service struct {
	Store   *store.Store
	Records *record.Service
	Modules record.ModuleSource
	// Dashboards computes widgets' data for widget exports (PrepareWidget).
	Dashboards *dashboard.Service
	// AsyncOver is the row count above which an export runs as a job
	// (0: DefaultAsyncOver; negative: every export does).
	AsyncOver int64
	// TTL is how long a finished export's download link works.
	TTL time.Duration
	// PageSize is how many records are read at a time; ChunkSize the size
	// of the pieces a job's file is stored in.
	PageSize, ChunkSize int
	// PDFMaxRows bounds PDF exports (the document is built in memory).
	PDFMaxRows int64
	// Enqueue adds the export's job inside tx (jobs.EnqueueID).
	Enqueue func(ctx context.Context, tx *store.Tx, kind string, payload []byte) error
}

// Plan is a checked export: the module, the columns and how many rows
// the caller's scope and filter select.
type Plan struct {
	Request
	Options
	Module *meta.Module
	Total  int64
	actor  record.Actor
	cols   []column
	loc    *time.Location
	// title names the file and the sheet (default: the module's label);
	// a widget's export is titled by the widget.
	title meta.Label
	// table holds the rows of a widget's data, computed up front (typed
	// values, as column.value makes them); nil for a list.
	table [][]any
}

// Async reports whether the export is large enough to run as a job.
func (s *Service) Async(p *Plan) bool { return p.table == nil && p.Total > s.asyncOver() }

func (s *Service) asyncOver() int64 {
	if s.AsyncOver != 0 {
		return max(s.AsyncOver, -1)
	}
	return DefaultAsyncOver
}

// Title is the file's title in the caller's locale: the module's label,
// or the widget's title.
func (p *Plan) Title() string {
	if t := p.title.In(p.Locale); t != "" {
		return t
	}
	return p.Module.Label.In(p.Locale)
}

// Filename is the file's name: its title (Title).
func (p *Plan) Filename() string {
	name := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < 0x20 {
			return '_'
		}
		return r
	}, p.Title())
	if name == "" {
		name = p.Module.Key
	}
	return name + "." + p.Format
}

// ContentType is the file's media type.
func (p *Plan) ContentType() string { return contentTypes[p.Format] }

var contentTypes = map[string]string{
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"csv":  "text/csv; charset=utf-8",
	"pdf":  "application/pdf",
}

// Prepare checks an export request as actor a — the format, that every
// field exists and is visible to them, the filter and sort (by reading
// the first record with them) — and counts the rows it selects. Nothing
// is created.
func (s *Service) Prepare(ctx context.Context, a record.Actor, app, module string, req Request, o Options) (*Plan, error) {
	if !slices.Contains(Formats, req.Format) {
		return nil, errs.New(errs.Invalid, "export.bad_format", "format", req.Format, "formats", strings.Join(Formats, ", "))
	}
	m, err := s.Modules.Module(ctx, app, module)
	if err != nil {
		return nil, err
	}
	reach, err := s.Records.ReachOf(ctx, &a, m) // loads a.Principal once for every page
	if err != nil {
		return nil, err
	}
	p := &Plan{Request: req, Options: o, Module: m, actor: a, loc: time.UTC}
	if o.TimeZone != "" {
		if loc, err := time.LoadLocation(o.TimeZone); err == nil {
			p.loc = loc
		}
	}
	if p.cols, err = s.columns(ctx, m, reach.Rights, req.Fields, o.Locale); err != nil {
		return nil, err
	}
	page, err := s.Records.List(ctx, a, m, store.ListQuery{Filter: req.Filter, Sort: req.Sort, Limit: 1, Total: true}, nil)
	if err != nil {
		return nil, err
	}
	if page.Total != nil {
		p.Total = *page.Total
	}
	if req.Format == "pdf" && p.Total > s.pdfMaxRows() {
		return nil, errs.New(errs.Invalid, "export.pdf_too_many", "rows", p.Total, "max", s.pdfMaxRows())
	}
	return p, nil
}

func (s *Service) pdfMaxRows() int64 {
	if s.PDFMaxRows > 0 {
		return s.PDFMaxRows
	}
	return DefaultPDFMaxRows
}

// Write writes the plan's file to w, reading the records page by page;
// progress, when given, is told the rows written so far after each page.
func (s *Service) Write(ctx context.Context, p *Plan, w io.Writer, progress func(done int64) error) error {
	var sh sheet
	switch p.Format {
	case "xlsx":
		x, err := newXLSX(p)
		if err != nil {
			return err
		}
		sh = x
	case "csv":
		sh = newCSV(w, p.cols)
	default:
		sh = newPDF(p)
	}
	labels := make([]string, len(p.cols))
	for i, c := range p.cols {
		labels[i] = c.label
	}
	if err := sh.header(labels); err != nil {
		return err
	}
	if p.table != nil {
		for _, row := range p.table {
			if err := sh.row(row); err != nil {
				return err
			}
		}
		if progress != nil {
			if err := progress(int64(len(p.table))); err != nil {
				return err
			}
		}
		return sh.close(w)
	}
	size := s.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	var done int64
	q := store.ListQuery{Filter: p.Filter, Sort: p.Sort, Limit: size}
	for {
		page, err := s.Records.List(ctx, p.actor, p.Module, q, nil)
		if err != nil {
			return err
		}
		titles, err := s.titles(ctx, p, page.Records)
		if err != nil {
			return err
		}
		vals := make([]any, len(p.cols))
		for _, rec := range page.Records {
			for i, c := range p.cols {
				vals[i] = c.value(rec[c.key], titles[c.key], p)
			}
			if err := sh.row(vals); err != nil {
				return err
			}
		}
		done += int64(len(page.Records))
		if progress != nil {
			if err := progress(done); err != nil {
				return err
			}
		}
		if page.Next == "" || len(page.Records) == 0 {
			break
		}
		q.Cursor = page.Next
	}
	return sh.close(w)
}

// sheet is one output format: a header row, then rows of typed values
// (nil, string, int64, float64, bool, time.Time, or a date).
type sheet interface {
	header(labels []string) error
	row(vals []any) error
	close(w io.Writer) error
}

// titles resolves the lookup and user columns of one page: the titles of
// the records they point to that the actor may read, and users' names —
// one query per column and page.
func (s *Service) titles(ctx context.Context, p *Plan, recs []store.Record) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, c := range p.cols {
		if c.kind != kindRef {
			continue
		}
		var ids []string
		for _, r := range recs {
			if id, ok := r[c.key].(string); ok && id != "" {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			continue
		}
		if c.target == nil {
			users, err := s.Store.UserSummaries(ctx, ids)
			if err != nil {
				return nil, err
			}
			names := make(map[string]string, len(users))
			for id, u := range users {
				names[id], _ = u["name"].(string)
			}
			out[c.key] = names
			continue
		}
		t, err := s.Records.Titles(ctx, p.actor, c.target, ids)
		if err != nil {
			return nil, err
		}
		out[c.key] = t
	}
	return out, nil
}

// jobPayload is an export job's payload. After is the primary's WAL
// position when its creator had just written something the read replica
// had not replayed yet: the job, on whichever node runs it, reads from
// the replica only once it has (store.ReadFromReplica).
type jobPayload struct {
	ID    string `json:"id"`
	After string `json:"after_lsn,omitempty"`
}

// stored is an export's request as kept with it, with the options it was
// asked with (the job runs in the caller's locale and time zone).
type stored struct {
	Request
	Options Options    `json:"options"`
	Title   meta.Label `json:"title,omitempty"`
}

// JobKind is the kind of export jobs.
const JobKind = "export.run"

// Start records an export of p and enqueues its job, in one transaction,
// and returns the export's ID. Exports whose links expired a while ago go
// first.
func (s *Service) Start(ctx context.Context, p *Plan) (string, error) {
	s.purge(ctx)
	if p.table != nil {
		return "", errs.New(errs.Internal, "export.failed") // a widget's table is written at once
	}
	req, err := json.Marshal(stored{Request: p.Request, Options: p.Options, Title: p.title})
	if err != nil {
		return "", err
	}
	row := &store.ExportRow{App: p.Module.AppKey, Module: p.Module.Key, CreatedBy: p.actor.User.ID,
		Format: p.Format, Request: string(req), Total: p.Total, Token: newToken()}
	after, err := s.Store.PendingWriteLSN(ctx, p.actor.User.ID)
	if err != nil {
		return "", err
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := s.Store.CreateExport(ctx, tx, row); err != nil {
			return err
		}
		payload, _ := json.Marshal(jobPayload{ID: row.ID, After: after})
		return s.Enqueue(ctx, tx, JobKind, payload)
	})
	return row.ID, err
}

// purge drops expired files, and the rows of exports expired long ago; a
// failure is not the caller's problem (the next export, or the periodic
// Purge, tries again).
func (s *Service) purge(ctx context.Context) {
	_, _ = s.Purge(ctx, s.Store.Now())
}

// Purge drops the files (chunks) of the exports whose links expired before
// now — their rows stay, so the links answer 410 — and the rows of
// exports finished or failed more than a week before now; it returns how
// many rows went. The job runner calls it periodically (jobs.Runner.OnPurge,
// wired in runtime/server), so expired files go even when nobody exports.
func (s *Service) Purge(ctx context.Context, now time.Time) (int64, error) {
	return s.Store.PurgeExports(ctx, now, now.Add(-keepExpired))
}

// Run is the export job's handler (an external one: it writes the file in
// short transactions of its own, so its progress shows while it runs, and
// a retry starts the file afresh). It runs as the user who asked, with
// their rights as they are now; a refusal (the module deleted, a field
// now hidden) fails the export with its message instead of retrying.
func (s *Service) Run(ctx context.Context, job *store.Job) error {
	err := s.run(ctx, job)
	if err != nil && job.Attempts >= job.MaxAttempts && job.MaxAttempts > 0 {
		// The last attempt: the job goes dead, and the export must not
		// stay "running" for ever.
		var pl jobPayload
		if json.Unmarshal(job.Payload, &pl) == nil {
			msg, _ := json.Marshal(i18n.M("export.failed"))
			_ = s.Store.FailExport(context.WithoutCancel(ctx), pl.ID, string(msg))
		}
	}
	return err
}

func (s *Service) run(ctx context.Context, job *store.Job) error {
	var pl jobPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return err
	}
	row, err := s.Store.Export(ctx, pl.ID)
	if err != nil {
		if errs.CodeOf(err) == errs.NotFound {
			return nil // purged meanwhile
		}
		return err
	}
	if row.Status == store.ExportDone || row.Status == store.ExportFailed {
		return nil
	}
	var st stored
	if err := json.Unmarshal([]byte(row.Request), &st); err != nil {
		return err
	}
	user, err := s.Store.UserByID(ctx, row.CreatedBy)
	if err != nil {
		return err
	}
	// The records are read from the replica when there is one (and it
	// holds what the user wrote before asking); the export's own rows are
	// written to the primary as always.
	ctx = store.ReadFromReplica(ctx, user.ID, pl.After)
	p, err := s.Prepare(ctx, record.Actor{User: user, Via: "export"}, row.App, row.Module, st.Request, st.Options)
	if err != nil {
		return s.refused(ctx, row.ID, err)
	}
	p.title = st.Title
	if err := s.Store.StartExport(ctx, row.ID, p.Total); err != nil {
		return err
	}
	cw := &chunkWriter{s: s, id: row.ID, ctx: ctx}
	err = s.Write(ctx, p, cw, func(done int64) error {
		cw.done = done
		return s.Store.ExportProgress(ctx, row.ID, done)
	})
	if err == nil {
		err = cw.flush()
	}
	if err != nil {
		return s.refused(ctx, row.ID, err)
	}
	return s.Store.FinishExport(ctx, row.ID, p.Filename(), cw.size, cw.done, s.Store.Now().Add(s.ttl()))
}

// refused fails the export when err is the request's fault (it would fail
// again); other errors are returned for the runner to retry.
func (s *Service) refused(ctx context.Context, id string, err error) error {
	var e *errs.Error
	if !errors.As(err, &e) || e.Code == errs.Internal {
		return err
	}
	msg, _ := json.Marshal(e.Msg)
	return s.Store.FailExport(ctx, id, string(msg))
}

func (s *Service) ttl() time.Duration {
	if s.TTL > 0 {
		return s.TTL
	}
	return DefaultTTL
}

// chunkWriter stores what is written to it as an export's chunks.
type chunkWriter struct {
	s    *Service
	ctx  context.Context
	id   string
	buf  []byte
	seq  int
	size int64
	done int64
}

func (w *chunkWriter) Write(b []byte) (int, error) {
	limit := w.s.ChunkSize
	if limit <= 0 {
		limit = DefaultChunkSize
	}
	n := len(b)
	for len(b) > 0 {
		take := min(limit-len(w.buf), len(b))
		w.buf = append(w.buf, b[:take]...)
		b = b[take:]
		if len(w.buf) >= limit {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (w *chunkWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if err := w.s.Store.AppendExportChunk(w.ctx, w.id, w.seq, w.buf); err != nil {
		return err
	}
	w.seq++
	w.size += int64(len(w.buf))
	w.buf = w.buf[:0]
	return nil
}

// Status is what the creator of an export sees of it.
type Status struct {
	ID          string     `json:"id"`
	Status      string     `json:"status"` // pending, running, done, failed, expired
	Format      string     `json:"format"`
	Progress    Progress   `json:"progress"`
	Filename    string     `json:"filename,omitempty"`
	Size        int64      `json:"size,omitempty"`
	DownloadURL string     `json:"download_url,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	Error       string     `json:"error,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

// Progress is how many of the rows an export has written.
type Progress struct {
	Done    int64 `json:"done"`
	Total   int64 `json:"total"`
	Percent int   `json:"percent"`
}

// StatusOf returns export id as its creator sees it, messages in locale;
// anyone else is told it does not exist.
func (s *Service) StatusOf(ctx context.Context, u *access.User, id, locale string) (*Status, error) {
	row, err := s.own(ctx, u, id)
	if err != nil {
		return nil, err
	}
	st := &Status{ID: row.ID, Status: row.Status, Format: row.Format, CreatedAt: row.CreatedAt,
		Progress: Progress{Done: row.Done, Total: row.Total}}
	if row.Total > 0 {
		st.Progress.Percent = int(min(row.Done*100/row.Total, 100))
	} else if row.Status == store.ExportDone {
		st.Progress.Percent = 100
	}
	switch row.Status {
	case store.ExportDone:
		exp := row.ExpiresAt
		st.ExpiresAt, st.Filename, st.Size = &exp, row.Filename, row.Size
		if !s.Store.Now().Before(exp) {
			st.Status = "expired"
		} else {
			st.DownloadURL = "/api/exports/" + row.ID + "/download?token=" + row.Token
		}
	case store.ExportFailed:
		var m i18n.Msg
		if json.Unmarshal([]byte(row.Error), &m) == nil && m.Key != "" {
			st.Error = i18n.T(locale, m)
		}
	}
	return st, nil
}

// own returns export id if u created it; else it is not found.
func (s *Service) own(ctx context.Context, u *access.User, id string) (*store.ExportRow, error) {
	row, err := s.Store.Export(ctx, id)
	if err != nil {
		return nil, err
	}
	if u == nil || row.CreatedBy != u.ID {
		return nil, errs.New(errs.NotFound, "export.not_found", "id", id)
	}
	return row, nil
}

// ErrExpired is returned by Open for a link past its expiry.
var ErrExpired = errors.New("export link expired")

// Open checks a download of export id by u with token: only its creator,
// with the link's token, before it expires (ErrExpired after), once done.
func (s *Service) Open(ctx context.Context, u *access.User, id, token string) (*store.ExportRow, error) {
	row, err := s.own(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if !tokenEqual(row.Token, token) {
		return nil, errs.New(errs.NotFound, "export.not_found", "id", id)
	}
	if row.Status != store.ExportDone {
		return nil, errs.New(errs.Conflict, "export.not_ready", "status", row.Status)
	}
	if !s.Store.Now().Before(row.ExpiresAt) {
		return nil, ErrExpired
	}
	return row, nil
}

// Copy writes export row's file to w, one stored chunk at a time.
func (s *Service) Copy(ctx context.Context, row *store.ExportRow, w io.Writer) error {
	return s.Store.ExportChunks(ctx, row.ID, func(b []byte) error {
		_, err := w.Write(b)
		return err
	})
}
