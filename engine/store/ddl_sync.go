package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
)

// A module's table follows its schema: syncModuleTable turns the difference
// between two versions of a module into DDL on the live table. It runs in
// the schema transaction that also stores the new metadata, so any error —
// a refused conversion or a failed statement — rolls back both, and the
// table is left exactly as it was.
//
// The order of work is the same on both dialects:
//  1. pair old and new fields (renames, keeps, adds, drops);
//  2. scan every column whose storage changes and refuse, before any DDL,
//     when a value would not survive the conversion;
//  3. alter the table (PostgreSQL in place; SQLite in place for pure adds,
//     renames and index changes, otherwise by the documented rebuild);
//  4. check duplicates for newly unique fields, then create indexes.

// syncModuleTable alters old.Table so that it matches next (same app, same
// module, same table name). It reports whether the planner's statistics
// of the table are now stale: an index was created (SQLite has none for
// it until ANALYZE) or a column retyped (PostgreSQL drops its statistics;
// SQLite rebuilt the table).
func syncModuleTable(ctx context.Context, tx *Tx, old, next *meta.Module) (stale bool, err error) {
	changes, err := matchFields(old, next)
	if err != nil {
		return false, err
	}
	p := &syncPlan{d: tx.D, app: next.AppKey, table: old.Table, changes: changes, empty: map[string]bool{}}
	p.twoPhase = renamesCollide(changes)
	if !p.anyWork() {
		return false, nil
	}
	if err := lockForSync(ctx, tx, p.table); err != nil {
		return false, err
	}
	if err := checkConversions(ctx, tx, p); err != nil {
		return false, err
	}
	if tx.D.Name() == "sqlite" {
		err = syncSQLite(ctx, tx, p)
	} else {
		err = syncPostgres(ctx, tx, p)
	}
	for _, c := range changes {
		stale = stale || c.retyped()
	}
	return stale || p.indexed, err
}

// lockForSync keeps concurrent writers out of the table between the value
// checks and the DDL, so that what was checked is what gets converted.
// Readers still proceed until the DDL itself takes its exclusive lock.
// (SQLite has a single writer: this transaction.)
func lockForSync(ctx context.Context, tx *Tx, table string) error {
	if tx.D.Name() != "postgres" {
		return nil
	}
	_, err := tx.ExecContext(ctx, "LOCK TABLE "+Quote(table)+" IN SHARE ROW EXCLUSIVE MODE")
	return err
}

// ---------------------------------------------------------------------------
// Field pairing

// fieldChange pairs an old field with its counterpart in the new version:
// old == nil means the field is added, new == nil that it is dropped.
type fieldChange struct {
	old, new *meta.Field
}

func (c fieldChange) added() bool   { return c.old == nil }
func (c fieldChange) dropped() bool { return c.new == nil }
func (c fieldChange) kept() bool    { return c.old != nil && c.new != nil }
func (c fieldChange) renamed() bool { return c.kept() && c.old.Key != c.new.Key }

// retyped reports whether the column's storage changes: kind, decimal
// precision/scale, or reference target.
func (c fieldChange) retyped() bool { return c.kept() && c.old.Column() != c.new.Column() }

// matchFields pairs fields. Renames (x-field.renamedFrom) claim their
// source first; the remaining new fields match old ones by key; unclaimed
// old fields are dropped. Kept and added fields come in the new order,
// drops last.
func matchFields(old, next *meta.Module) ([]fieldChange, error) {
	renames, err := renameSources(old, next)
	if err != nil {
		return nil, err
	}
	claimed := map[string]bool{}
	for _, src := range renames {
		claimed[src] = true
	}
	var changes []fieldChange
	for _, nf := range next.Fields {
		if src, ok := renames[nf.Key]; ok {
			changes = append(changes, fieldChange{old: old.Field(src), new: nf})
			continue
		}
		if of := old.Field(nf.Key); of != nil && !claimed[nf.Key] {
			claimed[nf.Key] = true
			changes = append(changes, fieldChange{old: of, new: nf})
			continue
		}
		changes = append(changes, fieldChange{new: nf})
	}
	for _, of := range old.Fields {
		if !claimed[of.Key] {
			changes = append(changes, fieldChange{old: of})
		}
	}
	return changes, nil
}

