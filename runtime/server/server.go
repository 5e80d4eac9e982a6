// Package server assembles Tessera's HTTP server from the engine services.
// cmd/tessera and the API tests both build the server here, so tests run
// through exactly the stack users get.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/tessera-app/tessera/designer/calendarapi"
	"github.com/tessera-app/tessera/designer/exprapi"
	"github.com/tessera-app/tessera/designer/formulaapi"
	"github.com/tessera-app/tessera/designer/metaapi"
	"github.com/tessera-app/tessera/designer/orgapi"
	"github.com/tessera-app/tessera/designer/ruleapi"
	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/approval"
	"github.com/tessera-app/tessera/engine/audit"
	"github.com/tessera-app/tessera/engine/calendar"
	"github.com/tessera-app/tessera/engine/cluster"
	"github.com/tessera-app/tessera/engine/dashboard"
	"github.com/tessera-app/tessera/engine/dedupe"
	"github.com/tessera-app/tessera/engine/export"
	"github.com/tessera-app/tessera/engine/flow"
	"github.com/tessera-app/tessera/engine/importer"
	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/pool"
	"github.com/tessera-app/tessera/engine/printtpl"
	"github.com/tessera-app/tessera/engine/publish"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/related"
	"github.com/tessera-app/tessera/engine/report"
	"github.com/tessera-app/tessera/engine/rule"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/summary"
	"github.com/tessera-app/tessera/engine/template"
	"github.com/tessera-app/tessera/runtime/actionapi"
	"github.com/tessera-app/tessera/runtime/approvalapi"
	"github.com/tessera-app/tessera/runtime/authapi"
	"github.com/tessera-app/tessera/runtime/dedupeapi"
	"github.com/tessera-app/tessera/runtime/exportapi"
	"github.com/tessera-app/tessera/runtime/flowapi"
	"github.com/tessera-app/tessera/runtime/httpx"
	"github.com/tessera-app/tessera/runtime/importapi"
	"github.com/tessera-app/tessera/runtime/metrics"
	"github.com/tessera-app/tessera/runtime/notifyapi"
	"github.com/tessera-app/tessera/runtime/openapi"
	"github.com/tessera-app/tessera/runtime/poolapi"
	"github.com/tessera-app/tessera/runtime/printapi"
	"github.com/tessera-app/tessera/runtime/publicapi"
	"github.com/tessera-app/tessera/runtime/recordapi"
	"github.com/tessera-app/tessera/runtime/regionapi"
	"github.com/tessera-app/tessera/runtime/relatedapi"
	"github.com/tessera-app/tessera/runtime/reportapi"
	"github.com/tessera-app/tessera/runtime/templateapi"
	"github.com/tessera-app/tessera/runtime/web"
)

// MaxBody bounds request bodies; larger ones get a 413 before they are read.
const MaxBody = "10M"

