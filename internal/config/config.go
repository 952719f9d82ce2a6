// Package config reads parley's YAML configuration and model references. It knows
// nothing about how a model is reached; internal/models turns what it reads into
// providers.
package config

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/parleyhq/parley/provider"
)

// Config is the file's content. Every key is optional.
type Config struct {
	// Panel is the default list of model refs for a debate.
	Panel []string `yaml:"panel,omitempty"`
	// Panels are named panels, used with --panel NAME (e.g. one for architecture
	// questions, one for security).
	Panels map[string][]string `yaml:"panels,omitempty"`
	// Models defines named endpoints, usable as model refs by name.
	Models  map[string]Endpoint `yaml:"models,omitempty"`
	Mode    string              `yaml:"mode,omitempty"`
	Rounds  int                 `yaml:"rounds,omitempty"`
	Chair   string              `yaml:"chair,omitempty"`
	Timeout Duration            `yaml:"timeout,omitempty"`
	MaxCost float64             `yaml:"max_cost,omitempty"`
	DB      string              `yaml:"db,omitempty"`
	Format  string              `yaml:"format,omitempty"`
	OutDir  string              `yaml:"out_dir,omitempty"`
	Quiet   bool                `yaml:"quiet,omitempty"`
	// Settings are default generation settings by provider kind ("anthropic") or
	// by model ("openai:gpt-5"), for every seat of it; a model entry's own, a
	// mode's and a ref's "?" win over them.
	Settings map[string]provider.Settings `yaml:"settings,omitempty"`

	// Path is where the config was read from ("" when none was found).
	Path string `yaml:"-"`
}

// Endpoint is a named model: a provider kind, where it is, how to authenticate, and
// what it costs.
type Endpoint struct {
	Provider      string            `yaml:"provider"`              // openai, anthropic, gemini, openrouter, ollama, cli
	BaseURL       string            `yaml:"base_url,omitempty"`    // overrides the provider's default and env
	APIKeyEnv     string            `yaml:"api_key_env,omitempty"` // the NAME of the env var holding the key; never the key
	Model         string            `yaml:"model"`
	Price         *Price            `yaml:"price,omitempty"`
	ContextWindow int               `yaml:"context_window,omitempty"`
	Persona       string            `yaml:"persona,omitempty"`
	Temperature   *float64          `yaml:"temperature,omitempty"`
	Headers       map[string]string `yaml:"headers,omitempty"`
	// Generation settings, as in a ref's "?key=value" (a ref's own win):
	Reasoning string `yaml:"reasoning,omitempty"`  // OpenAI effort: minimal, low, medium, high
	Thinking  string `yaml:"thinking,omitempty"`   // thinking budget in tokens, or off (Anthropic, Gemini)
	MaxTokens int    `yaml:"max_tokens,omitempty"` // output cap
	API       string `yaml:"api,omitempty"`        // OpenAI wire API: responses or chat
}

// Settings are the endpoint's generation settings.
func (ep Endpoint) Settings() (provider.Settings, error) {
	s := provider.Settings{Temperature: ep.Temperature, MaxTokens: ep.MaxTokens}
	for _, kv := range [][2]string{{"reasoning", ep.Reasoning}, {"thinking", ep.Thinking}, {"api", ep.API}} {
		if kv[1] == "" {
			continue
		}
		if err := s.Set(kv[0], kv[1]); err != nil {
			return provider.Settings{}, err
		}
	}
	return s, s.Validate()
}

// Price is in US dollars per million tokens.
type Price struct {
	Input  float64 `yaml:"input"`
	Output float64 `yaml:"output"`
}

// Duration is a time.Duration written as "5m" or "90s".
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (write e.g. 90s or 5m)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Parse reads a config, rejecting unknown keys with their line and column.
func Parse(r io.Reader, source string) (*Config, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	c.Path = source
	return &c, nil
}

