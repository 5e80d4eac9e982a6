package recordapi

import (
	"context"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/dedupe"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// The duplicate check (engine/dedupe) on creates and updates: a write
// matching existing records is a 409 whose problem document lists the
// matches ("duplicates"), unless it says confirm_duplicate — in the body
// (taken out before validation) or as ?confirm_duplicate=true.

// duplicatesConfirmed is the request's context, confirmed when the write
// says so.
func duplicatesConfirmed(c echo.Context, in map[string]any) context.Context {
	ctx := c.Request().Context()
	yes, _ := strconv.ParseBool(c.QueryParam("confirm_duplicate"))
	if v, ok := in["confirm_duplicate"]; ok {
		delete(in, "confirm_duplicate")
		if b, _ := v.(bool); b {
			yes = true
		}
	}
	if yes {
		return dedupe.Confirm(ctx)
	}
	return ctx
}

// duplicateProblem answers a duplicate refusal with its matches; other
// errors go to the error handler.
func duplicateProblem(c echo.Context, err error) error {
	d, ok := dedupe.AsDuplicate(err)
	if !ok {
		return err
	}
	p := httpx.ProblemOf(httpx.Locale(c), d.Err)
	httpx.WriteProblem(c, p.Status, struct {
		httpx.Problem
		Duplicates []dedupe.Match `json:"duplicates"`
	}{p, d.Matches})
	return nil
}