// renameSources maps new key → old key for the renames that apply.
//
// renamedFrom stays in the stored schema after the rename happened, so a
// stale one must not fire again: a rename onto a name that an old column
// still uses applies only if that old column is itself renamed away (a
// chain or swap). That is a greatest fixpoint: start from every candidate
// and drop those whose target stays occupied, until nothing changes.
func renameSources(old, next *meta.Module) (map[string]string, error) {
	cand := map[string]string{}
	for _, nf := range next.Fields {
		if src := nf.RenamedFrom; src != "" && src != nf.Key && old.Field(src) != nil {
			cand[nf.Key] = src
		}
	}
	for changed := true; changed; {
		changed = false
		vacated := map[string]bool{}
		for _, src := range cand {
			vacated[src] = true
		}
		for dst := range cand {
			if old.Field(dst) != nil && !vacated[dst] {
				delete(cand, dst)
				changed = true
			}
		}
	}
	return cand, checkRenameConflicts(cand)
}

// checkRenameConflicts refuses two fields renamed from the same old field:
// one column cannot become two.
func checkRenameConflicts(cand map[string]string) error {
	bySrc := map[string][]string{}
	for dst, src := range cand {
		bySrc[src] = append(bySrc[src], dst)
	}
	var fes []errs.FieldError
	for src, dsts := range bySrc {
		if len(dsts) < 2 {
			continue
		}
		sort.Strings(dsts)
		for _, dst := range dsts {
			fes = append(fes, errs.Field(dst, "rename_conflict", "store.rename_conflict",
				"field", dst, "from", src, "fields", dsts))
		}
	}
	if len(fes) == 0 {
		return nil
	}
	sort.Slice(fes, func(i, j int) bool { return fes[i].Field < fes[j].Field })
	return refused(fes)
}

