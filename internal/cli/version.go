package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/parleyhq/parley/internal/version"
)

func newVersionCmd(io IO) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print parley's version, commit, build date and Go version",
		Long: `Print the release tag, commit and build date stamped into this binary. A binary
from go install has no stamps; it reports the module version and the commit the go
command recorded, or "devel" when it knows neither.`,
		Example: "  parley version\n  parley --version\n  parley version --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := version.Get()
			switch format {
			case "", "text":
				_, err := fmt.Fprintf(io.Out, "parley %s\n", in)
				return err
			case "json":
				enc := json.NewEncoder(io.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(in)
			}
			return usageErr("parley version --format json", "unknown format %q for version: use text or json", format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "text (default) or json")
	return cmd
}

// versionFlag gives the root command --version, printing the same line as
// `parley version`.
func versionFlag(root *cobra.Command) {
	root.Version = version.Get().String()
	root.SetVersionTemplate("parley {{.Version}}\n")
}

// Version is the release tag or module version the binary was built from, or
// "devel"; the MCP server reports it to its clients.
func Version() string { return version.Get().Version }
