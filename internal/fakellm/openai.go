package fakellm

import (
	"encoding/json"
	"net/http"
)

// openAIError is OpenAI's error shape, shared by Chat Completions and Responses.
func openAIError(status int, msg string) any {
	typ, code := "invalid_request_error", any(nil)
	switch {
	case status == http.StatusUnauthorized:
		code = "invalid_api_key"
	case status == http.StatusForbidden:
		typ = "permission_error"
	case status == http.StatusNotFound:
		code = "model_not_found"
	case status == http.StatusTooManyRequests:
		typ, code = "requests", "rate_limit_exceeded"
	case status >= 500:
		typ = "server_error"
	}
	return obj{"error": obj{"message": msg, "type": typ, "param": nil, "code": code}}
}

// openAIChat is Chat Completions: POST .../chat/completions.
type openAIChat struct{}

func (openAIChat) name() string                         { return ProtocolOpenAIChat }
func (openAIChat) errorBody(status int, msg string) any { return openAIError(status, msg) }

func (openAIChat) parse(body []byte) (request, error) {
	var in struct {
		Model         string `json:"model"`
		Stream        bool   `json:"stream"`
		StreamOptions *struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
		Messages []struct {
			Role    string `json:"role"`
			Content any    `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return request{}, err
	}
	r := request{model: in.Model, stream: in.Stream}
	r.usageInStream = in.StreamOptions != nil && in.StreamOptions.IncludeUsage
	var b promptBuilder
	for _, m := range in.Messages {
		b.add(m.Content, isSystemRole(m.Role))
	}
	b.fill(&r)
	return r, nil
}

func chatUsage(m meta) obj {
	return obj{"prompt_tokens": m.input, "completion_tokens": m.output, "total_tokens": m.input + m.output}
}

func (openAIChat) complete(m meta, text string) any {
	return obj{
		"id": m.id, "object": "chat.completion", "created": m.created.Unix(), "model": m.model,
		"choices": []obj{{
			"index":         0,
			"message":       obj{"role": "assistant", "content": text, "refusal": nil},
			"logprobs":      nil,
			"finish_reason": "stop",
		}},
		"usage": chatUsage(m),
	}
}

func (openAIChat) newStream(m meta) streamer { return &chatStream{m: m} }

type chatStream struct{ m meta }

func (c *chatStream) deltaName() string { return "" }

// chunk is one chat.completion.chunk. Every chunk carries the same id: the SDK's
// accumulator rejects a stream whose ids change.
func (c *chatStream) chunk(delta obj, finish any) event {
	ch := obj{
		"id": c.m.id, "object": "chat.completion.chunk", "created": c.m.created.Unix(), "model": c.m.model,
		"choices": []obj{{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}},
	}
	if c.m.usageInStream {
		ch["usage"] = nil // as OpenAI does: null on every chunk but the usage chunk
	}
	return event{data: ch}
}

func (c *chatStream) start() []event {
	return []event{c.chunk(obj{"role": "assistant", "content": ""}, nil)}
}

func (c *chatStream) delta(text string) []event {
	return []event{c.chunk(obj{"content": text}, nil)}
}

func (c *chatStream) finish(last string) []event {
	var evs []event
	if last != "" {
		evs = c.delta(last)
	}
	evs = append(evs, c.chunk(obj{}, "stop"))
	if c.m.usageInStream {
		evs = append(evs, event{data: obj{
			"id": c.m.id, "object": "chat.completion.chunk", "created": c.m.created.Unix(), "model": c.m.model,
			"choices": []obj{}, "usage": chatUsage(c.m),
		}})
	}
	return append(evs, event{data: rawData("[DONE]")})
}

// openAIResponses is the Responses API: POST .../responses, what Codex speaks.
type openAIResponses struct{}

func (openAIResponses) name() string                         { return ProtocolOpenAIResponses }
func (openAIResponses) errorBody(status int, msg string) any { return openAIError(status, msg) }

func (openAIResponses) parse(body []byte) (request, error) {
	var in struct {
		Model        string `json:"model"`
		Stream       bool   `json:"stream"`
		Instructions any    `json:"instructions"`
		Input        any    `json:"input"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return request{}, err
	}
	r := request{model: in.Model, stream: in.Stream}
	var b promptBuilder
	b.add(in.Instructions, true)
	if items, ok := in.Input.([]any); ok {
		for _, it := range items {
			item, _ := it.(map[string]any)
			role, _ := item["role"].(string)
			b.add(it, isSystemRole(role))
		}
	} else {
		b.add(in.Input, false)
	}
	b.fill(&r)
	return r, nil
}

func responsesUsage(m meta) obj {
	return obj{
		"input_tokens":          m.input,
		"input_tokens_details":  obj{"cached_tokens": 0},
		"output_tokens":         m.output,
		"output_tokens_details": obj{"reasoning_tokens": 0},
		"total_tokens":          m.input + m.output,
	}
}

func responseObject(m meta, status string, output []obj, usage any) obj {
	return obj{
		"id": m.id, "object": "response", "created_at": m.created.Unix(),
		"status": status, "error": nil, "incomplete_details": nil,
		"model": m.model, "output": output, "usage": usage,
	}
}

func outputText(text string) obj {
	return obj{"type": "output_text", "text": text, "annotations": []any{}, "logprobs": []any{}}
}

func messageItem(m meta, status string, content []obj) obj {
	return obj{"id": m.itemID, "type": "message", "status": status, "role": "assistant", "content": content}
}

func (openAIResponses) complete(m meta, text string) any {
	return responseObject(m, "completed", []obj{messageItem(m, "completed", []obj{outputText(text)})}, responsesUsage(m))
}

func (openAIResponses) newStream(m meta) streamer { return &responsesStream{m: m} }

// responsesStream numbers its events and remembers the text for the done events.
type responsesStream struct {
	m    meta
	seq  int
	text []byte
}

func (r *responsesStream) deltaName() string { return "response.output_text.delta" }

func (r *responsesStream) ev(name string, fields obj) event {
	fields["type"] = name
	fields["sequence_number"] = r.seq
	r.seq++
	return event{name: name, data: fields}
}

// at addresses the one text part of the one message item.
func (r *responsesStream) at(fields obj) obj {
	fields["item_id"] = r.m.itemID
	fields["output_index"] = 0
	fields["content_index"] = 0
	return fields
}

func (r *responsesStream) start() []event {
	return []event{
		r.ev("response.created", obj{"response": responseObject(r.m, "in_progress", []obj{}, nil)}),
		r.ev("response.in_progress", obj{"response": responseObject(r.m, "in_progress", []obj{}, nil)}),
		r.ev("response.output_item.added", obj{"output_index": 0, "item": messageItem(r.m, "in_progress", []obj{})}),
		r.ev("response.content_part.added", r.at(obj{"part": outputText("")})),
	}
}

func (r *responsesStream) delta(text string) []event {
	r.text = append(r.text, text...)
	return []event{r.ev("response.output_text.delta", r.at(obj{"delta": text, "logprobs": []any{}}))}
}

func (r *responsesStream) finish(last string) []event {
	var evs []event
	if last != "" {
		evs = r.delta(last)
	}
	full := string(r.text)
	item := messageItem(r.m, "completed", []obj{outputText(full)})
	return append(evs,
		r.ev("response.output_text.done", r.at(obj{"text": full, "logprobs": []any{}})),
		r.ev("response.content_part.done", r.at(obj{"part": outputText(full)})),
		r.ev("response.output_item.done", obj{"output_index": 0, "item": item}),
		r.ev("response.completed", obj{"response": responseObject(r.m, "completed", []obj{item}, responsesUsage(r.m))}),
	)
}
