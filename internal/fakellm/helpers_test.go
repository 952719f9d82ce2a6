package fakellm

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/sse"
)

// readSSE parses an event stream with the reader the clients use; the error is the
// transport's (a cut stream gives io.ErrUnexpectedEOF), with the events read so far.
func readSSE(r io.Reader) ([]sse.Event, error) { return sse.ReadAll(r, nil) }

// post sends body as JSON and returns the response; the caller closes it.
func post(t *testing.T, url string, body any, header ...string) *http.Response {
	t.Helper()
	return postCtx(t, context.Background(), url, body, header...)
}

func postCtx(t *testing.T, ctx context.Context, url string, body any, header ...string) *http.Response {
	t.Helper()
	resp, err := doPost(ctx, url, body, header...)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	return resp
}

func doPost(ctx context.Context, url string, body any, header ...string) (*http.Response, error) {
	js, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(js))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return http.DefaultClient.Do(req)
}

// decode reads a JSON body into a generic map.
func decode(t *testing.T, r io.Reader) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		t.Fatalf("decode body: %v", err)
	}
	return m
}

// path walks a decoded JSON value: string keys index objects, ints index arrays.
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// waitEnded polls until the server has recorded the end of n calls.
func waitEnded(t *testing.T, s *Server, n int) []Call {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		calls := s.Calls()
		ended := 0
		for _, c := range calls {
			if !c.End.IsZero() {
				ended++
			}
		}
		if ended >= n {
			return calls
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d calls ended after 3s: %+v", ended, n, calls)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitArrived polls until n calls have arrived.
func waitArrived(t *testing.T, s *Server, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for len(s.Calls()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls arrived after 3s, want %d", len(s.Calls()), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// jsonBlock extracts and decodes the last ```json fenced block of a reply.
func jsonBlock(t *testing.T, text string) map[string]any {
	t.Helper()
	i := strings.LastIndex(text, "```json\n")
	if i < 0 {
		t.Fatalf("no ```json block in:\n%s", text)
	}
	rest := text[i+len("```json\n"):]
	j := strings.Index(rest, "```")
	if j < 0 {
		t.Fatalf("unterminated ```json block in:\n%s", text)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(rest[:j]), &m); err != nil {
		t.Fatalf("json block %q: %v", rest[:j], err)
	}
	return m
}
