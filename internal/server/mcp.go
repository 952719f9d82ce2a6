package server

import (
	"net/http"
	"time"
)

// mcpHandler guards the MCP endpoint (streamable HTTP, internal/mcpserver) with
// the API's token, and lifts the connection deadlines: the blocking debate tool
// answers on a stream that stays open for minutes, and a GET opens a stream for
// server messages. A read deadline would cancel the request's context once it
// passed, and a write deadline would cut the stream.
func (s *Server) mcpHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if s.opts.Token != "" && !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="parley"`)
			writeError(w, http.StatusUnauthorized, "this server needs a token: configure your MCP client to send the header Authorization: Bearer TOKEN")
			s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Time{})
		_ = rc.SetWriteDeadline(time.Time{})
		s.active.Add(1)
		defer s.active.Add(-1)
		rw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(rw, r)
		s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rw.code(), "ms", time.Since(start).Milliseconds())
	})
}
