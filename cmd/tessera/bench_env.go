package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/runtime/server"
)

// benchApp is the app that holds the bench modules.
const benchApp = "bench"

// benchSchema is the module every bench table is made from: eight fields
// of the everyday kinds, amount indexed so that the list filters and sorts
// on an index both through the API and in the hand-written SQL.
const benchSchema = `{
  "type": "object",
  "properties": {
    "name":       {"maxLength": 200, "x-field": {"type": "text", "label": {"en": "Name"}}},
    "amount":     {"minimum": 0, "x-field": {"type": "currency", "indexed": true, "label": {"en": "Amount"}}},
    "stage":      {"x-field": {"type": "select", "label": {"en": "Stage"}, "options": [
                    {"value": "new"}, {"value": "qualified"}, {"value": "negotiation"}, {"value": "won"}, {"value": "lost"}]}},
    "region":     {"x-field": {"type": "select", "label": {"en": "Region"}, "options": [
                    {"value": "north"}, {"value": "south"}, {"value": "east"}, {"value": "west"}]}},
    "close_date": {"x-field": {"type": "date", "label": {"en": "Close date"}}},
    "score":      {"minimum": 0, "maximum": 100, "x-field": {"type": "integer", "label": {"en": "Score"}}},
    "active":     {"x-field": {"type": "boolean", "label": {"en": "Active"}}},
    "email":      {"x-field": {"type": "email", "label": {"en": "Email"}}}
  },
  "required": ["name"]
}`

// benchFields are the field keys in the order the hand-written SQL lists them.
var benchFields = []string{"name", "amount", "stage", "region", "close_date", "score", "active", "email"}

// benchColumns is the column list of the hand-written SELECTs: the same
// columns the store reads for a record.
const benchColumns = `"id", "version", "created_at", "updated_at", "created_by", "updated_by", "owner_id", "deleted_at", ` +
	`"name", "amount", "stage", "region", "close_date", "score", "active", "email"`

// benchEnv is one database behind a real HTTP server, with a signed-in
// admin client.
type benchEnv struct {
	s       *store.Store
	svc     *server.Services // the services behind srv, called directly for the "engine" column
	actor   record.Actor     // the admin, for direct service calls
	srv     *httptest.Server
	client  *http.Client
	token   string
	userID  string
	version string // database name and version, for the report header
}

func newBenchEnv(ctx context.Context, s *store.Store) (*benchEnv, error) {
	// The server logs every request as in production, but to nowhere: the
	// formatting cost stays in the figures, the terminal stays readable.
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := server.NewServices(s)
	env := &benchEnv{
		s:   s,
		svc: svc,
		srv: httptest.NewServer(server.New(svc, log)),
		// Keep-alive connections for every client, as a real client pool has.
		client: &http.Client{Timeout: time.Minute, Transport: &http.Transport{
			MaxIdleConns: 256, MaxIdleConnsPerHost: 256, DisableCompression: true,
		}},
	}
	if err := env.setup(ctx); err != nil {
		env.close()
		return nil, err
	}
	return env, nil
}

func (e *benchEnv) setup(ctx context.Context) error {
	const email, password = "bench@example.com", "bench-password"
	u, err := access.NewService(e.s).CreateUser(ctx, access.NewUser{Email: email, Password: password, Name: "Bench", IsAdmin: true})
	if err != nil {
		return fmt.Errorf("create admin: %w", err)
	}
	e.userID = u.ID
	e.actor = record.Actor{User: u, Via: "api"}
	var login struct {
		Token string `json:"token"`
	}
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	if err := e.do(ctx, http.MethodPost, "/api/auth/login", body, http.StatusOK, &login); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	e.token = login.Token
	app, _ := json.Marshal(map[string]any{"key": benchApp, "label": map[string]string{"en": "Bench"}})
	if err := e.do(ctx, http.MethodPost, "/api/apps", app, http.StatusCreated, nil); err != nil {
		return fmt.Errorf("create app: %w", err)
	}
	e.version, err = dbVersion(ctx, e.s)
	return err
}

func (e *benchEnv) close() {
	e.client.CloseIdleConnections()
	e.srv.Close()
}

func dbVersion(ctx context.Context, s *store.Store) (string, error) {
	q := "SELECT 'PostgreSQL ' || current_setting('server_version')"
	if s.D.Name() == "sqlite" {
		q = "SELECT 'SQLite ' || sqlite_version() || ', modernc, WAL, one writer connection'"
	}
	var v string
	err := s.R.QueryRowContext(ctx, q).Scan(&v)
	return v, err
}

// createModule creates a bench module through the API and returns it as
// the store sees it (table name, parsed fields).
func (e *benchEnv) createModule(ctx context.Context, key string) (*meta.Module, error) {
	return e.createModuleWith(ctx, key, json.RawMessage(benchSchema))
}

