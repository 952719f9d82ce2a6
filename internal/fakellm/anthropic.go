package fakellm

import (
	"encoding/json"
	"net/http"
)

// anthropicMessages is the Messages API: POST .../v1/messages (Claude Code adds ?beta=true).
type anthropicMessages struct{}

func (anthropicMessages) name() string { return ProtocolAnthropic }

func (anthropicMessages) errorBody(status int, msg string) any {
	typ := "invalid_request_error"
	switch {
	case status == http.StatusUnauthorized:
		typ = "authentication_error"
	case status == http.StatusForbidden:
		typ = "permission_error"
	case status == http.StatusNotFound:
		typ = "not_found_error"
	case status == http.StatusRequestEntityTooLarge:
		typ = "request_too_large"
	case status == http.StatusTooManyRequests:
		typ = "rate_limit_error"
	case status == 529:
		typ = "overloaded_error"
	case status >= 500:
		typ = "api_error"
	}
	return obj{"type": "error", "error": obj{"type": typ, "message": msg}}
}

func (anthropicMessages) parse(body []byte) (request, error) {
	var in struct {
		Model    string `json:"model"`
		Stream   bool   `json:"stream"`
		System   any    `json:"system"`
		Messages []struct {
			Content any `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return request{}, err
	}
	r := request{model: in.Model, stream: in.Stream}
	var b promptBuilder
	b.add(in.System, true)
	for _, m := range in.Messages {
		b.add(m.Content, false)
	}
	b.fill(&r)
	return r, nil
}

func anthropicUsage(m meta, output int) obj {
	return obj{"input_tokens": m.input, "output_tokens": output,
		"cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
}

func anthropicMessage(m meta, content []obj, stopReason any, output int) obj {
	return obj{
		"id": m.id, "type": "message", "role": "assistant", "model": m.model,
		"content": content, "stop_reason": stopReason, "stop_sequence": nil,
		"usage": anthropicUsage(m, output),
	}
}

func (anthropicMessages) complete(m meta, text string) any {
	return anthropicMessage(m, []obj{{"type": "text", "text": text}}, "end_turn", m.output)
}

func (anthropicMessages) newStream(m meta) streamer { return anthropicStream{m: m} }

type anthropicStream struct{ m meta }

func (anthropicStream) deltaName() string { return "content_block_delta" }

func anthropicEvent(name string, fields obj) event {
	fields["type"] = name
	return event{name: name, data: fields}
}

func (a anthropicStream) start() []event {
	return []event{
		// The real API reports a token or so of output at the start; clients
		// overwrite it with message_delta's cumulative count.
		anthropicEvent("message_start", obj{"message": anthropicMessage(a.m, []obj{}, nil, 1)}),
		anthropicEvent("content_block_start", obj{"index": 0, "content_block": obj{"type": "text", "text": ""}}),
		anthropicEvent("ping", obj{}),
	}
}

func (a anthropicStream) delta(text string) []event {
	return []event{anthropicEvent("content_block_delta", obj{"index": 0, "delta": obj{"type": "text_delta", "text": text}})}
}

func (a anthropicStream) finish(last string) []event {
	var evs []event
	if last != "" {
		evs = a.delta(last)
	}
	return append(evs,
		anthropicEvent("content_block_stop", obj{"index": 0}),
		anthropicEvent("message_delta", obj{
			"delta": obj{"stop_reason": "end_turn", "stop_sequence": nil},
			"usage": obj{"input_tokens": a.m.input, "output_tokens": a.m.output},
		}),
		anthropicEvent("message_stop", obj{}),
	)
}
