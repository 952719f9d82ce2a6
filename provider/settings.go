package provider

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Settings are one seat's generation settings, written in a model ref after a "?"
// (anthropic:claude-sonnet-4-6?thinking=8000&max_tokens=16000), in the config's
// model entries and in a mode's roles. The zero value asks for every provider
// default. Which keys a provider accepts is decided where the seat is resolved
// (internal/models), so that an unsupported key fails before any call is made.
type Settings struct {
	// Reasoning is OpenAI's reasoning effort: none, minimal, low, medium, high, xhigh or max
	// (which of them a model takes is in the catalogue).
	Reasoning string `json:"reasoning,omitempty" yaml:"reasoning,omitempty"`
	// Thinking is the thinking budget in tokens (Anthropic, Gemini); a pointer to 0
	// switches thinking off, nil leaves the model's default.
	Thinking *int `json:"thinking,omitempty" yaml:"thinking,omitempty"`
	// MaxTokens caps the answer (output) tokens; 0: the provider's default.
	MaxTokens int `json:"max_tokens,omitempty" yaml:"max_tokens,omitempty"`
	// Temperature; nil: the provider's default.
	Temperature *float64 `json:"temperature,omitempty" yaml:"temperature,omitempty"`
	// API forces OpenAI's wire API: "responses" or "chat"; "" lets the catalogue decide.
	API string `json:"api,omitempty" yaml:"api,omitempty"`
}

// SettingKeys are the keys a model ref's query may hold, in canonical order.
var SettingKeys = []string{"api", "max_tokens", "reasoning", "temperature", "thinking"}

// ReasoningEfforts are the values reasoning= accepts.
var ReasoningEfforts = []string{"none", "minimal", "low", "medium", "high", "xhigh", "max"}

// ParseSettings reads "key=value&key=value". Every error names the key and how to
// write it; the caller adds which seat it was.
func ParseSettings(query string) (Settings, error) {
	var s Settings
	if strings.TrimSpace(query) == "" {
		return s, nil
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(query, "&") {
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok {
			return Settings{}, fmt.Errorf("setting %q has no value: write KEY=VALUE (keys: %s)", k, strings.Join(SettingKeys, ", "))
		}
		// Values are plain words and numbers; unescape anyway so a shell-quoted
		// ref copied from a URL still reads.
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		if seen[k] {
			return Settings{}, fmt.Errorf("setting %q is given twice", k)
		}
		seen[k] = true
		if err := s.Set(k, strings.TrimSpace(v)); err != nil {
			return Settings{}, err
		}
	}
	return s, nil
}

// Set sets one key from its text form, validating the value.
func (s *Settings) Set(key, value string) error {
	switch key {
	case "reasoning":
		if !contains(ReasoningEfforts, value) {
			return fmt.Errorf("reasoning=%s: the effort is one of %s", value, strings.Join(ReasoningEfforts, ", "))
		}
		s.Reasoning = value
	case "thinking":
		if value == "off" || value == "0" {
			s.Thinking = new(int)
			return nil
		}
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 {
			return fmt.Errorf("thinking=%s: give a budget in tokens (e.g. thinking=8000) or thinking=off", value)
		}
		s.Thinking = &n
	case "max_tokens":
		n, err := strconv.Atoi(value)
		if err != nil || n <= 0 {
			return fmt.Errorf("max_tokens=%s: give a positive number of tokens (e.g. max_tokens=16000)", value)
		}
		s.MaxTokens = n
	case "temperature":
		f, err := strconv.ParseFloat(value, 64)
		if err != nil || f < 0 || f > 2 {
			return fmt.Errorf("temperature=%s: give a number from 0 to 2 (e.g. temperature=0.7)", value)
		}
		s.Temperature = &f
	case "api":
		if value != "responses" && value != "chat" {
			return fmt.Errorf("api=%s: write api=responses or api=chat", value)
		}
		s.API = value
	default:
		return fmt.Errorf("unknown setting %q (known: %s)", key, strings.Join(SettingKeys, ", "))
	}
	return nil
}

// Validate checks values that came in other than through Set (YAML, JSON).
func (s Settings) Validate() error {
	for k, v := range s.Map() {
		var probe Settings
		if err := probe.Set(k, v); err != nil {
			return err
		}
	}
	if s.Thinking != nil && *s.Thinking < 0 {
		return fmt.Errorf("thinking=%d: give a budget in tokens or off", *s.Thinking)
	}
	return nil
}

// Map is the settings that are set, as text, keyed by setting name.
func (s Settings) Map() map[string]string {
	m := map[string]string{}
	if s.Reasoning != "" {
		m["reasoning"] = s.Reasoning
	}
	if s.Thinking != nil {
		if *s.Thinking == 0 {
			m["thinking"] = "off"
		} else {
			m["thinking"] = strconv.Itoa(*s.Thinking)
		}
	}
	if s.MaxTokens != 0 {
		m["max_tokens"] = strconv.Itoa(s.MaxTokens)
	}
	if s.Temperature != nil {
		m["temperature"] = strconv.FormatFloat(*s.Temperature, 'g', -1, 64)
	}
	if s.API != "" {
		m["api"] = s.API
	}
	return m
}

// Keys lists the keys that are set, sorted.
func (s Settings) Keys() []string {
	m := s.Map()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// String is the canonical form: set keys in sorted order, "k=v&k=v", "" when none
// is set. Equal settings always give the same string, so it can key a cache or be
// appended to a ref after "?".
func (s Settings) String() string {
	m := s.Map()
	var b strings.Builder
	for _, k := range s.Keys() {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(m[k])
	}
	return b.String()
}

// IsZero says whether nothing is set.
func (s Settings) IsZero() bool { return len(s.Map()) == 0 }

// Merge returns s with every key that over sets taken from over.
func (s Settings) Merge(over Settings) Settings {
	if over.Reasoning != "" {
		s.Reasoning = over.Reasoning
	}
	if over.Thinking != nil {
		t := *over.Thinking
		s.Thinking = &t
	}
	if over.MaxTokens != 0 {
		s.MaxTokens = over.MaxTokens
	}
	if over.Temperature != nil {
		t := *over.Temperature
		s.Temperature = &t
	}
	if over.API != "" {
		s.API = over.API
	}
	return s
}

// Apply fills the fields of req the request leaves unset from s: a request's own
// values (doctor's small MaxTokens, a mode role's temperature) win.
func (s Settings) Apply(req Request) Request {
	if req.Temperature == nil {
		req.Temperature = s.Temperature
	}
	if req.MaxTokens == 0 {
		req.MaxTokens = s.MaxTokens
	}
	if req.Reasoning == "" {
		req.Reasoning = s.Reasoning
	}
	if req.Thinking == nil {
		req.Thinking = s.Thinking
	}
	return req
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
