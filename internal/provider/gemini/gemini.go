// Package gemini reaches the Google Gemini API through the official SDK
// (google.golang.org/genai), streaming every answer with streamGenerateContent.
//
// Only the Gemini API backend (an API key, sent as x-goog-api-key) is used; Vertex
// AI and Google Cloud credentials never come into play, whatever GOOGLE_* variables
// the process has.
package gemini

import (
	"context"
	"errors"
	"fmt"
	"github.com/parleyhq/parley/internal/provider/wire"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/genai"

	"github.com/parleyhq/parley/provider"
)

// DefaultBaseURL is the Gemini API root. It is always passed to the SDK explicitly:
// left empty, the SDK would read GOOGLE_GEMINI_BASE_URL from the process itself,
// bypassing the environment parley resolved.
const DefaultBaseURL = "https://generativelanguage.googleapis.com"

// Config is one endpoint and model.
type Config struct {
	BaseURL string // the API root, without /v1beta; empty means DefaultBaseURL
	APIKey  string // required by the SDK for the Gemini API backend
	Model   string // e.g. gemini-2.5-flash
	Headers map[string]string
	// HTTPClient overrides the transport (tests); nil uses a plain http.Client.
	HTTPClient *http.Client
	// Settings are the seat's generation settings; a Request's own fields win.
	Settings provider.Settings
}

// Model is a provider.Model for one Gemini model. It is safe for concurrent use.
type Model struct {
	cfg    Config
	host   string // scheme://host of the endpoint, for error messages
	client *genai.Client
}

// New builds the SDK client once for the Model's lifetime. It fails only on a
// configuration the SDK refuses; the message never contains the key.
func New(cfg Config) (*Model, error) {
	if cfg.APIKey == "" {
		// The SDK would otherwise fall back to GEMINI_API_KEY / GOOGLE_API_KEY from
		// the process environment, which is not necessarily the key parley chose.
		return nil, errors.New("gemini: an API key is required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base := strings.TrimRight(cfg.BaseURL, "/") + "/"
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("gemini: base URL %q is not an absolute URL", cfg.BaseURL)
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient // a copy: the caller's client keeps its own transport
		hc = &c
	}
	hc.Transport = noteTransport{base: hc.Transport}
	headers := http.Header{}
	for k, v := range cfg.Headers {
		headers.Set(k, v)
	}
	client, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:     cfg.APIKey,
		Backend:    genai.BackendGeminiAPI,
		HTTPClient: hc,
		// No RetryOptions: the SDK makes one attempt and the debate engine retries.
		HTTPOptions: genai.HTTPOptions{BaseURL: base, Headers: headers},
	})
	if err != nil {
		// genai's messages print the whole ClientConfig, key included.
		return nil, fmt.Errorf("gemini: %s", provider.Redact(err.Error(), cfg.APIKey))
	}
	return &Model{cfg: cfg, host: wire.EndpointOf(u), client: client}, nil
}

