// Command fakellm runs parley's scripted fake LLM server by hand: to try parley
// without keys (the built-in demo debate), and to point SDKs or agent CLIs at an
// endpoint whose answers, latency and failures are known in advance.
//
//	fakellm [--addr 127.0.0.1:8089] [--script FILE.json] [--latency 300ms] [--demo]
//	fakellm [flags] -- COMMAND [ARGS...]
//
// With a command after "--", fakellm listens on a free port, runs the command with
// the provider variables pointing at itself, and exits with the command's status:
// the one-line way to try parley with no keys.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/parleyhq/parley/internal/fakellm"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes, as parley's own: 1 a failure while running, 2 a usage error.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// shutdownGrace is how long replies in flight get to finish after a signal.
const shutdownGrace = 5 * time.Second

// options are the command line.
type options struct {
	addr       string
	script     string
	latency    time.Duration
	demo       bool
	requireKey string
	quiet      bool
	command    []string // after "--": run it against the server, then exit
}

func parseFlags(args []string, stderr io.Writer) (options, int, bool) {
	var o options
	fs := flag.NewFlagSet("fakellm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8089", "listen address; port 0 picks a free one")
	fs.StringVar(&o.script, "script", "", "JSON script: model name (or \"*\") -> list of replies")
	fs.DurationVar(&o.latency, "latency", 300*time.Millisecond, "wait before the first byte of replies that set no latency")
	fs.BoolVar(&o.demo, "demo", false, "serve the built-in demo debate for any model name (the default without --script)")
	fs.StringVar(&o.requireKey, "require-key", "", "answer 401 to requests that do not carry this API key")
	fs.BoolVar(&o.quiet, "quiet", false, "do not log each call on stderr")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: fakellm [flags]\n\n"+
			"Serves the OpenAI (Chat Completions, Responses), Anthropic Messages and Gemini APIs,\n"+
			"streaming included, with scripted answers. Flags:\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, exitOK, false
		}
		return o, exitUsage, false
	}
	if fs.NArg() > 0 {
		dash := len(args) >= fs.NArg()+1 && args[len(args)-fs.NArg()-1] == "--"
		if !dash {
			fmt.Fprintf(stderr, "Error: unexpected argument %q\nTry: fakellm --help, or fakellm -- COMMAND to run a command against it\n", fs.Arg(0))
			return o, exitUsage, false
		}
		o.command = fs.Args()
		addrSet := false
		fs.Visit(func(f *flag.Flag) { addrSet = addrSet || f.Name == "addr" })
		if !addrSet {
			o.addr = "127.0.0.1:0" // nothing else needs to find it
		}
		o.quiet = true // the command's own output is what the user is watching
	}
	if o.script == "" {
		o.demo = true
	}
	return o, exitOK, true
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	o, code, ok := parseFlags(args, stderr)
	if !ok {
		return code
	}

	var scripts map[string]fakellm.Script
	if o.script != "" {
		var err error
		if scripts, err = loadScript(o.script); err != nil {
			fmt.Fprintf(stderr, "Error: %v\nTry: a file like {\"MODEL\": [{\"text\": \"...\", \"latency\": \"300ms\"}, {\"status\": 429}]}\n", err)
			return exitUsage
		}
	}

	opts := fakellm.Options{RequireKey: o.requireKey, DefaultLatency: o.latency}
	if !o.quiet {
		logger := log.New(stderr, "fakellm: ", log.Ltime|log.Lmicroseconds)
		opts.Logf = logger.Printf
	}
	srv := fakellm.New(opts)
	for model, sc := range scripts {
		srv.Script(model, sc)
	}
	if _, scripted := scripts[fakellm.AnyModel]; o.demo && !scripted {
		srv.Script(fakellm.AnyModel, fakellm.Demo())
	}

	if err := srv.Listen(o.addr); err != nil {
		fmt.Fprintf(stderr, "Error: %v\nTry: fakellm --addr 127.0.0.1:0 (a free port)\n", err)
		return exitFail
	}
	if len(o.command) > 0 {
		return runCommand(ctx, srv, o, stderr)
	}
	printBanner(stderr, srv.URL(), o)

	<-ctx.Done()
	fmt.Fprintln(stderr, "fakellm: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "fakellm: replies still in flight were cut: %v\n", err)
	}
	return exitOK
}

func loadScript(name string) (map[string]fakellm.Script, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	scripts, err := fakellm.LoadScript(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return scripts, nil
}

// printBanner says where the server is and exactly how to point clients at it.
func printBanner(w io.Writer, url string, o options) {
	what := "script " + o.script
	switch {
	case o.script != "" && o.demo:
		what += ", demo debate for other models"
	case o.demo:
		what = "demo debate for any model name (question: " + fakellm.DemoQuestion + ")"
	}
	key := "fake"
	if o.requireKey != "" {
		key = o.requireKey
	}
	fmt.Fprintf(w, "fakellm: serving %s\n  answers: %s\n  latency: %v before the first byte\n\n", url, what, o.latency)
	fmt.Fprintf(w, "Point clients at it with:\n")
	fmt.Fprintf(w, "  export OPENAI_BASE_URL=%s/v1 OPENAI_API_KEY=%s\n", url, key)
	fmt.Fprintf(w, "  export ANTHROPIC_BASE_URL=%s ANTHROPIC_API_KEY=%s\n", url, key)
	fmt.Fprintf(w, "  export GOOGLE_GEMINI_BASE_URL=%s GEMINI_API_KEY=%s\n", url, key)
	fmt.Fprintf(w, "Codex reads neither: give it a provider with base_url = \"%s/v1\" and wire_api = \"responses\" in $CODEX_HOME/config.toml.\n", url)
	fmt.Fprintf(w, "Stop with Ctrl-C.\n\n")
}

// commandStdout is where the command's output goes; tests silence it.
var commandStdout io.Writer = os.Stdout

// runCommand runs o.command with every provider variable pointing at srv and returns
// its exit status. A Ctrl-C reaches the command too (same process group): fakellm
// waits for it to finish, so an interrupted parley can still record its state.
func runCommand(ctx context.Context, srv *fakellm.Server, o options, stderr io.Writer) int {
	key := "fake"
	if o.requireKey != "" {
		key = o.requireKey
	}
	url := srv.URL()
	fmt.Fprintf(stderr, "fakellm: scripted answers at %s for: %s\n", url, strings.Join(o.command, " "))
	cmd := exec.Command(o.command[0], o.command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, commandStdout, stderr
	cmd.Env = append(os.Environ(),
		"OPENAI_BASE_URL="+url+"/v1", "OPENAI_API_KEY="+key,
		"ANTHROPIC_BASE_URL="+url, "ANTHROPIC_API_KEY="+key,
		"GOOGLE_GEMINI_BASE_URL="+url, "GEMINI_API_KEY="+key,
	)
	err := cmd.Run()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	_ = srv.Shutdown(sctx)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		if ee.ExitCode() >= 0 {
			return ee.ExitCode()
		}
		return 128 + int(syscall.SIGINT) // killed by a signal
	default:
		fmt.Fprintf(stderr, "Error: cannot run %s: %v\n", o.command[0], err)
		return exitFail
	}
}
