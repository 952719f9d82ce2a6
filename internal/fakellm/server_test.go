package fakellm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Raw-HTTP tests: the wire shapes no SDK here checks for us (Responses, error
// bodies, discovery), and the fault and scripting behaviour.

func responsesBody(model string, stream bool) map[string]any {
	return map[string]any{
		"model":        model,
		"stream":       stream,
		"instructions": "You are a careful engineer.",
		"input": []any{
			map[string]any{"type": "message", "role": "developer", "content": "Answer in Markdown."},
			map[string]any{"type": "message", "role": "user", "content": []any{
				map[string]any{"type": "input_text", "text": "Round 1: pick one."},
			}},
			map[string]any{"type": "function_call_output", "call_id": "c1", "output": "not prompt text"},
		},
	}
}

func TestResponsesStreaming(t *testing.T) {
	s := Start(t, Options{})
	s.Script("codex-x", Script{Replies: []Reply{{Text: longText, ChunkSize: 6, InputTokens: 3, OutputTokens: 4}}})

	resp := post(t, s.URL()+"/v1/responses", responsesBody("codex-x", true), "Authorization", "Bearer k")
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q", ct)
	}
	evs, err := readSSE(resp.Body)
	if err != nil {
		t.Fatal(err)
	}

	var names []string
	var text strings.Builder
	var completed map[string]any
	for i, ev := range evs {
		var data map[string]any
		if err := json.Unmarshal([]byte(ev.Data), &data); err != nil {
			t.Fatalf("event %d %s: %v", i, ev.Name, err)
		}
		if data["type"] != ev.Name || data["sequence_number"] != float64(i) {
			t.Fatalf("event %d: name %q, type %v, sequence_number %v", i, ev.Name, data["type"], data["sequence_number"])
		}
		if ev.Name == "response.output_text.delta" {
			text.WriteString(data["delta"].(string))
			if data["item_id"] == "" || data["output_index"] != 0.0 {
				t.Fatalf("delta without its address: %v", data)
			}
		} else if len(names) == 0 || names[len(names)-1] != ev.Name {
			names = append(names, ev.Name)
		}
		if ev.Name == "response.completed" {
			completed = data
		}
	}
	want := []string{"response.created", "response.in_progress", "response.output_item.added",
		"response.content_part.added", "response.output_text.done", "response.content_part.done",
		"response.output_item.done", "response.completed"}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Fatalf("events (deltas left out) = %v\nwant %v", names, want)
	}
	if text.String() != longText {
		t.Fatalf("deltas = %q", text.String())
	}
	r := path(completed, "response")
	if id, _ := path(r, "id").(string); !strings.HasPrefix(id, "resp_") || path(r, "status") != "completed" || path(r, "model") != "codex-x" {
		t.Fatalf("completed response = %v", r)
	}
	if path(r, "output", 0, "content", 0, "text") != longText || path(r, "output", 0, "role") != "assistant" {
		t.Fatalf("completed output = %v", path(r, "output"))
	}
	u := path(r, "usage")
	if path(u, "input_tokens") != 3.0 || path(u, "output_tokens") != 4.0 || path(u, "total_tokens") != 7.0 ||
		path(u, "input_tokens_details", "cached_tokens") != 0.0 || path(u, "output_tokens_details", "reasoning_tokens") != 0.0 {
		t.Fatalf("usage = %v", u)
	}

	c := s.Calls()[0]
	if c.Protocol != ProtocolOpenAIResponses || c.System != "You are a careful engineer.\nAnswer in Markdown." ||
		c.Prompt != "You are a careful engineer.\nAnswer in Markdown.\nRound 1: pick one." {
		t.Fatalf("call = %+v", c)
	}
}

func TestResponsesNonStreamingAndStringInput(t *testing.T) {
	s := Start(t, Options{})
	s.Script("codex-y", Script{Replies: []Reply{{Text: "plain"}}})
	resp := post(t, s.URL()+"/v1/responses", map[string]any{"model": "codex-y", "input": "just a string"})
	defer resp.Body.Close()
	body := decode(t, resp.Body)
	if path(body, "object") != "response" || path(body, "status") != "completed" ||
		path(body, "output", 0, "type") != "message" || path(body, "output", 0, "content", 0, "type") != "output_text" ||
		path(body, "output", 0, "content", 0, "text") != "plain" {
		t.Fatalf("body = %v", body)
	}
	if id, _ := path(body, "output", 0, "id").(string); !strings.HasPrefix(id, "msg_") {
		t.Fatalf("item id = %q", id)
	}
	if c := s.Calls()[0]; c.Prompt != "just a string" || c.System != "" || c.Stream {
		t.Fatalf("call = %+v", c)
	}
}