// createModuleWith is createModule with another schema.
func (e *benchEnv) createModuleWith(ctx context.Context, key string, schema json.RawMessage) (*meta.Module, error) {
	body, _ := json.Marshal(map[string]any{
		"key": key, "label": map[string]string{"en": key}, "schema": schema,
	})
	if err := e.do(ctx, http.MethodPost, "/api/apps/"+benchApp+"/modules", body, http.StatusCreated, nil); err != nil {
		return nil, fmt.Errorf("create module %s: %w", key, err)
	}
	return e.s.Module(ctx, benchApp, key)
}

func recordsPath(m *meta.Module) string {
	return "/api/apps/" + benchApp + "/modules/" + m.Key + "/records"
}

// do sends one request and checks its status. The body is always read to
// the end, so the connection goes back to the pool; it is decoded into out
// when out is not nil.
func (e *benchEnv) do(ctx context.Context, method, path string, body []byte, want int, out any) error {
	return e.doAs(ctx, e.token, method, path, body, want, out)
}

// doAs is do signed in with another token.
func (e *benchEnv) doAs(ctx context.Context, token, method, path string, body []byte, want int, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.srv.URL+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, bytes.TrimSpace(msg))
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// benchRow is one record's field values.
type benchRow struct {
	name, amount, stage, region, closeDate, email string
	score                                         int64
	active                                        bool
}

var (
	benchStages  = []string{"new", "qualified", "negotiation", "won", "lost"}
	benchRegions = []string{"north", "south", "east", "west"}
)

// benchRows makes n rows from a fixed seed, so every run measures the same
// data. Amounts are uniform in [0, 10000) with cents; stages and regions
// uniform over their options.
func benchRows(n int, seed uint64) []benchRow {
	r := rand.New(rand.NewPCG(seed, 0x7e55e7a))
	day0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([]benchRow, n)
	for i := range rows {
		cents := r.IntN(1_000_000)
		rows[i] = benchRow{
			name:      fmt.Sprintf("Deal %06d %s", r.IntN(1_000_000), benchRegions[r.IntN(len(benchRegions))]),
			amount:    fmt.Sprintf("%d.%02d", cents/100, cents%100),
			stage:     benchStages[r.IntN(len(benchStages))],
			region:    benchRegions[r.IntN(len(benchRegions))],
			closeDate: day0.AddDate(0, 0, r.IntN(1000)).Format(store.DateLayout),
			email:     "buyer" + strconv.Itoa(r.IntN(100_000)) + "@example.com",
			score:     int64(r.IntN(101)),
			active:    r.IntN(2) == 0,
		}
	}
	return rows
}

// values is the row in its JSON form (numbers as json.Number, as the API
// decodes them), keyed by field.
func (r benchRow) values() map[string]any {
	return map[string]any{
		"name": r.name, "amount": json.Number(r.amount), "stage": r.stage, "region": r.region,
		"close_date": r.closeDate, "score": json.Number(strconv.FormatInt(r.score, 10)),
		"active": r.active, "email": r.email,
	}
}

// body is the row as an API request body.
func (r benchRow) body() []byte {
	b, _ := json.Marshal(r.values())
	return b
}

// fieldArgs are the row's values as driver arguments in benchFields
// order, encoded exactly as the store encodes them, so both sides write
// the same bytes.
func fieldArgs(d store.Dialect, m *meta.Module, r benchRow) ([]any, error) {
	vals := r.values()
	args := make([]any, len(benchFields))
	for i, key := range benchFields {
		f := m.Field(key)
		if f == nil {
			return nil, fmt.Errorf("module %s has no field %s", m.Key, key)
		}
		a, err := store.Encode(d, f.Column(), vals[key])
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", key, err)
		}
		args[i] = a
	}
	return args, nil
}

// insertSQL is the hand-written INSERT of n rows: the system columns the
// store fills in on create, then the fields.
func insertSQL(d store.Dialect, table string, n int) string {
	cols := `"id", "version", "created_at", "updated_at", "created_by", "updated_by", "owner_id", ` +
		`"name", "amount", "stage", "region", "close_date", "score", "active", "email"`
	const perRow = 7 + 8
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", store.Quote(table), cols)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := 0; j < perRow; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(d.Placeholder(i*perRow + j + 1))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// rowArgs are the arguments of one row of insertSQL: a new id, version 1,
// the creation time and the admin as creator and owner, then the fields.
func rowArgs(d store.Dialect, at time.Time, userID string, fields []any) []any {
	now := store.TimeArg(d, at)
	return append([]any{store.NewID(), 1, now, now, userID, userID, userID}, fields...)
}
