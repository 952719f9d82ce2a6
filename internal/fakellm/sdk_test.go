package fakellm

import (
	"context"
	"errors"
	"strings"
	"testing"

	anthropic "github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	ooption "github.com/openai/openai-go/v3/option"
	"google.golang.org/genai"
)

// These tests drive the server with the official SDKs, the strictest clients parley
// has: if they accept the wire format, parley's own providers will.

const longText = "Streaming through a real SDK: héllo wörld, ünïcode survives chunking. " +
	"This answer is long enough to take several chunks of a few runes each."

func openAIClient(s *Server) *openai.Client {
	c := openai.NewClient(
		ooption.WithBaseURL(s.URL()+"/v1/"),
		ooption.WithAPIKey("k"),
		ooption.WithMaxRetries(0),
	)
	return &c
}

func anthropicClient(s *Server) *anthropic.Client {
	c := anthropic.NewClient(
		aoption.WithBaseURL(s.URL()),
		aoption.WithAPIKey("k"),
		aoption.WithMaxRetries(0),
	)
	return &c
}

func geminiClient(t *testing.T, s *Server) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:      "k",
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: s.URL()},
	})
	if err != nil {
		t.Fatalf("genai.NewClient: %v", err)
	}
	return c
}

func chatParams(model string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model: model,
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("You are seat A."),
			openai.UserMessage("Round 1: what should we do?"),
		},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	}
}