func TestResponsesCutAndMalformed(t *testing.T) {
	s := Start(t, Options{})
	s.Script("cut", Script{Replies: []Reply{{Text: longText, ChunkSize: 3, CutAfter: 8}}})
	resp := post(t, s.URL()+"/v1/responses", responsesBody("cut", true))
	evs, err := readSSE(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read error = %v, want unexpected EOF", err)
	}
	var text strings.Builder
	for _, ev := range evs {
		if ev.Name == "response.completed" || ev.Name == "response.output_text.done" {
			t.Fatalf("cut stream has %s", ev.Name)
		}
		if ev.Name == "response.output_text.delta" {
			var d struct{ Delta string }
			json.Unmarshal([]byte(ev.Data), &d)
			text.WriteString(d.Delta)
		}
	}
	if text.String() != string([]rune(longText)[:8]) {
		t.Fatalf("text before the cut = %q", text.String())
	}

	s.Script("garbage", Script{Replies: []Reply{{Malformed: true}}})
	resp = post(t, s.URL()+"/v1/responses", responsesBody("garbage", true))
	evs, err = readSSE(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, ev := range evs {
		if json.Valid([]byte(ev.Data)) {
			continue
		}
		bad++
		if ev.Name != "response.output_text.delta" {
			t.Fatalf("garbage under event %q", ev.Name)
		}
	}
	if bad == 0 || evs[len(evs)-1].Name == "response.completed" {
		t.Fatalf("malformed stream = %+v", evs)
	}
}

// Every protocol answers a scripted error in its own shape, with Retry-After.
func TestErrorShapes(t *testing.T) {
	s := Start(t, Options{})
	s.Script(AnyModel, Script{Replies: []Reply{{Status: 429, RetryAfter: "3", ErrorMessage: "too fast"}}})
	type check func(map[string]any) bool
	cases := []struct {
		name, path string
		body       any
		ok         check
	}{
		{"openai-chat", "/v1/chat/completions", map[string]any{"model": "m"}, func(b map[string]any) bool {
			return path(b, "error", "message") == "too fast" && path(b, "error", "type") == "requests" && path(b, "error", "code") == "rate_limit_exceeded"
		}},
		{"openai-responses", "/v1/responses", map[string]any{"model": "m", "stream": true}, func(b map[string]any) bool {
			return path(b, "error", "message") == "too fast" && path(b, "error", "type") != nil
		}},
		{"anthropic", "/v1/messages?beta=true", map[string]any{"model": "m", "stream": true}, func(b map[string]any) bool {
			return b["type"] == "error" && path(b, "error", "type") == "rate_limit_error" && path(b, "error", "message") == "too fast"
		}},
		{"gemini", "/v1beta/models/m:streamGenerateContent?alt=sse", map[string]any{}, func(b map[string]any) bool {
			return path(b, "error", "code") == 429.0 && path(b, "error", "status") == "RESOURCE_EXHAUSTED" && path(b, "error", "message") == "too fast"
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := post(t, s.URL()+tc.path, tc.body)
			defer resp.Body.Close()
			if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
				t.Fatalf("status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type = %q", ct)
			}
			if b := decode(t, resp.Body); !tc.ok(b) {
				t.Fatalf("body = %v", b)
			}
		})
	}

	s.Script(AnyModel, Script{Replies: []Reply{{Status: 500}}})
	resp := post(t, s.URL()+"/v1/messages", map[string]any{"model": "m"})
	defer resp.Body.Close()
	if b := decode(t, resp.Body); resp.StatusCode != 500 || path(b, "error", "type") != "api_error" ||
		!strings.Contains(path(b, "error", "message").(string), "500") {
		t.Fatalf("500: status %d body %v", resp.StatusCode, b)
	}
}

