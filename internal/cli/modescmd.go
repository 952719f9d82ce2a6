package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/session"
)

// modeInfo is one line of `parley modes`, and one element of its JSON.
type modeInfo struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Rounds      []string `json:"rounds"` // the kinds, in order
	Verdict     string   `json:"verdict"`
	// Settings are the mode's own generation settings for every seat, canonical form.
	Settings string `json:"settings,omitempty"`
	// Source is "built-in" or the user mode's file.
	Source string `json:"source"`
	// Error says why a user mode cannot be used (invalid, or shadowed by a built-in).
	Error string `json:"error,omitempty"`
}

// listModes is every built-in mode, then every user mode file, sorted by name.
func listModes(env config.Env) []modeInfo {
	var out []modeInfo
	for _, m := range debate.BuiltinModes() {
		out = append(out, describeMode(m, "built-in"))
	}
	dir := filepath.Join(config.ConfigDir(env), "modes")
	entries, _ := os.ReadDir(dir) // no directory: no user modes
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".yaml")
		if !ok || e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if _, builtin := debate.BuiltinMode(name); builtin {
			out = append(out, modeInfo{Name: name, Source: path, Error: "a built-in mode has this name and is used instead; rename the file"})
			continue
		}
		m, err := session.ResolveMode(name, env)
		if err != nil {
			out = append(out, modeInfo{Name: name, Source: path, Error: err.Error()})
			continue
		}
		out = append(out, describeMode(m, path))
	}
	return out
}

func describeMode(m debate.Mode, source string) modeInfo {
	mi := modeInfo{Name: m.Name, Description: m.Description, Source: source, Settings: m.Settings.String(), Verdict: m.Verdict.Method}
	if mi.Verdict == "" {
		mi.Verdict = "chair"
	}
	for _, r := range m.Rounds {
		mi.Rounds = append(mi.Rounds, r.Kind)
	}
	return mi
}

func newModesCmd(io IO) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "modes",
		Short: "The debate modes available (built-in and user-defined)",
		Example: `  parley modes
  parley modes --format json
  parley --mode council "Which queue should we use: SQS, Kafka or NATS?"
  # a user mode: ~/.config/parley/modes/NAME.yaml, in the built-ins' format`,
		Args: exactArgs(0, "parley modes"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			modes := listModes(io.Env)
			switch format {
			case "json":
				return writeIndentedJSON(io, modes)
			case "", "text":
			default:
				return usageErr("parley modes --format json", "unknown format %q for modes (text or json)", format)
			}
			tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
			for _, m := range modes {
				if m.Settings != "" {
					m.Description += " [settings: " + m.Settings + "]"
				}
				switch {
				case m.Error != "":
					fmt.Fprintf(tw, "%s\t(unusable)\t%s\n", m.Name, m.Error)
				case m.Source != "built-in":
					fmt.Fprintf(tw, "%s\t%d rounds\t%s (user mode)\n", m.Name, len(m.Rounds), m.Description)
				default:
					fmt.Fprintf(tw, "%s\t%d rounds\t%s\n", m.Name, len(m.Rounds), m.Description)
				}
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "text (default) or json")
	return cmd
}

// writeIndentedJSON prints v as indented JSON, the form every --format json uses.
func writeIndentedJSON(io IO, v any) error {
	enc := json.NewEncoder(io.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
