package eval

import (
	"errors"
	"fmt"
	"strings"

	"github.com/parleyhq/parley/debate"
)

// Strategy kinds.
const (
	// KindSingle asks one model alone: the vote prompt, one voter.
	KindSingle = "single"
	// KindVote asks every panel model once, independently; the majority answer wins.
	KindVote = "vote"
	// KindSelfConsistency samples one model k times; the majority answer wins
	// (Wang et al., 2023).
	KindSelfConsistency = "self-consistency"
	// KindDebate runs a debate mode with the panel; the chair's verdict is the answer.
	KindDebate = "debate"
)

// DefaultK is self-consistency's default number of samples.
const DefaultK = 5

// Strategy is one way of answering, resolved: who is asked and through which mode.
type Strategy struct {
	// Key names the strategy uniquely within an eval; it keys the items' answers:
	// "single:openai:gpt-5", "vote", "self-consistency", "standard".
	Key string `json:"key"`
	// Name is the strategy as the CONTRACT reports it: single, vote,
	// self-consistency, or the debate mode's name.
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Model string `json:"model,omitempty"` // single and self-consistency: the model asked
	K     int    `json:"k,omitempty"`     // self-consistency: the number of samples
	// Mode is what the engine runs, recorded whole so that a resumed eval is not
	// changed by later edits to a user's mode file.
	Mode debate.Mode `json:"mode"`
}

// ParseStrategies resolves the --strategies list against the panel. "single" expands
// to one strategy per panel model; "self-consistency" samples the panel's first model
// unless written "self-consistency:MODELREF"; any other name is a debate mode, found
// with lookup. Vote and debates need a panel of at least debate.Quorum models.
func ParseStrategies(list []string, panel []string, k int, lookup func(name string) (debate.Mode, error)) ([]Strategy, error) {
	if len(list) == 0 {
		return nil, errors.New("no strategies given")
	}
	if len(panel) == 0 {
		return nil, errors.New("no models given")
	}
	if k < 1 {
		return nil, fmt.Errorf("--k must be at least 1, got %d", k)
	}
	vote, ok := debate.BuiltinMode("vote")
	if !ok {
		return nil, errors.New("the built-in vote mode is missing") // embedded: cannot happen
	}
	needPanel := func(name string) error {
		if len(panel) < debate.Quorum {
			return fmt.Errorf("strategy %q needs a panel of at least %d models (-m a,b,c), got %d", name, debate.Quorum, len(panel))
		}
		return nil
	}
	var out []Strategy
	seen := map[string]bool{}
	add := func(s Strategy) error {
		if seen[s.Key] {
			return fmt.Errorf("strategy %q is given twice", s.Key)
		}
		seen[s.Key] = true
		out = append(out, s)
		return nil
	}
	for _, raw := range list {
		name := strings.TrimSpace(raw)
		var err error
		switch {
		case name == "":
			continue
		case name == KindSingle:
			for _, m := range panel {
				if seen[KindSingle+":"+m] {
					continue // a model twice on the panel is asked alone once
				}
				if err = add(Strategy{Key: KindSingle + ":" + m, Name: KindSingle, Kind: KindSingle, Model: m, Mode: vote}); err != nil {
					break
				}
			}
		case name == KindSelfConsistency || strings.HasPrefix(name, KindSelfConsistency+":"):
			model := strings.TrimPrefix(strings.TrimPrefix(name, KindSelfConsistency), ":")
			if model == "" {
				model = panel[0]
			}
			err = add(Strategy{Key: name, Name: KindSelfConsistency, Kind: KindSelfConsistency, Model: model, K: k, Mode: vote})
		case name == KindVote:
			if err = needPanel(name); err == nil {
				err = add(Strategy{Key: name, Name: name, Kind: KindVote, Mode: vote})
			}
		default:
			var m debate.Mode
			if m, err = lookup(name); err != nil {
				return nil, fmt.Errorf("strategy %q: %w (strategies: single, vote, self-consistency[:MODEL], or a debate mode)", name, err)
			}
			if err = needPanel(name); err == nil {
				err = add(Strategy{Key: name, Name: m.Name, Kind: KindDebate, Mode: m})
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no strategies given")
	}
	return out, nil
}

// Models lists every model ref the strategies call, panel first, each once.
func Models(panel []string, strategies []Strategy) []string {
	var out []string
	seen := map[string]bool{}
	add := func(m string) {
		if m != "" && !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	for _, m := range panel {
		add(m)
	}
	for _, s := range strategies {
		add(s.Model)
	}
	return out
}
