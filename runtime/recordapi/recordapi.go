// Package recordapi serves records of a module:
// /api/apps/:app/modules/:module/records[/batch|/:id[/restore]].
package recordapi

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/runtime/httpx"
)

type handler struct {
	meta    *meta.Service
	records *record.Service
	log     *slog.Logger
}

// Bind registers the record routes on g; log (nil: slog's default) takes
// the internal errors of batch items, which the error handler never sees.
func Bind(g *echo.Group, metaSvc *meta.Service, recs *record.Service, log *slog.Logger) {
	h := handler{meta: metaSvc, records: recs, log: logger(log)}
	base := "/apps/:app/modules/:module/records"
	g.POST(base, h.create)
	g.POST(base+"/batch", h.batch)
	g.GET(base, h.list)
	g.GET(base+"/:id", h.get)
	g.PATCH(base+"/:id", h.update)
	g.DELETE(base+"/:id", h.delete)
	g.POST(base+"/:id/restore", h.restore)
	g.POST(base+"/:id/claim", h.claim)
}

func (h handler) module(c echo.Context) (*meta.Module, error) {
	return h.meta.Module(c.Request().Context(), c.Param("app"), c.Param("module"))
}

func actor(c echo.Context) record.Actor { return record.Actor{User: httpx.User(c), Via: "api"} }

func (h handler) create(c echo.Context) error {
	m, err := h.module(c)
	if err != nil {
		return err
	}
	var in map[string]any
	if err := httpx.Decode(c, &in, false); err != nil {
		return err
	}
	rec, err := h.records.Create(duplicatesConfirmed(c, in), actor(c), m, in)
	if err != nil {
		return duplicateProblem(c, err)
	}
	return c.JSON(http.StatusCreated, rec)
}

// TotalCap is how far total=true counts: past it a list says "10,000+".
const TotalCap = 10000

func (h handler) list(c echo.Context) error {
	m, err := h.module(c)
	if err != nil {
		return err
	}
	q, err := ListQuery(c)
	if err != nil {
		return err
	}
	page, err := h.records.ListRows(c.Request().Context(), actor(c), m, q, expandParam(c))
	if err != nil {
		return err
	}
	defer page.Rows.Release()
	return writeJSON(c, page.AppendJSON)
}

// ListQuery reads a list's query parameters (filter, sort, cursor, limit,
// total, fields), for every endpoint that lists records.
func ListQuery(c echo.Context) (store.ListQuery, error) {
	var err error
	q := store.ListQuery{Filter: c.QueryParam("filter"), Sort: c.QueryParam("sort"), Cursor: c.QueryParam("cursor")}
	if s := c.QueryParam("limit"); s != "" {
		if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit < 1 {
			return q, errs.New(errs.Invalid, "http.bad_param", "name", "limit")
		}
	}
	// total=true counts up to TotalCap (cheap on any table size; the
	// page says whether it is exact), total=exact counts everything.
	switch s := c.QueryParam("total"); s {
	case "":
	case "exact":
		q.Total = true
	default:
		if q.Total, err = strconv.ParseBool(s); err != nil {
			return q, errs.New(errs.Invalid, "http.bad_param", "name", "total")
		}
		q.TotalCap = TotalCap
	}
	q.Fields = listParam(c, "fields")
	return q, nil
}

func (h handler) get(c echo.Context) error {
	m, err := h.module(c)
	if err != nil {
		return err
	}
	rows, err := h.records.GetRow(c.Request().Context(), actor(c), m, recordID(c), expandParam(c))
	if err != nil {
		return err
	}
	defer rows.Release()
	return writeJSON(c, func(b []byte) ([]byte, error) { return rows.AppendJSON(b, 0) })
}

// update takes the version from the body ("version") or from If-Match.
func (h handler) update(c echo.Context) error {
	m, err := h.module(c)
	if err != nil {
		return err
	}
	var in map[string]any
	if err := httpx.Decode(c, &in, false); err != nil {
		return err
	}
	version, err := versionOf(c, in)
	if err != nil {
		return err
	}
	rec, err := h.records.Update(duplicatesConfirmed(c, in), actor(c), m, recordID(c), version, in)
	if err != nil {
		return duplicateProblem(c, err)
	}
	return c.JSON(http.StatusOK, rec)
}

func (h handler) delete(c echo.Context) error {
	m, err := h.module(c)
	if err != nil {
		return err
	}
	if err := h.records.Delete(c.Request().Context(), actor(c), m, recordID(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h handler) restore(c echo.Context) error {
	m, err := h.module(c)
	if err != nil {
		return err
	}
	rec, err := h.records.Restore(c.Request().Context(), actor(c), m, recordID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rec)
}

// claim takes a record from the public pool.
func (h handler) claim(c echo.Context) error {
	m, err := h.module(c)
	if err != nil {
		return err
	}
	rec, err := h.records.Claim(c.Request().Context(), actor(c), m, recordID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rec)
}

func expandParam(c echo.Context) []string { return listParam(c, "expand") }

// listParam is a comma-separated query parameter (blank items dropped).
func listParam(c echo.Context, name string) []string {
	var out []string
	for _, f := range strings.Split(c.QueryParam(name), ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func versionOf(c echo.Context, in map[string]any) (int64, error) {
	bad := errs.Fields(errs.Field("version", "type", "record.version_required"))
	if v, ok := in["version"]; ok {
		n, ok := v.(interface{ Int64() (int64, error) })
		if !ok {
			return 0, bad
		}
		i, err := n.Int64()
		if err != nil {
			return 0, bad
		}
		return i, nil
	}
	if s := strings.Trim(c.Request().Header.Get("If-Match"), `"W/ `); s != "" {
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, bad
		}
		return i, nil
	}
	return 0, nil // the service reports the missing version
}

// recordID is the :id of the path in canonical (lower-case) form: ids are
// UUIDs, which PostgreSQL compares case-insensitively and SQLite, storing
// text, would not.
func recordID(c echo.Context) string { return strings.ToLower(c.Param("id")) }
