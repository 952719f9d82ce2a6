// Package cli is parley's command line: one options struct and run function per
// command, over injectable streams and environment so tests drive it in-process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/session"
)

// Exit codes, as the CONTRACT defines them.
const (
	ExitOK          = 0
	ExitNoVerdict   = 1
	ExitUsage       = 2
	ExitInterrupted = 130
)

// IO is everything a command touches outside its arguments.
type IO struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	Env    config.Env
	ErrTTY bool // stderr is a terminal
	OutTTY bool
	InTTY  bool // stdin is a terminal: questions may be asked
}

// System is the process's own streams and environment.
func System() IO {
	return IO{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Env: os.Getenv,
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		InTTY:  term.IsTerminal(int(os.Stdin.Fd())),
	}
}

// exitError carries an exit code and, for usage errors, a hint.
type exitError struct {
	code int
	err  error
	hint string
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr is bad input or configuration: nothing was called, exit 2.
func usageErr(hint string, format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...), hint: hint}
}

// discard is io.Discard, named here because Main's io parameter shadows the package.
var discard = io.Discard

// Main runs parley with args and returns the exit code.
func Main(ctx context.Context, args []string, io IO) int {
	// Some SDKs (genai) log through the standard logger; their messages would garble
	// the progress lines, and parley reports every failure itself.
	if io.Env("PARLEY_DEBUG") == "" {
		log.SetOutput(discard)
	}
	root := newRoot(io)
	root.SetArgs(args)
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ie *session.InputError
	if errors.As(err, &ie) && !errors.As(err, new(*exitError)) {
		err = &exitError{code: ExitUsage, err: ie.Err, hint: ie.Hint}
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintf(io.Err, "Error: %v\n", ee.err)
		}
		if ee.hint != "" {
			fmt.Fprintf(io.Err, "Try: %s\n", ee.hint)
		}
		return ee.code
	}
	// Errors from flag parsing and argument checks are usage errors too.
	fmt.Fprintf(io.Err, "Error: %v\nTry: parley --help\n", err)
	return ExitUsage
}

func newRoot(io IO) *cobra.Command {
	ro := &runOptions{io: io}
	root := &cobra.Command{
		Use:   "parley [flags] PROBLEM...",
		Short: "Put a panel of language models through a structured debate and get a verdict you can act on",
		Long: `parley asks several models the same hard question, lets them read and critique each
other's complete answers, and has a chair write a verdict: the recommendation, how sure
the panel is, where it agreed and where it did not, who changed their mind and why, and
what it cost. Every debate is stored and can be resumed, shown and exported.`,
		Example: `  parley "Our Django API is slow: start with Redis caching, database indexes or query optimization?"
  parley -m openai:gpt-5.5,anthropic:claude-sonnet-4-6,gemini:gemini-3-pro-preview --file question.md
  echo "Which queue: SQS or Kafka?" | parley -m openai:gpt-5.5,openai:gpt-5.4-mini -
  parley show k3m9x2ab --format json`,
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && ro.file == "" {
				return cmd.Help()
			}
			return ro.run(cmd.Context(), args)
		},
	}
	ro.bind(root)
	root.AddCommand(
		newRunCmd(io),
		newResumeCmd(io, nil),
		newReplayCmd(io),
		newListCmd(io, nil),
		newShowCmd(io, nil),
		newModesCmd(io),
		newModelsCmd(io),
		newDoctorCmd(io),
		newConfigCmd(io),
		newExportCmd(io),
		newMCPCmd(io),
		newEvalCmd(io),
		newServeCmd(io),
		newVersionCmd(io),
		newHealthcheckCmd(io),
	)
	registerCompletions(root, io)
	wireRemote(root, io) // --server / PARLEY_SERVER: internal/cli/remote.go
	versionFlag(root)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErr(cmd.CommandPath()+" --help", "%v", err)
	})
	return root
}
