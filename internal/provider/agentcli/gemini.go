package agentcli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/parleyhq/parley/provider"
)

// geminiDeniedTools are the Gemini CLI tools that can change files or run commands.
// In headless mode with the default approval mode they are not offered anyway; the
// policy makes that hold even when the user's settings say "yolo" or "auto_edit"
// (verified: a deny rule removes a tool in yolo mode too). enter_plan_mode and
// invoke_agent are denied as well: plan mode offers file-writing tools for plans,
// and a debate turn needs no sub-agents.
var geminiDeniedTools = []string{
	"write_file", "replace", "run_shell_command", "write_todos",
	"enter_plan_mode", "exit_plan_mode", "invoke_agent",
}

// geminiNoMCP is a server name no one uses: allowing only it leaves the user's MCP
// servers (whose tools could write) unstarted.
const geminiNoMCP = "parley-no-mcp-servers"

// geminiInvocation builds `gemini -p`. The flags, and why:
//   - -m MODEL, always: without it a model router makes extra calls before each turn;
//   - --output-format json: one JSON object on stdout; on failure the error object
//     goes to stderr and the exit code says what failed;
//   - --skip-trust: trust the fresh working directory for this session only (an
//     untrusted folder exits 55);
//   - --approval-mode default: overrides a user default such as yolo; headless, it
//     offers no tool that needs approval (writes, shell);
//   - --policy FILE: deny rules for every writing tool, as a second lock;
//   - --allowed-mcp-server-names and -e none: no MCP servers, no extensions;
//   - --include-directories DIR: in workspace mode, the read tools may read DIR;
//   - -p "": headless mode; the prompt itself comes on stdin (-p is appended to it).
//
// The system prompt goes in a file named by GEMINI_SYSTEM_MD, which replaces the
// CLI's own system prompt (verified: the request's systemInstruction is the file).
func geminiInvocation(c call) (invocation, error) {
	policy := filepath.Join(c.root, "policy.toml")
	var b strings.Builder
	b.WriteString("# parley: a debate participant may read, never write.\n")
	for _, t := range geminiDeniedTools {
		fmt.Fprintf(&b, "[[rule]]\ntoolName = %q\ndecision = \"deny\"\npriority = 999\n\n", t)
	}
	if err := os.WriteFile(policy, []byte(b.String()), 0o600); err != nil {
		return invocation{}, err
	}
	args := []string{
		"-m", c.model,
		"--output-format", "json",
		"--skip-trust",
		"--approval-mode", "default",
		"--policy", policy,
		"--allowed-mcp-server-names", geminiNoMCP,
		"-e", "none",
	}
	if c.workspace != "" {
		args = append(args, "--include-directories", c.workspace)
	}
	args = append(args, "-p", "")
	inv := invocation{args: args, stdin: c.prompt}
	if strings.TrimSpace(c.system) != "" {
		sys := filepath.Join(c.root, "system.md")
		if err := os.WriteFile(sys, []byte(c.system), 0o600); err != nil {
			return invocation{}, err
		}
		inv.env = append(inv.env, "GEMINI_SYSTEM_MD="+sys)
	}
	return inv, nil
}

// Exit codes of the Gemini CLI that are not an HTTP status.
const (
	geminiExitAuth      = 41 // no usable login or API key
	geminiExitInput     = 42
	geminiExitConfig    = 52
	geminiExitTurnLimit = 53
	geminiExitUntrusted = 55
)

// parseGemini reads the answer object from stdout, or on failure the error object
// from stderr.
func parseGemini(o outcome) (provider.Response, error) {
	if o.exitCode == 0 {
		res := lastWith(objects(o.stdout), "response")
		if res == nil {
			if e := lastWith(objects(o.stdout), "error"); e != nil {
				return provider.Response{}, geminiFailure(e, o.exitCode)
			}
			return provider.Response{}, unreadable(Gemini, o, "no response in the output")
		}
		text := str(res, "response")
		if strings.TrimSpace(text) == "" {
			return provider.Response{}, &provider.Error{Class: provider.ClassEmpty, Message: "gemini: the answer was empty"}
		}
		in, out, model := geminiUsage(res)
		return provider.Response{Text: text, Usage: provider.Usage{InputTokens: in, OutputTokens: out}, Model: model}, nil
	}
	e := lastWith(objects(o.stderr), "error")
	if e == nil {
		e = lastWith(objects(o.stdout), "error")
	}
	if e == nil {
		pe := unreadable(Gemini, o, "failed")
		if st := geminiStatus(o.exitCode); st != 0 {
			pe.Class = provider.ClassForStatus(st)
			pe.Status = st
		}
		return provider.Response{}, pe
	}
	return provider.Response{}, geminiFailure(e, o.exitCode)
}

// geminiStatus turns an exit code back into the HTTP status it came from: the CLI
// exits with the status modulo 256 (400 → 144, 401 → 145, 429 → 173, 500 → 244).
func geminiStatus(exit int) int {
	if exit >= 400-256 && exit <= 599-256 {
		return exit + 256
	}
	return 0
}

func geminiFailure(doc object, exit int) *provider.Error {
	msg := str(doc, "error", "message")
	code := integer(doc, "error", "code")
	// The message is often the API's own error JSON; its inner message reads better.
	if inner := objects([]byte(strings.TrimSpace(msg))); len(inner) == 1 && code == 0 {
		code = integer(inner[0], "error", "code")
	}
	msg = unwrapAPIError(msg)
	status := 0
	switch {
	case code >= 400 && code < 600:
		status = code
	case geminiStatus(exit) != 0:
		status = geminiStatus(exit)
	}
	pe := failure(Gemini, msg, status, exit)
	switch {
	case status != 0:
	case exit == geminiExitAuth || code == geminiExitAuth:
		pe.Class = provider.ClassAuth
		pe.Message = "gemini: the login is not set up: " + oneLine(msg, 400)
	case exit == geminiExitInput || exit == geminiExitConfig || exit == geminiExitUntrusted:
		pe.Class = provider.ClassBadRequest
	case exit == geminiExitTurnLimit:
		pe.Class = provider.ClassUnknown
		pe.Message = "gemini: the turn limit was reached: " + oneLine(msg, 400)
	}
	return pe
}

// geminiUsage adds up the tokens of every model the CLI used for the turn, and names
// the main one. "prompt" counts cached tokens too; thinking tokens are billed as
// output, so they count as output.
func geminiUsage(res object) (in, out int, model string) {
	models, _ := get(res, "stats", "models").(object)
	names := make([]string, 0, len(models))
	for name := range models {
		names = append(names, name)
	}
	sort.Strings(names)
	best := -1
	for _, name := range names {
		m := models[name]
		p, ok := num(m, "tokens", "prompt")
		if !ok {
			p, _ = num(m, "tokens", "input")
		}
		in += int(p)
		o := integer(m, "tokens", "candidates") + integer(m, "tokens", "thoughts")
		out += o
		score := o
		if get(m, "roles", "main") != nil {
			score += 1 << 30
		}
		if score > best {
			best, model = score, name
		}
	}
	return in, out, model
}
