package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ShutdownGrace bounds how long Serve waits, once its context ends, for requests
// still in flight.
const ShutdownGrace = 10 * time.Second

// Serve answers on ln until ctx ends, then shuts down in this order: new debates are
// refused (503); drain runs (the caller stops its debates there: a local debate is
// interrupted and recorded as such, so the streams watching it deliver that and
// end); the streams still open are ended; the server waits up to ShutdownGrace for
// the other requests. It returns nil after a shutdown, or the listener's error.
func (s *Server) Serve(ctx context.Context, ln net.Listener, drain func(context.Context)) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.opts.ReadTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// No WriteTimeout: it would cut every event stream. Ordinary answers get a
		// deadline of their own (Options.WriteTimeout).
		BaseContext: func(net.Listener) context.Context { return s.streams },
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		s.stopStreams()
		return err
	case <-ctx.Done():
	}

	s.draining.Store(true)
	grace, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	if drain != nil {
		drain(grace)
	}
	// Streams watching the debates just interrupted end by themselves once they
	// have sent the news; give them a moment to, then end the rest.
	s.waitStreams(time.Second)
	s.stopStreams()
	err := hs.Shutdown(grace)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// waitStreams waits until no event stream is open, or for d.
func (s *Server) waitStreams(d time.Duration) {
	deadline := time.Now().Add(d)
	for s.active.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}

// Close ends every event stream; for a Server used as a plain http.Handler (as in
// tests) rather than through Serve.
func (s *Server) Close() {
	s.draining.Store(true)
	s.stopStreams()
}
