package summary

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// BuildJob is the KindBuild job handler: it builds the summary in the
// job's transaction.
func (s *Service) BuildJob(ctx context.Context, tx *store.Tx, job *jobs.Job) error {
	var p buildPayload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return err
	}
	return s.build(ctx, tx, p.ID)
}

// Build builds (or rebuilds) summary id now, in a transaction of its own.
func (s *Service) Build(ctx context.Context, id string) error {
	return s.Store.InTx(ctx, func(tx *store.Tx) error { return s.build(ctx, tx, id) })
}

// build fills summary id's table from the module's table and makes it
// ready, all in tx. On PostgreSQL the module's table is locked in SHARE
// mode first: the lock waits for the writes in flight (their deltas went
// to the old rows, which are replaced, and their records are in the GROUP
// BY) and holds new ones until the commit (they then see the summary
// ready and add their deltas). On SQLite tx is the one writer anyway.
// While it runs, PostgreSQL shows the summary as building (a separate
// statement, so others see it) and a failure as failed.
func (s *Service) build(ctx context.Context, tx *store.Tx, id string) (err error) {
	sm, err := s.get(ctx, id)
	if err != nil {
		return err
	}
	postgres := tx.D.Name() == "postgres"
	if postgres {
		s.mark(ctx, id, StatusBuilding, "")
		defer func() {
			if err != nil {
				s.mark(ctx, id, StatusFailed, err.Error())
			}
		}()
	}
	m, err := s.Modules.Module(ctx, sm.App, sm.Module)
	if err != nil {
		return err
	}
	if !fits(sm.Def, m) {
		return fmt.Errorf("summary %s: module %s no longer has its fields", id, m.Key)
	}
	if postgres {
		if _, err := tx.ExecContext(ctx, `LOCK TABLE `+store.Quote(m.Table)+` IN SHARE MODE`); err != nil {
			return err
		}
	}
	t := store.Quote(sm.Table)
	if _, err := tx.ExecContext(ctx, createSQL(tx.D, sm.Table, sm.Def)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
		return err
	}
	c := columns(sm.Def)
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %s (%s) SELECT 0, g.* FROM (%s) AS g`, t, strings.Join(c.all, ", "),
		sourceSQL(tx.D, m, sm.Def))); err != nil {
		return err
	}
	var source, rows int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(sum("n"), 0), count(*) FROM `+t).Scan(&source, &rows); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, store.Rebind(tx.D, `UPDATE summaries SET status = ?, module_version = ?, source_rows = ?,
		summary_rows = ?, error = '', built_at = ?, updated_at = ? WHERE id = ?`),
		StatusReady, m.Version, source, rows, store.TimeArg(tx.D, tx.Now), store.TimeArg(tx.D, tx.Now), id)
	return err
}

// mark sets a summary's status outside the build's transaction
// (PostgreSQL only: on SQLite the build holds the one writer).
func (s *Service) mark(ctx context.Context, id, status, msg string) {
	q := `UPDATE summaries SET status = ?, error = ? WHERE id = ? AND status <> 'ready'`
	if status == StatusFailed {
		q = `UPDATE summaries SET status = ?, error = ? WHERE id = ?`
	}
	s.Store.W.ExecContext(context.WithoutCancel(ctx), store.Rebind(s.Store.D, q), status, msg, id)
}