func (c *Config) validate() error {
	for key, s := range c.Settings {
		if err := c.checkSettingsKey(key); err != nil {
			return fmt.Errorf("settings.%s: %w", key, err)
		}
		if err := s.Validate(); err != nil {
			return fmt.Errorf("settings.%s: %w", key, err)
		}
	}
	for name, ep := range c.Models {
		if strings.ContainsAny(name, ":,") {
			return fmt.Errorf("models.%s: a model name may not contain ':' or ','", name)
		}
		if ep.Provider == "" {
			return fmt.Errorf("models.%s: provider is required (openai, anthropic, gemini, openrouter, ollama or cli)", name)
		}
		if ep.Model == "" && ep.Provider != "cli" {
			return fmt.Errorf("models.%s: model is required", name)
		}
		if _, err := ep.Settings(); err != nil {
			return fmt.Errorf("models.%s: %w", name, err)
		}
		if looksLikeKey(ep.APIKeyEnv) {
			return fmt.Errorf("models.%s: api_key_env takes the NAME of an environment variable, not the key itself", name)
		}
	}
	return nil
}

// checkSettingsKey accepts a provider kind or PROVIDER:MODEL. A name from models:
// is refused: its entry takes the same keys directly, and two places for one
// model's settings would leave the reader guessing which wins.
func (c *Config) checkSettingsKey(key string) error {
	if _, ok := c.Models[key]; ok {
		return fmt.Errorf("%q is a model defined under models:; put its settings in that entry (models.%s.thinking: …)", key, key)
	}
	prov, model, hasModel := strings.Cut(key, ":")
	if !slices.Contains(Providers, prov) {
		return fmt.Errorf("%q is neither a provider (%s) nor PROVIDER:MODEL", key, strings.Join(Providers, ", "))
	}
	if hasModel && strings.TrimSpace(model) == "" {
		return fmt.Errorf("the model is missing after %q", prov+":")
	}
	if strings.Contains(key, "?") {
		return fmt.Errorf("write the settings under the key, not after a \"?\" in it")
	}
	return nil
}

// Layer is one source of a seat's settings, named for error messages
// ("the config's settings.anthropic", "mode deep").
type Layer struct {
	From     string
	Settings provider.Settings
}

// SettingsFor are the config's default settings for a seat of that provider kind
// and model, lowest precedence first: the provider's entry, then the model's.
func (c *Config) SettingsFor(kind, model string) []Layer {
	var out []Layer
	for _, key := range []string{kind, kind + ":" + model} {
		if s, ok := c.Settings[key]; ok && !s.IsZero() {
			out = append(out, Layer{From: "the config's settings." + key, Settings: s})
		}
	}
	return out
}

// looksLikeKey catches the common mistake of pasting a key where its variable's name
// belongs, before it is ever echoed anywhere.
func looksLikeKey(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return true
		}
	}
	return strings.HasPrefix(s, "sk-") || len(s) > 64
}

// Env looks up environment variables; tests pass a map instead of the process's.
type Env func(string) string

// Paths lists where a config file is looked for, in order.
func Paths(env Env) []string {
	var paths []string
	if p := env("PARLEY_CONFIG"); p != "" {
		return []string{p}
	}
	paths = append(paths, "parley.yaml")
	return append(paths, filepath.Join(ConfigDir(env), "config.yaml"))
}

// ConfigDir is $XDG_CONFIG_HOME/parley, else ~/.config/parley.
func ConfigDir(env Env) string {
	if x := env("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "parley")
	}
	return filepath.Join(home(env), ".config", "parley")
}

// DataDir is $XDG_DATA_HOME/parley, else ~/.local/share/parley.
func DataDir(env Env) string {
	if x := env("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "parley")
	}
	return filepath.Join(home(env), ".local", "share", "parley")
}

func home(env Env) string {
	if h := env("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

// Load finds and reads the config. No file is not an error: it returns an empty
// Config. $PARLEY_CONFIG that does not exist is an error, since it was asked for.
func Load(env Env) (*Config, error) {
	explicit := env("PARLEY_CONFIG") != ""
	for _, p := range Paths(env) {
		f, err := os.Open(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && !explicit {
				continue
			}
			return nil, fmt.Errorf("reading the config: %w", err)
		}
		defer f.Close()
		return Parse(f, p)
	}
	return &Config{}, nil
}

// DBPath is --db, else $PARLEY_DB, else the config's db, else the data directory.
func (c *Config) DBPath(flag string, env Env) string {
	switch {
	case flag != "":
		return flag
	case env("PARLEY_DB") != "":
		return env("PARLEY_DB")
	case c.DB != "":
		return c.DB
	}
	return filepath.Join(DataDir(env), "parley.db")
}

// Starter is the commented starter config `parley config init` writes: it names every
// option, all commented out.
//
//go:embed starter.yaml
var Starter string
