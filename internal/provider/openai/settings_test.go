package openai

import (
	"context"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/provider"
)

func TestChatSettingsReachTheRequest(t *testing.T) {
	srv := fakellm.Start(t, fakellm.Options{RequireKey: key})
	temp := 0.4
	m := New(Config{BaseURL: srv.URL() + "/v1", APIKey: key, Model: "m",
		Settings: provider.Settings{Reasoning: "high", MaxTokens: 5000, Temperature: &temp}})
	if _, err := m.Generate(context.Background(), provider.Request{Prompt: "hi"}, nil); err != nil {
		t.Fatal(err)
	}
	c := srv.Calls()[0]
	body := c.JSON()
	if c.Protocol != fakellm.ProtocolOpenAIChat || body["reasoning_effort"] != "high" || body["max_completion_tokens"] != float64(5000) || body["temperature"] != 0.4 {
		t.Fatalf("%s body = %v", c.Protocol, body)
	}
}

// The Responses API streams its deltas, reports usage from response.completed,
// and carries reasoning.effort and max_output_tokens.
func TestResponsesStreamingUsageAndSettings(t *testing.T) {
	srv := fakellm.Start(t, fakellm.Options{RequireKey: key})
	text := strings.Repeat("다음 단계 ", 30)
	srv.Script("gpt-x-pro", fakellm.Script{Replies: []fakellm.Reply{{Text: text, ChunkSize: 9, InputTokens: 77, OutputTokens: 33}}})
	m := New(Config{BaseURL: srv.URL() + "/v1", APIKey: key, Model: "gpt-x-pro", API: APIResponses,
		Settings: provider.Settings{Reasoning: "medium", MaxTokens: 7000}})
	var deltas []string
	resp, err := m.Generate(context.Background(), provider.Request{System: "be brief", Prompt: "hello"}, func(d string) { deltas = append(deltas, d) })
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != text || len(deltas) < 5 || strings.Join(deltas, "") != text {
		t.Fatalf("text %q from %d deltas", resp.Text, len(deltas))
	}
	if resp.Usage != (provider.Usage{InputTokens: 77, OutputTokens: 33}) || resp.UsageEstimated || resp.Model != "gpt-x-pro" {
		t.Fatalf("usage %+v estimated %v model %q", resp.Usage, resp.UsageEstimated, resp.Model)
	}
	c := srv.Calls()[0]
	body := c.JSON()
	r, _ := body["reasoning"].(map[string]any)
	if c.Protocol != fakellm.ProtocolOpenAIResponses || !c.Stream || c.System != "be brief" || r["effort"] != "medium" ||
		body["max_output_tokens"] != float64(7000) || body["store"] != false || body["instructions"] != "be brief" {
		t.Fatalf("%s body = %v", c.Protocol, body)
	}
}

func TestResponsesStreamCutIsAnError(t *testing.T) {
	srv := fakellm.Start(t, fakellm.Options{RequireKey: key})
	srv.Script("m", fakellm.Script{Replies: []fakellm.Reply{{Text: strings.Repeat("x", 400), ChunkSize: 10, CutAfter: 30}}})
	m := New(Config{BaseURL: srv.URL() + "/v1", APIKey: key, Model: "m", API: APIResponses})
	_, err := m.Generate(context.Background(), provider.Request{Prompt: "hi"}, nil)
	if pe := classOf(t, err); pe.Class != provider.ClassConnection {
		t.Fatalf("a cut Responses stream: %v", err)
	}
}
