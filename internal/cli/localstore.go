package cli

import (
	"context"
	"os"
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

// storeAhead is a store being opened while the command does other work. Opening
// SQLite in a fresh process takes ~3 ms and preparing a debate (the panel, the
// mode, the providers) about as long, one after the other on the way to the first
// model call; on two cores they need not be.
type storeAhead struct {
	path string
	done chan struct{}
	st   store.Store
	err  error
}

// openAhead starts opening the store at path, if its file exists. A new database
// is only created once wait is called: a command that fails on its input leaves
// no file behind.
func openAhead(ctx context.Context, path string) *storeAhead {
	a := &storeAhead{path: path, done: make(chan struct{})}
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		close(a.done)
		return a
	}
	go func() {
		defer close(a.done)
		a.st, a.err = openStore(ctx, path)
	}()
	return a
}

// wait returns the store, opening it now if openAhead did not.
func (a *storeAhead) wait(ctx context.Context) (store.Store, error) {
	<-a.done
	if a.st == nil && a.err == nil {
		return openStore(ctx, a.path)
	}
	return a.st, a.err
}

// discard closes the store if it was opened: the command stopped before using it.
func (a *storeAhead) discard() {
	<-a.done
	if a.st != nil {
		a.st.Close()
	}
}