func TestBadRequestBody(t *testing.T) {
	s := Start(t, Options{})
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/v1/messages", strings.NewReader("{not json"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b := decode(t, resp.Body); resp.StatusCode != 400 || path(b, "error", "type") != "invalid_request_error" {
		t.Fatalf("status %d body %v", resp.StatusCode, b)
	}
	if c := s.Calls(); len(c) != 1 || c[0].Status != 400 {
		t.Fatalf("calls = %+v", c)
	}
}

func TestNonStreamingCutAndEmpty(t *testing.T) {
	s := Start(t, Options{})
	s.Script("cut", Script{Replies: []Reply{{Text: longText, CutAfter: 1}}})
	resp := post(t, s.URL()+"/v1/chat/completions", map[string]any{"model": "cut"})
	_, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read error = %v, want unexpected EOF", err)
	}

	s.Script("empty", Script{Replies: []Reply{{Empty: true}}})
	for _, stream := range []bool{false, true} {
		resp := post(t, s.URL()+"/v1/chat/completions", map[string]any{"model": "empty", "stream": stream})
		if stream {
			evs, err := readSSE(resp.Body)
			if err != nil || evs[len(evs)-1].Data != "[DONE]" {
				t.Fatalf("empty stream: %v %+v", err, evs)
			}
			for _, ev := range evs {
				if c := path(mustJSON(ev.Data), "choices", 0, "delta", "content"); c != nil && c != "" {
					t.Fatalf("empty stream carried text %q", c)
				}
			}
		} else if b := decode(t, resp.Body); path(b, "choices", 0, "message", "content") != "" {
			t.Fatalf("empty body = %v", b)
		}
		resp.Body.Close()
	}
}

func mustJSON(s string) any {
	var v any
	json.Unmarshal([]byte(s), &v)
	return v
}

