// Package openai reaches any OpenAI-compatible Chat Completions endpoint (OpenAI,
// OpenRouter, Ollama's /v1, vLLM, llama.cpp, LM Studio …) through the official SDK,
// streaming every answer.
package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

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
}

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
	return &Model{cfg: cfg, client: sdk.NewClient(opts...)}
}

// Generate implements provider.Model.
func (m *Model) Generate(ctx context.Context, req provider.Request, onDelta func(string)) (provider.Response, error) {
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
	case isStreamCut(err):
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
	return fmt.Sprintf("%s (from %s)", msg, hostOf(e.Request))
}

func hostOf(r *http.Request) string {
	if r == nil || r.URL == nil {
		return "the endpoint"
	}
	return r.URL.Scheme + "://" + r.URL.Host
}

func isStreamCut(err error) bool {
	s := err.Error()
	return strings.Contains(s, "unexpected EOF") || strings.Contains(s, "connection reset") ||
		strings.Contains(s, "broken pipe") || strings.Contains(s, "EOF")
}
