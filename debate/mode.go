package debate

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A Mode is data: the rounds a debate runs, the prompt template of each, and how the
// verdict is reached. Built-in modes are embedded YAML files; users add their own in
// the same format.
type Mode struct {
	Name        string     `yaml:"name" json:"name"`
	Description string     `yaml:"description" json:"description"`
	Rounds      []RoundDef `yaml:"rounds" json:"rounds"`
	Verdict     VerdictDef `yaml:"verdict" json:"verdict"`
}

// RoundDef is one round of a mode.
type RoundDef struct {
	// Kind is reported in the result: independent, critique, final, review or vote.
	Kind string `yaml:"kind" json:"kind"`
	// Prompt names the template (prompts/NAME.tmpl) for the round's user prompt.
	Prompt string `yaml:"prompt" json:"prompt"`
}

// VerdictDef says how the chair concludes.
type VerdictDef struct {
	Prompt string `yaml:"prompt" json:"prompt"`
}

// Round kinds.
const (
	RoundIndependent = "independent"
	RoundCritique    = "critique"
	RoundFinal       = "final"
	RoundReview      = "review"
	RoundVote        = "vote"
)

//go:embed modes/*.yaml
var builtinModes embed.FS

// BuiltinModes returns the embedded modes, sorted by name.
func BuiltinModes() []Mode {
	entries, err := fs.ReadDir(builtinModes, "modes")
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	var modes []Mode
	for _, e := range entries {
		data, err := builtinModes.ReadFile("modes/" + e.Name())
		if err != nil {
			panic(err)
		}
		m, err := ParseMode(bytes.NewReader(data), "modes/"+e.Name())
		if err != nil {
			panic(fmt.Sprintf("built-in mode is invalid: %v", err))
		}
		modes = append(modes, m)
	}
	sort.Slice(modes, func(i, j int) bool { return modes[i].Name < modes[j].Name })
	return modes
}

// BuiltinMode returns the embedded mode of that name.
func BuiltinMode(name string) (Mode, bool) {
	for _, m := range BuiltinModes() {
		if m.Name == name {
			return m, true
		}
	}
	return Mode{}, false
}

// ParseMode reads a mode from YAML, rejecting unknown keys. source names the file in
// error messages, which carry the line and column yaml reports.
func ParseMode(r io.Reader, source string) (Mode, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var m Mode
	if err := dec.Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return Mode{}, fmt.Errorf("%s: the file is empty; a mode needs at least a name and rounds", source)
		}
		return Mode{}, fmt.Errorf("%s: %w", source, err)
	}
	if err := m.Validate(); err != nil {
		return Mode{}, fmt.Errorf("%s: %w", source, err)
	}
	return m, nil
}

// Validate checks that every template the mode names exists.
func (m Mode) Validate() error {
	if m.Name == "" {
		return errors.New("the mode has no name")
	}
	if len(m.Rounds) == 0 {
		return fmt.Errorf("mode %q has no rounds", m.Name)
	}
	for i, r := range m.Rounds {
		switch r.Kind {
		case RoundIndependent, RoundCritique, RoundFinal, RoundReview, RoundVote:
		default:
			return fmt.Errorf("mode %q, round %d: unknown kind %q (use independent, critique, final, review or vote)", m.Name, i+1, r.Kind)
		}
		if i == 0 && r.Kind != RoundIndependent {
			return fmt.Errorf("mode %q: the first round must be independent", m.Name)
		}
		if !hasTemplate(r.Prompt) {
			return fmt.Errorf("mode %q, round %d: no prompt template %q (have: %s)", m.Name, i+1, r.Prompt, strings.Join(templateNames(), ", "))
		}
	}
	if m.Verdict.Prompt == "" {
		return fmt.Errorf("mode %q has no verdict prompt", m.Name)
	}
	if !hasTemplate(m.Verdict.Prompt) {
		return fmt.Errorf("mode %q: no verdict template %q", m.Name, m.Verdict.Prompt)
	}
	return nil
}

func hasTemplate(name string) bool {
	return name != "" && prompts.Lookup(name+".tmpl") != nil
}

func templateNames() []string {
	var names []string
	for _, t := range prompts.Templates() {
		if n := t.Name(); strings.HasSuffix(n, ".tmpl") && n != "partials.tmpl" && n != "system.tmpl" {
			names = append(names, strings.TrimSuffix(path.Base(n), ".tmpl"))
		}
	}
	sort.Strings(names)
	return names
}
