package openai

import (
	"encoding/json"
	"testing"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
)

// TestWarmSamplesDecode: the warm-up's samples are events the SDK decodes in
// full, so warming walks the decoders a real stream uses rather than stopping at
// the first field it cannot read.
func TestWarmSamplesDecode(t *testing.T) {
	var c sdk.ChatCompletionChunk
	if err := json.Unmarshal(chatChunkSample, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Choices) != 1 || c.Choices[0].Delta.Content != "x" || c.Usage.CompletionTokens != 1 || c.Model != "m" {
		t.Errorf("chat chunk sample decoded to %+v", c)
	}
	var ev responses.ResponseStreamEventUnion
	if err := json.Unmarshal(responsesEventSample, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != "response.completed" || ev.Response.Model != "m" || ev.Response.Usage.OutputTokens != 1 {
		t.Errorf("responses event sample decoded to type %q model %q usage %+v", ev.Type, ev.Response.Model, ev.Response.Usage)
	}
	warmChat() // neither may panic on the SDK's current types
	warmResponses()
}
