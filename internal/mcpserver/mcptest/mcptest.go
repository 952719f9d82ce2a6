// Package mcptest helps tests of MCP tools wait for a call's progress
// notifications on the client instead of sleeping until they have probably come.
package mcptest

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Progress records the progress notifications a client handles, and counts those
// read off its connection. The SDK's client reads its connection in order but
// hands notifications to their handler on another goroutine, so a call's result
// may come back before the handler has seen the notifications sent ahead of it;
// the count on the wire says how many those are.
//
// Wire the client with Transport (around the client's transport) and Handle (as
// ClientOptions.ProgressNotificationHandler).
type Progress struct {
	read atomic.Int64 // progress notifications read off the connection

	mu   sync.Mutex
	got  []*mcp.ProgressNotificationParams
	wake chan struct{} // a notification was handled (buffered 1: a wake-up, not a count)
}

// New returns an empty Progress.
func New() *Progress { return &Progress{wake: make(chan struct{}, 1)} }

// Handle records a notification: use it as ClientOptions.ProgressNotificationHandler.
func (p *Progress) Handle(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
	p.mu.Lock()
	p.got = append(p.got, req.Params)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Got returns the notifications handled so far.
func (p *Progress) Got() []*mcp.ProgressNotificationParams {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*mcp.ProgressNotificationParams(nil), p.got...)
}

// Settled waits until every progress notification read off the connection so far
// has been handled, and returns them all; ok is false if that took longer than
// timeout. Call it once a call has returned: the server sends the call's
// notifications before its result, and the client reads them before the result,
// so they are all counted by then, and Settled returns exactly those (with any of
// earlier calls), no fewer and no more.
func (p *Progress) Settled(timeout time.Duration) (got []*mcp.ProgressNotificationParams, ok bool) {
	want := int(p.read.Load())
	deadline := time.After(timeout)
	for {
		if got = p.Got(); len(got) >= want {
			return got, true
		}
		select {
		case <-p.wake:
		case <-deadline:
			return got, false
		}
	}
}

// Transport wraps a client's transport to count the progress notifications read
// off it. It is meant for the in-memory and IO transports, whose connections have
// nothing beyond mcp.Connection for the SDK to look for.
func (p *Progress) Transport(t mcp.Transport) mcp.Transport { return &transport{t, p} }

type transport struct {
	mcp.Transport
	p *Progress
}

func (t *transport) Connect(ctx context.Context) (mcp.Connection, error) {
	c, err := t.Transport.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{c, t.p}, nil
}

type conn struct {
	mcp.Connection
	p *Progress
}

func (c *conn) Read(ctx context.Context) (jsonrpc.Message, error) {
	msg, err := c.Connection.Read(ctx)
	if req, ok := msg.(*jsonrpc.Request); ok && err == nil && !req.IsCall() && req.Method == "notifications/progress" {
		c.p.read.Add(1)
	}
	return msg, err
}
