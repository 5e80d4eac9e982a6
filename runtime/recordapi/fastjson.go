package recordapi

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"
)

// Reads (lists, gets) are written by store.Rows' own encoder into a
// pooled buffer, instead of encoding/json over a map per record: the
// encoding was a quarter of a list request's time (issue 10 item 1).

var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

// maxPooled keeps an unusually large answer's buffer out of the pool.
const maxPooled = 1 << 20

// writeJSON answers 200 with the JSON appendTo writes, followed by a
// newline as encoding/json's Encoder (echo's c.JSON) writes one.
func writeJSON(c echo.Context, appendTo func([]byte) ([]byte, error)) error {
	bp := bufs.Get().(*[]byte)
	b, err := appendTo((*bp)[:0])
	if err != nil {
		bufs.Put(bp)
		return err
	}
	b = append(b, '\n')
	// With its length known, net/http writes the body as is instead of
	// in chunks.
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(b)))
	err = c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b)
	if cap(b) <= maxPooled {
		*bp = b[:0]
		bufs.Put(bp)
	}
	return err
}
