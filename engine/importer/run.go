package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// RowError is one problem of one row, as a dry run answers it: the row's
// number in the sheet, the column and field (empty for the whole row) and
// the message in the caller's locale.
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// DryRun is what a dry run found: the counts the run would end with,
// whether an all-or-nothing run would write nothing, and the errors (at
// most Service.MaxErrors; ErrorsTotal counts them all).
type DryRun struct {
	Counts
	Rows        int64      `json:"rows"`
	Aborted     bool       `json:"aborted"`
	Errors      []RowError `json:"errors"`
	ErrorsTotal int        `json:"errors_total"`
}

func (s *Service) actor(ctx context.Context, userID string) (record.Actor, error) {
	u, err := s.Store.UserByID(ctx, userID)
	if err != nil {
		return record.Actor{}, err
	}
	return record.Actor{User: u, Via: "import"}, nil
}

// DryRun writes every row of import id as its uploader u would with req,
// and reports what would happen. It writes BatchSize rows to a
// transaction and rolls each back, so it never holds the database (on
// SQLite its one writer) for longer than a batch. What a row would meet
// of the rows of earlier batches — their values of unique fields — is
// carried over: a key seen before counts as an update (an insert with a
// key: skipped), another unique value seen before is the duplicate the
// run would refuse.
func (s *Service) DryRun(ctx context.Context, u *access.User, id string, req Request, o Options) (*DryRun, error) {
	row, err := s.own(ctx, u, id)
	if err != nil {
		return nil, err
	}
	se, b, err := s.open(ctx, record.Actor{User: u, Via: "import"}, row, req, o)
	if err != nil {
		return nil, err
	}
	defer b.close()
	out := &DryRun{Errors: []RowError{}}
	seen := map[string]map[string]string{} // unique field → values written by earlier batches → the row's cells
	var batch []dataRow
	report := func(dr dataRow, o outcome, bad []cellError) {
		out.Rows++
		se.counts.add(o)
		for _, ce := range bad {
			out.ErrorsTotal++
			if len(out.Errors) < s.maxErrors() {
				out.Errors = append(out.Errors, RowError{Row: dr.n, Column: ce.Column, Field: ce.Field, Message: i18n.T(se.opts.Locale, ce.Msg)})
			}
		}
	}
	flush := func() error {
		written := map[string]map[string]string{}
		err := s.Records.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			type prior struct {
				uniq   map[string]string
				fp     string
				o      outcome
				bad    []cellError
				done   bool
				update bool
			}
			pr := make([]prior, len(batch))
			var todo []dataRow
			for i, dr := range batch {
				p := &pr[i]
				p.uniq, p.fp = se.uniqueValues(dr), se.fingerprint(dr)
				p.o, p.bad, p.done = se.earlier(p.uniq, seen, p.fp)
				if !p.done {
					p.update = p.o == updated
					todo = append(todo, dr)
				}
			}
			res, err := se.writeChunk(ctx, tx, todo)
			if err != nil {
				return err
			}
			for i, dr := range batch {
				p := &pr[i]
				o, bad := p.o, p.bad
				if !p.done {
					o, bad = res[0].o, res[0].bad
					res = res[1:]
					if p.update && o != failed {
						// The record the key names was written by an
						// earlier batch, with other values than these.
						o = updated
					}
				}
				if o == created || o == updated {
					for f, v := range p.uniq {
						if written[f] == nil {
							written[f] = map[string]string{}
						}
						written[f][v] = p.fp
					}
				}
				report(dr, o, bad)
			}
			return errRollback
		})
		if err != errRollback {
			return err
		}
		for f, vs := range written {
			if seen[f] == nil {
				seen[f] = map[string]string{}
			}
			for v, fp := range vs {
				seen[f][v] = fp
			}
		}
		return nil
	}
	err = se.batches(b, 0, s.batchSize(), func(rows []dataRow) error {
		batch = rows
		return flush()
	})
	if err != nil {
		return nil, err
	}
	out.Counts = se.counts
	if se.req.OnError == OnErrorAbort && out.Failed > 0 {
		out.Aborted = true
		out.Created, out.Updated, out.Skipped = 0, 0, 0
	}
	return out, nil
}