func TestOpenAIChatSDKStreaming(t *testing.T) {
	s := Start(t, Options{})
	s.Script("gpt-x", Script{Replies: []Reply{{Text: longText, ChunkSize: 5, InputTokens: 11, OutputTokens: 22}}})

	stream := openAIClient(s).Chat.Completions.NewStreaming(context.Background(), chatParams("gpt-x"))
	var acc openai.ChatCompletionAccumulator
	chunks := 0
	for stream.Next() {
		if !acc.AddChunk(stream.Current()) {
			t.Fatalf("accumulator rejected chunk %+v", stream.Current())
		}
		chunks++
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if got := acc.Choices[0].Message.Content; got != longText {
		t.Fatalf("text = %q, want %q", got, longText)
	}
	if acc.Choices[0].FinishReason != "stop" {
		t.Fatalf("finish_reason = %q, want stop", acc.Choices[0].FinishReason)
	}
	if u := acc.Usage; u.PromptTokens != 11 || u.CompletionTokens != 22 || u.TotalTokens != 33 {
		t.Fatalf("usage = %+v, want 11/22/33", u)
	}
	if min := len([]rune(longText)) / 5; chunks < min {
		t.Fatalf("got %d chunks, want at least %d", chunks, min)
	}

	calls := s.Calls()
	if len(calls) != 1 {
		t.Fatalf("got %d calls, want 1", len(calls))
	}
	c := calls[0]
	if c.Protocol != ProtocolOpenAIChat || c.Model != "gpt-x" || !c.Stream || c.N != 1 || c.Status != 200 || c.Aborted != "" {
		t.Fatalf("call = %+v", c)
	}
	if c.System != "You are seat A." || c.Prompt != "You are seat A.\nRound 1: what should we do?" {
		t.Fatalf("system %q, prompt %q", c.System, c.Prompt)
	}
	if c.Header.Get("Authorization") != "Bearer k" || c.Path != "/v1/chat/completions" {
		t.Fatalf("header %v, path %q", c.Header, c.Path)
	}
}

func TestOpenAIChatSDKNonStreaming(t *testing.T) {
	s := Start(t, Options{})
	p := chatParams("gpt-y")
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{}
	res, err := openAIClient(s).Chat.Completions.New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	text := res.Choices[0].Message.Content
	if !strings.HasPrefix(text, "FAKE-REPLY from gpt-y") {
		t.Fatalf("default text = %q", text)
	}
	if b := jsonBlock(t, text); b["position"] == nil || b["converged"] != false {
		t.Fatalf("reply block = %v", b)
	}
	if res.Usage.PromptTokens < 1 || res.Usage.CompletionTokens < 1 {
		t.Fatalf("usage = %+v", res.Usage)
	}
}

func TestOpenAIChatSDKFaults(t *testing.T) {
	s := Start(t, Options{})
	client := openAIClient(s)
	ctx := context.Background()

	s.Script("rate", Script{Replies: []Reply{{Status: 429, RetryAfter: "7", ErrorMessage: "slow down"}}})
	_, err := client.Chat.Completions.New(ctx, chatParams("rate"))
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.Message != "slow down" || apiErr.Type != "requests" {
		t.Fatalf("err = %v, want a 429 openai.Error with the scripted message", err)
	}
	if apiErr.Response.Header.Get("Retry-After") != "7" {
		t.Fatalf("Retry-After = %q", apiErr.Response.Header.Get("Retry-After"))
	}

	s.Script("cut", Script{Replies: []Reply{{Text: longText, ChunkSize: 4, CutAfter: 10}}})
	stream := client.Chat.Completions.NewStreaming(ctx, chatParams("cut"))
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if stream.Err() == nil {
		t.Fatal("cut stream ended without an error")
	}
	if got, want := acc.Choices[0].Message.Content, string([]rune(longText)[:10]); got != want {
		t.Fatalf("text before the cut = %q, want %q", got, want)
	}

	s.Script("garbage", Script{Replies: []Reply{{Malformed: true}}})
	stream = client.Chat.Completions.NewStreaming(ctx, chatParams("garbage"))
	for stream.Next() {
	}
	if stream.Err() == nil {
		t.Fatal("malformed stream ended without an error")
	}
	if _, err := client.Chat.Completions.New(ctx, chatParams("garbage")); err == nil {
		t.Fatal("malformed body gave no error")
	}

	calls := waitEnded(t, s, 4)
	if calls[1].Aborted != "cut" || calls[1].Status != 200 {
		t.Fatalf("cut call = %+v", calls[1])
	}
}

func TestOpenAIBaseURLWithPrefix(t *testing.T) {
	s := Start(t, Options{})
	s.Script("m", Script{Replies: []Reply{{Text: "prefixed"}}})
	client := openai.NewClient(ooption.WithBaseURL(s.URL()+"/openrouter/api/v1/"), ooption.WithAPIKey("k"), ooption.WithMaxRetries(0))
	res, err := client.Chat.Completions.New(context.Background(), chatParams("m"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Choices[0].Message.Content != "prefixed" {
		t.Fatalf("text = %q", res.Choices[0].Message.Content)
	}
	if got := s.Calls()[0].Path; got != "/openrouter/api/v1/chat/completions" {
		t.Fatalf("path = %q", got)
	}
}

func anthropicParams(model string) anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model:     model,
		MaxTokens: 1024,
		System:    []anthropic.TextBlockParam{{Text: "You are the chair."}},
		Messages: []anthropic.MessageParam{
			anthropic.NewUserMessage(anthropic.NewTextBlock("Write the VERDICT.")),
		},
	}
}

func TestAnthropicSDKStreaming(t *testing.T) {
	s := Start(t, Options{})
	s.Script("claude-x", Script{Replies: []Reply{{Text: longText, ChunkSize: 7, OutputTokens: 40}}})

	stream := anthropicClient(s).Messages.NewStreaming(context.Background(), anthropicParams("claude-x"))
	var msg anthropic.Message
	var types []string
	for stream.Next() {
		ev := stream.Current()
		types = append(types, ev.Type)
		if err := msg.Accumulate(ev); err != nil {
			t.Fatalf("accumulate %s: %v", ev.Type, err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if len(msg.Content) != 1 || msg.Content[0].Text != longText {
		t.Fatalf("content = %+v", msg.Content)
	}
	if msg.StopReason != "end_turn" || msg.Usage.OutputTokens != 40 || msg.Usage.InputTokens < 1 {
		t.Fatalf("stop %q usage %+v", msg.StopReason, msg.Usage)
	}
	if types[0] != "message_start" || types[1] != "content_block_start" || types[len(types)-1] != "message_stop" {
		t.Fatalf("event order = %v", types)
	}
	c := s.Calls()[0]
	if c.Protocol != ProtocolAnthropic || c.System != "You are the chair." || !strings.Contains(c.Prompt, "VERDICT") {
		t.Fatalf("call = %+v", c)
	}
}

func TestAnthropicSDKNonStreamingAndErrors(t *testing.T) {
	s := Start(t, Options{})
	client := anthropicClient(s)
	ctx := context.Background()

	msg, err := client.Messages.New(ctx, anthropicParams("claude-y"))
	if err != nil {
		t.Fatal(err)
	}
	// The default answer follows the prompt: the chair gets a verdict block.
	if b := jsonBlock(t, msg.Content[0].Text); b["recommendation"] == nil || b["dissent"] == nil {
		t.Fatalf("verdict block = %v", b)
	}

	s.Script("over", Script{Replies: []Reply{{Status: 529}}})
	_, err = client.Messages.New(ctx, anthropicParams("over"))
	var apiErr *anthropic.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 529 {
		t.Fatalf("err = %v, want a 529 anthropic.Error", err)
	}
	if !strings.Contains(apiErr.RawJSON(), "overloaded_error") {
		t.Fatalf("error body = %s", apiErr.RawJSON())
	}

	s.Script("cut", Script{Replies: []Reply{{Text: longText, CutAfter: 20}}})
	stream := client.Messages.NewStreaming(ctx, anthropicParams("cut"))
	var got anthropic.Message
	for stream.Next() {
		got.Accumulate(stream.Current())
	}
	if stream.Err() == nil {
		t.Fatal("cut stream ended without an error")
	}
	if got.StopReason != "" {
		t.Fatalf("cut stream has stop_reason %q", got.StopReason)
	}

	s.Script("garbage", Script{Replies: []Reply{{Malformed: true}}})
	stream = client.Messages.NewStreaming(ctx, anthropicParams("garbage"))
	for stream.Next() {
	}
	if stream.Err() == nil {
		t.Fatal("malformed stream ended without an error")
	}
}

func TestGeminiSDK(t *testing.T) {
	s := Start(t, Options{})
	s.Script("gemini-x", Script{Replies: []Reply{{Text: longText, ChunkSize: 9, InputTokens: 5, OutputTokens: 6}}})
	client := geminiClient(t, s)
	ctx := context.Background()
	cfg := &genai.GenerateContentConfig{SystemInstruction: genai.NewContentFromText("Be brief.", genai.RoleUser)}

	var text strings.Builder
	var last *genai.GenerateContentResponse
	n := 0
	for resp, err := range client.Models.GenerateContentStream(ctx, "gemini-x", genai.Text("Round 2: critique."), cfg) {
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		text.WriteString(resp.Text())
		last = resp
		n++
	}
	if text.String() != longText {
		t.Fatalf("text = %q", text.String())
	}
	if n < 2 || last.Candidates[0].FinishReason != genai.FinishReasonStop {
		t.Fatalf("%d chunks, last finish %q", n, last.Candidates[0].FinishReason)
	}
	if u := last.UsageMetadata; u == nil || u.PromptTokenCount != 5 || u.CandidatesTokenCount != 6 || u.TotalTokenCount != 11 {
		t.Fatalf("usage = %+v", last.UsageMetadata)
	}
	c := s.Calls()[0]
	if c.Protocol != ProtocolGemini || c.Model != "gemini-x" || !c.Stream || c.System != "Be brief." ||
		c.Prompt != "Be brief.\nRound 2: critique." || c.Header.Get("X-Goog-Api-Key") != "k" {
		t.Fatalf("call = %+v", c)
	}
	if !strings.HasSuffix(c.Path, "/models/gemini-x:streamGenerateContent") {
		t.Fatalf("path = %q", c.Path)
	}

	resp, err := client.Models.GenerateContent(ctx, "gemini-x", genai.Text("again"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text() != longText || resp.ModelVersion != "gemini-x" {
		t.Fatalf("non-stream text %q model %q", resp.Text(), resp.ModelVersion)
	}

	s.Script("busy", Script{Replies: []Reply{{Status: 429}}})
	_, err = client.Models.GenerateContent(ctx, "busy", genai.Text("x"), nil)
	var apiErr genai.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 429 || apiErr.Status != "RESOURCE_EXHAUSTED" {
		t.Fatalf("err = %#v, want a 429 RESOURCE_EXHAUSTED", err)
	}

	for _, rep := range []Reply{{Text: longText, CutAfter: 12}, {Malformed: true}} {
		s.Script("broken", Script{Replies: []Reply{rep}})
		var streamErr error
		for _, err := range client.Models.GenerateContentStream(ctx, "broken", genai.Text("x"), nil) {
			if err != nil {
				streamErr = err
				break
			}
		}
		if streamErr == nil {
			t.Fatalf("reply %+v: stream ended without an error", rep)
		}
	}
}
