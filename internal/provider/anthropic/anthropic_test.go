package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/provider/providertest"

	"go.uber.org/goleak"

	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/provider"
)

func TestMain(m *testing.M) {
	// No exceptions needed: the SDK starts no goroutines of its own, and the idle
	// connections of each test's client are closed with the fake server.
	goleak.VerifyTestMain(m)
}

// testKey is long enough for provider.Redact to act on, and fake.
const testKey = "sk-ant-test-0123456789abcdef"

const longText = "Streaming through the Anthropic provider: héllo wörld, ünïcode survives " +
	"chunking, and the answer is long enough to arrive in many pieces."

// bodies records the JSON body of every request a client sends.
type bodies struct {
	mu   sync.Mutex
	list []map[string]any
}

func (b *bodies) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		data, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(data))
		var m map[string]any
		if json.Unmarshal(data, &m) == nil {
			b.mu.Lock()
			b.list = append(b.list, m)
			b.mu.Unlock()
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (b *bodies) last(t *testing.T) map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.list) == 0 {
		t.Fatal("no request body recorded")
	}
	return b.list[len(b.list)-1]
}

// setup starts a fake that wants testKey and a Model for model pointing at it.
func setup(t *testing.T, model string) (*fakellm.Server, *Model, *bodies) {
	t.Helper()
	srv := fakellm.Start(t, fakellm.Options{RequireKey: testKey})
	rec := &bodies{}
	m := New(Config{BaseURL: srv.URL(), APIKey: testKey, Model: model, HTTPClient: &http.Client{Transport: rec}})
	return srv, m, rec
}

func asProviderError(t *testing.T, err error) *provider.Error {
	t.Helper()
	return providertest.AsError(t, err, testKey)
}

func TestStreamsTextDeltasAndUsage(t *testing.T) {
	srv, m, rec := setup(t, "claude-x")
	srv.Script("claude-x", fakellm.Script{Replies: []fakellm.Reply{{Text: longText, ChunkSize: 7, InputTokens: 11, OutputTokens: 22}}})

	var deltas []string
	resp, err := m.Generate(context.Background(), provider.Request{
		System: "You are seat A.", Prompt: "Round 1: what should we do?",
	}, func(d string) { deltas = append(deltas, d) })
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != longText {
		t.Fatalf("text = %q", resp.Text)
	}
	if len(deltas) < 2 || strings.Join(deltas, "") != longText {
		t.Fatalf("%d deltas joining to %q", len(deltas), strings.Join(deltas, ""))
	}
	if resp.Usage != (provider.Usage{InputTokens: 11, OutputTokens: 22}) {
		t.Fatalf("usage = %+v", resp.Usage)
	}
	if resp.Model != "claude-x" {
		t.Fatalf("model = %q", resp.Model)
	}

	calls := srv.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	c := calls[0]
	if c.Protocol != fakellm.ProtocolAnthropic || c.Path != "/v1/messages" || !c.Stream || c.Model != "claude-x" {
		t.Fatalf("call = %+v", c)
	}
	if c.System != "You are seat A." || c.Prompt != "You are seat A.\nRound 1: what should we do?" {
		t.Fatalf("system %q prompt %q", c.System, c.Prompt)
	}
	if got := c.Header.Get("Authorization"); got != "Bearer "+testKey {
		t.Fatalf("Authorization = %q", got)
	}
	if c.Header.Get("Anthropic-Version") == "" {
		t.Fatal("no anthropic-version header")
	}
	body := rec.last(t)
	if body["max_tokens"] != float64(DefaultMaxTokens) || body["stream"] != true {
		t.Fatalf("body = %v", body)
	}
	if _, ok := body["temperature"]; ok {
		t.Fatalf("temperature was sent: %v", body)
	}
}

