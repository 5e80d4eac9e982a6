package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tessera-app/tessera/engine/summary"
	"github.com/tessera-app/tessera/runtime/server"
)

const summariesUsage = `usage:
  tessera summaries list    [--app A] [--data DIR] [--database URL]   # live aggregates and their status
  tessera summaries check   [--app A] [--data DIR] [--database URL]   # compare each with its GROUP BY; fails on drift
  tessera summaries rebuild [--app A] [--data DIR] [--database URL]   # rebuild them now, one transaction each`

// summariesCmd runs `tessera summaries list|check|rebuild`.
func summariesCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(summariesUsage)
	}
	var cfg Config
	fs := flag.NewFlagSet("summaries "+args[0], flag.ContinueOnError)
	bindConfig(fs, &cfg)
	app := fs.String("app", "", "only the summaries of this app (default: every app)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	sums := server.NewServices(s).Summaries
	switch args[0] {
	case "list":
		all, err := sums.List(ctx, *app)
		if err != nil {
			return err
		}
		for _, sm := range all {
			printSummary(stdout, sm)
		}
		return nil
	case "check":
		return summariesCheck(ctx, sums, *app, stdout)
	case "rebuild":
		all, err := sums.Rebuild(ctx, *app)
		if err != nil {
			return err
		}
		for _, sm := range all {
			printSummary(stdout, sm)
		}
		return nil
	}
	return fmt.Errorf("unknown summaries command %q\n%s", args[0], summariesUsage)
}

func printSummary(w io.Writer, sm *summary.Summary) {
	var keys []string
	for _, k := range sm.Def.Keys {
		key := k.Field + "/" + k.Kind
		if k.Grain != "" {
			key += "/" + k.Grain
		}
		keys = append(keys, key)
	}
	fmt.Fprintf(w, "%s %s.%s %s keys=owner,%s sums=%s records=%d rows=%d\n", sm.ID, sm.App, sm.Module, sm.Status,
		strings.Join(keys, ","), strings.Join(sm.Def.Sums, ","), sm.SourceRows, sm.SummaryRows)
}

// summariesCheck prints each ready summary's comparison with its GROUP BY
// and fails when one drifts.
func summariesCheck(ctx context.Context, sums *summary.Service, app string, stdout io.Writer) error {
	drift, err := sums.Check(ctx, app)
	if err != nil {
		return err
	}
	bad := 0
	for _, d := range drift {
		sm := d.Summary
		switch {
		case d.Error != "":
			bad++
			fmt.Fprintf(stdout, "%s %s.%s ERROR %s\n", sm.ID, sm.App, sm.Module, d.Error)
		case d.Wrong > 0:
			bad++
			fmt.Fprintf(stdout, "%s %s.%s DRIFT %d of %d groups differ\n", sm.ID, sm.App, sm.Module, d.Wrong, d.Groups)
			for _, ex := range d.Examples {
				fmt.Fprintf(stdout, "  key %v: summary %v, GROUP BY %v\n", ex.Key, ex.Summary, ex.Truth)
			}
		default:
			fmt.Fprintf(stdout, "%s %s.%s ok (%d groups)\n", sm.ID, sm.App, sm.Module, d.Groups)
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d summaries drift from their GROUP BY: run tessera summaries rebuild", bad, len(drift))
	}
	return nil
}
