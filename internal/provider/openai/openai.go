// Package openai reaches any OpenAI-compatible Chat Completions endpoint (OpenAI,
// OpenRouter, Ollama's /v1, vLLM, llama.cpp, LM Studio …) through the official SDK,
// streaming every answer, and OpenAI's Responses API for the models that need it
// (pro, codex and reasoning models; internal/models decides which).
package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/parleyhq/parley/internal/provider/wire"
	"net/http"
	"strings"
	"time"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"

	"github.com/parleyhq/parley/provider"
)

// Config is one endpoint and model.
type Config struct {
	BaseURL string // e.g. https://api.openai.com/v1
	APIKey  string // may be empty for local servers
	Model   string
	Headers map[string]string
	// HTTPClient overrides the transport (tests); nil uses the SDK default.
	HTTPClient *http.Client
	// NoStreamUsage leaves out stream_options.include_usage for servers that reject it.
	NoStreamUsage bool
	// API is the wire API: APIChat (the default) or APIResponses.
	API API
	// Settings are the seat's generation settings; a Request's own fields win.
	Settings provider.Settings
}

// API names one of OpenAI's two generation APIs.
type API string

const (
	APIChat      API = "chat"      // POST /chat/completions: every compatible server
	APIResponses API = "responses" // POST /responses: OpenAI's own, needed by pro/codex models
)

// Model is a provider.Model for one OpenAI-compatible model.
type Model struct {
	cfg    Config
	client sdk.Client
}

// New returns a Model. The SDK's own retries are switched off: the debate engine
// retries every provider alike and reports each retry.
func New(cfg Config) *Model {
	opts := []option.RequestOption{
		option.WithBaseURL(strings.TrimRight(cfg.BaseURL, "/") + "/"),
		option.WithMaxRetries(0),
	}
	key := cfg.APIKey
	if key == "" {
		key = "none" // local servers ignore it; the SDK wants one
	}
	opts = append(opts, option.WithAPIKey(key))
	for k, v := range cfg.Headers {
		opts = append(opts, option.WithHeader(k, v))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	}
	warm(cfg.API)
	return &Model{cfg: cfg, client: sdk.NewClient(opts...)}
}

// Generate implements provider.Model.
func (m *Model) Generate(ctx context.Context, req provider.Request, onDelta func(string)) (provider.Response, error) {
	req = m.cfg.Settings.Apply(req)
	if req.Thinking != nil {
		return provider.Response{}, &provider.Error{Class: provider.ClassBadRequest,
			Message: "OpenAI models take reasoning=low|medium|high, not a thinking budget"}
	}
	var resp provider.Response
	var err error
	if m.cfg.API == APIResponses {
		resp, err = m.generateResponses(ctx, req, onDelta)
	} else {
		resp, err = m.generateChat(ctx, req, onDelta)
	}
	if err == nil && resp.Usage == (provider.Usage{}) {
		// Some compatible servers report no usage at all: count the tokens here
		// rather than record a free call.
		resp.Usage = provider.Usage{InputTokens: provider.EstimateTokens(req.System + "\n" + req.Prompt), OutputTokens: provider.EstimateTokens(resp.Text)}
		resp.UsageEstimated = true
	}
	return resp, err
}

func (m *Model) generateChat(ctx context.Context, req provider.Request, onDelta func(string)) (provider.Response, error) {
	var msgs []sdk.ChatCompletionMessageParamUnion
	if req.System != "" {
		msgs = append(msgs, sdk.SystemMessage(req.System))
	}
	msgs = append(msgs, sdk.UserMessage(req.Prompt))
	params := sdk.ChatCompletionNewParams{Model: m.cfg.Model, Messages: msgs}
	if !m.cfg.NoStreamUsage {
		params.StreamOptions = sdk.ChatCompletionStreamOptionsParam{IncludeUsage: sdk.Bool(true)}
	}
	if req.Temperature != nil {
		params.Temperature = sdk.Float(*req.Temperature)
	}
	if req.MaxTokens > 0 {
		params.MaxCompletionTokens = sdk.Int(int64(req.MaxTokens))
	}
	if req.Reasoning != "" {
		params.ReasoningEffort = shared.ReasoningEffort(req.Reasoning)
	}

	stream := m.client.Chat.Completions.NewStreaming(ctx, params)
	defer stream.Close()
	var b strings.Builder
	var resp provider.Response
	for stream.Next() {
		chunk := stream.Current()
		if chunk.Model != "" {
			resp.Model = chunk.Model
		}
		if len(chunk.Choices) > 0 {
			if d := chunk.Choices[0].Delta.Content; d != "" {
				b.WriteString(d)
				if onDelta != nil {
					onDelta(d)
				}
			}
		}
		if u := chunk.Usage; u.PromptTokens > 0 || u.CompletionTokens > 0 {
			resp.Usage = provider.Usage{InputTokens: int(u.PromptTokens), OutputTokens: int(u.CompletionTokens)}
		}
	}
	if err := stream.Err(); err != nil {
		return provider.Response{}, m.classify(err)
	}
	resp.Text = b.String()
	return resp, nil
}

