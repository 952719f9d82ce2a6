package openai

import (
	"encoding/json"
	"sync"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
)

// The SDK encodes a request and decodes each streamed event through encoders and
// decoders it builds by reflection on first use: in a fresh `parley run` that was
// ~1.3 ms on the way to the first call and ~0.9 ms on the first answer, with every
// seat waiting for the one building them (runtime/trace, docs/STARTUP.md). New
// builds them once per process, in the background, while its caller goes on to
// open the store and record the debate's start.
var warmedChat, warmedResponses sync.Once

// Samples in the shape of what generateChat and generateResponses send and read.
var (
	chatChunkSample = []byte(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m",` +
		`"choices":[{"index":0,"delta":{"role":"assistant","content":"x"},"finish_reason":null}],` +
		`"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`)
	responsesEventSample = []byte(`{"type":"response.completed","sequence_number":1,` +
		`"response":{"id":"r","object":"response","created_at":1,"model":"m","status":"completed",` +
		`"output":[],"usage":{"input_tokens":1,"output_tokens":1,"total_tokens":2}}}`)
)

func warm(api API) {
	if api == APIResponses {
		warmedResponses.Do(func() { go warmResponses() })
		return
	}
	warmedChat.Do(func() { go warmChat() })
}

func warmChat() {
	p := sdk.ChatCompletionNewParams{
		Model:               "m",
		Messages:            []sdk.ChatCompletionMessageParamUnion{sdk.SystemMessage("x"), sdk.UserMessage("x")},
		StreamOptions:       sdk.ChatCompletionStreamOptionsParam{IncludeUsage: sdk.Bool(true)},
		Temperature:         sdk.Float(1),
		MaxCompletionTokens: sdk.Int(1),
		ReasoningEffort:     shared.ReasoningEffortLow,
	}
	_, _ = json.Marshal(p)
	var c sdk.ChatCompletionChunk
	_ = json.Unmarshal(chatChunkSample, &c)
}

func warmResponses() {
	p := responses.ResponseNewParams{
		Model:           "m",
		Input:           responses.ResponseNewParamsInputUnion{OfString: sdk.String("x")},
		Store:           sdk.Bool(false),
		Instructions:    sdk.String("x"),
		Temperature:     sdk.Float(1),
		MaxOutputTokens: sdk.Int(1),
		Reasoning:       shared.ReasoningParam{Effort: shared.ReasoningEffortLow},
	}
	_, _ = json.Marshal(p)
	var ev responses.ResponseStreamEventUnion
	_ = json.Unmarshal(responsesEventSample, &ev)
}