// OpenAI chat streams carry usage only when asked, in a last chunk without choices.
func TestChatStreamUsageChunk(t *testing.T) {
	s := Start(t, Options{})
	s.Script("m", Script{Replies: []Reply{{Text: "abc"}}})
	for _, include := range []bool{false, true} {
		body := map[string]any{"model": "m", "stream": true, "messages": []any{map[string]any{"role": "user", "content": "hi"}}}
		if include {
			body["stream_options"] = map[string]any{"include_usage": true}
		}
		resp := post(t, s.URL()+"/v1/chat/completions", body)
		evs, err := readSSE(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		usageChunk := mustJSON(evs[len(evs)-2].Data)
		hasUsage := path(usageChunk, "usage", "total_tokens") != nil
		if hasUsage != include {
			t.Fatalf("include_usage=%v: second to last chunk %v", include, usageChunk)
		}
		if include && len(path(usageChunk, "choices").([]any)) != 0 {
			t.Fatalf("usage chunk has choices: %v", usageChunk)
		}
	}
}

func TestRepliesInOrderThenLastRepeats(t *testing.T) {
	s := Start(t, Options{})
	s.Script("m", Script{Replies: []Reply{{Text: "one"}, {Text: "two"}, {WhenContains: "special", Text: "matched"}, {Text: "three"}}})
	ask := func(prompt string) string {
		resp := post(t, s.URL()+"/v1/chat/completions", map[string]any{"model": "m", "messages": []any{map[string]any{"role": "user", "content": prompt}}})
		defer resp.Body.Close()
		return path(decode(t, resp.Body), "choices", 0, "message", "content").(string)
	}
	var got []string
	for _, p := range []string{"a", "a special one", "b", "c", "d", "e"} {
		got = append(got, ask(p))
	}
	if want := "[one matched two three three three]"; fmt.Sprint(got) != want {
		t.Fatalf("replies = %v, want %s", got, want)
	}

	s.Reset()
	if got := ask("x"); got != "one" {
		t.Fatalf("after Reset: %q, want one", got)
	}
	if c := s.Calls(); len(c) != 1 || c[0].N != 1 {
		t.Fatalf("after Reset calls = %+v", c)
	}
	// A new script restarts the sequence; a model without a script gets the default.
	s.Script("m", Script{Replies: []Reply{{Text: "fresh"}}})
	if got := ask("x"); got != "fresh" {
		t.Fatalf("after Script: %q", got)
	}
	resp := post(t, s.URL()+"/v1/chat/completions", map[string]any{"model": "other"})
	defer resp.Body.Close()
	if got := path(decode(t, resp.Body), "choices", 0, "message", "content").(string); !strings.HasPrefix(got, "FAKE-REPLY from other (call 1, openai-chat)") {
		t.Fatalf("default = %q", got)
	}
}

// Under AnyModel each model walks the reply sequence on its own.
func TestAnyModelSequencePerModel(t *testing.T) {
	s := Start(t, Options{})
	s.Script(AnyModel, Script{Replies: []Reply{{Status: 503}, {Text: "ok"}}})
	for _, m := range []string{"a", "b", "a", "b"} {
		resp := post(t, s.URL()+"/v1/chat/completions", map[string]any{"model": m})
		resp.Body.Close()
	}
	var got []int
	for _, c := range s.Calls() {
		got = append(got, c.Status)
	}
	if fmt.Sprint(got) != "[503 503 200 200]" {
		t.Fatalf("statuses = %v", got)
	}
	if a := s.CallsFor("a"); len(a) != 2 || a[0].N != 1 || a[1].N != 2 {
		t.Fatalf("CallsFor(a) = %+v", a)
	}
}

func TestFunc(t *testing.T) {
	s := Start(t, Options{})
	s.Script("m", Script{Func: func(c Call) Reply {
		if c.N == 1 {
			return Reply{Status: 429}
		}
		return Reply{Text: fmt.Sprintf("%s/%s/%d/%v/%s", c.Model, c.Protocol, c.N, c.Stream, c.Prompt)}
	}})
	resp := post(t, s.URL()+"/v1/messages", map[string]any{"model": "m", "messages": []any{map[string]any{"role": "user", "content": "p"}}})
	resp.Body.Close()
	if resp.StatusCode != 429 {
		t.Fatalf("first call: %d", resp.StatusCode)
	}
	resp = post(t, s.URL()+"/v1/messages", map[string]any{"model": "m", "messages": []any{map[string]any{"role": "user", "content": "p"}}})
	defer resp.Body.Close()
	if got := path(decode(t, resp.Body), "content", 0, "text"); got != "m/anthropic/2/false/p" {
		t.Fatalf("second call: %v", got)
	}
}

// Concurrent calls overlap in time, and the recorded Start/End show it.
func TestConcurrentCallsOverlap(t *testing.T) {
	const latency = 200 * time.Millisecond
	s := Start(t, Options{DefaultLatency: latency})
	const n = 3
	begin := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := doPost(context.Background(), s.URL()+"/v1/chat/completions", map[string]any{"model": fmt.Sprint("m", i), "stream": true})
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
	}
	wg.Wait()
	if el := time.Since(begin); el >= n*latency {
		t.Fatalf("%d calls of %v took %v: not concurrent", n, latency, el)
	}
	calls := s.Calls()
	for _, a := range calls {
		if a.End.Sub(a.Start) < latency {
			t.Fatalf("call %s lasted %v, less than its latency", a.Model, a.End.Sub(a.Start))
		}
		for _, b := range calls {
			if !a.Start.Before(b.End) {
				t.Fatalf("calls %s and %s do not overlap: %v..%v, %v..%v", a.Model, b.Model, a.Start, a.End, b.Start, b.End)
			}
		}
	}
}

func TestLatencyEndsWhenClientCancels(t *testing.T) {
	s := Start(t, Options{})
	s.Script("slow", Script{Replies: []Reply{{Latency: time.Minute}}})
	s.Script("hang", Script{Replies: []Reply{{Hang: true}}})
	s.Script("drip", Script{Replies: []Reply{{Text: longText, ChunkSize: 1, ChunkDelay: time.Minute}}})
	for i, model := range []string{"slow", "hang", "drip"} {
		ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
		start := time.Now()
		resp, err := doPost(ctx, s.URL()+"/v1/chat/completions", map[string]any{"model": model, "stream": true})
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: err = %v, want deadline exceeded", model, err)
		}
		if el := time.Since(start); el > time.Second {
			t.Fatalf("%s: took %v", model, el)
		}
		calls := waitEnded(t, s, i+1)
		if c := calls[i]; c.Aborted != "client gone" {
			t.Fatalf("%s: call = %+v", model, c)
		}
	}
}

