// Package anthropic reaches the Anthropic Messages API through the official SDK
// (github.com/anthropics/anthropic-sdk-go/v2), streaming every answer.
//
// The v2 SDK speaks API version 2026-10-21, which sends the key as
// "Authorization: Bearer" and rejects temperature, top_p and top_k with a 400 even
// at their defaults. A Request with a Temperature therefore fails with a clear
// ClassBadRequest error instead of being sent (internal/models already refuses the
// setting when a seat is resolved).
package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/parleyhq/parley/internal/provider/wire"
	"net/http"
	"strings"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/parleyhq/parley/provider"
)

// DefaultMaxTokens is sent when neither the Request nor the Config gives a cap: the
// API requires one, and a debate turn with its reasoning fits well inside this one.
const DefaultMaxTokens = 8192

// Config is one endpoint and model.
type Config struct {
	// BaseURL is the API root without /v1, e.g. https://api.anthropic.com (also the
	// default when empty). A path prefix is kept: https://gw.example/anthropic works.
	BaseURL string
	// APIKey is sent as "Authorization: Bearer KEY"; empty sends no credential (a
	// gateway that authenticates otherwise, with Headers).
	APIKey  string
	Model   string
	Headers map[string]string
	// HTTPClient overrides the transport (tests); nil uses the SDK default.
	HTTPClient *http.Client
	// Settings are the seat's generation settings; a Request's own fields win.
	Settings provider.Settings
	// DefaultMaxTokens is the model's own output cap (from the catalogue), sent
	// when no max_tokens is set; 0 means the package's DefaultMaxTokens.
	DefaultMaxTokens int
}

// Model is a provider.Model for one Anthropic model. It is safe for concurrent use.
type Model struct {
	cfg    Config
	client sdk.Client
}

// New returns a Model. The SDK's own retries are switched off (the debate engine
// retries every provider alike and reports each retry), and so is its reading of
// the environment: internal/models resolves ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL
// from parley's own view of the environment, and the SDK must not add a credential,
// custom headers or a profile from ~/.config/anthropic behind its back.
func New(cfg Config) *Model {
	opts := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithMaxRetries(0),
	}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(strings.TrimRight(cfg.BaseURL, "/")+"/"))
	}
	if cfg.APIKey != "" {
		opts = append(opts, option.WithAPIKey(cfg.APIKey))
	}
	for k, v := range cfg.Headers {
		opts = append(opts, option.WithHeader(k, v))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	}
	return &Model{cfg: cfg, client: sdk.NewClient(opts...)}
}

// Generate implements provider.Model.
func (m *Model) Generate(ctx context.Context, req provider.Request, onDelta func(string)) (provider.Response, error) {
	req = m.cfg.Settings.Apply(req)
	if req.Temperature != nil {
		return provider.Response{}, &provider.Error{Class: provider.ClassBadRequest,
			Message: "Anthropic's Messages API (version 2026-10-21) rejects temperature: remove it from the seat or the mode role"}
	}
	if req.Reasoning != "" {
		return provider.Response{}, &provider.Error{Class: provider.ClassBadRequest,
			Message: "Anthropic models take thinking=TOKENS, not reasoning=" + req.Reasoning}
	}
	params := sdk.MessageNewParams{
		Model:     m.cfg.Model,
		MaxTokens: int64(m.maxTokens(req)),
		Messages:  []sdk.MessageParam{sdk.NewUserMessage(sdk.NewTextBlock(req.Prompt))},
	}
	if req.System != "" {
		params.System = []sdk.TextBlockParam{{Text: req.System}}
	}
	if req.Thinking != nil {
		if *req.Thinking > 0 {
			params.Thinking = sdk.ThinkingConfigParamOfEnabled(int64(*req.Thinking))
		} else {
			params.Thinking = sdk.ThinkingConfigParamUnion{OfDisabled: &sdk.ThinkingConfigDisabledParam{}}
		}
	}

	stream := m.client.Messages.NewStreaming(ctx, params)
	defer stream.Close()
	var (
		b        strings.Builder
		resp     provider.Response
		stopped  bool // message_stop arrived: the answer is complete
		stopWhy  sdk.StopReason
		inTokens int64
	)
	for stream.Next() {
		ev := stream.Current()
		switch ev.Type {
		case "message_start":
			resp.Model = ev.Message.Model
			u := ev.Message.Usage
			inTokens = u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens
			resp.Usage.OutputTokens = int(u.OutputTokens)
		case "content_block_delta":
			// Only text reaches the answer; thinking and tool deltas are not asked for.
			if ev.Delta.Type == "text_delta" && ev.Delta.Text != "" {
				b.WriteString(ev.Delta.Text)
				if onDelta != nil {
					onDelta(ev.Delta.Text)
				}
			}
		case "message_delta":
			// message_delta's counts are cumulative; the input side is present only
			// on newer servers, so keep message_start's when it is absent.
			u := ev.Usage
			if in := u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens; in > 0 {
				inTokens = in
			}
			resp.Usage.OutputTokens = int(u.OutputTokens)
			if ev.Delta.StopReason != "" {
				stopWhy = ev.Delta.StopReason
			}
		case "message_stop":
			stopped = true
		}
	}
	if err := stream.Err(); err != nil {
		return provider.Response{}, m.classify(ctx, err)
	}
	if !stopped {
		// A connection closed cleanly between two events still leaves half an
		// answer; it must not pass for a whole one.
		return provider.Response{}, &provider.Error{Class: provider.ClassConnection,
			Message: "the stream ended before the answer was complete (no message_stop)"}
	}
	resp.Text = b.String()
	resp.Usage.InputTokens = int(inTokens)
	if resp.Text == "" && stopWhy == sdk.StopReasonRefusal {
		// Asking again gets the same refusal: fail the turn instead of retrying it.
		return provider.Response{}, &provider.Error{Class: provider.ClassBadRequest,
			Message: "the model declined to answer (stop_reason refusal)"}
	}
	return resp, nil
}

