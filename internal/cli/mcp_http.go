package cli

import (
	"context"
	"net/http"
	"os"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/mcpserver"
	"github.com/parleyhq/parley/internal/session"
	"github.com/parleyhq/parley/internal/store"
)

// serveMCPHTTP builds the MCP endpoint `parley serve` mounts at /mcp: the same
// tools as `parley mcp`, over streamable HTTP, with debates stored where the
// server keeps them. They run in this process, on either kind of backend: an MCP
// session is tied to the replica that holds it, so a team server's job queue
// would gain nothing but a hop (docs/MCP.md). The returned drain interrupts the
// MCP debates still running (each stored as interrupted, resumable) and waits for
// them until ctx ends.
func serveMCPHTTP(io IO, cfg *config.Config, b backend) (http.Handler, func(ctx context.Context)) {
	var st store.Store
	switch b := b.(type) {
	case *localBackend:
		st = b.st
	case *teamBackend:
		st = b.st
	}
	life, stop := context.WithCancel(context.Background())
	mb := newMCPBackend(io, cfg, st, nil)
	wd, _ := os.Getwd()
	srv := mcpserver.New(mcpserver.Options{
		Run: mb.run, Resume: mb.resume, Models: modelsLister(io), Store: st, Alive: session.Alive, Version: Version(),
		// Whoever holds the token reads files inside the directory the server runs
		// in, never beyond it.
		Workspace: wd, Confine: true,
	})
	h := srv.Handler(life)
	return h, func(ctx context.Context) {
		stop()
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
}
