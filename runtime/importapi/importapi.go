// Package importapi serves imports (engine/importer): POST
// /api/apps/:app/modules/:module/imports takes the file (multipart, part
// "file"; optional parts "sheet" and "header_row") and answers what was
// detected and the suggested mapping; POST /api/imports/:id/dry-run
// answers what a run would do; POST /api/imports/:id/run queues the run
// as a job; GET /api/imports/:id shows its status, progress and counts;
// GET /api/imports/:id/errors.xlsx the failed rows. Only the uploader
// sees an import.
package importapi

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/importer"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// UploadRoute is the upload's route: the server's own body limit does
// not apply to it (the import service's, larger, does).
const UploadRoute = "/api/apps/:app/modules/:module/imports"

type handler struct{ imports *importer.Service }

// Bind registers the import routes on g (behind httpx.RequireUser).
func Bind(g *echo.Group, s *importer.Service) {
	h := handler{imports: s}
	g.POST("/apps/:app/modules/:module/imports", h.create)
	g.GET("/imports/:id", h.get)
	g.POST("/imports/:id/dry-run", h.dryRun)
	g.POST("/imports/:id/run", h.run)
	g.GET("/imports/:id/errors.xlsx", h.errorsFile)
}

func options(c echo.Context) importer.Options {
	o := importer.Options{Locale: httpx.Locale(c)}
	if u := httpx.User(c); u != nil {
		o.TimeZone = u.TimeZone
	}
	return o
}

// maxFields bounds the multipart parts other than the file (bytes each).
const maxField = 1 << 10

func (h handler) create(c echo.Context) error {
	req := c.Request()
	limit := h.imports.MaxUpload()
	if req.ContentLength > limit+1<<20 { // the file plus the multipart framing
		return h.imports.TooLarge()
	}
	mt, params, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return errs.New(errs.Invalid, "import.no_file")
	}
	body := http.MaxBytesReader(c.Response(), req.Body, limit+1<<20)
	mr := multipart.NewReader(body, params["boundary"])
	var up importer.Upload
	var file []byte
	got := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return tooLargeOr(h.imports, err, errs.New(errs.Invalid, "import.no_file"))
		}
		switch part.FormName() {
		case "file":
			if got {
				return errs.New(errs.Invalid, "import.no_file")
			}
			got = true
			up.Filename = part.FileName()
			file, err = io.ReadAll(io.LimitReader(part, limit+1))
			if err != nil {
				return tooLargeOr(h.imports, err, errs.New(errs.Invalid, "import.no_file"))
			}
			if int64(len(file)) > limit {
				return h.imports.TooLarge()
			}
		case "sheet", "header_row":
			b, err := io.ReadAll(io.LimitReader(part, maxField))
			if err != nil {
				return tooLargeOr(h.imports, err, errs.New(errs.Invalid, "import.no_file"))
			}
			v := strings.TrimSpace(string(b))
			if part.FormName() == "sheet" {
				up.Sheet = v
			} else if v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 {
					return errs.New(errs.Invalid, "import.bad_header_row", "row", v)
				}
				up.HeaderRow = n
			}
		}
		part.Close()
	}
	if !got {
		return errs.New(errs.Invalid, "import.no_file")
	}
	out, err := h.imports.Create(req.Context(), record.Actor{User: httpx.User(c), Via: "import"}, c.Param("app"), c.Param("module"), up, file, options(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/imports/"+out.ID)
	return c.JSON(http.StatusCreated, out)
}

// tooLargeOr is the upload limit's error when err is the body running
// over it, else other.
func tooLargeOr(s *importer.Service, err error, other error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return s.TooLarge()
	}
	return other
}

func (h handler) get(c echo.Context) error {
	im, err := h.imports.Get(c.Request().Context(), httpx.User(c), c.Param("id"), httpx.Locale(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, im)
}

func (h handler) dryRun(c echo.Context) error {
	var req importer.Request
	if err := httpx.Decode(c, &req, true); err != nil {
		return err
	}
	out, err := h.imports.DryRun(c.Request().Context(), httpx.User(c), c.Param("id"), req, options(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (h handler) run(c echo.Context) error {
	var req importer.Request
	if err := httpx.Decode(c, &req, true); err != nil {
		return err
	}
	im, err := h.imports.Start(c.Request().Context(), httpx.User(c), c.Param("id"), req, options(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/imports/"+im.ID)
	return c.JSON(http.StatusAccepted, im)
}

// lazy sets the download's headers on the first write, so an error
// before any byte is written still answers as a problem document.
type lazy struct {
	c    echo.Context
	name string
	sent bool
}

func (l *lazy) Write(b []byte) (int, error) {
	if !l.sent {
		l.sent = true
		hdr := l.c.Response().Header()
		hdr.Set(echo.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		hdr.Set(echo.HeaderContentDisposition, "attachment; filename*=UTF-8''"+url.PathEscape(l.name))
		l.c.Response().WriteHeader(http.StatusOK)
	}
	return l.c.Response().Write(b)
}

func (h handler) errorsFile(c echo.Context) error {
	ctx := c.Request().Context()
	u := httpx.User(c)
	im, err := h.imports.Get(ctx, u, c.Param("id"), httpx.Locale(c))
	if err != nil {
		return err
	}
	w := &lazy{c: c, name: importer.ErrorsFilename(im.Filename)}
	if _, err := h.imports.ErrorsFile(ctx, u, im.ID, httpx.Locale(c), w); err != nil && !w.sent {
		return err
	}
	return nil
}