// uniqueValues are the row's values of the unique fields the mapping
// fills (as compared: converted, then as text).
func (se *session) uniqueValues(dr dataRow) map[string]string {
	var out map[string]string
	for _, c := range se.cols {
		if !c.field.Unique || c.col.Kind == meta.ColRef || blank([]string{dr.cells[c.index]}) {
			continue
		}
		v, msg := c.convert(dr.cells[c.index], se.loc, se.d1904)
		if msg != nil {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[c.field.Key] = fmt.Sprint(sqlValue(v))
	}
	return out
}

// fingerprint is the row's mapped cells, as a dry run compares rows.
func (se *session) fingerprint(dr dataRow) string {
	var b strings.Builder
	for _, c := range se.cols {
		b.WriteString(strings.TrimSpace(dr.cells[c.index]))
		b.WriteByte(0)
	}
	return b.String()
}

// earlier is what a dry run's row meets of the rows of earlier batches:
// its key written before (insert: skipped, done; upsert: the same cells
// again change nothing — skipped, done — other cells are written as they
// are but counted as an update), or another unique value written before
// (failed as a duplicate, done).
func (se *session) earlier(uniq map[string]string, seen map[string]map[string]string, fp string) (outcome, []cellError, bool) {
	o := created
	var bad []cellError
	for _, c := range se.cols {
		v, ok := uniq[c.field.Key]
		if !ok {
			continue
		}
		before, ok := seen[c.field.Key][v]
		if !ok {
			continue
		}
		if se.key != nil && c.field.Key == se.key.field.Key {
			if se.req.Mode == ModeInsert || before == fp {
				return skipped, nil, true
			}
			o = updated
			continue
		}
		bad = append(bad, cellError{Column: c.name, Field: c.field.Key, Msg: i18n.M("store.duplicate_value", "field", c.field.Key)})
	}
	if len(bad) > 0 {
		return failed, bad, true
	}
	return o, nil, false
}

// Start checks req and queues import id's run as a job; an import runs
// once.
func (s *Service) Start(ctx context.Context, u *access.User, id string, req Request, o Options) (*Import, error) {
	row, err := s.own(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if row.Status != store.ImportUploaded {
		return nil, errs.New(errs.Conflict, "import.already_run")
	}
	se, b, err := s.open(ctx, record.Actor{User: u, Via: "import"}, row, req, o)
	if err != nil {
		return nil, err
	}
	b.close()
	body, err := json.Marshal(stored{Request: se.req, Options: o})
	if err != nil {
		return nil, err
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := s.Store.QueueImport(ctx, tx, row.ID, string(body)); err != nil {
			return err
		}
		payload, _ := json.Marshal(jobPayload{ID: row.ID})
		return s.Enqueue(ctx, tx, JobKind, payload)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, u, id, o.Locale)
}

// Run is the import job's handler (an external one: it writes in
// transactions of its own, so its progress shows while it runs). It runs
// as the uploader, with their rights as they are now. Rows are written
// BatchSize to a transaction, each committed with the progress and the
// failed rows it counts, so a retried job goes on where the last attempt
// stopped; an all-or-nothing run writes everything in one transaction,
// or — one bad row — nothing. A refusal of the whole run (the module
// deleted, a field now hidden) fails the import with its message instead
// of retrying.
func (s *Service) Run(ctx context.Context, job *store.Job) error {
	err := s.run(ctx, job)
	if err != nil && job.Attempts >= job.MaxAttempts && job.MaxAttempts > 0 {
		var pl jobPayload
		if json.Unmarshal(job.Payload, &pl) == nil {
			msg, _ := json.Marshal(i18n.M("import.failed"))
			_ = s.Store.InTx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
				return s.Store.FinishImport(ctx, tx, pl.ID, store.ImportFailed, string(msg))
			})
		}
	}
	return err
}

func (s *Service) run(ctx context.Context, job *store.Job) error {
	var pl jobPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return err
	}
	row, err := s.Store.Import(ctx, pl.ID)
	if err != nil {
		if errs.CodeOf(err) == errs.NotFound {
			return nil // purged meanwhile
		}
		return err
	}
	if row.Status == store.ImportDone || row.Status == store.ImportFailed {
		return nil
	}
	var st stored
	if err := json.Unmarshal([]byte(row.Request), &st); err != nil {
		return err
	}
	a, err := s.actor(ctx, row.CreatedBy)
	if err != nil {
		return err
	}
	if a.User.Disabled {
		// Someone who may no longer sign in writes nothing more.
		return s.refused(ctx, row.ID, errs.New(errs.Forbidden, "import.uploader_disabled"))
	}
	se, b, err := s.open(ctx, a, row, st.Request, st.Options)
	if err != nil {
		return s.refused(ctx, row.ID, err)
	}
	defer b.close()
	if err := s.Store.StartImport(ctx, row.ID); err != nil {
		return err
	}
	if se.req.OnError == OnErrorAbort {
		err = s.runAll(ctx, se, b)
	} else {
		err = s.runBatches(ctx, se, b)
	}
	if err != nil {
		return s.refused(ctx, row.ID, err)
	}
	// A bulk load changes the table's statistics more than any day of
	// ordinary writes: refresh them so the planner's next choices (count
	// through an index or scan, which index for a filter) fit the new
	// data. A failure here is not the import's: it is done.
	if err := s.Store.Analyze(ctx, se.m); err != nil && ctx.Err() == nil {
		slog.Warn("import: statistics not refreshed after the import", "import", row.ID, "err", err)
	}
	return nil
}

