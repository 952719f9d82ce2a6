// Package wire holds what the HTTP providers (anthropic, openai, gemini) share about
// the connection under their SDKs: naming the endpoint in an error, and telling a
// stream that broke off from other failures. Each provider had its own copy, and the
// copies had drifted apart.
package wire

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
)

// Endpoint names the server a request went to, scheme and host only (never the path
// or query, where a key may travel), for error messages.
func Endpoint(r *http.Request) string {
	if r == nil {
		return EndpointOf(nil)
	}
	return EndpointOf(r.URL)
}

// EndpointOf is Endpoint for a URL.
func EndpointOf(u *url.URL) string {
	if u == nil || u.Host == "" {
		return "the endpoint"
	}
	return u.Scheme + "://" + u.Host
}

// StreamCut reports whether err is a connection that went away mid-answer: the
// peer closed or reset it, or the body ended before the answer did.
//
// The typed checks come first; the text checks are for SDKs that flatten the cause
// into their own message. A bare "EOF" counts only as the whole message or its last
// element (`Post "…": EOF`): as a substring it also matched a parser's "EOF while
// parsing a value", a garbled reply that is the server's fault and not a cut.
func StreamCut(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "unexpected EOF") || strings.Contains(s, "connection reset") ||
		strings.Contains(s, "broken pipe") || s == "EOF" || strings.HasSuffix(s, ": EOF")
}