// Services are the engine services the server exposes.
type Services struct {
	Store   *store.Store
	Meta    *meta.Service
	Access  *access.Service
	Records *record.Service
	Audit   *audit.Log
	// Jobs runs durable jobs (after-commit work); NewServices creates it
	// without starting it: cmd/tessera serve starts and stops it.
	Jobs *jobs.Runner
	// Rules evaluates rules on record writes and runs their actions as jobs.
	Rules *rule.Engine
	// Calendars are the business calendars (due times, businessDaysBetween).
	Calendars *calendar.Service
	// Flows checks stage pipelines on record writes and serves them.
	Flows *flow.Service
	// Approvals runs approval processes (their timers are jobs of Jobs).
	Approvals *approval.Service
	// Reports runs query specs; Dashboards keeps dashboards and registers
	// the pipeline-analytics sources with Reports.
	Reports    *report.Service
	Dashboards *dashboard.Service
	// Summaries are the live aggregates: kept by every record write,
	// asked first by aggregate queries, planned when a dashboard is saved.
	Summaries *summary.Service
	// Metrics are the Prometheus collectors of this server (GET /metrics
	// for administrators, and the debug listener of cmd/tessera serve).
	Metrics *metrics.Metrics
	// Exports writes lists as xlsx, csv or pdf; large ones run as jobs.
	Exports *export.Service
	// Imports reads xlsx and csv files into modules, as jobs.
	Imports *importer.Service
	// Prints keeps print templates and renders records to PDF with them.
	Prints *printtpl.Service
	// Templates installs, upgrades and exports template packages.
	Templates *template.Service
	// Pools are the named pools (公海) of modules: claims, assignments and
	// the daily reclaim job.
	Pools *pool.Service
	// Publications are public forms (a record per submission) and views
	// reached by a token, without signing in.
	Publications *publish.Service
	// Cluster drops this process's caches when another process over the
	// same database changed what they hold (metadata, rules, pipelines,
	// calendars, the organisation, sessions). NewServices registers the
	// caches without starting it: cmd/tessera serve starts and stops it.
	Cluster *cluster.Watcher
	// Dedupe keeps match keys on the write path (the duplicate check),
	// lists duplicates and merges records.
	Dedupe *dedupe.Service
	// Related reads a record's related records and timeline (the 360° view).
	Related *related.Service
	// Web is the web app served at /app/; nil: the one embedded in the
	// binary (or its placeholder page when it was built without one).
	Web *web.App
}