// Generate implements provider.Model.
func (m *Model) Generate(ctx context.Context, req provider.Request, onDelta func(string)) (provider.Response, error) {
	req = m.cfg.Settings.Apply(req)
	if req.Reasoning != "" {
		return provider.Response{}, &provider.Error{Class: provider.ClassBadRequest,
			Message: "Gemini models take thinking=TOKENS (or thinking=off), not reasoning=" + req.Reasoning}
	}
	// A fresh config per call: the SDK fills in defaults on the one it is given.
	gc := &genai.GenerateContentConfig{}
	if req.Thinking != nil {
		gc.ThinkingConfig = &genai.ThinkingConfig{ThinkingBudget: genai.Ptr(int32(*req.Thinking))}
	}
	if req.System != "" {
		gc.SystemInstruction = genai.NewContentFromText(req.System, genai.RoleUser)
	}
	if req.Temperature != nil {
		gc.Temperature = genai.Ptr(float32(*req.Temperature))
	}
	if req.MaxTokens > 0 {
		gc.MaxOutputTokens = int32(req.MaxTokens)
	}
	// Automatic continuation stays on: it is how the API completes an answer that
	// hit a per-request limit (finish reason CONTINUATION), not a retry of failures.

	note := &responseNote{}
	ctx = context.WithValue(ctx, noteKey{}, note)

	var (
		b       strings.Builder
		resp    provider.Response
		finish  genai.FinishReason
		blocked genai.BlockedReason
		usage   *genai.GenerateContentResponseUsageMetadata
		callErr error
	)
	for chunk, err := range m.client.Models.GenerateContentStream(ctx, m.cfg.Model, genai.Text(req.Prompt), gc) {
		if err != nil {
			// The SDK would go on after a chunk it could not parse; one bad chunk
			// already makes the answer untrustworthy.
			callErr = err
			break
		}
		if chunk.ModelVersion != "" {
			resp.Model = chunk.ModelVersion
		}
		if chunk.UsageMetadata != nil {
			usage = chunk.UsageMetadata // a running total: the last one counts
		}
		if pf := chunk.PromptFeedback; pf != nil && pf.BlockReason != "" {
			blocked = pf.BlockReason
		}
		if len(chunk.Candidates) == 0 || chunk.Candidates[0] == nil {
			continue
		}
		cand := chunk.Candidates[0]
		if cand.FinishReason != "" && cand.FinishReason != genai.FinishReasonUnspecified {
			finish = cand.FinishReason
		}
		if d := textOf(cand); d != "" {
			b.WriteString(d)
			if onDelta != nil {
				onDelta(d)
			}
		}
	}
	if callErr != nil {
		return provider.Response{}, m.classify(ctx, callErr, note)
	}
	if usage != nil {
		resp.Usage = provider.Usage{
			InputTokens: int(usage.PromptTokenCount),
			// Thinking is billed as output, and 2.5 models think by default.
			OutputTokens: int(usage.CandidatesTokenCount + usage.ThoughtsTokenCount),
		}
	}
	resp.Text = b.String()
	switch {
	case blocked != "":
		// Asking again gets the same block: fail the turn instead of retrying it.
		return provider.Response{}, &provider.Error{Class: provider.ClassBadRequest,
			Message: "the prompt was blocked: " + string(blocked)}
	case finish == "":
		// Every complete answer ends with a finish reason; a stream closed cleanly
		// without one is a cut, not a short answer.
		return provider.Response{}, &provider.Error{Class: provider.ClassConnection,
			Message: "the stream ended before the answer was complete (no finish reason)"}
	case resp.Text == "" && refusal(finish):
		return provider.Response{}, &provider.Error{Class: provider.ClassBadRequest,
			Message: "the model declined to answer (finish reason " + string(finish) + ")"}
	}
	return resp, nil
}

