package fakellm

import (
	"encoding/json"
	"net/http"
)

// geminiAPI is the Gemini API: POST .../models/MODEL:generateContent and
// :streamGenerateContent?alt=sse. The model and whether to stream come from the path.
// A stream is always SSE: the JSON-array form the API gives without alt=sse is not
// served, as no client parley drives asks for it.
type geminiAPI struct {
	model, action string
}

func (geminiAPI) name() string { return ProtocolGemini }

// googleStatus is the canonical status name Google's APIs pair with an HTTP code.
func googleStatus(code int) string {
	switch code {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusConflict:
		return "ABORTED"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case http.StatusNotImplemented:
		return "UNIMPLEMENTED"
	case http.StatusServiceUnavailable:
		return "UNAVAILABLE"
	case http.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED"
	}
	if code >= 500 {
		return "INTERNAL"
	}
	return "FAILED_PRECONDITION"
}

func (geminiAPI) errorBody(status int, msg string) any {
	return obj{"error": obj{"code": status, "message": msg, "status": googleStatus(status)}}
}

func (g geminiAPI) parse(body []byte) (request, error) {
	var in struct {
		Contents []struct {
			Parts any `json:"parts"`
		} `json:"contents"`
		SystemInstruction      any `json:"systemInstruction"`
		SystemInstructionSnake any `json:"system_instruction"` // the REST API accepts both spellings
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return request{}, err
	}
	r := request{model: g.model, stream: g.action == "streamGenerateContent"}
	var b promptBuilder
	b.add(in.SystemInstruction, true)
	b.add(in.SystemInstructionSnake, true)
	for _, c := range in.Contents {
		b.add(c.Parts, false)
	}
	b.fill(&r)
	return r, nil
}

// response is one GenerateContentResponse; in a stream, each carries the next part
// of the text, and only the last one the finish reason and the usage.
func (geminiAPI) response(m meta, text string, final bool) obj {
	cand := obj{"content": obj{"role": "model", "parts": []obj{{"text": text}}}, "index": 0}
	resp := obj{"candidates": []obj{cand}, "modelVersion": m.model, "responseId": m.id}
	if final {
		cand["finishReason"] = "STOP"
		resp["usageMetadata"] = obj{
			"promptTokenCount":     m.input,
			"candidatesTokenCount": m.output,
			"totalTokenCount":      m.input + m.output,
		}
	}
	return resp
}

func (g geminiAPI) complete(m meta, text string) any { return g.response(m, text, true) }

func (g geminiAPI) newStream(m meta) streamer { return geminiStream{g: g, m: m} }

// geminiStream sends only data lines: the genai SDK splits events on blank lines and
// expects each to be a single "data:" line.
type geminiStream struct {
	g geminiAPI
	m meta
}

func (geminiStream) deltaName() string { return "" }
func (geminiStream) start() []event    { return nil }

func (s geminiStream) delta(text string) []event {
	return []event{{data: s.g.response(s.m, text, false)}}
}

func (s geminiStream) finish(last string) []event {
	return []event{{data: s.g.response(s.m, last, true)}}
}
