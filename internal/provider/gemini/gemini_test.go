package gemini

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
	"time"

	"github.com/parleyhq/parley/internal/provider/providertest"

	"go.uber.org/goleak"

	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/provider"
)

func TestMain(m *testing.M) {
	// genai starts no goroutines of its own for the Gemini API backend, but it
	// imports Google Cloud's auth stack, and go.opencensus.io (linked in through it)
	// starts its stats worker from a package init: unavoidable, and not a leak.
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start"))
}

// testKey is long enough for provider.Redact to act on, and fake.
const testKey = "AIza-test-0123456789abcdef"

const longText = "Streaming through the Gemini provider: héllo wörld, ünïcode survives " +
	"chunking, and the answer is long enough to arrive in many pieces."

// requests records the URL and JSON body of every request a client sends.
type requests struct {
	mu   sync.Mutex
	urls []string
	list []map[string]any
}

func (r *requests) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		data, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(data))
		var m map[string]any
		json.Unmarshal(data, &m)
		r.mu.Lock()
		r.urls = append(r.urls, req.URL.String())
		r.list = append(r.list, m)
		r.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (r *requests) last(t *testing.T) (string, map[string]any) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.list) == 0 {
		t.Fatal("no request recorded")
	}
	return r.urls[len(r.urls)-1], r.list[len(r.list)-1]
}

// isolate blanks the variables through which genai could pick another key, base
// URL or backend, or go looking for Google Cloud credentials, so that a test
// depends only on the Config it builds.
func isolate(t *testing.T) {
	t.Helper()
	for _, k := range []string{"GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GOOGLE_VERTEX_BASE_URL",
		"GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_ENTERPRISE", "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION",
		"GOOGLE_CLOUD_REGION", "GOOGLE_APPLICATION_CREDENTIALS"} {
		t.Setenv(k, "")
	}
}