// NewServices wires the engine services over one store.
func NewServices(s *store.Store) *Services {
	svc := &Services{Store: s, Meta: meta.NewService(s), Access: access.NewService(s), Records: record.New(s),
		Jobs: jobs.NewRunner(s, nil)}
	// Jobs due at once (rule actions, webhooks) start as soon as the write
	// that enqueued them commits, not at the runner's next poll.
	s.JobsCommitted = svc.Jobs.Notify
	svc.Records.Modules = svc.Meta      // cached module lookups for expands and lookup checks
	svc.Records.Principals = svc.Access // roles and departments decide record access
	// Expressions count working days with the default business calendar.
	svc.Calendars = calendar.NewService(s)
	svc.Records.Calendar = svc.Calendars
	// The audit log hooks into record writes, metadata changes and sign-ins.
	svc.Audit = audit.Wire(s, svc.Meta, svc.Access, svc.Records, nil)
	// Roles are checked against the cached modules; organisation changes
	// are audited.
	svc.Access.Modules = svc.Meta
	svc.Access.OnOrgChange = svc.Audit.OrgChange
	// Rules hook into the write path (after the audit hook, so a rule's job
	// is enqueued in the same transaction as the audited write).
	svc.Rules = rule.New(s, svc.Meta, svc.Records, svc.Jobs, slog.Default())
	svc.Rules.Access = svc.Access
	// Stage pipelines check every change of a stage field; their
	// in-transaction hook goes first, so the audit entry and the rules'
	// stage_changed trigger see the checked move.
	svc.Flows = flow.New(s, svc.Meta, svc.Records, svc.Rules, svc.Jobs, slog.Default())
	svc.Flows.Calendars = svc.Calendars // time in stage in business hours
	// Formulas, rollups and validation rules (engine/record/computed.go):
	// rollups follow child writes in their transaction, and so do formulas
	// reading through a lookup (engine/record/through.go); a schema change
	// that makes stored formulas or rollups stale recomputes the rows in
	// batches, as jobs.
	svc.Records.Hooks.InTx = append(svc.Records.Hooks.InTx, svc.Records.Rollups, svc.Records.LookupFormulas)
	// Approvals lock records while pending (a before-save hook), keep their
	// due times as jobs and add the approval_* triggers and rule action.
	svc.Approvals = approval.New(s, svc.Meta, svc.Records, svc.Access, svc.Calendars, svc.Rules, svc.Jobs, slog.Default())
	// Transitions that require approval start one; an approved one
	// completes the transition.
	svc.Flows.Approvals = svc.Approvals
	svc.Approvals.Transitions = svc.Flows
	svc.Reports = report.New(svc.Records)
	// The duplicate check is an in-transaction hook after the others: it
	// sees the row as formulas and rules left it. Rules get the merge action.
	svc.Dedupe = dedupe.New(s, svc.Meta, svc.Records, svc.Jobs)
	svc.Dedupe.MergeAction(svc.Rules)
	svc.Related = &related.Service{Meta: svc.Meta, Records: svc.Records, Audit: svc.Audit, Flows: svc.Flows, Approvals: svc.Approvals}
	svc.Dashboards = dashboard.New(s, svc.Meta, svc.Records, svc.Access, svc.Reports, svc.Flows, svc.Approvals, slog.Default())
	svc.Summaries = summary.New(s, svc.Meta)
	svc.Summaries.Reports = svc.Reports
	svc.Summaries.Enqueue = func(ctx context.Context, tx *store.Tx, kind, key string, payload []byte) error {
		return jobs.Enqueue(ctx, tx, jobs.Job{Kind: kind, Key: key, Payload: payload})
	}
	svc.Records.Aggregates = svc.Summaries
	svc.Jobs.Handle(summary.KindBuild, svc.Summaries.BuildJob)
	svc.Dashboards.OnSave = func(ctx context.Context, app string, specs []*report.Spec) {
		if _, err := svc.Summaries.Saved(ctx, app, specs); err != nil {
			slog.Default().Error("live aggregates not planned", "app", app, "err", err)
		}
	}
	svc.Prints = printtpl.New(s, svc.Meta, svc.Records)
	svc.Jobs.Handle(record.RecomputeKind, svc.Records.Recompute)
	svc.Jobs.Handle(record.DailyKind, svc.Records.Daily) // formulas reading today(), every night
	svc.Pools = pool.New(s, svc.Meta, svc.Records, svc.Access)
	svc.Jobs.Handle(pool.JobKind, svc.Pools.Job)
	svc.Publications = publish.New(s, svc.Meta, svc.Records)
	// Claim-limit and rate-limit counters of past periods.
	svc.Jobs.OnPurge("counters", s.PurgeCounters)
	svc.Metrics = metrics.New(s)
	svc.Rules.OnRun = svc.Metrics.RuleRun
	onLogin := svc.Access.OnLogin
	svc.Access.OnLogin = func(ctx context.Context, a access.LoginAttempt) {
		if onLogin != nil {
			onLogin(ctx, a)
		}
		if a.Err != nil {
			svc.Metrics.LoginRefused(refusal(a.Err))
		}
	}
	svc.Exports = &export.Service{Store: s, Records: svc.Records, Modules: svc.Meta, Dashboards: svc.Dashboards,
		Enqueue: func(ctx context.Context, tx *store.Tx, kind string, payload []byte) error {
			return jobs.Enqueue(ctx, tx, jobs.Job{Kind: kind, Payload: payload})
		}}
	// An export job writes its file in short transactions of its own (its
	// progress shows as it goes), so it must not hold the job's one.
	svc.Jobs.HandleExternal(export.JobKind, svc.Exports.Run)
	// Expired export files go with the runner's periodic purge (their rows
	// stay a week, so the links answer 410), even when nobody exports.
	svc.Jobs.OnPurge("exports", svc.Exports.Purge)
	svc.Imports = &importer.Service{Store: s, Records: svc.Records, Modules: svc.Meta,
		Enqueue: func(ctx context.Context, tx *store.Tx, kind string, payload []byte) error {
			return jobs.Enqueue(ctx, tx, jobs.Job{Kind: kind, Payload: payload})
		}}
	// An import job writes its rows in transactions of its own (batches,
	// each with its progress), so it must not hold the job's one.
	svc.Jobs.HandleExternal(importer.JobKind, svc.Imports.Run)
	svc.Templates = &template.Service{Store: s, Records: svc.Records, Imports: svc.Imports,
		Env: template.Env{Meta: svc.Meta, Flows: svc.Flows, Approvals: svc.Approvals, Rules: svc.Rules,
			Dashboards: svc.Dashboards, Prints: svc.Prints, Access: svc.Access, Pools: svc.Pools, Publications: svc.Publications},
		// A failed install or upgrade rolled back what these may have cached.
		Invalidate: []func(){svc.Meta.Invalidate, svc.Rules.Invalidate, svc.Flows.Invalidate, svc.Access.InvalidateOrg}}
	svc.Cluster = cluster.New(s, slog.Default())
	svc.Cluster.On(store.CacheModules, svc.Meta.Invalidate)
	svc.Cluster.On(store.CacheRules, svc.Rules.Invalidate)
	svc.Cluster.On(store.CacheFlows, svc.Flows.Invalidate)
	svc.Cluster.On(store.CacheCalendars, svc.Calendars.Invalidate)
	svc.Cluster.On(store.CacheOrg, svc.Access.InvalidateOrg)
	svc.Cluster.On(store.CacheSessions, svc.Access.InvalidateSessions)
	onChange := svc.Meta.OnChange
	svc.Meta.OnChange = func(ctx context.Context, c meta.Change) {
		if onChange != nil {
			onChange(ctx, c)
		}
		if err := svc.Records.ModuleChanged(ctx, c); err != nil {
			slog.Default().Error("formula recompute not enqueued", "app", c.App, "err", err)
		}
		if err := svc.Summaries.ModuleChanged(ctx, c); err != nil {
			slog.Default().Error("live aggregates not updated for a module change", "app", c.App, "err", err)
		}
		if err := svc.Records.DailyChanged(ctx, c); err != nil {
			slog.Default().Error("daily formula recompute not planned", "app", c.App, "err", err)
		}
		if err := svc.Dedupe.ModuleChanged(ctx, c); err != nil {
			slog.Default().Error("match-key backfill not enqueued", "app", c.App, "err", err)
		}
	}
	return svc
}