// generateResponses calls the Responses API, streaming. Nothing is stored on
// OpenAI's side (store: false): each debate turn is self-contained.
func (m *Model) generateResponses(ctx context.Context, req provider.Request, onDelta func(string)) (provider.Response, error) {
	params := responses.ResponseNewParams{
		Model: m.cfg.Model,
		Input: responses.ResponseNewParamsInputUnion{OfString: sdk.String(req.Prompt)},
		Store: sdk.Bool(false),
	}
	if req.System != "" {
		params.Instructions = sdk.String(req.System)
	}
	if req.Temperature != nil {
		params.Temperature = sdk.Float(*req.Temperature)
	}
	if req.MaxTokens > 0 {
		params.MaxOutputTokens = sdk.Int(int64(req.MaxTokens))
	}
	if req.Reasoning != "" {
		params.Reasoning = shared.ReasoningParam{Effort: shared.ReasoningEffort(req.Reasoning)}
	}
	stream := m.client.Responses.NewStreaming(ctx, params)
	defer stream.Close()
	var b strings.Builder
	var resp provider.Response
	completed := false
	for stream.Next() {
		ev := stream.Current()
		switch ev.Type {
		case "response.output_text.delta":
			if ev.Delta != "" {
				b.WriteString(ev.Delta)
				if onDelta != nil {
					onDelta(ev.Delta)
				}
			}
		case "response.created":
			resp.Model = ev.Response.Model
		case "response.completed", "response.incomplete":
			completed = true
			if ev.Response.Model != "" {
				resp.Model = ev.Response.Model
			}
			u := ev.Response.Usage
			resp.Usage = provider.Usage{InputTokens: int(u.InputTokens), OutputTokens: int(u.OutputTokens)}
		case "response.failed", "error":
			msg := ev.Message
			if msg == "" {
				msg = ev.Response.Error.Message
			}
			return provider.Response{}, &provider.Error{Class: provider.ClassServer,
				Message: provider.Redact("the response failed: "+msg, m.cfg.APIKey)}
		}
	}
	if err := stream.Err(); err != nil {
		return provider.Response{}, m.classify(err)
	}
	if !completed {
		return provider.Response{}, &provider.Error{Class: provider.ClassConnection,
			Message: "the stream ended before the answer was complete (no response.completed)"}
	}
	resp.Text = b.String()
	return resp, nil
}

// classify maps SDK and transport errors to provider errors, keeping the key out.
func (m *Model) classify(err error) error {
	var apiErr *sdk.Error
	if errors.As(err, &apiErr) {
		pe := &provider.Error{
			Class:   provider.ClassForStatus(apiErr.StatusCode),
			Status:  apiErr.StatusCode,
			Message: provider.Redact(apiMessage(apiErr), m.cfg.APIKey),
		}
		if apiErr.Response != nil {
			pe.RetryAfter = provider.RetryAfter(apiErr.Response.Header, time.Now())
		}
		return pe
	}
	pe := provider.Classify(err)
	var syntax *json.SyntaxError
	switch {
	case pe.Class != provider.ClassUnknown:
	case wire.StreamCut(err):
		pe = &provider.Error{Class: provider.ClassConnection, Message: "the stream broke off: " + err.Error(), Err: err}
	case errors.As(err, &syntax) || strings.Contains(err.Error(), "invalid character") || strings.Contains(err.Error(), "unexpected end of JSON"):
		// A garbled reply is most often a proxy's fault and passes; retry it like a 5xx.
		pe = &provider.Error{Class: provider.ClassServer, Message: "the server sent a malformed reply: " + err.Error(), Err: err}
	}
	pe.Message = provider.Redact(pe.Message, m.cfg.APIKey)
	return pe
}

func apiMessage(e *sdk.Error) string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("%s (from %s)", msg, wire.Endpoint(e.Request))
}
