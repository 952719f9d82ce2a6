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

	"github.com/parleyhq/parley/provider"
)

// A Mode is data: the rounds a debate runs, the prompt template of each, and how the
// verdict is reached. Built-in modes are embedded YAML files; users add their own in
// the same format.
type Mode struct {
	Name        string     `yaml:"name" json:"name"`
	Description string     `yaml:"description" json:"description"`
	Rounds      []RoundDef `yaml:"rounds" json:"rounds"`
	Verdict     VerdictDef `yaml:"verdict" json:"verdict"`
	// Converge is the early-stop rule after a round that reads the others: "all"
	// (the default) stops when every live seat says the panel has converged and none
	// changed its position in that round; "never" always runs every round;
	// "resolved" (vote-first) stops when no claim is contested, see votefirst.go.
	Converge string `yaml:"converge,omitempty" json:"converge,omitempty"`
	// SkipIfUnanimous ends the debate after the independent round when every seat
	// already holds the same position. Off by default: instant agreement between
	// models that never read each other is weak evidence.
	SkipIfUnanimous bool `yaml:"skip_if_unanimous,omitempty" json:"skip_if_unanimous,omitempty"`
	// RetryFailedSeats asks a seat whose turn failed again in the next round (for
	// panels of flaky local models) instead of marking it out of the debate.
	RetryFailedSeats bool `yaml:"retry_failed_seats,omitempty" json:"retry_failed_seats,omitempty"`
	// Roles are handed to the seats in order (cycling when there are more seats).
	Roles []Role `yaml:"roles,omitempty" json:"roles,omitempty"`
	// Chair picks the verdict's author: "" for the first seat, "role:NAME" for the
	// first seat holding that role. --chair overrides it.
	Chair string `yaml:"chair,omitempty" json:"chair,omitempty"`
	// Settings are generation settings for every seat ({max_tokens: 16000}); a
	// role's settings and a seat's own ref win over them. A key a seat's provider
	// cannot take stops the run before any call (see docs/SETTINGS.md).
	Settings provider.Settings `yaml:"settings,omitempty" json:"settings,omitzero"`
}

// Role is a part a seat plays: a persona, a stance, a temperature.
type Role struct {
	Name        string   `yaml:"name" json:"name"`
	Persona     string   `yaml:"persona" json:"persona"`
	Temperature *float64 `yaml:"temperature,omitempty" json:"temperature,omitempty"`
	// Settings are the generation settings of the seat that holds the role.
	Settings provider.Settings `yaml:"settings,omitempty" json:"settings,omitzero"`
}

// SeatSettings are what the mode asks of the seat at index i (0 for A): its
// mode-wide settings, and the settings of the role the seat holds (temperature
// included), with that role's name. Roles cycle over the seats as the engine
// hands them out (assignRoles), so a panel is checked with the settings its
// seats will really have.
func (m Mode) SeatSettings(i int) (all, role provider.Settings, roleName string) {
	if len(m.Roles) == 0 {
		return m.Settings, provider.Settings{}, ""
	}
	r := m.Roles[i%len(m.Roles)]
	role = r.Settings
	if r.Temperature != nil && role.Temperature == nil {
		t := *r.Temperature
		role.Temperature = &t
	}
	return m.Settings, role, r.Name
}

// RoundDef is one round of a mode.
type RoundDef struct {
	// Kind is reported in the result: independent, critique, final, review or vote.
	Kind string `yaml:"kind" json:"kind"`
	// Prompt names the template (prompts/NAME.tmpl) for the round's user prompt.
	Prompt string `yaml:"prompt" json:"prompt"`
	// Sees is what each seat reads of the previous round: "full" (the default: every
	// other answer, complete), "summary" (the chair's summary of it) or "budget" (the
	// answers, cut to fit a share of the reader's context window, the cut marked).
	Sees string `yaml:"sees,omitempty" json:"sees,omitempty"`
	// Budget is the share of the reader's context window the others' answers may
	// fill when Sees is "budget"; 0 means 0.5.
	Budget float64 `yaml:"budget,omitempty" json:"budget,omitempty"`
}

// VerdictDef says how the debate concludes.
type VerdictDef struct {
	// Method is "chair" (the default: a seat writes the verdict from the last round)
	// or "tally" (no call: the verdict is the vote of the last round's answers).
	Method string `yaml:"method,omitempty" json:"method,omitempty"`
	Prompt string `yaml:"prompt,omitempty" json:"prompt,omitempty"`
}