// createSQL creates a summary's table when it is missing.
func createSQL(d store.Dialect, table string, def Def) string {
	bigint, sum := "BIGINT", "NUMERIC"
	if d.Name() == "sqlite" {
		bigint, sum = "INTEGER", "INTEGER"
	}
	c := columns(def)
	cols := []string{`"slot" SMALLINT NOT NULL`, `"owner_id" TEXT NOT NULL`}
	for _, k := range c.keys[2:] {
		cols = append(cols, k+" TEXT NOT NULL")
	}
	cols = append(cols, `"n" `+bigint+` NOT NULL`)
	for _, f := range def.Sums {
		cols = append(cols, countCol(f)+" "+bigint+" NOT NULL", sumCol(f)+" "+sum+" NOT NULL")
	}
	return fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (%s, PRIMARY KEY (%s))`, store.Quote(table), strings.Join(cols, ", "),
		strings.Join(c.keys, ", "))
}

// sourceSQL is the GROUP BY over the module's live records giving a
// summary's rows (without slot): owner and keys as key text, the row
// count, and per summed field the count of values and their sum (SQLite:
// in units of the field's last decimal).
func sourceSQL(d store.Dialect, m *meta.Module, def Def) string {
	postgres := d.Name() == "postgres"
	idText := func(col string) string {
		if postgres {
			return "COALESCE(CAST(" + col + " AS text), '')"
		}
		return "COALESCE(" + col + ", '')"
	}
	sel := []string{idText(`"owner_id"`)}
	for _, k := range def.Keys {
		col := store.Quote(k.Field)
		switch {
		case k.Kind == kindUser:
			sel = append(sel, idText(col))
		case k.Kind == kindBool && postgres:
			sel = append(sel, "CASE WHEN "+col+" THEN 't' WHEN NOT "+col+" THEN 'f' ELSE '' END")
		case k.Kind == kindBool:
			sel = append(sel, "CASE "+col+" WHEN 1 THEN 't' WHEN 0 THEN 'f' ELSE '' END")
		case k.Kind == kindDate && k.Grain == grainMonth && postgres:
			sel = append(sel, "COALESCE(to_char("+col+", 'YYYY-MM') || '-01', '')")
		case k.Kind == kindDate && k.Grain == grainMonth:
			sel = append(sel, "COALESCE(substr("+col+", 1, 7) || '-01', '')")
		case k.Kind == kindDate && postgres:
			sel = append(sel, "COALESCE(to_char("+col+", 'YYYY-MM-DD'), '')")
		case k.Kind == kindDate:
			sel = append(sel, "COALESCE(substr("+col+", 1, 10), '')")
		default:
			sel = append(sel, "COALESCE("+col+", '')")
		}
	}
	groups := make([]string, len(sel))
	for i := range groups {
		groups[i] = fmt.Sprint(i + 1)
	}
	sel = append(sel, "count(*)")
	for _, f := range def.Sums {
		col := store.Quote(f)
		sum := "COALESCE(sum(" + col + "), 0)"
		if !postgres {
			sum = fmt.Sprintf("COALESCE(sum(CAST(round(%s * %s) AS INTEGER)), 0)", col, pow10(scale(m.Field(f))))
		}
		sel = append(sel, "count("+col+")", sum)
	}
	return fmt.Sprintf(`SELECT %s FROM %s WHERE "deleted_at" IS NULL GROUP BY %s`, strings.Join(sel, ", "),
		store.Quote(m.Table), strings.Join(groups, ", "))
}

// Drift is what Check found wrong with one summary.
type Drift struct {
	Summary *Summary `json:"summary"`
	// Groups is the number of key groups compared; Wrong those whose
	// counts or sums differ from the GROUP BY (or that only one side has).
	Groups int `json:"groups"`
	Wrong  int `json:"wrong"`
	// Examples are a few wrong groups: key values, then the summary's and
	// the GROUP BY's figures.
	Examples []DriftExample `json:"examples,omitempty"`
	Error    string         `json:"error,omitempty"`
}

// DriftExample is one wrong group.
type DriftExample struct {
	Key     []string `json:"key"`
	Summary []string `json:"summary"`
	Truth   []string `json:"truth"`
}

// Check compares every ready summary of app ("" for all) with the GROUP
// BY over its module, each in one snapshot of the database.
func (s *Service) Check(ctx context.Context, app string) ([]Drift, error) {
	all, err := s.List(ctx, app)
	if err != nil {
		return nil, err
	}
	out := []Drift{}
	for _, sm := range all {
		if sm.Status != StatusReady {
			continue
		}
		d := Drift{Summary: sm}
		if err := s.check(ctx, sm, &d); err != nil {
			d.Error = err.Error()
		}
		out = append(out, d)
	}
	return out, nil
}

func (s *Service) check(ctx context.Context, sm *Summary, d *Drift) error {
	m, err := s.Modules.Module(ctx, sm.App, sm.Module)
	if err != nil {
		return err
	}
	opts := &sql.TxOptions{ReadOnly: true}
	if s.Store.D.Name() == "postgres" {
		opts.Isolation = sql.LevelRepeatableRead // both reads in one snapshot
	}
	tx, err := s.Store.R.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	c := columns(sm.Def)
	keys := strings.Join(c.keys[1:], ", ")
	var sums []string
	for _, v := range c.values {
		sums = append(sums, "sum("+v+")")
	}
	have, err := groups(ctx, tx, fmt.Sprintf(`SELECT %s, %s FROM %s GROUP BY %s`, keys, strings.Join(sums, ", "),
		store.Quote(sm.Table), keys), len(c.keys)-1)
	if err != nil {
		return err
	}
	want, err := groups(ctx, tx, sourceSQL(s.Store.D, m, sm.Def), len(c.keys)-1)
	if err != nil {
		return err
	}
	zero := func(v []string) bool {
		return !slices.ContainsFunc(v, func(x string) bool { return x != "0" })
	}
	seen := map[string]bool{}
	for k, v := range have {
		if zero(v) {
			continue // a key whose records all left
		}
		seen[k] = true
		d.Groups++
		if w, ok := want[k]; !ok || !slices.Equal(v, w) {
			d.wrong(k, v, w)
		}
	}
	for k, w := range want {
		if !seen[k] {
			d.Groups++
			d.wrong(k, nil, w)
		}
	}
	return nil
}

func (d *Drift) wrong(key string, have, want []string) {
	d.Wrong++
	if len(d.Examples) < 5 {
		d.Examples = append(d.Examples, DriftExample{Key: strings.Split(key, "\x00"), Summary: have, Truth: want})
	}
}

// groups reads key groups: nk key columns, then figures, as text (numbers
// normalized), keyed by the key values joined by NUL.
func groups(ctx context.Context, tx *sql.Tx, q string, nk int) (map[string][]string, error) {
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	cols, err := rows.Columns()
	if err != nil {
		rows.Close()
		return nil, err
	}
	out := map[string][]string{}
	err = store.ScanRows(rows, len(cols), func(vals []any) error {
		text := make([]string, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			text[i] = fmt.Sprint(v)
			if i >= nk {
				if r := number(v); r != nil {
					text[i] = r.RatString()
				}
			}
		}
		out[strings.Join(text[:nk], "\x00")] = text[nk:]
		return nil
	})
	return out, err
}

// Rebuild rebuilds every summary of app ("" for all) now, one
// transaction each, and returns them as they are after.
func (s *Service) Rebuild(ctx context.Context, app string) ([]*Summary, error) {
	all, err := s.List(ctx, app)
	if err != nil {
		return nil, err
	}
	for _, sm := range all {
		if err := s.Build(ctx, sm.ID); err != nil {
			return nil, fmt.Errorf("rebuild summary %s (%s.%s): %w", sm.ID, sm.App, sm.Module, err)
		}
	}
	return s.List(ctx, app)
}

// EnqueueRebuild enqueues a build job for every summary of app ("" for
// all) and returns how many: each rebuilds in the background, its status
// showing in List.
func (s *Service) EnqueueRebuild(ctx context.Context, app string) (int, error) {
	all, err := s.List(ctx, app)
	if err != nil || len(all) == 0 {
		return 0, err
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		for _, sm := range all {
			if err := s.enqueueBuild(ctx, tx, sm.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return len(all), err
}
