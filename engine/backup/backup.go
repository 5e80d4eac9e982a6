// Package backup takes consistent copies of a Tessera database while it is
// serving and puts them back.
//
// SQLite: a backup is a plain SQLite file made with VACUUM INTO, which
// reads one snapshot (WAL readers never block the server's writer), so a
// backup taken under write load holds every transaction committed before
// it started and none half-applied. The copy opens in any SQLite tool.
//
// PostgreSQL: a backup is pg_dump's custom format of Tessera's schema (the
// search_path of the URL, else public), itself one repeatable-read
// snapshot; restore replaces that schema in one transaction through psql,
// so a failed restore leaves the database as it was.
package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tessera-app/tessera/engine/store"
)

// Backup writes a consistent copy of the database s is connected to into
// out. out must not exist: a backup never overwrites anything.
func Backup(ctx context.Context, s *store.Store, databaseURL, out string) error {
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s already exists: choose a new file", out)
	}
	if s.D.Name() == "postgres" {
		return pgDump(ctx, databaseURL, out)
	}
	// VACUUM INTO refuses an existing file; a temporary name in the same
	// directory then a rename means a reader never sees a half-written
	// backup under the final name.
	tmp := out + ".partial"
	os.Remove(tmp)
	if _, err := s.W.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("sqlite backup: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, out)
}

// Lock is held by every serve process on a SQLite data directory (shared:
// several processes may serve one file); restore takes it exclusively, so
// a restore never replaces a file under a running server.
type Lock struct{ f *os.File }

// LockDir takes the data directory's lock, shared or exclusive, without
// waiting.
func LockDir(dataDir string, exclusive bool) (*Lock, error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dataDir, "tessera.lock"), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrInUse
		}
		return nil, err
	}
	return &Lock{f: f}, nil
}

// ErrInUse says a server is running on the data directory.
var ErrInUse = errors.New("a Tessera server is running on this data directory: stop it before restoring")

// Release lets go of the lock.
func (l *Lock) Release() {
	if l != nil && l.f != nil {
		syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
		l.f.Close()
	}
}

// RestoreSQLite replaces dataDir's database with the backup in. The file
// is checked first (a SQLite database that passes integrity_check and has
// Tessera's migration table); the database it replaces is kept beside it
// as tessera.db.before-restore-<time> (with its WAL), and the path of that
// copy is returned. Migrations are the caller's next step.
func RestoreSQLite(ctx context.Context, dataDir, in string) (kept string, err error) {
	lock, err := LockDir(dataDir, true)
	if err != nil {
		return "", err
	}
	defer lock.Release()
	if err := checkSQLite(ctx, in); err != nil {
		return "", err
	}
	db := filepath.Join(dataDir, "tessera.db")
	tmp := db + ".restoring"
	if err := copyFile(in, tmp); err != nil {
		os.Remove(tmp)
		return "", err
	}
	if _, err := os.Stat(db); err == nil {
		kept = db + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if _, err := os.Stat(db + suffix); err == nil {
				if err := os.Rename(db+suffix, kept+suffix); err != nil {
					os.Remove(tmp)
					return "", err
				}
			}
		}
	}
	if err := os.Rename(tmp, db); err != nil {
		return kept, err
	}
	return kept, nil
}

func checkSQLite(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	head := make([]byte, 16)
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil || string(head) != "SQLite format 3\x00" {
		return fmt.Errorf("%s is not a SQLite backup of Tessera", path)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		return fmt.Errorf("%s is damaged (integrity check: %s %v)", path, ok, err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM goose_db_version").Scan(&n); err != nil || n == 0 {
		return fmt.Errorf("%s is a SQLite file but not a Tessera database (no migration history)", path)
	}
	return nil
}

// pgTarget splits a Tessera PostgreSQL URL into what libpq tools take: the
// URL without pgx-only parameters, and the schema (search_path or public).
func pgTarget(databaseURL string) (conn, schema string, err error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "", "", fmt.Errorf("database URL: %w", err)
	}
	q := u.Query()
	schema = q.Get("search_path")
	q.Del("search_path")
	u.RawQuery = q.Encode()
	if schema == "" {
		schema = "public"
	}
	if strings.ContainsAny(schema, ", \"'") {
		return "", "", fmt.Errorf("backup needs one schema in search_path, got %q", schema)
	}
	return u.String(), schema, nil
}