// maxTokens is the request's cap, else the seat's, else the model's default. The
// thinking budget counts against max_tokens, so a default cap is raised to leave
// the answer its usual room; an explicit cap is the user's to size (internal/models
// checks it exceeds the budget).
func (m *Model) maxTokens(req provider.Request) int {
	if req.MaxTokens > 0 {
		return req.MaxTokens
	}
	n := m.cfg.DefaultMaxTokens
	if n <= 0 {
		n = DefaultMaxTokens
	}
	if req.Thinking != nil && *req.Thinking >= n {
		n = *req.Thinking + DefaultMaxTokens
	}
	return n
}

// classify maps SDK and transport errors to provider errors, keeping the key out.
func (m *Model) classify(ctx context.Context, err error) error {
	pe := m.toProviderError(ctx, err)
	pe.Message = provider.Redact(pe.Message, m.cfg.APIKey)
	return pe
}

func (m *Model) toProviderError(ctx context.Context, err error) *provider.Error {
	// The caller's context decides first: a request torn down because it was
	// canceled or timed out surfaces as whatever the transport saw at that moment.
	if ctxErr := ctx.Err(); ctxErr != nil {
		return provider.Classify(ctxErr)
	}
	var apiErr *sdk.Error
	if errors.As(err, &apiErr) {
		return apiError(apiErr)
	}
	pe := provider.Classify(err)
	switch {
	case pe.Class == provider.ClassUnknown && wire.StreamCut(err):
		pe = &provider.Error{Class: provider.ClassConnection, Message: "the stream broke off: " + err.Error(), Err: err}
	case pe.Class == provider.ClassUnknown && isDecodeError(err):
		// A garbled event is the server's (or a proxy's) fault and a new call
		// usually gets a clean one, so it is worth the engine's bounded retries.
		// Err is left out: an unreadable error event's text quotes the server's
		// data, unredacted.
		pe = &provider.Error{Class: provider.ClassServer, Message: "the server sent a reply that could not be parsed: " + err.Error()}
	}
	return pe
}

// apiError maps an API error. An error event inside a 200 stream (overloaded,
// rate limited) carries status 200, so its type decides the class there.
func apiError(e *sdk.Error) *provider.Error {
	class := provider.ClassForStatus(e.StatusCode)
	switch e.Type() {
	case sdk.ErrorTypeOverloadedError, sdk.ErrorTypeAPIError:
		class = provider.ClassServer
	case sdk.ErrorTypeRateLimitError:
		class = provider.ClassRateLimited
	case sdk.ErrorTypeTimeoutError:
		class = provider.ClassTimeout
	case sdk.ErrorTypeAuthenticationError, sdk.ErrorTypePermissionError, sdk.ErrorTypeBillingError:
		class = provider.ClassAuth
	}
	if e.StatusCode == 529 { // overloaded: Anthropic's own 5xx, retried like one
		class = provider.ClassServer
	}
	// Err stays nil: the SDK error's text carries the raw body, which is not
	// redacted (a gateway may echo the key back).
	pe := &provider.Error{Class: class, Message: apiMessage(e)}
	if e.StatusCode >= 400 {
		pe.Status = e.StatusCode
	}
	if e.Response != nil && e.StatusCode >= 400 {
		pe.RetryAfter = provider.RetryAfter(e.Response.Header, time.Now())
	}
	return pe
}

func apiMessage(e *sdk.Error) string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
		if msg == "" {
			msg = fmt.Sprintf("status %d", e.StatusCode)
		}
	}
	if t := string(e.Type()); t != "" {
		msg = t + ": " + msg
	}
	return fmt.Sprintf("%s (from %s)", msg, wire.Endpoint(e.Request))
}

// isDecodeError says whether err is an event whose data was not the JSON expected.
func isDecodeError(err error) bool {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	return errors.As(err, &syn) || errors.As(err, &typ) ||
		// an error event whose data the SDK could not read either
		strings.HasPrefix(err.Error(), "received error while streaming")
}