// renamesCollide reports whether a rename targets the name another rename
// vacates (a chain or a swap); such renames go through temporary names.
func renamesCollide(changes []fieldChange) bool {
	sources := map[string]bool{}
	for _, c := range changes {
		if c.renamed() {
			sources[c.old.Key] = true
		}
	}
	for _, c := range changes {
		if c.renamed() && sources[c.new.Key] {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------
// Plan

type syncPlan struct {
	d          Dialect
	app, table string
	changes    []fieldChange
	// empty holds the old keys of retyped columns without a single
	// non-null value: any type change of those is safe.
	empty map[string]bool
	// twoPhase: renames go through temporary names (chains, swaps).
	twoPhase bool
	// indexed: createIndexes created at least one index.
	indexed bool
}

func (p *syncPlan) sqlite() bool { return p.d.Name() == "sqlite" }

// anyWork reports whether the table changes at all.
func (p *syncPlan) anyWork() bool {
	for _, c := range p.changes {
		if !c.kept() || c.renamed() || c.retyped() || indexKind(c.old) != indexKind(c.new) {
			return true
		}
	}
	return false
}

// indexKind is the index a field wants: "ux" (unique), "ix" (plain) or ""
// (also for a missing field: an added one has no old index).
func indexKind(f *meta.Field) string {
	switch {
	case f == nil:
		return ""
	case f.Unique:
		return "ux"
	case wantsIndex(f):
		return "ix"
	}
	return ""
}

// rebuildIndex reports whether a kept field's index is dropped before the
// column changes and created afterwards: its kind changes, its values are
// converted (a unique index must be re-checked), or it is renamed where an
// index cannot simply be renamed (SQLite has no ALTER INDEX; swaps would
// collide on names).
func (p *syncPlan) rebuildIndex(c fieldChange) bool {
	return c.kept() && (indexKind(c.old) != indexKind(c.new) || c.retyped() ||
		(c.renamed() && (p.sqlite() || p.twoPhase)))
}

// needsUniqueCheck reports whether a unique index is about to be created
// over existing values that were never unique-checked in this form.
func needsUniqueCheck(c fieldChange) bool {
	return c.kept() && c.new.Unique && (!c.old.Unique || c.retyped())
}

func dropIndexStmt(table, key, kind string) string {
	return "DROP INDEX IF EXISTS " + Quote(indexName(kind, table, key))
}

// renameStmts renames columns, through temporary names when renames
// collide. Field keys never contain "__", so the temporary names cannot
// clash with a column.
func (p *syncPlan) renameStmts() []string {
	t := Quote(p.table)
	var first, second []string
	for _, c := range p.changes {
		if !c.renamed() {
			continue
		}
		if !p.twoPhase {
			first = append(first, fmt.Sprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", t, Quote(c.old.Key), Quote(c.new.Key)))
			continue
		}
		tmp := Quote(c.new.Key + "__renaming")
		first = append(first, fmt.Sprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", t, Quote(c.old.Key), tmp))
		second = append(second, fmt.Sprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", t, tmp, Quote(c.new.Key)))
	}
	return append(first, second...)
}

// createIndexes creates the indexes of added fields, of kept fields whose
// index was dropped, or (all) of every field after an SQLite rebuild. New
// unique indexes are preceded by a duplicate check so that the refusal
// names the field and shows examples instead of a bare constraint error.
func (p *syncPlan) createIndexes(ctx context.Context, tx *Tx, all bool) error {
	var fes []errs.FieldError
	var stmts []string
	if all {
		stmts = append(stmts, systemIndexDDL(p.table)...)
	}
	for _, c := range p.changes {
		if c.dropped() || !(all || c.added() || p.rebuildIndex(c)) {
			continue
		}
		if needsUniqueCheck(c) {
			fe, err := checkUnique(ctx, tx, p.table, c.new)
			if err != nil {
				return err
			}
			if fe != nil {
				fes = append(fes, *fe)
			}
		}
		if ddl := indexDDL(p.table, c.new); ddl != "" {
			stmts = append(stmts, ddl)
		}
	}
	if len(fes) > 0 {
		return refused(fes)
	}
	p.indexed = len(stmts) > 0
	return execAll(ctx, tx, stmts)
}

// ---------------------------------------------------------------------------
// PostgreSQL: everything in place.

func syncPostgres(ctx context.Context, tx *Tx, p *syncPlan) error {
	if err := execAll(ctx, tx, p.pgDropStmts()); err != nil {
		return err
	}
	// A reference whose storage changes loses its foreign key: the column
	// type or the target table is about to change.
	for _, c := range p.changes {
		if c.retyped() && c.old.Column().Kind == meta.ColRef {
			if err := dropForeignKeys(ctx, tx, p.table, c.old.Key); err != nil {
				return err
			}
		}
	}
	if err := execAll(ctx, tx, p.pgAlterStmts()); err != nil {
		return err
	}
	return p.createIndexes(ctx, tx, false)
}

// pgDropStmts drops columns and the indexes about to be rebuilt. Drops
// come first so that renames and adds may reuse the names.
func (p *syncPlan) pgDropStmts() []string {
	var stmts []string
	for _, c := range p.changes {
		switch {
		case c.dropped():
			if k := indexKind(c.old); k != "" {
				stmts = append(stmts, dropIndexStmt(p.table, c.old.Key, k))
			}
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", Quote(p.table), Quote(c.old.Key)))
		case p.rebuildIndex(c) && indexKind(c.old) != "":
			stmts = append(stmts, dropIndexStmt(p.table, c.old.Key, indexKind(c.old)))
		}
	}
	return stmts
}

// pgAlterStmts renames columns (and the indexes that keep theirs), then
// converts retyped columns and adds new ones.
func (p *syncPlan) pgAlterStmts() []string {
	stmts := p.renameStmts()
	for _, c := range p.changes {
		// Index names carry the field key (fieldFromIndex reads it back).
		if k := indexKind(c.old); c.renamed() && k != "" && !p.rebuildIndex(c) {
			stmts = append(stmts, fmt.Sprintf("ALTER INDEX %s RENAME TO %s",
				Quote(indexName(k, p.table, c.old.Key)), Quote(indexName(k, p.table, c.new.Key))))
		}
	}
	for _, c := range p.changes {
		switch {
		case c.retyped():
			stmts = append(stmts, p.pgRetypeStmts(c)...)
		case c.added():
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s", Quote(p.table), columnDef(p.d, p.app, c.new)))
		}
	}
	return stmts
}

// pgRetypeStmts changes a column's type with a converting USING clause
// (checked safe beforehand) and gives a reference its new foreign key.
func (p *syncPlan) pgRetypeStmts(c fieldChange) []string {
	t, col := Quote(p.table), Quote(c.new.Key)
	from, to := c.old.Column(), c.new.Column()
	var stmts []string
	if typ := p.d.ColumnType(to); typ != p.d.ColumnType(from) {
		using := "CAST(NULL AS " + typ + ")"
		if !p.empty[c.old.Key] {
			using = pgConvert(from, to, col)
		}
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s", t, col, typ, using))
	}
	if ref := refTarget(p.app, to); ref != "" {
		stmts = append(stmts, fmt.Sprintf(`ALTER TABLE %s ADD FOREIGN KEY (%s) REFERENCES %s("id")`, t, col, Quote(ref)))
	}
	return stmts
}

// refTarget is the table a reference column points to, or "".
func refTarget(app string, c meta.Column) string {
	switch {
	case c.Kind != meta.ColRef:
		return ""
	case c.RefUsers:
		return "users"
	case c.RefModule != "":
		return meta.TableName(app, c.RefModule)
	}
	return ""
}

// dropForeignKeys drops the foreign-key constraints on one column. Their
// names were chosen by PostgreSQL (and survive column renames), so they
// are looked up in the catalog by column.
func dropForeignKeys(ctx context.Context, tx *Tx, table, col string) error {
	rows, err := tx.QueryContext(ctx, `SELECT c.conname FROM pg_constraint c
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
		WHERE c.contype = 'f' AND c.conrelid = to_regclass($1) AND a.attname = $2`, Quote(table), col)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var stmts []string
	for _, n := range names {
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", Quote(table), Quote(n)))
	}
	return execAll(ctx, tx, stmts)
}

// ---------------------------------------------------------------------------
// SQLite: ADD/RENAME COLUMN in place; anything else rebuilds the table.

func syncSQLite(ctx context.Context, tx *Tx, p *syncPlan) error {
	for _, c := range p.changes {
		// SQLite cannot change a column's type or foreign key, and cannot
		// drop a column with a foreign key or unique index.
		if c.dropped() || c.retyped() {
			return rebuildSQLite(ctx, tx, p)
		}
	}
	var stmts []string
	for _, c := range p.changes {
		if p.rebuildIndex(c) && indexKind(c.old) != "" {
			stmts = append(stmts, dropIndexStmt(p.table, c.old.Key, indexKind(c.old)))
		}
	}
	stmts = append(stmts, p.renameStmts()...)
	for _, c := range p.changes {
		if c.added() {
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s", Quote(p.table), columnDef(p.d, p.app, c.new)))
		}
	}
	if err := execAll(ctx, tx, stmts); err != nil {
		return err
	}
	return p.createIndexes(ctx, tx, false)
}

// rebuildSQLite follows SQLite's documented procedure for other schema
// changes (https://sqlite.org/lang_altertable.html#otheralter): create the
// new table under a temporary name, copy the rows across converting the
// retyped columns, drop the old table, rename the new one into place, and
// recreate the indexes. Foreign keys are off for the transaction and
// re-checked by inSchemaTx before commit. "<table>__new" cannot be a module
// table: module keys never contain "__".
func rebuildSQLite(ctx context.Context, tx *Tx, p *syncPlan) error {
	tmp := p.table + "__new"
	defs := systemColumns(p.d)
	var into, from []string
	for _, def := range defs {
		name := def[:strings.IndexByte(def, ' ')] // already quoted
		into, from = append(into, name), append(from, name)
	}
	for _, c := range p.changes {
		if c.dropped() {
			continue
		}
		defs = append(defs, columnDef(p.d, p.app, c.new))
		if c.added() {
			continue // starts NULL
		}
		into = append(into, Quote(c.new.Key))
		from = append(from, p.sqliteCopyExpr(c))
	}
	stmts := []string{
		fmt.Sprintf("CREATE TABLE %s (\n  %s\n)", Quote(tmp), strings.Join(defs, ",\n  ")),
		fmt.Sprintf("INSERT INTO %s (%s)\nSELECT %s FROM %s", Quote(tmp), strings.Join(into, ", "), strings.Join(from, ", "), Quote(p.table)),
		"DROP TABLE " + Quote(p.table),
		fmt.Sprintf("ALTER TABLE %s RENAME TO %s", Quote(tmp), Quote(p.table)),
	}
	if err := execAll(ctx, tx, stmts); err != nil {
		return err
	}
	for _, c := range p.changes {
		if c.retyped() && !p.empty[c.old.Key] && sqliteNeedsGoFix(c.old.Column(), c.new.Column()) {
			if err := fixInGo(ctx, tx, p.table, c.new); err != nil {
				return err
			}
		}
	}
	return p.createIndexes(ctx, tx, true)
}

// sqliteCopyExpr is the SELECT expression copying one kept column.
func (p *syncPlan) sqliteCopyExpr(c fieldChange) string {
	col := Quote(c.old.Key)
	switch {
	case !c.retyped():
		return col
	case p.empty[c.old.Key]:
		return "NULL"
	}
	return sqliteConvert(c.old.Column(), c.new.Column(), col)
}

// fixInGo finishes a conversion SQLite's SQL cannot do exactly: RFC 3339
// text with offsets and nanoseconds into the fixed-width UTC instant form
// (SQLite's date functions keep only milliseconds). The rows were already
// checked, so every value parses.
func fixInGo(ctx context.Context, tx *Tx, table string, f *meta.Field) error {
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT "id", %s FROM %s WHERE %s IS NOT NULL`, Quote(f.Key), Quote(table), Quote(f.Key)))
	if err != nil {
		return err
	}
	type fix struct{ id, v string }
	var fixes []fix
	for rows.Next() {
		var id, v string
		if err := rows.Scan(&id, &v); err != nil {
			rows.Close()
			return err
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			rows.Close()
			return fmt.Errorf("convert %s: %w", f.Key, err)
		}
		if s := t.UTC().Format(SQLiteTime); s != v {
			fixes = append(fixes, fix{id, s})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	q := fmt.Sprintf(`UPDATE %s SET %s = ? WHERE "id" = ?`, Quote(table), Quote(f.Key))
	for _, x := range fixes {
		if _, err := tx.ExecContext(ctx, q, x.v, x.id); err != nil {
			return err
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Conversion checks

// maxExamples bounds the values quoted in a refusal.
const maxExamples = 5

// checkConversions scans every retyped column and refuses the whole change
// when any value would not convert. It runs before any DDL, and records
// which retyped columns are empty (those convert trivially).
func checkConversions(ctx context.Context, tx *Tx, p *syncPlan) error {
	var fes []errs.FieldError
	for _, c := range p.changes {
		if !c.retyped() {
			continue
		}
		total, bad, examples, err := scanConvertible(ctx, tx, p.table, c)
		if err != nil {
			return err
		}
		if total == 0 {
			p.empty[c.old.Key] = true
		}
		if bad > 0 {
			fes = append(fes, errs.Field(c.new.Key, "type_change", "store.type_change_refused",
				"field", c.new.Key, "count", bad, "examples", examples,
				"from", describeField(c.old), "to", describeField(c.new)))
		}
	}
	if len(fes) > 0 {
		return refused(fes)
	}
	return nil
}

// scanConvertible reads every non-null value of the old column (soft-
// deleted rows too: they can be restored) and counts those that would not
// convert, keeping a few distinct examples.
func scanConvertible(ctx context.Context, tx *Tx, table string, c fieldChange) (total, bad int, examples []string, err error) {
	col := Quote(c.old.Key)
	rows, err := tx.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE %s IS NOT NULL", col, Quote(table), col))
	if err != nil {
		return 0, 0, nil, err
	}
	defer rows.Close()
	from, to := c.old.Column(), c.new.Column()
	seen := map[string]bool{}
	for rows.Next() {
		var raw any
		if err := rows.Scan(&raw); err != nil {
			return 0, 0, nil, err
		}
		total++
		v := Decode(from, raw)
		if convertible(from, to, v) {
			continue
		}
		bad++
		if ex := exampleText(v); len(examples) < maxExamples && !seen[ex] {
			seen[ex] = true
			examples = append(examples, ex)
		}
	}
	return total, bad, examples, rows.Err()
}

// Text forms accepted by text → number conversions. They are stricter than
// Go's parsers on purpose: both databases must read them identically
// (SQLite's CAST stops at the first bad character, so "1e3" AS INTEGER is 1).
var (
	intText = regexp.MustCompile(`^[+-]?[0-9]+(\.0*)?$`)
	numText = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
)

// convertible reports whether one value v (in its JSON form, as Decode
// returns it for column from) survives conversion to column to. Pairs not
// listed are refused for every value; empty columns never get here.
func convertible(from, to meta.Column, v any) bool {
	if from.Kind == meta.ColRef || to.Kind == meta.ColRef {
		return false // ids are meaningless as anything else, or in another table
	}
	s, isText := v.(string)
	if from.Kind == meta.ColText {
		s = strings.Trim(s, " ") // SQL trim() strips spaces only
	}
	switch to.Kind {
	case meta.ColText:
		return true
	case meta.ColInteger:
		if from.Kind == meta.ColText {
			return isText && intText.MatchString(s) && wholeInt64(ratOf(s))
		}
		return isNumber(from) && wholeInt64(ratOf(v))
	case meta.ColFloat:
		switch from.Kind {
		case meta.ColText:
			return isText && numText.MatchString(s) && floatFits(s)
		case meta.ColInteger, meta.ColDecimal:
			return floatExact(ratOf(v))
		}
	case meta.ColDecimal:
		if from.Kind == meta.ColText {
			return isText && numText.MatchString(s) && decimalFits(ratOf(s), to)
		}
		return isNumber(from) && decimalFits(ratOf(v), to)
	case meta.ColBool:
		switch strings.ToLower(s) {
		case "true", "false", "1", "0":
			return from.Kind == meta.ColText && isText
		}
	case meta.ColDate:
		return dateConvertible(from, s)
	case meta.ColTime:
		return timeConvertible(from, s)
	case meta.ColJSON:
		return from.Kind == meta.ColText && json.Valid([]byte(s)) && !strings.Contains(s, `\u0000`)
	}
	return false
}

func isNumber(c meta.Column) bool {
	return c.Kind == meta.ColInteger || c.Kind == meta.ColFloat || c.Kind == meta.ColDecimal
}

// dateConvertible: text holding YYYY-MM-DD, or an instant at midnight UTC
// (anything else would lose its time of day).
func dateConvertible(from meta.Column, s string) bool {
	switch from.Kind {
	case meta.ColText:
		t, err := time.Parse(DateLayout, s)
		return err == nil && t.Year() >= 1 // PostgreSQL has no year 0
	case meta.ColTime:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return false
		}
		t = t.UTC()
		return t.Equal(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC))
	}
	return false
}

// timeConvertible: RFC 3339 text (with its offset), or any date (midnight UTC).
func timeConvertible(from meta.Column, s string) bool {
	switch from.Kind {
	case meta.ColText:
		t, err := time.Parse(time.RFC3339Nano, s)
		return err == nil && t.UTC().Year() >= 1 && t.UTC().Year() <= 9999
	case meta.ColDate:
		return true
	}
	return false
}

// ratOf reads a number in JSON form (int64, json.Number, or a checked
// decimal string) exactly; nil when it is none of those.
func ratOf(v any) *big.Rat {
	switch x := v.(type) {
	case int64:
		return new(big.Rat).SetInt64(x)
	case json.Number:
		return ratOf(string(x))
	case string:
		r, ok := new(big.Rat).SetString(strings.TrimPrefix(x, "+"))
		if ok {
			return r
		}
	}
	return nil
}

// wholeInt64: a whole number within BIGINT.
func wholeInt64(r *big.Rat) bool {
	return r != nil && r.IsInt() && r.Num().IsInt64()
}

// floatFits: text within float64 range (Inf would be stored as garbage).
func floatFits(s string) bool {
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && !math.IsInf(f, 0)
}

// floatExact: the nearest float64, printed shortest, is the same number —
// so 0.1 passes but 2^53+1 or a 20-digit decimal does not.
func floatExact(r *big.Rat) bool {
	if r == nil {
		return false
	}
	f, _ := r.Float64()
	if math.IsInf(f, 0) {
		return false
	}
	back := ratOf(strconv.FormatFloat(f, 'g', -1, 64))
	return back != nil && back.Cmp(r) == 0
}

// decimalFits: the number has at most Scale fraction digits (rounding would
// lose data) and fewer than Precision-Scale integer digits.
func decimalFits(r *big.Rat, to meta.Column) bool {
	if r == nil {
		return false
	}
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(pow10(to.Scale)))
	if !scaled.IsInt() {
		return false
	}
	limit := new(big.Rat).SetInt(pow10(to.Precision - to.Scale))
	return new(big.Rat).Abs(r).Cmp(limit) < 0
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// ---------------------------------------------------------------------------
// Conversion SQL. Only pairs that convertible accepts reach these; NULL
// stays NULL in every expression (CASE without ELSE, CAST, ||, substr).
// Numbers, booleans and dates turned into text take their JSON form.

// pgConvert is the USING expression for ALTER COLUMN ... TYPE.
func pgConvert(from, to meta.Column, c string) string {
	switch to.Kind {
	case meta.ColText:
		return pgToText(from, c)
	case meta.ColInteger:
		if from.Kind == meta.ColText {
			return "trim(" + c + ")::numeric::bigint" // accepts "42.0"
		}
		return c + "::bigint"
	case meta.ColFloat:
		if from.Kind == meta.ColText {
			return "trim(" + c + ")::double precision"
		}
		return c + "::double precision"
	case meta.ColDecimal:
		switch from.Kind {
		case meta.ColText:
			return "trim(" + c + ")::numeric"
		case meta.ColFloat:
			// Through the shortest text: float8::numeric keeps only 15 digits.
			return c + "::text::numeric"
		}
		return c + "::numeric"
	case meta.ColBool:
		return "CASE lower(trim(" + c + ")) WHEN 'true' THEN TRUE WHEN '1' THEN TRUE WHEN 'false' THEN FALSE WHEN '0' THEN FALSE END"
	case meta.ColDate:
		if from.Kind == meta.ColTime {
			return "(" + c + " AT TIME ZONE 'UTC')::date"
		}
		return "trim(" + c + ")::date"
	case meta.ColTime:
		if from.Kind == meta.ColDate {
			return "(" + c + "::timestamp AT TIME ZONE 'UTC')"
		}
		return "trim(" + c + ")::timestamptz"
	case meta.ColJSON:
		return c + "::jsonb"
	}
	return "NULL"
}

func pgToText(from meta.Column, c string) string {
	switch from.Kind {
	case meta.ColDecimal: // NUMERIC keeps trailing zeros ("12.50"); JSON does not
		return "CASE WHEN " + c + "::text LIKE '%.%' THEN rtrim(rtrim(" + c + "::text, '0'), '.') ELSE " + c + "::text END"
	case meta.ColBool:
		return "CASE WHEN " + c + " THEN 'true' WHEN NOT " + c + " THEN 'false' END"
	case meta.ColDate:
		return "to_char(" + c + ", 'YYYY-MM-DD')"
	case meta.ColTime: // the same fixed-width UTC form SQLite stores
		return "to_char(" + c + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
	}
	return c + "::text" // integers; floats print shortest ("12", "0.5"); jsonb
}

// sqliteConvert is the SELECT expression copying a retyped column into the
// rebuilt table.
func sqliteConvert(from, to meta.Column, c string) string {
	switch to.Kind {
	case meta.ColText:
		return sqliteToText(from, c)
	case meta.ColInteger:
		if from.Kind == meta.ColText {
			return "CAST(trim(" + c + ") AS INTEGER)"
		}
		return "CAST(" + c + " AS INTEGER)"
	case meta.ColFloat:
		if from.Kind == meta.ColText {
			return "CAST(trim(" + c + ") AS REAL)"
		}
		return "CAST(" + c + " AS REAL)"
	case meta.ColDecimal:
		if from.Kind == meta.ColText {
			return "CAST(trim(" + c + ") AS NUMERIC)"
		}
		return c // NUMERIC affinity stores numbers as they are
	case meta.ColBool:
		return "CASE lower(trim(" + c + ")) WHEN 'true' THEN 1 WHEN '1' THEN 1 WHEN 'false' THEN 0 WHEN '0' THEN 0 END"
	case meta.ColDate:
		if from.Kind == meta.ColTime {
			return "substr(" + c + ", 1, 10)" // stored UTC; checked midnight
		}
		return "trim(" + c + ")"
	case meta.ColTime:
		if from.Kind == meta.ColDate {
			return c + " || 'T00:00:00.000000Z'"
		}
		return "trim(" + c + ")" // normalized by fixInGo afterwards
	case meta.ColJSON:
		return "json(" + c + ")"
	}
	return "NULL"
}

func sqliteToText(from meta.Column, c string) string {
	switch from.Kind {
	case meta.ColInteger:
		return "CAST(" + c + " AS TEXT)"
	case meta.ColFloat, meta.ColDecimal:
		// CAST(12.0 AS TEXT) is "12.0" but JSON (and PostgreSQL) say "12";
		// exponents print "1.0e+20" where PostgreSQL prints "1e+20".
		return "CASE WHEN " + c + " = CAST(" + c + " AS INTEGER) AND abs(" + c + ") < 1e15 THEN CAST(CAST(" + c +
			" AS INTEGER) AS TEXT) ELSE replace(CAST(" + c + " AS TEXT), '.0e', 'e') END"
	case meta.ColBool:
		return "CASE " + c + " WHEN 1 THEN 'true' WHEN 0 THEN 'false' END"
	}
	return c // dates, instants and JSON are stored as their text already
}

// sqliteNeedsGoFix lists the conversions finished by fixInGo.
func sqliteNeedsGoFix(from, to meta.Column) bool {
	return from.Kind == meta.ColText && to.Kind == meta.ColTime
}

// ---------------------------------------------------------------------------
// Unique check and refusals

// checkUnique looks for values shared by live rows (the unique index
// ignores soft-deleted ones) and returns a field error when there are any.
func checkUnique(ctx context.Context, tx *Tx, table string, f *meta.Field) (*errs.FieldError, error) {
	col := Quote(f.Key)
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(
		`SELECT %s, count(*) FROM %s WHERE "deleted_at" IS NULL AND %s IS NOT NULL GROUP BY %s HAVING count(*) > 1 ORDER BY 2 DESC, 1`,
		col, Quote(table), col, col))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	n := 0
	var examples []string
	for rows.Next() {
		var raw any
		var count int64
		if err := rows.Scan(&raw, &count); err != nil {
			return nil, err
		}
		n++
		if len(examples) < maxExamples {
			examples = append(examples, exampleText(Decode(f.Column(), raw)))
		}
	}
	if err := rows.Err(); err != nil || n == 0 {
		return nil, err
	}
	fe := errs.Field(f.Key, "unique", "store.unique_refused", "field", f.Key, "count", n, "examples", examples)
	return &fe, nil
}

// refused is the 422 for a schema change that would lose data or break a
// constraint; each field error says which field and why.
func refused(fes []errs.FieldError) error {
	e := errs.Fields(fes...)
	e.Msg = i18n.M("store.schema_change_refused")
	return e
}

// describeField names a field's storage for messages: "text",
// "decimal(18,2)", "lookup(account)".
func describeField(f *meta.Field) string {
	c := f.Column()
	switch {
	case c.Kind == meta.ColDecimal:
		return fmt.Sprintf("%s(%d,%d)", f.Type.Name(), c.Precision, c.Scale)
	case c.Kind == meta.ColRef && c.RefModule != "":
		return f.Type.Name() + "(" + c.RefModule + ")"
	}
	return f.Type.Name()
}

// exampleText renders a value for a message: its JSON, cut short.
func exampleText(v any) string {
	b, err := json.Marshal(v)
	s := string(b)
	if err != nil {
		s = fmt.Sprint(v)
	}
	const max = 40
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
