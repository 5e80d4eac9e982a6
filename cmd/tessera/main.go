// Command tessera is the one binary: serve, migrate, user, jobs, backup, restore, template, gen, bench, loadtest.
//
//	tessera serve   [--addr 127.0.0.1:8080] [--data ./tessera-data] [--database postgres://…] [--trusted-proxies CIDRs]
//	tessera migrate [--data …] [--database …]
//	tessera user create --email E --password P [--name N] [--admin]
//	tessera jobs list [--kind K] [--status S] [--key-prefix P] [--limit N]
//	tessera summaries list|check|rebuild [--app A]
//	tessera openapi
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/backup"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/runtime/httpx"
	"github.com/tessera-app/tessera/runtime/openapi"
	"github.com/tessera-app/tessera/runtime/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Main(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tessera:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  tessera serve   [--addr 127.0.0.1:8080] [--data ./tessera-data] [--database postgres://…] [--trusted-proxies CIDRs]
                  [--database-replica postgres://…] [--database-replica-max-lag 10s]
  tessera migrate [--data DIR] [--database URL]
  tessera user create --email E --password P [--name N] [--admin] [--data DIR] [--database URL]
  tessera jobs list [--kind K] [--status S] [--key-prefix P] [--limit N] [--data DIR] [--database URL]
  tessera summaries list|check|rebuild [--app A] [--data DIR] [--database URL]
                                                   # live aggregates: status, drift from the GROUP BY, rebuild
  tessera backup  --out FILE [--data DIR] [--database URL]   # a consistent copy, while serving
  tessera restore FILE [--data DIR] [--database URL]         # servers on SQLite must be stopped
  tessera openapi                                  # the OpenAPI document of the fixed endpoints
  tessera template lint|install|upgrade|uninstall|export|list …   # template packages (tessera template for more)
  tessera gen APP [--size small|default|large] [--seed N] [--if-empty] [--template DIR]
                                                   # demo data from the template's demo/demo.json, through the write path
  tessera bench   [--creates 5000] [--rows 100000] [--clients 8] [--database URL] [--only sqlite|postgres] [--sections lists,dashboard,live]
  tessera loadtest [--url http://127.0.0.1:8080] [--users 20] [--duration 1m] [--requests N] [--think 1s] [--email E --password P]
                                                   # a mixed CRM workload against a server on this machine only

Every flag can also come from the environment: TESSERA_ADDR, TESSERA_DATA,
TESSERA_DATABASE_URL, TESSERA_DATABASE_REPLICA_URL, TESSERA_TRUSTED_PROXIES. Without a database URL, Tessera uses the embedded
SQLite database in the data directory. The job runner of serve is tuned
with TESSERA_JOBS_WORKERS, TESSERA_JOBS_LEASE (5m) and TESSERA_JOBS_POLL (1s).`

// errUsage is returned for a missing or malformed command; its text is the
// usage summary.
var errUsage = usageError{}

type usageError struct{}

func (usageError) Error() string { return usage }

// Main runs one command; it returns when the command is done or ctx ends.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], stdout)
	case "jobs":
		return jobsCmd(ctx, args[1:], stdout)
	case "summaries":
		return summariesCmd(ctx, args[1:], stdout)
	case "bench":
		return bench(ctx, args[1:], stdout, stderr)
	case "loadtest":
		return loadtestCmd(ctx, args[1:], stdout)
	case "backup":
		return backupCmd(ctx, args[1:], stdout)
	case "restore":
		return restoreCmd(ctx, args[1:], stdout)
	case "openapi":
		if len(args) > 1 {
			return errUsage
		}
		b, err := openapi.FixedJSON()
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	case "template":
		return templateCmd(ctx, args[1:], stdout)
	case "gen":
		return genCmd(ctx, args[1:], stdout)
	case "user":
		if len(args) < 2 || args[1] != "create" {
			return errUsage
		}
		return createUser(ctx, args[2:], stdout)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

// Config is every option, each from a flag or its environment variable.
type Config struct {
	Addr     string
	Data     string
	Database string
	// DatabaseReplica is a streaming replica of Database that serves
	// reports, dashboards and exports (serve only; PostgreSQL only).
	DatabaseReplica string
	// ReplicaMaxLag is how far behind the replica may be and still serve.
	ReplicaMaxLag string
	// TrustedProxies lists the reverse proxies (CIDRs) whose
	// X-Forwarded-For / X-Real-IP headers are believed; see httpx.Proxies.
	TrustedProxies string
	// DebugAddr, when set, is a second listener with /metrics and
	// /debug/pprof/ and no sign-in: bind it where only operators reach.
	DebugAddr string
}

// options declares the options in one table: flag, environment, default.
var options = []struct {
	flag, env, def, help string
	field                func(*Config) *string
}{
	{"addr", "TESSERA_ADDR", "127.0.0.1:8080", "listen address", func(c *Config) *string { return &c.Addr }},
	{"data", "TESSERA_DATA", "./tessera-data", "data directory (SQLite database, files)", func(c *Config) *string { return &c.Data }},
	{"database", "TESSERA_DATABASE_URL", "", "PostgreSQL URL (postgres://…); empty = embedded SQLite", func(c *Config) *string { return &c.Database }},
	{"database-replica", "TESSERA_DATABASE_REPLICA_URL", "", "serve: PostgreSQL URL of a streaming read replica of --database for reports, dashboards and exports; empty = none", func(c *Config) *string { return &c.DatabaseReplica }},
	{"database-replica-max-lag", "TESSERA_DATABASE_REPLICA_MAX_LAG", "10s", "serve: how far behind the replica may be and still serve reads", func(c *Config) *string { return &c.ReplicaMaxLag }},
	{"trusted-proxies", "TESSERA_TRUSTED_PROXIES", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed; empty = none", func(c *Config) *string { return &c.TrustedProxies }},
	{"debug-addr", "TESSERA_DEBUG_ADDR", "", "serve: operators' listener for /metrics and /debug/pprof/ (no sign-in; e.g. 127.0.0.1:6060); empty = off", func(c *Config) *string { return &c.DebugAddr }},
}

func bindConfig(fs *flag.FlagSet, cfg *Config) {
	for _, o := range options {
		def := o.def
		if v, ok := os.LookupEnv(o.env); ok {
			def = v
		}
		fs.StringVar(o.field(cfg), o.flag, def, o.help+" ($"+o.env+")")
	}
}

func openStore(ctx context.Context, cfg Config) (*store.Store, error) {
	s, err := store.Open(ctx, cfg.Data, cfg.Database)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return s, nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bindConfig(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return err
	}
	proxies, err := httpx.ParseProxies(cfg.TrustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if cfg.Database == "" {
		// Shared: several serve processes may use one SQLite file; restore
		// takes it exclusively and so never replaces a file being served.
		lock, err := backup.LockDir(cfg.Data, false)
		if err != nil {
			return fmt.Errorf("data directory %s: %w", cfg.Data, err)
		}
		defer lock.Release()
	}
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := attachReplica(ctx, s, cfg, log); err != nil {
		return err
	}
	svc := server.NewServices(s)
	svc.Jobs.Log = log
	svc.Rules.Log = log
	svc.Cluster.Log = log
	if err := configureJobs(ctx, svc.Jobs, s, log); err != nil {
		return err
	}
	h := server.New(svc, log, server.TrustProxies(proxies))

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	url := "http://" + ln.Addr().String()
	log.Info("tessera started", "url", url, "database", s.D.Name())
	fmt.Fprintf(stdout, "Tessera is running at %s (database: %s)\n", url, s.D.Name())
	if n, err := s.CountUsers(ctx); err == nil && n == 0 {
		fmt.Fprintln(stdout, "No users yet: create one with `tessera user create --email you@example.com --password … --admin`.")
	}
	fmt.Fprintf(stdout, "Sign in: POST %s/api/auth/login {\"email\",\"password\"}; API document: %s/api/openapi.json\n", url, url)

	// Other nodes' changes to cached metadata, permissions and sessions
	// drop this node's copies (engine/cluster), from the first request on.
	svc.Cluster.Start(ctx)
	defer svc.Cluster.Stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if cfg.DebugAddr != "" {
		dbg, err := startDebug(cfg.DebugAddr, svc, log)
		if err != nil {
			_ = srv.Close()
			return fmt.Errorf("--debug-addr: %w", err)
		}
		defer dbg.Close()
		fmt.Fprintf(stdout, "Metrics and profiles (no sign-in): http://%s/metrics, http://%s/debug/pprof/\n", dbg.Addr, dbg.Addr)
	}
	// After-commit work (durable jobs) runs once the server is up; it is
	// stopped before the store closes.
	svc.Jobs.Start(ctx)
	// Formulas reading today() are recomputed every night; plan the jobs of
	// modules saved before they existed (engine/record/daily.go).
	if err := svc.Records.PlanDaily(ctx); err != nil {
		log.Error("daily formula recompute not planned", "err", err)
	}
	go keepStatistics(ctx, s, log)
	select {
	case err := <-errc:
		stopCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		svc.Jobs.Stop(stopCtx)
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if jerr := svc.Jobs.Stop(shutdownCtx); jerr != nil {
		log.Warn("jobs still running at shutdown were interrupted; they will run again", "err", jerr)
	}
	return err
}

// attachReplica attaches --database-replica when set. A replica that
// does not answer yet is only a warning: reads use the primary until it
// does (and tessera_replica_up says so).
func attachReplica(ctx context.Context, s *store.Store, cfg Config, log *slog.Logger) error {
	if cfg.DatabaseReplica == "" {
		return nil
	}
	if cfg.Database == "" {
		return errors.New("--database-replica needs PostgreSQL: set --database postgres://… too (SQLite has no replicas)")
	}
	maxLag, err := time.ParseDuration(cfg.ReplicaMaxLag)
	if err != nil || maxLag <= 0 {
		return fmt.Errorf("--database-replica-max-lag: want a positive duration like 10s, got %q", cfg.ReplicaMaxLag)
	}
	if err := s.AttachReplica(ctx, cfg.DatabaseReplica, store.ReplicaOptions{MaxLag: maxLag}); err != nil {
		return fmt.Errorf("--database-replica: %w", err)
	}
	if st := s.ReplicaStats(); st.Up {
		log.Info("read replica attached", "lag", st.Lag.Round(time.Millisecond), "max_lag", maxLag)
	} else {
		log.Warn("read replica attached but not answering: reports read from the primary until it does", "err", st.LastError)
	}
	return nil
}

func migrate(ctx context.Context, args []string, stdout io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	bindConfig(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(stdout, "migrations applied (%s)\n", s.D.Name())
	return nil
}

func createUser(ctx context.Context, args []string, stdout io.Writer) error {
	var cfg Config
	var in access.NewUser
	var ifMissing bool
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	bindConfig(fs, &cfg)
	fs.StringVar(&in.Email, "email", "", "email (sign-in name)")
	fs.StringVar(&in.Password, "password", "", "password (at least 8 characters)")
	fs.StringVar(&in.Name, "name", "", "display name")
	fs.BoolVar(&in.IsAdmin, "admin", false, "make the user an administrator")
	fs.BoolVar(&ifMissing, "if-missing", false, "do nothing when the email is taken")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	u, err := access.NewService(s).CreateUser(ctx, in)
	if err != nil {
		if ifMissing && isConflict(err) {
			fmt.Fprintf(stdout, "user %s already exists\n", in.Email)
			return nil
		}
		return err
	}
	fmt.Fprintf(stdout, "created user %s (%s, admin=%v)\n", u.Email, u.ID, u.IsAdmin)
	return nil
}

// keepStatistics refreshes the planner's statistics at start and every
// six hours (store.Optimize; SQLite only), so counts and filters keep
// good plans as tables grow.
func keepStatistics(ctx context.Context, s *store.Store, log *slog.Logger) {
	t := time.NewTicker(6 * time.Hour)
	defer t.Stop()
	for {
		if err := s.Optimize(ctx); err != nil && ctx.Err() == nil {
			log.Warn("planner statistics not refreshed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
