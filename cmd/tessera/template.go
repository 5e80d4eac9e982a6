package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/template"
	"github.com/tessera-app/tessera/runtime/server"
)

const templateUsage = `usage:
  tessera template lint DIR|ZIP [--sample-data]          # offline: checks every file as install would
  tessera template install DIR|ZIP [--app KEY] [--sample-data] [--if-missing]
  tessera template upgrade DIR|ZIP [--app KEY] [--yes] [--prefer ours|theirs] [--choose ID=ours|theirs]...
  tessera template uninstall APP [--purge]               # keeps the app and its data unless --purge
  tessera template export APP DIR
  tessera template list
(install, upgrade, uninstall, export and list take --data / --database like serve; a running
server picks the change up within seconds.)`

// cliLocale is the language of the CLI's messages: zh-CN when LANG says
// Chinese, else English.
func cliLocale() string {
	if strings.HasPrefix(os.Getenv("LANG"), "zh") {
		return i18n.ZhCN
	}
	return i18n.EN
}

// choices collects repeated --choose ID=ours|theirs flags.
type choices map[string]string

func (c choices) String() string { return "" }
func (c choices) Set(v string) error {
	i := strings.LastIndexByte(v, '=')
	if i < 0 {
		return fmt.Errorf("--choose wants ID=ours or ID=theirs, got %q", v)
	}
	c[v[:i]] = v[i+1:]
	return nil
}

// parseMixed parses flags given before, between or after the positional
// arguments, and returns the positionals.
func parseMixed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func templateCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", templateUsage)
	}
	var cfg Config
	var app, prefer string
	var sample, yes, purge, ifMissing bool
	picks := choices{}
	fs := flag.NewFlagSet("template "+args[0], flag.ContinueOnError)
	bindConfig(fs, &cfg)
	fs.StringVar(&app, "app", "", "app key (install: default the template's key; upgrade: default the template's key)")
	fs.BoolVar(&sample, "sample-data", false, "load the package's sample data")
	fs.BoolVar(&yes, "yes", false, "upgrade: apply the plan (without it the plan is only printed)")
	fs.StringVar(&prefer, "prefer", "", "upgrade: decide conflicts without a --choose: ours or theirs")
	fs.Var(picks, "choose", "upgrade: ID=ours|theirs for the conflict ID of the plan (repeatable)")
	fs.BoolVar(&purge, "purge", false, "uninstall: delete the app and its data too")
	fs.BoolVar(&ifMissing, "if-missing", false, "install: do nothing when the app exists (make run on a used data directory)")
	pos, err := parseMixed(fs, args[1:])
	if err != nil {
		return err
	}
	want := map[string]int{"lint": 1, "install": 1, "upgrade": 1, "uninstall": 1, "export": 2, "list": 0}
	n, ok := want[args[0]]
	if !ok || len(pos) != n {
		return fmt.Errorf("%s", templateUsage)
	}
	loc := cliLocale()
	fail := func(err error) error {
		if err == nil {
			return nil
		}
		return fmt.Errorf("%s", template.Message(err, loc))
	}
	if args[0] == "lint" {
		return fail(lintPackage(ctx, pos[0], sample, stdout))
	}
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	svc := server.NewServices(s).Templates
	actor, err := svc.SystemActor(ctx)
	if err != nil {
		return err
	}
	switch args[0] {
	case "install", "upgrade":
		files, err := template.ReadPath(pos[0])
		if err != nil {
			return fail(err)
		}
		if args[0] == "install" {
			if ifMissing {
				key := app
				if p, err := template.Parse(files); err == nil && key == "" {
					key = template.AppKey(p.Manifest.Key)
				}
				if _, err := s.App(ctx, key); err == nil {
					fmt.Fprintf(stdout, "app %s exists; nothing installed\n", key)
					return nil
				}
			}
			in, err := svc.Install(ctx, actor, files, template.InstallOptions{App: app, SampleData: sample})
			if err != nil {
				return fail(err)
			}
			fmt.Fprintf(stdout, "installed %s %s as app %s\n", in.Template, in.Version, in.App)
			for m, n := range in.Sample {
				fmt.Fprintf(stdout, "  sample data: %d %s\n", n, m)
			}
			return nil
		}
		if app == "" {
			if p, err := template.Parse(files); err == nil {
				app = template.AppKey(p.Manifest.Key)
			}
		}
		plan, err := svc.Upgrade(ctx, actor, app, files, template.UpgradeOptions{Apply: yes, Prefer: prefer, Choices: picks})
		if plan != nil {
			printPlan(stdout, plan, loc)
		}
		return fail(err)
	case "uninstall":
		if err := svc.Uninstall(ctx, actor, pos[0], purge); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "uninstalled %s (purge=%v)\n", pos[0], purge)
	case "export":
		files, err := svc.Export(ctx, actor, pos[0])
		if err != nil {
			return fail(err)
		}
		if err := template.WriteDir(pos[1], files); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "exported %s to %s (%d files)\n", pos[0], pos[1], len(files))
	case "list":
		all, err := svc.List(ctx)
		if err != nil {
			return err
		}
		for _, in := range all {
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", in.App, in.Template, in.Version, in.Name.In(loc))
		}
	}
	return nil
}

// lintPackage checks a package offline: it installs it into a temporary
// SQLite database, in a transaction rolled back, through the services the
// API uses — so lint and install can never disagree.
func lintPackage(ctx context.Context, path string, sample bool, stdout io.Writer) error {
	files, err := template.ReadPath(path)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "tessera-lint-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	s, err := store.Open(ctx, dir, "")
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		return err
	}
	svc := server.NewServices(s).Templates
	actor, err := svc.SystemActor(ctx)
	if err != nil {
		return err
	}
	if err := svc.Lint(ctx, actor, files, sample); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok (%d files)\n", path, len(files))
	return nil
}

func printPlan(w io.Writer, p *template.Plan, loc string) {
	p.Localize(loc)
	fmt.Fprintf(w, "upgrade %s: %s %s → %s\n", p.App, p.Template, p.From, p.To)
	for _, n := range p.Notes {
		where := n.File + n.Pointer
		fmt.Fprintf(w, "  %-8s %s: %s", n.Action, where, n.Message)
		if len(n.Changed) > 0 {
			fmt.Fprintf(w, " (%s)", strings.Join(n.Changed, ", "))
		}
		fmt.Fprintln(w)
	}
	for _, c := range p.Conflicts {
		b, _ := json.Marshal(c.Base)
		o, _ := json.Marshal(c.Ours)
		t, _ := json.Marshal(c.Theirs)
		choice := c.Choice
		if choice == "" {
			choice = "undecided: --choose '" + c.ID + "=ours|theirs'"
		}
		fmt.Fprintf(w, "  conflict %s\n    base:   %s\n    ours:   %s\n    theirs: %s\n    choice: %s\n", c.ID, b, o, t, choice)
	}
	if p.Applied {
		fmt.Fprintln(w, "applied")
	} else {
		fmt.Fprintln(w, "not applied (run with --yes to apply)")
	}
}
