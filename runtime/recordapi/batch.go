package recordapi

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// POST /api/apps/:app/modules/:module/records/batch: up to
// record.MaxBatch creates, updates and deletes in one request, each
// through the one write path (engine/record/batch.go).
//
//	{"atomic": true, "items": [{"op": "create", "data": {...}},
//	                           {"op": "update", "id": "...", "version": 3, "data": {...}},
//	                           {"op": "delete", "id": "..."}]}
//
// Answers: 200 with every item's outcome ({index, op, status, record | id |
// error}) — per item, or atomic and written; an atomic batch with failing
// items is a problem document with the status of the first failing item
// and "items" naming each failing one, and writes nothing; a malformed
// batch is a 400 and writes nothing.

type batchBody struct {
	Atomic bool        `json:"atomic"`
	Items  []batchItem `json:"items"`
}

type batchItem struct {
	Op      string         `json:"op"`
	ID      string         `json:"id"`
	Version int64          `json:"version"`
	Data    map[string]any `json:"data"`
}

// batchResult is one item's outcome.
type batchResult struct {
	Index  int            `json:"index"`
	Op     string         `json:"op"`
	Status int            `json:"status"`
	ID     string         `json:"id,omitempty"`     // update and delete
	Record store.Record   `json:"record,omitempty"` // written (not for a delete)
	Error  *httpx.Problem `json:"error,omitempty"`
}

type batchAnswer struct {
	Atomic  bool          `json:"atomic"`
	Written int           `json:"written"`
	Failed  int           `json:"failed"`
	Items   []batchResult `json:"items"`
}

// batchProblem is the answer to an atomic batch that was not written.
type batchProblem struct {
	httpx.Problem
	Items []batchResult `json:"items"` // the failing items only
}

var okStatus = map[record.Op]int{record.OpCreate: http.StatusCreated, record.OpUpdate: http.StatusOK, record.OpDelete: http.StatusNoContent}

func (h handler) batch(c echo.Context) error {
	m, err := h.module(c)
	if err != nil {
		return err
	}
	var in batchBody
	if err := httpx.Decode(c, &in, true); err != nil {
		return err
	}
	items := make([]record.BatchItem, len(in.Items))
	for i, it := range in.Items {
		items[i] = record.BatchItem{Op: record.Op(it.Op), ID: strings.ToLower(it.ID), Version: it.Version, Data: it.Data}
		if items[i].Op == record.OpUpdate && items[i].Data == nil {
			items[i].Data = map[string]any{} // a patch changing nothing
		}
	}
	results, err := h.records.Batch(c.Request().Context(), actor(c), m, items, in.Atomic)
	failed, ok := err.(*record.BatchFailed)
	if err != nil && !ok {
		return err
	}
	loc := httpx.Locale(c)
	out := make([]batchResult, 0, len(results))
	for i, r := range results {
		res := batchResult{Index: i, Op: string(items[i].Op), ID: items[i].ID, Record: r.Record, Status: okStatus[items[i].Op]}
		if r.Err != nil {
			if errs.CodeOf(r.Err) == errs.Internal {
				h.log.Error("batch item failed", "path", c.Path(), "index", i, "err", r.Err)
			}
			p := httpx.ProblemOf(loc, r.Err)
			res.Status, res.Record, res.Error = p.Status, nil, &p
		} else if failed != nil {
			continue // an atomic failure names the failing items only
		}
		out = append(out, res)
	}
	if failed != nil {
		p := httpx.ProblemOf(loc, failed.Err)
		httpx.WriteProblem(c, p.Status, batchProblem{Problem: p, Items: out})
		return nil
	}
	ans := batchAnswer{Atomic: in.Atomic, Items: out}
	for _, r := range out {
		if r.Error != nil {
			ans.Failed++
		} else {
			ans.Written++
		}
	}
	return c.JSON(http.StatusOK, ans)
}

// logger is the handler's log, for item errors the error handler does not
// see.
func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