// Option adjusts the HTTP server New builds.
type Option func(*options)

type options struct {
	proxies httpx.Proxies
}

// TrustProxies names the reverse proxies whose forwarding headers
// (X-Forwarded-For, X-Real-IP, X-Forwarded-Proto) are believed; from any
// other peer they are dropped (see httpx.Proxies). Without it nobody is
// trusted.
func TrustProxies(p httpx.Proxies) Option { return func(o *options) { o.proxies = p } }

// New returns the HTTP handler.
func New(svc *Services, log *slog.Logger, opts ...Option) *Handler {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// The client address (sign-in throttling, the audit log, logs) is the
	// peer's, or what a trusted proxy says it is.
	e.IPExtractor = o.proxies.IPExtractor()
	e.HTTPErrorHandler = httpx.ErrorHandler(log)
	// Before routing: forwarding headers from untrusted peers go; the
	// request log sees the status the client got (panics included).
	e.Pre(o.proxies.StripUntrusted)
	e.Pre(requestLog(log, svc.Metrics))
	e.Pre(middleware.Recover())
	// Uploads of imports have the import service's limit instead (it
	// reads the file part with it).
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: MaxBody,
		Skipper: func(c echo.Context) bool {
			return c.Path() == importapi.UploadRoute && c.Request().Method == http.MethodPost
		}}))
	e.Use(recordapi.AuditRequest)
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection: "0", ContentTypeNosniff: "nosniff", XFrameOptions: "DENY",
		ReferrerPolicy: "same-origin", ContentSecurityPolicy: csp,
	}))
	e.Use(noStoreAPI)

	e.GET("/healthz", func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		if err := svc.Store.Ping(ctx); err != nil {
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "ok", "database": svc.Store.D.Name()})
	})
	app := svc.Web
	if app == nil {
		app = web.Embedded()
	}
	app.Bind(e) // GET / redirects to /app/

	api := e.Group("/api")
	authapi.BindPublic(api, svc.Access)
	ruleapi.BindPublic(api, svc.Rules)
	publicapi.BindPublic(api, svc.Publications)
	regionapi.Bind(api)
	private := api.Group("", httpx.RequireUser(svc.Access))
	authapi.Bind(private, svc.Access)
	metaapi.Bind(private, svc.Meta, svc.Access)
	recordapi.Bind(private, svc.Meta, svc.Records, log)
	orgapi.Bind(private, svc.Access)
	exprapi.Bind(private, svc.Meta, svc.Records, svc.Access)
	ruleapi.Bind(private, svc.Rules)
	formulaapi.Bind(private, svc.Meta, svc.Records)
	notifyapi.Bind(private, svc.Store, svc.Meta, svc.Records)
	calendarapi.Bind(private, svc.Calendars)
	flowapi.Bind(private, svc.Flows, svc.Meta)
	approvalapi.Bind(private, svc.Approvals)
	exportapi.Bind(private, svc.Exports)
	importapi.Bind(private, svc.Imports)
	reportapi.Bind(private, reportapi.Services{Reports: svc.Reports, Dashboards: svc.Dashboards, Summaries: svc.Summaries})
	printapi.Bind(private, svc.Prints)
	relatedapi.Bind(private, svc.Meta, svc.Related)
	actionapi.Bind(private, svc.Meta, svc.Rules)
	templateapi.Bind(private, svc.Templates)
	poolapi.Bind(private, svc.Pools)
	publicapi.Bind(private, svc.Publications)
	dedupeapi.Bind(private, svc.Meta, svc.Dedupe)
	if svc.Audit != nil {
		if svc.Audit.Logger == nil {
			svc.Audit.Logger = log
		}
		recordapi.BindHistory(private, svc.Meta, svc.Audit)
	}
	openapi.Bind(private, svc.Meta, svc.Access)
	// Prometheus scrapes with an administrator's API token; the debug
	// listener (tessera serve --debug-addr) serves the same without one.
	e.GET("/metrics", echo.WrapHandler(svc.Metrics.Handler()), httpx.RequireUser(svc.Access), httpx.AdminOnly("access.admin_only.metrics"))
	// Unknown /api paths are 404 problem documents, even unauthenticated;
	// known paths with another method are 405 (methods.go).
	routes := &routeTable{}
	e.RouteNotFound("/*", routes.notFound)
	api.RouteNotFound("/*", routes.notFound)
	*routes = *newRouteTable(e)
	routes.shadow(e)
	return &Handler{Echo: e}
}

