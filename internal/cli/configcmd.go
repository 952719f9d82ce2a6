package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/parleyhq/parley/internal/config"
)

func newConfigCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Write a commented starter config, show where it is, or show the effective config",
		Example: `  parley config init            # writes ~/.config/parley/config.yaml
  parley config init ./parley.yaml
  parley config path
  parley config show`,
		Args: exactArgs(0, "parley config init|path|show"),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var force bool
	initCmd := &cobra.Command{
		Use:   "init [PATH]",
		Short: "Write a commented starter config that names every option",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			paths := config.Paths(io.Env)
			path := paths[len(paths)-1]
			if len(args) == 1 {
				path = args[0]
			}
			if _, err := os.Stat(path); err == nil && !force {
				return usageErr("parley config init --force to overwrite it, or edit it", "%s already exists", path)
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return usageErr("choose a writable path", "cannot create %s: %v", filepath.Dir(path), err)
			}
			if err := os.WriteFile(path, []byte(config.Starter), 0o644); err != nil {
				return usageErr("choose a writable path", "cannot write %s: %v", path, err)
			}
			fmt.Fprintf(io.Out, "Wrote %s. Every option is in it, commented out.\n", path)
			return nil
		},
	}
	initCmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	pathCmd := &cobra.Command{
		Use:   "path",
		Short: "Print the config file in use (and where parley looks)",
		Args:  exactArgs(0, "parley config path"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(io.Env)
			if err != nil {
				return err
			}
			if cfg.Path != "" {
				fmt.Fprintln(io.Out, cfg.Path)
				return nil
			}
			fmt.Fprintf(io.Err, "No config file; parley looks at: %s\n", strings.Join(config.Paths(io.Env), ", "))
			return &exitError{code: ExitNoVerdict, err: errors.New("")}
		},
	}
	var format string
	showCmd := &cobra.Command{
		Use:   "show",
		Short: "Print the effective config (headers redacted)",
		Example: `  parley config show
  parley config show --format json | jq .panel`,
		Args: exactArgs(0, "parley config show"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(io.Env)
			if err != nil {
				return err
			}
			eff := *cfg
			eff.Models = map[string]config.Endpoint{}
			for name, ep := range cfg.Models {
				// Headers may carry tokens; the config never holds keys, but redact anyway.
				if len(ep.Headers) > 0 {
					h := map[string]string{}
					for k := range ep.Headers {
						h[k] = "[redacted]"
					}
					ep.Headers = h
				}
				eff.Models[name] = ep
			}
			if eff.Mode == "" {
				eff.Mode = "standard"
			}
			if eff.Timeout == 0 {
				eff.Timeout = config.Duration(5 * 60e9)
			}
			eff.DB = cfg.DBPath("", io.Env)
			source := cfg.Path
			if source == "" {
				source = "no file; defaults"
			}
			switch format {
			case "json":
				return configJSON(io, eff, source)
			case "", "yaml":
			default:
				return usageErr("parley config show --format json", "unknown format %q for config show (yaml or json)", format)
			}
			fmt.Fprintf(io.Out, "# effective config (from %s)\n", source)
			enc := yaml.NewEncoder(io.Out)
			enc.SetIndent(2)
			return enc.Encode(eff)
		},
	}
	showCmd.Flags().StringVar(&format, "format", "", "yaml (default) or json")
	cmd.AddCommand(initCmd, pathCmd, showCmd)
	return cmd
}

// configJSON prints the effective config as JSON with the file's own key names:
// it goes through YAML so that the two forms cannot drift apart (durations read
// "5m0s", settings "thinking": "off", as in the file).
func configJSON(io IO, eff config.Config, source string) error {
	data, err := yaml.Marshal(eff)
	if err != nil {
		return err
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return err
	}
	if m == nil {
		m = map[string]any{}
	}
	m["source"] = source
	return writeIndentedJSON(io, m)
}
