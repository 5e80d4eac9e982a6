package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/demo"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/template"
	"github.com/tessera-app/tessera/runtime/server"
)

const genUsage = `usage:
  tessera gen APP [--template DIR] [--size small|default|large] [--seed N] [--until YYYY-MM-DD] [--if-empty] [--progress] [--data DIR] [--database URL]
Generates the demo data of an installed app from its template's demo/demo.json (DIR: default
templates/<the app's template key>), through the write path. It refuses an app that has records;
--if-empty skips such an app quietly (make run on a used data directory).`

// genCmd is tessera gen.
func genCmd(ctx context.Context, args []string, stdout io.Writer) error {
	var cfg Config
	var dir, size, until string
	var seed uint64
	var ifEmpty, progress bool
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	bindConfig(fs, &cfg)
	fs.StringVar(&dir, "template", "", "the template package holding demo/demo.json (default templates/<template key>)")
	fs.StringVar(&size, "size", "default", "small, default or large (as the spec's entries size their counts)")
	fs.Uint64Var(&seed, "seed", 1, "random seed: one seed, one demo company")
	fs.StringVar(&until, "until", "", "the day the story ends, YYYY-MM-DD (default today): with --seed, the same data on any day")
	fs.BoolVar(&progress, "progress", false, "print the records made at each simulated month")
	fs.BoolVar(&ifEmpty, "if-empty", false, "do nothing (and succeed) when the app has records already")
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%s", genUsage)
	}
	app := pos[0]
	var end time.Time
	if until != "" {
		if end, err = time.ParseInLocation(time.DateOnly, until, demo.Zone); err != nil {
			return fmt.Errorf("--until wants a date such as 2026-12-01, got %q", until)
		}
	}
	loc := cliLocale()
	fail := func(err error) error { return fmt.Errorf("%s", template.Message(err, loc)) }
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	svc := server.NewServices(s)
	in, err := svc.Templates.Get(ctx, app)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return fail(errs.New(errs.NotFound, "demo.no_app", "app", app))
		}
		return err
	}
	if dir == "" {
		dir = filepath.Join("templates", in.Template)
	}
	file := filepath.Join(dir, filepath.FromSlash(demo.File))
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("%s: %w (the template's demo spec; --template DIR names its package)", file, err)
	}
	spec, err := demo.Parse(file, b)
	if err != nil {
		return fail(err)
	}
	var tell func(time.Time, int)
	if progress {
		tell = func(month time.Time, created int) {
			fmt.Fprintf(stdout, "  %s: %d records\n", month.Format("2006-01"), created)
		}
	}
	res, err := demo.Run(ctx, demo.Services{Store: s, Meta: svc.Meta, Access: svc.Access, Records: svc.Records,
		Flows: svc.Flows, Approvals: svc.Approvals, Jobs: svc.Jobs}, spec, demo.Options{App: app, File: file, Size: size, Seed: seed, Now: end,
		Progress: tell})
	if err != nil {
		if e, ok := errs.As(err); ok && ifEmpty && e.Msg.Key == "demo.app_has_data" {
			fmt.Fprintf(stdout, "app %s has data already; no demo data generated\n", app)
			printSignIns(stdout, spec.SignIns())
			return nil
		}
		if _, ok := errs.As(err); ok {
			return fail(err)
		}
		return err
	}
	mods := make([]string, 0, len(res.Created))
	total := 0
	for m, n := range res.Created {
		mods = append(mods, fmt.Sprintf("%d %s", n, m))
		total += n
	}
	sort.Strings(mods)
	fmt.Fprintf(stdout, "demo data for app %s (size %s, seed %d): %d records in %s — %s; %d steps, %d jobs run\n",
		app, size, seed, total, res.Took.Round(time.Millisecond), strings.Join(mods, ", "), res.Moves, res.Jobs)
	printSignIns(stdout, spec.SignIns())
	return nil
}

// printSignIns prints the demo users to sign in as.
func printSignIns(w io.Writer, us []demo.User) {
	if len(us) == 0 {
		return
	}
	fmt.Fprintln(w, "Demo sign-ins (email / password, roles):")
	for _, u := range us {
		fmt.Fprintf(w, "  %-36s %-16s %s %s\n", u.Email, u.Password, u.Name, strings.Join(u.Roles, ","))
	}
}