// The seat's settings reach the request body as fakellm received it; the
// catalogue's cap replaces the fixed default; temperature is refused, not dropped.
func TestSettingsReachTheRequest(t *testing.T) {
	srv := fakellm.Start(t, fakellm.Options{RequireKey: testKey})
	budget := 8000
	m := New(Config{BaseURL: srv.URL(), APIKey: testKey, Model: "claude-x", DefaultMaxTokens: 64000,
		Settings: provider.Settings{Thinking: &budget}})
	if _, err := m.Generate(context.Background(), provider.Request{Prompt: "hi"}, nil); err != nil {
		t.Fatal(err)
	}
	body := srv.Calls()[0].JSON()
	th, _ := body["thinking"].(map[string]any)
	if th["type"] != "enabled" || th["budget_tokens"] != float64(8000) || body["max_tokens"] != float64(64000) {
		t.Fatalf("body = %v", body)
	}
	off := 0
	m = New(Config{BaseURL: srv.URL(), APIKey: testKey, Model: "claude-x", Settings: provider.Settings{Thinking: &off, MaxTokens: 1234}})
	if _, err := m.Generate(context.Background(), provider.Request{Prompt: "hi"}, nil); err != nil {
		t.Fatal(err)
	}
	body = srv.Calls()[1].JSON()
	if th, _ := body["thinking"].(map[string]any); th["type"] != "disabled" || body["max_tokens"] != float64(1234) {
		t.Fatalf("body = %v", body)
	}
	temp := 0.3
	_, err := m.Generate(context.Background(), provider.Request{Prompt: "hi", Temperature: &temp}, nil)
	if pe := asProviderError(t, err); pe.Class != provider.ClassBadRequest || !strings.Contains(pe.Message, "temperature") {
		t.Fatalf("temperature: %v", err)
	}
	if n := len(srv.Calls()); n != 2 {
		t.Fatalf("a refused request still reached the server: %d calls", n)
	}
}

func TestMaxTokensAndNoSystem(t *testing.T) {
	srv, m, rec := setup(t, "claude-x")
	if _, err := m.Generate(context.Background(), provider.Request{Prompt: "hi", MaxTokens: 300}, nil); err != nil {
		t.Fatal(err)
	}
	body := rec.last(t)
	if body["max_tokens"] != float64(300) {
		t.Fatalf("max_tokens = %v", body["max_tokens"])
	}
	if _, ok := body["system"]; ok {
		t.Fatalf("empty system prompt was sent: %v", body)
	}
	if c := srv.Calls()[0]; c.System != "" || c.Prompt != "hi" {
		t.Fatalf("call = %+v", c)
	}
}