func pgDump(ctx context.Context, databaseURL, out string) error {
	conn, schema, err := pgTarget(databaseURL)
	if err != nil {
		return err
	}
	tmp := out + ".partial"
	os.Remove(tmp)
	cmd := exec.CommandContext(ctx, "pg_dump", "--format=custom", "--no-owner", "--no-privileges",
		"--schema="+schema, "--file="+tmp, "--dbname="+conn)
	if msg, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		if errors.Is(err, exec.ErrNotFound) {
			return errors.New("pg_dump is not installed (Debian: apt-get install postgresql-client)")
		}
		return fmt.Errorf("pg_dump: %v: %s", err, strings.TrimSpace(string(msg)))
	}
	return os.Rename(tmp, out)
}

// RestorePostgres replaces the schema of databaseURL with the backup in,
// in one transaction: the schema is dropped and recreated, then the dump's
// objects and data are loaded; any error rolls all of it back.
func RestorePostgres(ctx context.Context, databaseURL, in string) error {
	conn, schema, err := pgTarget(databaseURL)
	if err != nil {
		return err
	}
	// The dump's own CREATE SCHEMA entry is left out of the list, since the
	// script creates the schema itself after dropping the old one.
	toc, err := exec.CommandContext(ctx, "pg_restore", "--list", in).Output()
	if err != nil {
		return fmt.Errorf("%s is not a PostgreSQL backup of Tessera (pg_restore --list: %v)", in, err)
	}
	if !strings.Contains(string(toc), "goose_db_version") {
		return fmt.Errorf("%s is a PostgreSQL dump but not of a Tessera database", in)
	}
	var keep []string
	for _, line := range strings.Split(string(toc), "\n") {
		if strings.Contains(line, " SCHEMA - "+schema+" ") {
			continue
		}
		keep = append(keep, line)
	}
	list, err := os.CreateTemp("", "tessera-restore-*.list")
	if err != nil {
		return err
	}
	defer os.Remove(list.Name())
	list.WriteString(strings.Join(keep, "\n"))
	list.Close()

	// pg_restore writes the SQL script, psql runs it: streamed, so the
	// restore's memory does not grow with the database.
	dump := exec.CommandContext(ctx, "pg_restore", "--no-owner", "--no-privileges", "--use-list="+list.Name(), "--file=-", in)
	script, err := dump.StdoutPipe()
	if err != nil {
		return err
	}
	var dumpErr strings.Builder
	dump.Stderr = &dumpErr
	// One explicit transaction, committed only when pg_restore finished
	// without error: a truncated script (pg_restore failing halfway) is
	// rolled back rather than committed by psql at the end of its input.
	ident := `"` + schema + `"`
	head := "BEGIN;\nDROP SCHEMA IF EXISTS " + ident + " CASCADE;\nCREATE SCHEMA " + ident + ";\n"
	var derr error
	end := lazyReader(func() string {
		if derr = dump.Wait(); derr != nil {
			return "\nROLLBACK;\n"
		}
		return "\nCOMMIT;\n"
	})
	psql := exec.CommandContext(ctx, "psql", "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "--dbname="+conn)
	psql.Stdin = io.MultiReader(strings.NewReader(head), script, end)
	var psqlOut strings.Builder
	psql.Stdout, psql.Stderr = &psqlOut, &psqlOut
	if err := dump.Start(); err != nil {
		return fmt.Errorf("pg_restore: %w", err)
	}
	perr := psql.Run()
	if derr == nil && perr != nil {
		// psql stopped early (a failing statement): reap pg_restore.
		io.Copy(io.Discard, script)
		dump.Wait()
	}
	if derr != nil {
		return fmt.Errorf("restore failed, the database is unchanged: pg_restore: %v: %s", derr, strings.TrimSpace(dumpErr.String()))
	}
	if perr != nil {
		return fmt.Errorf("restore failed, the database is unchanged: %v: %s", perr, strings.TrimSpace(psqlOut.String()))
	}
	return nil
}

// lazyReader reads the text f returns, calling f on the first read only:
// after the readers before it in a MultiReader are exhausted.
func lazyReader(f func() string) io.Reader {
	var r io.Reader
	return readerFunc(func(p []byte) (int, error) {
		if r == nil {
			r = strings.NewReader(f())
		}
		return r.Read(p)
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
