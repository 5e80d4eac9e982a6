package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/tessera-app/tessera/engine/backup"
)

// backupCmd: tessera backup --out FILE, while the server keeps serving.
func backupCmd(ctx context.Context, args []string, stdout io.Writer) error {
	var cfg Config
	var out string
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	bindConfig(fs, &cfg)
	fs.StringVar(&out, "out", "", "file to write the backup to (must not exist)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if out == "" || fs.NArg() > 0 {
		return errUsage
	}
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := backup.Backup(ctx, s, cfg.Database, out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup of the %s database written to %s\n", s.D.Name(), out)
	return nil
}

// restoreCmd: tessera restore FILE — replaces the database with a backup,
// then brings it up to this binary's migrations.
func restoreCmd(ctx context.Context, args []string, stdout io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	bindConfig(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errUsage
	}
	in := fs.Arg(0)
	if cfg.Database != "" {
		if err := backup.RestorePostgres(ctx, cfg.Database, in); err != nil {
			return err
		}
	} else {
		kept, err := backup.RestoreSQLite(ctx, cfg.Data, in)
		if err != nil {
			if errors.Is(err, backup.ErrInUse) {
				return err
			}
			return fmt.Errorf("restore: %w", err)
		}
		if kept != "" {
			fmt.Fprintf(stdout, "the database it replaced is kept as %s\n", kept)
		}
	}
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(stdout, "restored %s into the %s database; migrations applied\n", in, s.D.Name())
	return nil
}
