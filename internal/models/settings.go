package models

import (
	"fmt"
	"slices"
	"strings"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/provider"
)

// anthropicMinThinking is the smallest thinking budget the Messages API accepts.
const anthropicMinThinking = 1024

// seatSettings merges a seat's settings, lowest precedence first: the config's
// defaults for its provider and model (below), its config endpoint's own, the
// caller's layers (mode, role), and the ref's "?". Each source and the result are
// checked against what the provider kind can take, so that a setting the vendor
// would reject (or that parley could not send) fails before any call, naming the
// seat and where the setting came from.
func seatSettings(ref config.Ref, ep config.Endpoint, below, above []config.Layer) (provider.Settings, error) {
	base, err := ep.Settings()
	if err != nil {
		return provider.Settings{}, configErr("model ref %q: %v", ref.Raw, err)
	}
	var layers []config.Layer
	layers = append(layers, below...)
	if !base.IsZero() {
		layers = append(layers, config.Layer{From: "the config's models." + ref.Name, Settings: base})
	}
	layers = append(layers, above...)
	if !ref.Settings.IsZero() {
		layers = append(layers, config.Layer{From: "the ref", Settings: ref.Settings})
	}
	var s provider.Settings
	var from []string
	for _, l := range layers {
		if l.Settings.IsZero() {
			continue
		}
		if err := checkSettings(ep.Provider, ep.Model, l.Settings); err != nil {
			if l.From == "the ref" {
				return provider.Settings{}, configErr("model ref %q: %v", ref.Raw, err)
			}
			return provider.Settings{}, configErr("model ref %q: %s sets %s: %v", ref.Raw, l.From, l.Settings, err)
		}
		s = s.Merge(l.Settings)
		from = append(from, l.From)
	}
	if err := checkSettings(ep.Provider, ep.Model, s); err != nil {
		// Only the combination is wrong (thinking ≥ max_tokens from two sources).
		return provider.Settings{}, configErr("model ref %q: %v (settings from %s)", ref.Raw, err, strings.Join(from, ", "))
	}
	return s, nil
}

// checkSettings says what is wrong with settings s for a model of kind, and how
// to fix it.
func checkSettings(kind, model string, s provider.Settings) error {
	unsupported := func(key, instead string) error {
		return fmt.Errorf("%s models do not take %s (%s); remove it where it is set", kind, key, instead)
	}
	switch kind {
	case "openai", "openrouter", "ollama":
		if s.Thinking != nil {
			return unsupported("thinking", "OpenAI-style models take reasoning=low|medium|high instead")
		}
		if s.Reasoning != "" && kind == "openai" {
			if e, ok := Lookup("openai", model); ok {
				if !e.CanReason {
					return fmt.Errorf("%s is not a reasoning model: remove reasoning=%s", model, s.Reasoning)
				}
				if len(e.ReasoningLevels) > 0 && !slices.Contains(e.ReasoningLevels, s.Reasoning) {
					return fmt.Errorf("%s takes reasoning=%s, not %s", model, strings.Join(e.ReasoningLevels, "|"), s.Reasoning)
				}
			}
		}
	case "anthropic":
		if s.Reasoning != "" {
			return unsupported("reasoning", "use thinking=TOKENS, e.g. thinking=8000")
		}
		if s.API != "" {
			return unsupported("api", "it selects between OpenAI's two APIs")
		}
		if s.Temperature != nil {
			// The v2 SDK speaks API version 2026-10-21, which answers 400 to any
			// temperature; saying so here beats dropping it without a word.
			return unsupported("temperature", "the Messages API version parley speaks rejects it; the model samples at its own default")
		}
		if s.Thinking != nil && *s.Thinking > 0 {
			if *s.Thinking < anthropicMinThinking {
				return fmt.Errorf("thinking=%d is below Anthropic's minimum budget of %d tokens: raise it, or write thinking=off", *s.Thinking, anthropicMinThinking)
			}
			if s.MaxTokens > 0 && *s.Thinking >= s.MaxTokens {
				return fmt.Errorf("thinking=%d must be less than max_tokens=%d (the budget is part of the output): raise max_tokens or lower thinking", *s.Thinking, s.MaxTokens)
			}
		}
	case "gemini":
		if s.Reasoning != "" {
			return unsupported("reasoning", "use thinking=TOKENS, e.g. thinking=8000, or thinking=off")
		}
		if s.API != "" {
			return unsupported("api", "it selects between OpenAI's two APIs")
		}
	case "cli":
		return checkCLISettings(model, s)
	}
	if s.API != "" && kind != "openai" && kind != "openrouter" && kind != "ollama" {
		return unsupported("api", "it selects between OpenAI's two APIs")
	}
	return nil
}

// checkCLISettings allows what each agent CLI can be told from its command line
// (see internal/provider/agentcli): Codex's reasoning effort and Claude Code's
// thinking budget. The CLIs choose their own output caps and sampling.
func checkCLISettings(model string, s provider.Settings) error {
	name, _, _ := strings.Cut(model, "/")
	allowed := map[string][]string{"codex": {"reasoning"}, "claude": {"thinking"}, "gemini": nil}[name]
	for _, k := range s.Keys() {
		if !slices.Contains(allowed, k) {
			hint := "it has no flag for it"
			if len(allowed) > 0 {
				hint = "it takes only " + strings.Join(allowed, ", ")
			}
			return fmt.Errorf("cli:%s cannot be given %s (%s); use the vendor's API provider for that setting", name, k, hint)
		}
	}
	return nil
}
