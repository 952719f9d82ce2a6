package fakellm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// LoadScript reads a JSON script file: an object mapping model names (or "*") to a
// list of replies, each with the Reply fields in snake_case, durations as strings:
//
//	{"gpt-x": [
//	  {"when_contains": "Round 2", "text": "...", "latency": "300ms"},
//	  {"status": 429, "retry_after": "1"},
//	  {"text": "fallback", "chunk_delay": "20ms"}
//	]}
//
// Unknown keys are an error, so that a typo does not silently become a default.
func LoadScript(r io.Reader) (map[string]Script, error) {
	var file map[string]json.RawMessage
	dec := json.NewDecoder(r)
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("fakellm script: want an object mapping model names to lists of replies: %w", err)
	}
	if dec.More() {
		return nil, errors.New("fakellm script: unexpected data after the top-level object")
	}
	models := make([]string, 0, len(file))
	for m := range file {
		models = append(models, m)
	}
	slices.Sort(models) // so that the first error reported does not vary from run to run

	out := make(map[string]Script, len(file))
	for _, model := range models {
		var raws []json.RawMessage
		if err := json.Unmarshal(file[model], &raws); err != nil {
			return nil, fmt.Errorf("fakellm script: model %q: want a list of replies", model)
		}
		if len(raws) == 0 {
			return nil, fmt.Errorf("fakellm script: model %q: no replies", model)
		}
		var sc Script
		for i, raw := range raws {
			rep, err := decodeReply(raw)
			if err != nil {
				return nil, fmt.Errorf("fakellm script: model %q, reply %d: %w", model, i+1, err)
			}
			sc.Replies = append(sc.Replies, rep)
		}
		out[model] = sc
	}
	return out, nil
}

// fileReply is a Reply as a script file spells it.
type fileReply struct {
	WhenContains string   `json:"when_contains"`
	Text         string   `json:"text"`
	Latency      duration `json:"latency"`
	ChunkDelay   duration `json:"chunk_delay"`
	ChunkSize    int      `json:"chunk_size"`
	Status       int      `json:"status"`
	RetryAfter   string   `json:"retry_after"`
	ErrorMessage string   `json:"error_message"`
	Hang         bool     `json:"hang"`
	CutAfter     int      `json:"cut_after"`
	Malformed    bool     `json:"malformed"`
	Empty        bool     `json:"empty"`
	InputTokens  int      `json:"input_tokens"`
	OutputTokens int      `json:"output_tokens"`
}

func decodeReply(raw json.RawMessage) (Reply, error) {
	var f fileReply
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return Reply{}, fmt.Errorf("%s: want a %s, got a %s", typeErr.Field, typeErr.Type, typeErr.Value)
		}
		// encoding/json says `json: unknown field "x"`; the prefix adds nothing.
		return Reply{}, errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		return Reply{}, fmt.Errorf("status %d: want 400 to 599 (or leave it out for success)", f.Status)
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"chunk_size", f.ChunkSize}, {"cut_after", f.CutAfter}, {"input_tokens", f.InputTokens}, {"output_tokens", f.OutputTokens}} {
		if c.n < 0 {
			return Reply{}, fmt.Errorf("%s %d: must not be negative", c.name, c.n)
		}
	}
	return Reply{
		Text: f.Text, WhenContains: f.WhenContains,
		Latency: time.Duration(f.Latency), ChunkDelay: time.Duration(f.ChunkDelay), ChunkSize: f.ChunkSize,
		Status: f.Status, RetryAfter: f.RetryAfter, ErrorMessage: f.ErrorMessage,
		Hang: f.Hang, CutAfter: f.CutAfter, Malformed: f.Malformed, Empty: f.Empty,
		InputTokens: f.InputTokens, OutputTokens: f.OutputTokens,
	}, nil
}

// duration reads "300ms"-style strings.
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration %s: want a string such as \"300ms\"", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	if v < 0 {
		return fmt.Errorf("duration %q: must not be negative", s)
	}
	*d = duration(v)
	return nil
}
