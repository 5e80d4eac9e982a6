package expr

import (
	"database/sql"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// fixture is one row of the execution tests, in neutral form; insert
// converts it to each dialect's storage format.
type fixture struct {
	id                 int
	name, stage        *string
	amount, score      *float64
	active             *bool
	due                *string // YYYY-MM-DD
	closedAt           *string // RFC 3339
	tags, labels, data *string // JSON text
	owner              *string
}

func sp(s string) *string   { return &s }
func fp(f float64) *float64 { return &f }
func bp(b bool) *bool       { return &b }

var fixtures = []fixture{
	{id: 1, name: sp("华为 100% 合作"), stage: sp("won"), amount: fp(5000), score: fp(5000), active: bp(true),
		due: sp("2026-01-15"), closedAt: sp("2026-01-10T08:00:00Z"), tags: sp(`["vip","cn"]`), labels: sp(`["x"]`),
		owner: sp(uuid1), data: sp(`{"a":1}`)},
	{id: 2, name: sp("100 units"), stage: sp("lost"), amount: fp(200), score: fp(100), active: bp(false),
		due: sp("2026-07-01"), tags: sp(`["cn"]`), labels: sp(`[]`), owner: sp(uuid2)},
	{id: 3, name: sp("a_b test"), stage: sp("open"), amount: fp(1500.5),
		closedAt: sp("2025-12-31T23:59:59.999999Z")},
	{id: 4, name: sp("aXb test"), score: fp(0), active: bp(true), due: sp("2026-06-15"),
		closedAt: sp("2026-06-15T12:00:00Z"), tags: sp(`["vip"]`), labels: sp(`["y","x"]`), owner: sp(uuid1), data: sp(`[]`)},
	{id: 5, name: sp(`back\slash`), stage: sp("won"), amount: fp(-3), score: fp(-3), active: bp(false),
		due: sp("2025-05-05"), closedAt: sp("2026-03-01T00:00:00Z"), tags: sp(`[]`), owner: sp(uuid3)},
	{id: 6, stage: sp("Won"), amount: fp(1000), active: bp(true), due: sp("2026-06-16"),
		closedAt: sp("2026-06-15T20:00:00+08:00"), tags: sp(`["VIP"]`), data: sp(`{}`)},
	{id: 7, name: sp("华南 A"), stage: sp("lost"), amount: fp(1200), score: fp(1200), due: sp("2026-06-14"),
		closedAt: sp("2026-06-15T11:59:59.5Z"), tags: sp(`["cn","vip"]`), labels: sp(`["x"]`), owner: sp(uuid2)},
	{id: 8},
}

var allIDs = []int{1, 2, 3, 4, 5, 6, 7, 8}

// execCases are filters with the ids they must select, on both databases.
var execCases = []struct {
	src string
	ids []int
}{
	{`amount > 1000`, []int{1, 3, 7}},
	{`1000 <= amount`, []int{1, 3, 6, 7}},
	{`amount > 1000 && stage in ["won","lost"] && name startsWith "华"`, []int{1, 7}},
	{`amount > -5 && amount < 0`, []int{5}},
	{`1 < amount < 300`, []int{2}},
	{`amount in [200, -3, 1500.5]`, []int{2, 3, 5}},
	{`closed_at == nil || closed_at >= "2026-01-01"`, []int{1, 2, 4, 5, 6, 7, 8}},
	{`closed_at < "2026-01-01"`, []int{3}},
	{`closed_at == "2026-06-15T20:00:00+08:00"`, []int{4, 6}},
	{`closed_at < now()`, []int{1, 3, 5, 7}},
	{`closed_at >= today()`, []int{4, 6, 7}},
	{`due == today()`, []int{4}},
	{`due >= today()`, []int{2, 4, 6}},
	{`due < "2026-01-16"`, []int{1, 5}},
	{`due in ["2026-06-14", "2026-06-16"]`, []int{6, 7}},
	{`active`, []int{1, 4, 6}},
	{`!active`, []int{2, 3, 5, 7, 8}},
	{`!(active) `, []int{2, 3, 5, 7, 8}},
	{`active == true`, []int{1, 4, 6}},
	{`active == false`, []int{2, 5}},
	{`active != true`, []int{2, 3, 5, 7, 8}},
	{`"vip" in tags`, []int{1, 4, 7}},
	{`"vip" not in tags`, []int{2, 3, 5, 6, 8}},
	{`"x" in labels`, []int{1, 4, 7}},
	{`owner == "` + strings.ToUpper(uuid1) + `"`, []int{1, 4}},
	{`owner in ["` + uuid2 + `", "` + uuid3 + `"]`, []int{2, 5, 7}},
	{`owner != "` + uuid1 + `"`, []int{2, 3, 5, 6, 7, 8}},
	{`name contains "100%"`, []int{1}},
	{`name contains "100"`, []int{1, 2}},
	{`name contains "a_b"`, []int{3}},
	{`name startsWith "a"`, []int{3, 4}},
	{`name startsWith "A"`, nil},
	{`name contains "\\"`, []int{5}},
	{`name endsWith "A"`, []int{7}},
	{`name contains "华"`, []int{1, 7}},
	{`name endsWith " test"`, []int{3, 4}},
	{`stage == "won"`, []int{1, 5}},
	{`stage != "won"`, []int{2, 3, 4, 6, 7, 8}},
	{`!(stage == "won")`, []int{2, 3, 4, 6, 7, 8}},
	{`stage not in ["won", "lost"]`, []int{3, 4, 6, 8}},
	{`stage in []`, nil},
	{`stage not in []`, allIDs},
	{`data == nil`, []int{2, 3, 5, 7, 8}},
	{`data != nil`, []int{1, 4, 6}},
	{`amount == score`, []int{1, 5, 7, 8}},
	{`amount != score`, []int{2, 3, 4, 6}},
	{`amount > score`, []int{2}},
	{`(amount > 1000 || active) and not (stage == "lost")`, []int{1, 3, 4, 6}},
	{`name == "x'; DROP TABLE t;--"`, nil},
	{`true`, allIDs},
}

// insert stores the fixtures in table in d's storage formats.
func insert(tb testing.TB, db *sql.DB, d Dialect, table string) {
	tb.Helper()
	q := `INSERT INTO ` + table + ` (id, name, stage, amount, score, active, due, closed_at, tags, "value", owner, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if d == Postgres {
		q = `INSERT INTO ` + table + ` (id, name, stage, amount, score, active, due, closed_at, tags, "value", owner, data)
			VALUES ($1, $2, $3, $4, $5, $6, $7::text::date, $8::text::timestamptz, $9::text::jsonb, $10::text::jsonb, $11::text::uuid, $12::text::jsonb)`
	}
	for _, f := range fixtures {
		var active, closedAt any
		if f.active != nil {
			active = *f.active
			if d == SQLite {
				active = map[bool]int{false: 0, true: 1}[*f.active]
			}
		}
		if f.closedAt != nil {
			closedAt = *f.closedAt
			if d == SQLite {
				ts, err := time.Parse(time.RFC3339Nano, *f.closedAt)
				if err != nil {
					tb.Fatal(err)
				}
				closedAt = ts.UTC().Format(storageTime)
			}
		}
		_, err := db.Exec(q, f.id, f.name, f.stage, f.amount, f.score, active, f.due, closedAt, f.tags, f.labels, f.owner, f.data)
		if err != nil {
			tb.Fatalf("insert %d: %v", f.id, err)
		}
	}
}

// openSQLite returns an in-memory database holding the fixtures in table t.
func openSQLite(tb testing.TB) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", "file::memory:?_pragma=case_sensitive_like(1)")
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1) // every connection to :memory: is a database of its own
	tb.Cleanup(func() { db.Close() })
	_, err = db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, stage TEXT, amount NUMERIC, score NUMERIC,
		active INTEGER, due TEXT, closed_at TEXT, tags TEXT, "value" TEXT, owner TEXT, data TEXT)`)
	if err != nil {
		tb.Fatal(err)
	}
	insert(tb, db, SQLite, "t")
	return db
}