// failedRow is a failed row as kept for the errors file.
func failedRow(dr dataRow, bad []cellError) store.ImportError {
	cells, _ := json.Marshal(dr.cells)
	kept := make([]keptError, len(bad))
	for i, ce := range bad {
		msg, _ := i18n.Encode(ce.Msg) // read in the reader's language
		kept[i] = keptError{Column: ce.Column, Field: ce.Field, Msg: msg}
	}
	es, _ := json.Marshal(kept)
	return store.ImportError{Row: dr.n, Cells: string(cells), Errors: string(es)}
}

// keptError is a cellError as kept in import_errors.
type keptError struct {
	Column string          `json:"column,omitempty"`
	Field  string          `json:"field,omitempty"`
	Msg    json.RawMessage `json:"msg"`
}

func (s *Service) runBatches(ctx context.Context, se *session, b book) error {
	c := store.ImportCounts{Done: se.row.Done, Created: se.row.Created, Updated: se.row.Updated,
		Skipped: se.row.Skipped, Failed: se.row.Failed}
	var batch []dataRow
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		next := c
		err := s.Records.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			var bads []store.ImportError
			res, err := se.writeChunk(ctx, tx, batch)
			if err != nil {
				return err
			}
			for i, dr := range batch {
				next.Done = dr.index
				addCount(&next, res[i].o)
				if res[i].o == failed {
					bads = append(bads, failedRow(dr, res[i].bad))
				}
			}
			return s.Store.ImportProgress(ctx, tx, se.row.ID, next, bads)
		})
		if err != nil {
			return err
		}
		c = next
		return nil
	}
	err := se.batches(b, c.Done, s.batchSize(), func(rows []dataRow) error {
		batch = rows
		return flush()
	})
	if err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		return s.Store.FinishImport(ctx, tx, se.row.ID, store.ImportDone, "")
	})
}

func addCount(c *store.ImportCounts, o outcome) {
	switch o {
	case created:
		c.Created++
	case updated:
		c.Updated++
	case skipped:
		c.Skipped++
	case failed:
		c.Failed++
	}
}

// runAll writes every row in one transaction, committed only when no row
// failed. On PostgreSQL the progress is recorded as it goes, in short
// transactions beside the long one; SQLite has one writer, held by the
// long transaction, so there the progress shows at the end.
func (s *Service) runAll(ctx context.Context, se *session, b book) error {
	var c store.ImportCounts
	var bads []store.ImportError
	side := s.Store.D.Name() != "sqlite"
	err := s.Records.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := s.Store.ResetImportErrors(ctx, tx, se.row.ID); err != nil {
			return err
		}
		err := se.batches(b, 0, s.batchSize(), func(batch []dataRow) error {
			res, err := se.writeChunk(ctx, tx, batch)
			if err != nil {
				return err
			}
			for i, dr := range batch {
				c.Done = dr.index
				addCount(&c, res[i].o)
				if res[i].o == failed {
					bads = append(bads, failedRow(dr, res[i].bad))
				}
			}
			if side {
				return s.Store.InTx(context.WithoutCancel(ctx), func(ptx *store.Tx) error {
					return s.Store.ImportProgress(ctx, ptx, se.row.ID, store.ImportCounts{Done: c.Done}, nil)
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
		if c.Failed > 0 {
			return errRollback
		}
		if err := s.Store.ImportProgress(ctx, tx, se.row.ID, c, nil); err != nil {
			return err
		}
		return s.Store.FinishImport(ctx, tx, se.row.ID, store.ImportDone, "")
	})
	if err != errRollback {
		return err
	}
	// Nothing was written: the import fails, with the bad rows (and only
	// those) counted and kept for the errors file.
	msg, _ := json.Marshal(i18n.M("import.aborted", "failed", c.Failed))
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := s.Store.ImportProgress(ctx, tx, se.row.ID, store.ImportCounts{Done: c.Done, Failed: c.Failed}, bads); err != nil {
			return err
		}
		return s.Store.FinishImport(ctx, tx, se.row.ID, store.ImportFailed, string(msg))
	})
}

// refused fails the import when err is the request's fault (it would
// fail again); other errors are returned for the runner to retry.
func (s *Service) refused(ctx context.Context, id string, err error) error {
	e, ok := errs.As(err)
	if !ok || e.Code == errs.Internal {
		return err
	}
	msg, _ := json.Marshal(e.Msg)
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		return s.Store.FinishImport(ctx, tx, id, store.ImportFailed, string(msg))
	})
}