// textOf joins a candidate's text parts, leaving out thoughts (and, unlike
// GenerateContentResponse.Text, without logging about other kinds of parts).
func textOf(c *genai.Candidate) string {
	if c.Content == nil {
		return ""
	}
	var b strings.Builder
	for _, p := range c.Content.Parts {
		if p != nil && !p.Thought {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// refusal reports finish reasons that a retry would meet again.
func refusal(f genai.FinishReason) bool {
	switch f {
	case genai.FinishReasonSafety, genai.FinishReasonRecitation, genai.FinishReasonBlocklist,
		genai.FinishReasonProhibitedContent, genai.FinishReasonSPII:
		return true
	}
	return false
}

// classify maps SDK and transport errors to provider errors, keeping the key out.
func (m *Model) classify(ctx context.Context, err error, note *responseNote) error {
	pe := m.toProviderError(ctx, err, note)
	pe.Message = provider.Redact(truncate(pe.Message, 500), m.cfg.APIKey)
	return pe
}

func (m *Model) toProviderError(ctx context.Context, err error, note *responseNote) *provider.Error {
	// The caller's context decides first: a request torn down because it was
	// canceled or timed out surfaces as whatever the transport saw at that moment.
	if ctxErr := ctx.Err(); ctxErr != nil {
		return provider.Classify(ctxErr)
	}
	var apiErr genai.APIError
	var apiErrPtr *genai.APIError
	switch {
	case errors.As(err, &apiErr):
		return m.apiError(apiErr, note)
	case errors.As(err, &apiErrPtr) && apiErrPtr != nil:
		return m.apiError(*apiErrPtr, note)
	}
	pe := provider.Classify(err)
	if pe.Class == provider.ClassUnknown {
		switch {
		case wire.StreamCut(err):
			pe = &provider.Error{Class: provider.ClassConnection, Message: "the stream broke off: " + err.Error(), Err: err}
		case strings.HasPrefix(err.Error(), "iterateResponseStream:"):
			// A garbled chunk is the server's (or a proxy's) fault and a new call
			// usually gets a clean one, so it is worth the engine's bounded retries.
			// Err is left out: its text quotes the server's data, unredacted.
			pe = &provider.Error{Class: provider.ClassServer, Message: "the server sent a reply that could not be parsed: " + err.Error()}
		}
	}
	return pe
}

// apiError maps an error the API answered with: an HTTP error status, or an error
// object inside a 200 stream (where Code may be missing and Status decides).
func (m *Model) apiError(e genai.APIError, note *responseNote) *provider.Error {
	code := e.Code
	if code < 400 {
		code = codeForStatus(e.Status)
	}
	class := provider.ClassForStatus(code)
	if code == 0 {
		class = provider.ClassUnknown
	}
	if keyRejected(e) {
		// The Gemini API answers a wrong key with 400 INVALID_ARGUMENT; it is still
		// a credential problem, which the user must fix and a retry cannot.
		class = provider.ClassAuth
	}
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(code)
	}
	if e.Status != "" && !strings.Contains(e.Status, " ") {
		msg = e.Status + ": " + msg
	}
	// Err stays nil: APIError's text is the server's, not redacted.
	pe := &provider.Error{Class: class, Status: code, Message: fmt.Sprintf("%s (from %s)", msg, m.host)}
	if h := note.header(); h != nil {
		pe.RetryAfter = provider.RetryAfter(h, time.Now())
	}
	if pe.RetryAfter == 0 {
		pe.RetryAfter = retryDelay(e)
	}
	return pe
}

// codeForStatus is the HTTP code Google's APIs pair with a canonical status name.
func codeForStatus(s string) int {
	switch s {
	case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE":
		return http.StatusBadRequest
	case "UNAUTHENTICATED":
		return http.StatusUnauthorized
	case "PERMISSION_DENIED":
		return http.StatusForbidden
	case "NOT_FOUND":
		return http.StatusNotFound
	case "RESOURCE_EXHAUSTED":
		return http.StatusTooManyRequests
	case "UNAVAILABLE":
		return http.StatusServiceUnavailable
	case "DEADLINE_EXCEEDED":
		return http.StatusGatewayTimeout
	case "INTERNAL", "UNKNOWN", "DATA_LOSS":
		return http.StatusInternalServerError
	}
	return 0
}

// keyRejected recognises the Gemini API's answer to an invalid key.
func keyRejected(e genai.APIError) bool {
	for _, d := range e.Details {
		if r, _ := d["reason"].(string); r == "API_KEY_INVALID" {
			return true
		}
	}
	return strings.Contains(e.Message, "API key not valid")
}

// retryDelay reads google.rpc.RetryInfo from the error details, which is how the
// Gemini API says when to come back after a 429 (it sends no Retry-After header).
func retryDelay(e genai.APIError) time.Duration {
	for _, d := range e.Details {
		if t, _ := d["@type"].(string); !strings.HasSuffix(t, "google.rpc.RetryInfo") {
			continue
		}
		if s, ok := d["retryDelay"].(string); ok {
			if v, err := time.ParseDuration(s); err == nil && v > 0 {
				return v
			}
		}
	}
	return 0
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// The SDK's APIError carries no response headers, so a thin transport notes the
// headers of an error response for the call whose context asks for it; that is how
// a Retry-After reaches the engine.
type noteKey struct{}

type responseNote struct{ h atomic.Pointer[http.Header] }

func (n *responseNote) header() http.Header {
	if p := n.h.Load(); p != nil {
		return *p
	}
	return nil
}

type noteTransport struct{ base http.RoundTripper }

func (t noteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err == nil && resp.StatusCode >= 400 {
		if n, ok := req.Context().Value(noteKey{}).(*responseNote); ok {
			h := resp.Header.Clone()
			n.h.Store(&h)
		}
	}
	return resp, err
}
