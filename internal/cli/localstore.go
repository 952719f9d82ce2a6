package cli

import (
	"context"
	"strings"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlite"
)

// openLocal reads the config and opens the SQLite store that --db, the config or
// PARLEY_DB names, for the commands that need nothing else first.
func openLocal(ctx context.Context, env config.Env, db string) (*config.Config, store.Store, error) {
	cfg, err := loadConfig(env)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, cfg.DBPath(db, env))
	if err != nil {
		return nil, nil, err
	}
	return cfg, st, nil
}

// openForOutput is openLocal for the commands that run a debate and print its
// report (resume, replay): the output format is checked against the config before
// the database is opened, so that a bad --format costs nothing.
func openForOutput(ctx context.Context, env config.Env, format, output, db string) (*config.Config, string, store.Store, error) {
	cfg, err := loadConfig(env)
	if err != nil {
		return nil, "", nil, err
	}
	f, err := outputFormat(format, cfg.Format, output)
	if err != nil {
		return nil, "", nil, err
	}
	st, err := openStore(ctx, cfg.DBPath(db, env))
	if err != nil {
		return nil, "", nil, err
	}
	return cfg, f, st, nil
}

func openStore(ctx context.Context, path string) (store.Store, error) {
	if strings.HasPrefix(path, "postgres://") || strings.HasPrefix(path, "postgresql://") {
		// Team debates live in PostgreSQL and run as jobs of `parley serve`; the
		// local commands read and run debates in SQLite only.
		return nil, usageErr("use the team server's API (docs/SERVER.md), or a SQLite path for local debates", "a PostgreSQL database is for `parley serve --db postgres://…`; this command works on a SQLite file")
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, usageErr("pass --db PATH or set PARLEY_DB to a writable file", "cannot open the database %s: %v", path, err)
	}
	return st, nil
}