func TestBaseURLWithPrefix(t *testing.T) {
	srv := fakellm.Start(t, fakellm.Options{})
	srv.Script("claude-x", fakellm.Script{Replies: []fakellm.Reply{{Text: "via the gateway"}}})
	m := New(Config{BaseURL: srv.URL() + "/gw/anthropic/", APIKey: testKey, Model: "claude-x"})
	resp, err := m.Generate(context.Background(), provider.Request{Prompt: "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "via the gateway" || srv.Calls()[0].Path != "/gw/anthropic/v1/messages" {
		t.Fatalf("text %q path %q", resp.Text, srv.Calls()[0].Path)
	}
}

// The SDK must not add anything from the process environment: parley resolves
// the key and the base URL itself, from its own view of the environment.
func TestIgnoresProcessEnvironment(t *testing.T) {
	t.Setenv("ANTHROPIC_API_KEY", "sk-ant-from-the-process-env")
	t.Setenv("ANTHROPIC_AUTH_TOKEN", "token-from-the-process-env")
	t.Setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:1")
	t.Setenv("ANTHROPIC_CUSTOM_HEADERS", "X-Leak: yes")
	t.Setenv("ANTHROPIC_PROFILE", "no-such-profile")
	srv, m, _ := setup(t, "claude-x")
	if _, err := m.Generate(context.Background(), provider.Request{Prompt: "x"}, nil); err != nil {
		t.Fatal(err)
	}
	c := srv.Calls()[0]
	if c.Header.Get("Authorization") != "Bearer "+testKey || c.Header.Get("X-Leak") != "" || c.Header.Get("X-Api-Key") != "" {
		t.Fatalf("headers = %v", c.Header)
	}
}

func TestHeaders(t *testing.T) {
	srv := fakellm.Start(t, fakellm.Options{})
	m := New(Config{BaseURL: srv.URL(), Model: "claude-x", Headers: map[string]string{"X-Gateway": "g1"}})
	if _, err := m.Generate(context.Background(), provider.Request{Prompt: "x"}, nil); err != nil {
		t.Fatal(err)
	}
	c := srv.Calls()[0]
	if c.Header.Get("X-Gateway") != "g1" || c.Header.Get("Authorization") != "" {
		t.Fatalf("headers = %v", c.Header)
	}
}

// sseServer answers every request with the given SSE body, for the cases the fake
// does not script: error events inside a 200 stream and clean early ends.
func sseServer(t *testing.T, body string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

const sseStart = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-x\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n" +
	"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
	"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Half an \"}}\n\n"

func TestErrorEventInStream(t *testing.T) {
	for _, tc := range []struct {
		typ   string
		class provider.Class
	}{
		{"overloaded_error", provider.ClassServer},
		{"rate_limit_error", provider.ClassRateLimited},
		{"api_error", provider.ClassServer},
	} {
		s := sseServer(t, sseStart+"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\""+tc.typ+"\",\"message\":\"try later\"}}\n\n")
		m := New(Config{BaseURL: s.URL, APIKey: testKey, Model: "claude-x"})
		_, err := m.Generate(context.Background(), provider.Request{Prompt: "x"}, nil)
		pe := asProviderError(t, err)
		if pe.Class != tc.class || !strings.Contains(pe.Message, "try later") {
			t.Fatalf("%s: got %v", tc.typ, pe)
		}
	}
}

func TestCleanCloseBeforeMessageStop(t *testing.T) {
	s := sseServer(t, sseStart)
	m := New(Config{BaseURL: s.URL, APIKey: testKey, Model: "claude-x"})
	_, err := m.Generate(context.Background(), provider.Request{Prompt: "x"}, nil)
	if pe := asProviderError(t, err); pe.Class != provider.ClassConnection {
		t.Fatalf("got %v", pe)
	}
}

func TestRefusalFailsTheTurn(t *testing.T) {
	s := sseServer(t, strings.Replace(sseStart, "Half an ", "", 1)+
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"refusal\"},\"usage\":{\"output_tokens\":2}}\n\n"+
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
	m := New(Config{BaseURL: s.URL, APIKey: testKey, Model: "claude-x"})
	_, err := m.Generate(context.Background(), provider.Request{Prompt: "x"}, nil)
	if pe := asProviderError(t, err); pe.Class != provider.ClassBadRequest {
		t.Fatalf("got %v", pe)
	}
}

// The behaviour every HTTP provider shares (internal/provider/providertest).
func TestSharedBehaviour(t *testing.T) {
	providertest.Run(t, providertest.Target{
		Key:   testKey,
		Model: "claude-x",
		New: func(t *testing.T) (*fakellm.Server, provider.Model) {
			srv, m, _ := setup(t, "claude-x")
			return srv, m
		},
		WithKey: func(t *testing.T, srv *fakellm.Server, key string) provider.Model {
			return New(Config{BaseURL: srv.URL(), APIKey: key, Model: "claude-x"})
		},
		WrongKey:  "sk-ant-wrong-key-000000",
		Statuses:  append([]providertest.Status{{Reply: fakellm.Reply{Status: 529, ErrorMessage: "overloaded"}, Class: provider.ClassServer}}, providertest.CommonStatuses...),
		CutDeltas: []int{10},
	})
}
