package wire

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"
)

// The cases where the three former copies disagreed are marked: openai's matched
// "EOF" anywhere and had no typed checks; anthropic's and gemini's missed a
// flattened `…: EOF`.
func TestStreamCut(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"io.EOF", io.EOF, true},
		{"io.ErrUnexpectedEOF wrapped", fmt.Errorf("reading body: %w", io.ErrUnexpectedEOF), true},
		{"ECONNRESET in an OpError (typed, not text)", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, true},
		{"EPIPE wrapped", fmt.Errorf("write: %w", syscall.EPIPE), true},
		{"url.Error around io.EOF", &url.Error{Op: "Post", URL: "http://127.0.0.1:1/v1", Err: io.EOF}, true},
		// drifted: openai had no typed checks, anthropic/gemini no suffix check
		{"flattened Post: EOF", errors.New(`Post "http://127.0.0.1:1/v1/messages": EOF`), true},
		{"flattened connection reset", errors.New("read tcp 127.0.0.1:5->127.0.0.1:6: read: connection reset by peer"), true},
		{"flattened broken pipe", errors.New("write: broken pipe"), true},
		{"flattened unexpected EOF", errors.New("stream error: unexpected EOF"), true},
		// drifted: openai's substring "EOF" called a garbled reply a cut
		{"parser EOF is a garbled reply", errors.New("EOF while parsing a value at line 1 column 12"), false},
		{"JSON end is a garbled reply", errors.New("unexpected end of JSON input"), false},
		{"refused is not a cut (no answer began)", errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), false},
		{"a 500", errors.New("500 Internal Server Error"), false},
	}
	for _, tt := range tests {
		if got := StreamCut(tt.err); got != tt.want {
			t.Errorf("%s: StreamCut(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestEndpoint(t *testing.T) {
	r, _ := http.NewRequest("POST", "https://api.example.com:8443/v1/chat?key=SECRET", nil)
	if got := Endpoint(r); got != "https://api.example.com:8443" {
		t.Errorf("Endpoint = %q: want scheme and host only, never the query", got)
	}
	for _, r := range []*http.Request{nil, {}} {
		if got := Endpoint(r); got != "the endpoint" {
			t.Errorf("Endpoint(%v) = %q", r, got)
		}
	}
}