func newModel(t *testing.T, cfg Config) *Model {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// setup starts a fake that wants testKey and a Model for model pointing at it.
func setup(t *testing.T, model string) (*fakellm.Server, *Model, *requests) {
	t.Helper()
	isolate(t)
	srv := fakellm.Start(t, fakellm.Options{RequireKey: testKey})
	rec := &requests{}
	return srv, newModel(t, Config{BaseURL: srv.URL(), APIKey: testKey, Model: model, HTTPClient: &http.Client{Transport: rec}}), rec
}

func asProviderError(t *testing.T, err error) *provider.Error {
	t.Helper()
	return providertest.AsError(t, err, testKey)
}

func TestStreamsTextDeltasAndUsage(t *testing.T) {
	srv, m, rec := setup(t, "gemini-x")
	srv.Script("gemini-x", fakellm.Script{Replies: []fakellm.Reply{{Text: longText, ChunkSize: 7, InputTokens: 11, OutputTokens: 22}}})

	var deltas []string
	temp := 0.25
	resp, err := m.Generate(context.Background(), provider.Request{
		System: "You are seat B.", Prompt: "Round 2: critique.", Temperature: &temp, MaxTokens: 700,
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
	if resp.Model != "gemini-x" {
		t.Fatalf("model = %q", resp.Model)
	}

	calls := srv.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	c := calls[0]
	if c.Protocol != fakellm.ProtocolGemini || c.Path != "/v1beta/models/gemini-x:streamGenerateContent" || !c.Stream || c.Model != "gemini-x" {
		t.Fatalf("call = %+v", c)
	}
	if c.System != "You are seat B." || c.Prompt != "You are seat B.\nRound 2: critique." {
		t.Fatalf("system %q prompt %q", c.System, c.Prompt)
	}
	if got := c.Header.Get("X-Goog-Api-Key"); got != testKey {
		t.Fatalf("x-goog-api-key = %q", got)
	}
	if c.Header.Get("Authorization") != "" {
		t.Fatalf("unexpected Authorization header %q", c.Header.Get("Authorization"))
	}
	url, body := rec.last(t)
	if !strings.HasSuffix(url, ":streamGenerateContent?alt=sse") || strings.Contains(url, testKey) {
		t.Fatalf("url = %s", url)
	}
	gen, _ := body["generationConfig"].(map[string]any)
	if gen["temperature"] != 0.25 || gen["maxOutputTokens"] != float64(700) {
		t.Fatalf("generationConfig = %v", gen)
	}
}

func TestDefaultsLeaveGenerationConfigOut(t *testing.T) {
	srv, m, rec := setup(t, "gemini-x")
	if _, err := m.Generate(context.Background(), provider.Request{Prompt: "hi"}, nil); err != nil {
		t.Fatal(err)
	}
	_, body := rec.last(t)
	gen, _ := body["generationConfig"].(map[string]any)
	if _, ok := gen["temperature"]; ok {
		t.Fatalf("temperature sent although unset: %v", body)
	}
	if _, ok := body["systemInstruction"]; ok {
		t.Fatalf("empty system instruction sent: %v", body)
	}
	if c := srv.Calls()[0]; c.System != "" || c.Prompt != "hi" {
		t.Fatalf("call = %+v", c)
	}
}

// The SDK reads GOOGLE_* variables from the process; the Config must win over
// all of them, and nothing may send it to Vertex AI or Google Cloud credentials.
func TestIgnoresProcessEnvironment(t *testing.T) {
	isolate(t)
	t.Setenv("GOOGLE_API_KEY", "AIza-from-the-process-env")
	t.Setenv("GEMINI_API_KEY", "AIza-also-from-the-process-env")
	t.Setenv("GOOGLE_GEMINI_BASE_URL", "http://127.0.0.1:1")
	t.Setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
	t.Setenv("GOOGLE_CLOUD_PROJECT", "some-project")
	t.Setenv("GOOGLE_CLOUD_LOCATION", "us-central1")
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/credentials.json")
	srv := fakellm.Start(t, fakellm.Options{RequireKey: testKey})
	m := newModel(t, Config{BaseURL: srv.URL(), APIKey: testKey, Model: "gemini-x"})
	if _, err := m.Generate(context.Background(), provider.Request{Prompt: "x"}, nil); err != nil {
		t.Fatal(err)
	}
	if c := srv.Calls()[0]; c.Header.Get("X-Goog-Api-Key") != testKey || c.Path != "/v1beta/models/gemini-x:streamGenerateContent" {
		t.Fatalf("call = %+v", c)
	}
}

func TestNewNeedsAKey(t *testing.T) {
	isolate(t)
	t.Setenv("GEMINI_API_KEY", "AIza-from-the-process-env")
	if _, err := New(Config{Model: "gemini-x"}); err == nil {
		t.Fatal("New without a key succeeded (the SDK would have used the process's)")
	}
	if _, err := New(Config{APIKey: testKey, Model: "gemini-x", BaseURL: "not a url"}); err == nil {
		t.Fatal("New with a relative base URL succeeded")
	}
}

func TestHeadersAndPrefix(t *testing.T) {
	isolate(t)
	srv := fakellm.Start(t, fakellm.Options{})
	m := newModel(t, Config{BaseURL: srv.URL() + "/gw/google/", APIKey: testKey, Model: "gemini-x", Headers: map[string]string{"X-Gateway": "g1"}})
	if _, err := m.Generate(context.Background(), provider.Request{Prompt: "x"}, nil); err != nil {
		t.Fatal(err)
	}
	c := srv.Calls()[0]
	if c.Header.Get("X-Gateway") != "g1" || c.Path != "/gw/google/v1beta/models/gemini-x:streamGenerateContent" {
		t.Fatalf("call = %+v", c)
	}
}

// rawServer answers every request with status and body, for the shapes the fake
// does not script: thoughts, RetryInfo details, error objects inside a stream.
func rawServer(t *testing.T, status int, contentType, body string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func rawModel(t *testing.T, status int, contentType, body string) *Model {
	t.Helper()
	isolate(t)
	s := rawServer(t, status, contentType, body)
	return newModel(t, Config{BaseURL: s.URL, APIKey: testKey, Model: "gemini-x"})
}

func TestThoughtsCountAsOutputButStayOutOfTheText(t *testing.T) {
	m := rawModel(t, 200, "text/event-stream",
		`data: {"candidates":[{"content":{"role":"model","parts":[{"text":"pondering","thought":true}]}}]}`+"\n\n"+
			`data: {"candidates":[{"content":{"role":"model","parts":[{"text":"The answer."}]},"finishReason":"STOP"}],`+
			`"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":3,"thoughtsTokenCount":40},"modelVersion":"gemini-x-001"}`+"\n\n")
	resp, err := m.Generate(context.Background(), provider.Request{Prompt: "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "The answer." || resp.Usage != (provider.Usage{InputTokens: 7, OutputTokens: 43}) || resp.Model != "gemini-x-001" {
		t.Fatalf("resp = %+v", resp)
	}
}

func TestRetryInfoDetails(t *testing.T) {
	m := rawModel(t, 429, "application/json", `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"quota",`+
		`"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"7s"}]}}`)
	_, err := m.Generate(context.Background(), provider.Request{Prompt: "x"}, nil)
	if pe := asProviderError(t, err); pe.Class != provider.ClassRateLimited || pe.RetryAfter != 7*time.Second {
		t.Fatalf("got %v, retry after %v", pe, pe.RetryAfter)
	}
}

func TestInvalidKeyAnsweredAs400IsAuth(t *testing.T) {
	m := rawModel(t, 400, "application/json", `{"error":{"code":400,"status":"INVALID_ARGUMENT","message":"API key not valid. Please pass a valid API key.",`+
		`"details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}`)
	_, err := m.Generate(context.Background(), provider.Request{Prompt: "x"}, nil)
	if pe := asProviderError(t, err); pe.Class != provider.ClassAuth {
		t.Fatalf("got %v", pe)
	}
}

func TestErrorObjectInStream(t *testing.T) {
	m := rawModel(t, 200, "text/event-stream",
		`data: {"candidates":[{"content":{"role":"model","parts":[{"text":"Half an "}]}}]}`+"\n\n"+
			`data: {"error":{"code":503,"status":"UNAVAILABLE","message":"overloaded"}}`+"\n\n")
	_, err := m.Generate(context.Background(), provider.Request{Prompt: "x"}, nil)
	if pe := asProviderError(t, err); pe.Class != provider.ClassServer || !strings.Contains(pe.Message, "overloaded") {
		t.Fatalf("got %v", pe)
	}
}

func TestCleanCloseWithoutFinishReason(t *testing.T) {
	m := rawModel(t, 200, "text/event-stream",
		`data: {"candidates":[{"content":{"role":"model","parts":[{"text":"Half an "}]}}]}`+"\n\n")
	_, err := m.Generate(context.Background(), provider.Request{Prompt: "x"}, nil)
	if pe := asProviderError(t, err); pe.Class != provider.ClassConnection {
		t.Fatalf("got %v", pe)
	}
}

func TestBlockedPromptFailsTheTurn(t *testing.T) {
	m := rawModel(t, 200, "text/event-stream", `data: {"promptFeedback":{"blockReason":"SAFETY"}}`+"\n\n")
	_, err := m.Generate(context.Background(), provider.Request{Prompt: "x"}, nil)
	if pe := asProviderError(t, err); pe.Class != provider.ClassBadRequest || pe.Retryable() {
		t.Fatalf("got %v", pe)
	}
}

// The behaviour every HTTP provider shares (internal/provider/providertest).
func TestSharedBehaviour(t *testing.T) {
	temp := 0.5
	providertest.Run(t, providertest.Target{
		Key:   testKey,
		Model: "gemini-x",
		New: func(t *testing.T) (*fakellm.Server, provider.Model) {
			srv, m, _ := setup(t, "gemini-x")
			return srv, m
		},
		WithKey: func(t *testing.T, srv *fakellm.Server, key string) provider.Model {
			return newModel(t, Config{BaseURL: srv.URL(), APIKey: key, Model: "gemini-x"})
		},
		WrongKey:   "AIza-wrong-key-00000000",
		Statuses:   append([]providertest.Status{{Reply: fakellm.Reply{Status: 503, ErrorMessage: "busy"}, Class: provider.ClassServer}}, providertest.CommonStatuses...),
		CutDeltas:  []int{8, 10},
		Concurrent: provider.Request{System: "s", Prompt: "x", Temperature: &temp},
	})
}