// Close returns promptly with a Hang in flight, and the hanging client gets an error.
func TestCloseDoesNotWaitForHang(t *testing.T) {
	s := New(Options{}).Start()
	s.Script(AnyModel, Script{Replies: []Reply{{Hang: true}}})
	errc := make(chan error, 1)
	go func() {
		resp, err := doPost(context.Background(), s.URL()+"/v1/messages", map[string]any{"model": "m", "stream": true})
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		errc <- err
	}()
	waitArrived(t, s, 1)
	start := time.Now()
	s.Close()
	if el := time.Since(start); el > time.Second {
		t.Fatalf("Close took %v", el)
	}
	if err := <-errc; err == nil {
		t.Fatal("hanging client got no error")
	}
	if c := s.Calls()[0]; c.End.IsZero() || c.Aborted == "" {
		t.Fatalf("call = %+v", c)
	}
	s.Close() // twice is fine
}

// Shutdown lets a reply in flight finish but does not wait for a Hang.
func TestShutdownIsGraceful(t *testing.T) {
	s := New(Options{}).Start()
	s.Script("slow", Script{Replies: []Reply{{Text: "finished", Latency: 150 * time.Millisecond}}})
	s.Script("hang", Script{Replies: []Reply{{Hang: true}}})
	type result struct {
		text string
		err  error
	}
	results := make(chan result, 2)
	for _, m := range []string{"slow", "hang"} {
		go func() {
			resp, err := doPost(context.Background(), s.URL()+"/v1/chat/completions", map[string]any{"model": m})
			if err != nil {
				results <- result{err: err}
				return
			}
			defer resp.Body.Close()
			var b map[string]any
			err = json.NewDecoder(resp.Body).Decode(&b)
			text, _ := path(b, "choices", 0, "message", "content").(string)
			results <- result{text, err}
		}()
	}
	waitArrived(t, s, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("Shutdown took %v", el)
	}
	got := map[string]bool{}
	for range 2 {
		r := <-results
		got[fmt.Sprintf("%s|%v", r.text, r.err != nil)] = true
	}
	if !got["finished|false"] || !got["|true"] {
		t.Fatalf("results = %v, want one finished reply and one error", got)
	}
}

func TestRequireKey(t *testing.T) {
	s := Start(t, Options{RequireKey: "sekrit"})
	cases := []struct {
		path   string
		header []string
	}{
		{"/v1/chat/completions", []string{"Authorization", "Bearer sekrit"}},
		{"/v1/responses", []string{"Authorization", "Bearer sekrit"}},
		{"/v1/messages", []string{"x-api-key", "sekrit"}},
		{"/v1beta/models/m:generateContent", []string{"x-goog-api-key", "sekrit"}},
		{"/v1beta/models/m:generateContent?key=sekrit", nil},
	}
	for _, tc := range cases {
		resp := post(t, s.URL()+tc.path, map[string]any{"model": "m"}, tc.header...)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s with key: %d", tc.path, resp.StatusCode)
		}
		bare, _, _ := strings.Cut(tc.path, "?")
		resp = post(t, s.URL()+bare, map[string]any{"model": "m"}, "Authorization", "Bearer wrong")
		b := decode(t, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || b["error"] == nil {
			t.Fatalf("%s without key: %d %v", tc.path, resp.StatusCode, b)
		}
	}
	resp := post(t, s.URL()+"/v1/messages", map[string]any{"model": "m"})
	defer resp.Body.Close()
	if b := decode(t, resp.Body); path(b, "error", "type") != "authentication_error" {
		t.Fatalf("anthropic 401 body = %v", b)
	}
	for _, u := range []string{"/v1/models", "/api/tags"} {
		resp, err := http.Get(s.URL() + u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("GET %s without key: %d", u, resp.StatusCode)
		}
	}
	// Rejected calls are recorded, and do not use up scripted replies.
	if c := s.Calls(); len(c) != 11 || c[1].Status != 401 {
		t.Fatalf("calls = %d, second %+v", len(c), c[1])
	}
}

