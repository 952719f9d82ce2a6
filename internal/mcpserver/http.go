package mcpserver

import (
	"context"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Handler serves the protocol over streamable HTTP, every session sharing this
// server, until ctx ends; then the background debates are interrupted, and Wait
// returns once they are stored. Authentication is the mounting server's job.
func (s *Server) Handler(ctx context.Context) http.Handler {
	s.mu.Lock()
	s.life = ctx
	s.mu.Unlock()
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s.mcp }, &mcp.StreamableHTTPOptions{
		// A client that vanished without closing its session must not hold its
		// memory forever; a live one sends a request at least every poll, and a
		// blocking debate call keeps its own request open.
		SessionTimeout: 2 * time.Hour,
	})
}

// Wait blocks until every background debate has returned.
func (s *Server) Wait() { s.jobs.wg.Wait() }