// csp is the policy of everything but the web app's pages (which set their
// own, runtime/web): API answers load nothing and are never framed.
const csp = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// noStoreAPI keeps API responses (tokens, records) out of caches.
func noStoreAPI(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if p := c.Request().URL.Path; p == "/api" || strings.HasPrefix(p, "/api/") {
			c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		}
		return next(c)
	}
}

// requestLog logs every request once it is answered: method, path, the
// status the client received and, for errors, the error code. Errors are
// rendered here (not after the middleware returns) so that the status
// logged is the one sent.
func requestLog(log *slog.Logger, m *metrics.Metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			method, path := method(c), c.Request().URL.Path
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			took := time.Since(start)
			// The same status feeds the log and the metrics, so they agree;
			// the metrics take the route pattern (c.Path, known once routed),
			// never the path with its ids.
			m.Request(method, c.Path(), c.Response().Status, took)
			attrs := []any{"method", method, "path", path, "status", c.Response().Status,
				"ms", took.Milliseconds(), "ip", c.RealIP()}
			if err != nil {
				attrs = append(attrs, "code", httpx.ErrorCode(err))
			}
			log.Info("http", attrs...)
			return nil
		}
	}
}

// refusal names why a sign-in was refused, for the metrics: the limit that
// refused it ("limit_account_address", "limit_address"), else the message key without
// its package ("bad_credentials", "disabled").
func refusal(err error) string {
	var t *access.Throttled
	if errors.As(err, &t) {
		return "limit_" + t.Limit
	}
	return strings.TrimPrefix(audit.Reason(err), "access.")
}