// queryIDs runs w behind one condition of the caller's own, so that
// Postgres placeholder numbering is exercised (w must use argStart 1).
func queryIDs(db *sql.DB, d Dialect, table string, w Where) ([]int, error) {
	ph := "?"
	if d == Postgres {
		ph = "$1"
	}
	rows, err := db.Query(`SELECT id FROM `+table+` WHERE id > `+ph+` AND `+w.SQL+` ORDER BY id`, append([]any{0}, w.Args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// runExecCases checks every case selects its ids, and that its negation
// selects exactly the other rows (NULLs included).
func runExecCases(t *testing.T, db *sql.DB, d Dialect, table string) {
	for _, c := range execCases {
		t.Run(c.src, func(t *testing.T) {
			ids := selectIDs(t, db, d, table, c.src)
			if !reflect.DeepEqual(ids, c.ids) {
				t.Errorf("got %v, want %v", ids, c.ids)
			}
			neg := selectIDs(t, db, d, table, "!("+c.src+")")
			if want := complement(c.ids); !reflect.DeepEqual(neg, want) {
				t.Errorf("negation: got %v, want %v", neg, want)
			}
		})
	}
}

func selectIDs(t *testing.T, db *sql.DB, d Dialect, table, src string) []int {
	t.Helper()
	w, err := Filter(src, testResolver, d, 1)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	ids, err := queryIDs(db, d, table, w)
	if err != nil {
		t.Fatalf("%s: %s: %v", src, w.SQL, err)
	}
	return ids
}

func complement(ids []int) []int {
	in := map[int]bool{}
	for _, id := range ids {
		in[id] = true
	}
	var out []int
	for _, id := range allIDs {
		if !in[id] {
			out = append(out, id)
		}
	}
	return out
}

func TestExecSQLite(t *testing.T) {
	db := openSQLite(t)
	runExecCases(t, db, SQLite, "t")
	// The injection attempt was only ever data.
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != len(fixtures) {
		t.Fatalf("table damaged: %d rows, %v", n, err)
	}
}

// TestExecPostgres runs the same cases on PostgreSQL when
// TESSERA_TEST_DATABASE_URL is set, in a table of its own.
func TestExecPostgres(t *testing.T) {
	url := os.Getenv("TESSERA_TEST_DATABASE_URL")
	if url == "" {
		t.Skip("TESSERA_TEST_DATABASE_URL not set")
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	table := fmt.Sprintf(`"expr_test_%d_%d"`, os.Getpid(), time.Now().UnixNano())
	_, err = db.Exec(`CREATE TABLE ` + table + ` (id INTEGER PRIMARY KEY, name TEXT, stage TEXT,
		amount NUMERIC(12,2), score NUMERIC(12,2), active BOOLEAN, due DATE, closed_at TIMESTAMPTZ,
		tags JSONB, "value" JSONB, owner UUID, data JSONB)`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec(`DROP TABLE ` + table); err != nil {
			t.Errorf("drop %s: %v", table, err)
		}
	})
	insert(t, db, Postgres, table)
	runExecCases(t, db, Postgres, table)
}