func TestDiscoveryAndProbe(t *testing.T) {
	s := Start(t, Options{})
	get := func(p string) map[string]any {
		resp, err := http.Get(s.URL() + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", p, resp.StatusCode)
		}
		return decode(t, resp.Body)
	}
	if b := get("/v1/models"); path(b, "object") != "list" || path(b, "data", 0, "id") != DefaultModels[0] || path(b, "data", 0, "object") != "model" {
		t.Fatalf("/v1/models = %v", b)
	}
	s.Script("zeta", Script{})
	s.Script("alpha", Script{})
	s.Script(AnyModel, Script{})
	if b := get("/api/tags"); path(b, "models", 0, "name") != "alpha" || path(b, "models", 1, "name") != "zeta" || path(b, "models", 2) != nil {
		t.Fatalf("/api/tags = %v", b)
	}
	if b := get("/v1beta/models"); path(b, "models", 0, "name") != "models/alpha" {
		t.Fatalf("/v1beta/models = %v", b)
	}
	for _, m := range []string{http.MethodHead, http.MethodGet} {
		req, _ := http.NewRequest(m, s.URL()+"/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s /: %d", m, resp.StatusCode)
		}
	}
	resp := post(t, s.URL()+"/v1/nothing", map[string]any{})
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("unknown route: %d", resp.StatusCode)
	}
	if len(s.Calls()) != 0 {
		t.Fatalf("discovery was recorded as calls: %+v", s.Calls())
	}
}

func TestCountTokens(t *testing.T) {
	s := Start(t, Options{})
	resp := post(t, s.URL()+"/v1/messages/count_tokens", map[string]any{"model": "m", "messages": []any{map[string]any{"role": "user", "content": "12345678"}}})
	defer resp.Body.Close()
	if b := decode(t, resp.Body); b["input_tokens"] != 2.0 {
		t.Fatalf("count_tokens = %v", b)
	}
	resp2 := post(t, s.URL()+"/v1beta/models/g:countTokens", map[string]any{"contents": []any{map[string]any{"parts": []any{map[string]any{"text": "1234"}}}}})
	defer resp2.Body.Close()
	if b := decode(t, resp2.Body); b["totalTokens"] != 1.0 {
		t.Fatalf("countTokens = %v", b)
	}
}

func TestGeminiPaths(t *testing.T) {
	cases := []struct {
		path, model, action string
		ok                  bool
	}{
		{"/v1beta/models/gemini-2.5-flash:streamGenerateContent", "gemini-2.5-flash", "streamGenerateContent", true},
		{"/v1/models/g:generateContent", "g", "generateContent", true},
		{"/v1beta/models/models/g:generateContent", "g", "generateContent", true},
		{"/proxy/v1beta/models/g-1.5:countTokens", "g-1.5", "countTokens", true},
		{"/v1beta/tunedModels/t:generateContent", "t", "generateContent", true},
		{"/v1beta/models/g:embedContent", "", "", false},
		{"/v1/chat/completions", "", "", false},
	}
	for _, tc := range cases {
		g, ok := geminiAction(tc.path)
		if ok != tc.ok || g.model != tc.model || g.action != tc.action {
			t.Errorf("geminiAction(%q) = %+v, %v; want %q %q %v", tc.path, g, ok, tc.model, tc.action, tc.ok)
		}
	}
}

// Default usage is estimated from the text, never zero.
func TestUsageEstimate(t *testing.T) {
	s := Start(t, Options{})
	s.Script("m", Script{Replies: []Reply{{Text: strings.Repeat("x", 40)}}})
	resp := post(t, s.URL()+"/v1/chat/completions", map[string]any{"model": "m", "messages": []any{map[string]any{"role": "user", "content": "hi"}}})
	defer resp.Body.Close()
	b := decode(t, resp.Body)
	if path(b, "usage", "prompt_tokens") != 1.0 || path(b, "usage", "completion_tokens") != 10.0 || path(b, "usage", "total_tokens") != 11.0 {
		t.Fatalf("usage = %v", path(b, "usage"))
	}
}

// Many concurrent streams across protocols while the script and the record change
// under them: for the race detector.
func TestConcurrentMixedTraffic(t *testing.T) {
	s := Start(t, Options{})
	s.Script(AnyModel, Script{Replies: []Reply{{Text: longText, ChunkSize: 3}}})
	paths := []string{"/v1/chat/completions", "/v1/responses", "/v1/messages", "/v1beta/models/m:streamGenerateContent?alt=sse"}
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Go(func() {
			resp, err := doPost(context.Background(), s.URL()+paths[i%len(paths)], map[string]any{"model": "m", "stream": true})
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			if _, err := readSSE(resp.Body); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			s.Calls()
			s.CallsFor("m")
			s.Script("other", Script{Replies: []Reply{{Text: "x"}}})
		}
		s.Reset()
	})
	wg.Wait()
}