// What a round's seats see of the previous one.
const (
	SeesFull    = "full"
	SeesSummary = "summary"
	SeesBudget  = "budget"
)

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

// BuiltinMode returns the embedded mode of that name. Each lives in
// modes/<name>.yaml (TestBuiltinModeFilesAreNamedAfterTheirModes), so only that file
// is parsed: every `parley run` asks for one, at start, on the way to the first call.
func BuiltinMode(name string) (Mode, bool) {
	if name == "" || !fs.ValidPath(name) || strings.ContainsRune(name, '/') {
		return Mode{}, false
	}
	data, err := builtinModes.ReadFile("modes/" + name + ".yaml")
	if err != nil {
		return Mode{}, false
	}
	m, err := ParseMode(bytes.NewReader(data), "modes/"+name+".yaml")
	if err != nil {
		panic(fmt.Sprintf("built-in mode is invalid: %v", err))
	}
	if m.Name != name {
		return Mode{}, false
	}
	return m, true
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
		if i == 0 && r.Kind != RoundIndependent && r.Kind != RoundVote {
			return fmt.Errorf("mode %q: the first round must be independent (or vote)", m.Name)
		}
		if !hasTemplate(r.Prompt) {
			return fmt.Errorf("mode %q, round %d: no prompt template %q (have: %s)", m.Name, i+1, r.Prompt, strings.Join(templateNames(), ", "))
		}
		switch r.Sees {
		case "", SeesFull, SeesSummary, SeesBudget:
		default:
			return fmt.Errorf("mode %q, round %d: sees %q is not full, summary or budget", m.Name, i+1, r.Sees)
		}
		if r.Budget < 0 || r.Budget > 1 {
			return fmt.Errorf("mode %q, round %d: budget %v must be a share of the context window between 0 and 1", m.Name, i+1, r.Budget)
		}
		if r.Kind == RoundReview && i == 0 {
			return fmt.Errorf("mode %q: a review round needs answers to review before it", m.Name)
		}
	}
	if err := m.Settings.Validate(); err != nil {
		return fmt.Errorf("mode %q settings: %w", m.Name, err)
	}
	switch m.Converge {
	case "", "all", "never", ConvergeResolved:
	default:
		return fmt.Errorf("mode %q: converge %q is not all, never or resolved", m.Name, m.Converge)
	}
	for i, r := range m.Roles {
		if r.Name == "" || r.Persona == "" {
			return fmt.Errorf("mode %q, role %d: a role needs a name and a persona", m.Name, i+1)
		}
		if r.Temperature != nil && r.Settings.Temperature != nil {
			return fmt.Errorf("mode %q, role %q: temperature is given twice (on the role and in its settings); keep one", m.Name, r.Name)
		}
		if err := r.Settings.Validate(); err != nil {
			return fmt.Errorf("mode %q, role %q settings: %w", m.Name, r.Name, err)
		}
	}
	if c, ok := strings.CutPrefix(m.Chair, "role:"); ok {
		found := false
		for _, r := range m.Roles {
			found = found || r.Name == c
		}
		if !found {
			return fmt.Errorf("mode %q: chair %q names no role of the mode", m.Name, m.Chair)
		}
	} else if m.Chair != "" {
		return fmt.Errorf("mode %q: chair %q must be empty (the first seat) or role:NAME", m.Name, m.Chair)
	}
	switch m.Verdict.Method {
	case "", "chair":
		if m.Verdict.Prompt == "" {
			return fmt.Errorf("mode %q has no verdict prompt", m.Name)
		}
		if !hasTemplate(m.Verdict.Prompt) {
			return fmt.Errorf("mode %q: no verdict template %q", m.Name, m.Verdict.Prompt)
		}
	case "tally":
	default:
		return fmt.Errorf("mode %q: verdict method %q is not chair or tally", m.Name, m.Verdict.Method)
	}
	return nil
}

func hasTemplate(name string) bool {
	return name != "" && prompts().Lookup(name+".tmpl") != nil
}

func templateNames() []string {
	var names []string
	for _, t := range prompts().Templates() {
		if n := t.Name(); strings.HasSuffix(n, ".tmpl") && n != "partials.tmpl" && n != "system.tmpl" && n != "summary.tmpl" && n != "clarify.tmpl" {
			names = append(names, strings.TrimSuffix(path.Base(n), ".tmpl"))
		}
	}
	sort.Strings(names)
	return names
}
