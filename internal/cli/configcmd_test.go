package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/cli"
	"github.com/parleyhq/parley/internal/fakellm"
)

func TestConfigInitPathShow(t *testing.T) {
	h := newHarness(t)
	want := filepath.Join(h.env["XDG_CONFIG_HOME"], "parley", "config.yaml")
	if res := h.run("config", "path"); res.code != 1 || !strings.Contains(res.stderr, "No config file") {
		t.Errorf("path without a file: exit %d %s", res.code, res.stderr)
	}
	res := h.run("config", "init")
	if res.code != 0 || !strings.Contains(res.stdout, want) {
		t.Fatalf("init: exit %d %s %s", res.code, res.stdout, res.stderr)
	}
	data, _ := os.ReadFile(want)
	if !strings.Contains(string(data), "api_key_env") {
		t.Error("the starter was not written")
	}
	if res := h.run("config", "init"); res.code != cli.ExitUsage || !strings.Contains(res.stderr, "already exists") {
		t.Errorf("init twice must refuse: exit %d", res.code)
	}
	if res := h.run("config", "path"); res.code != 0 || strings.TrimSpace(res.stdout) != want {
		t.Errorf("path: %q", res.stdout)
	}
	os.WriteFile(want, []byte("mode: deep\nmodels:\n  gw:\n    provider: openai\n    model: m\n    headers: {Authorization: Bearer sk-secret-in-header}\n"), 0o644)
	show := h.run("config", "show")
	if show.code != 0 || !strings.Contains(show.stdout, "mode: deep") || strings.Contains(show.stdout, "sk-secret-in-header") || !strings.Contains(show.stdout, "[redacted]") {
		t.Errorf("show:\n%s", show.stdout)
	}
}

func TestHelpHasExamplesAndCompletion(t *testing.T) {
	h := newHarness(t)
	for _, c := range []string{"run", "resume", "list", "show", "export", "models", "doctor", "config", "modes", "mcp", "eval", "version"} {
		res := h.run(c, "--help")
		if res.code != 0 || !strings.Contains(res.stdout, "Examples:") {
			t.Errorf("%s --help lacks examples:\n%s", c, res.stdout)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		res := h.run("completion", shell)
		if res.code != 0 || !strings.Contains(res.stdout, "parley") {
			t.Errorf("completion %s: exit %d", shell, res.code)
		}
	}
}

// On a terminal, the Markdown report is styled, and a model's escape sequences are
// stripped; in a pipe, or with NO_COLOR, it is the plain Markdown.
func TestReportOnATerminal(t *testing.T) {
	h := newHarness(t)
	h.srv.Script("a", fakellm.Script{Replies: []fakellm.Reply{{Text: "evil \x1b]0;pwned\x07 title \x1b[2J\n```json\n{\"position\": \"p\", \"confidence\": 70}\n```"}}})
	plain := h.run("q", "-m", "openai:a,openai:b", "--rounds", "1", "-q")
	if plain.code != 0 || !strings.Contains(plain.stdout, "## Verdict") || strings.Contains(plain.stdout, "\x1b[") {
		t.Fatalf("pipe: exit %d, styled or not Markdown:\n%s", plain.code, plain.stdout)
	}
	id := strings.Fields(strings.Split(plain.stdout, "parley debate `")[1])[0]
	id = strings.TrimSuffix(id, "`")
	tty := h.runOut(true, "show", id, "--transcript")
	if tty.code != 0 || !strings.Contains(tty.stdout, "\x1b[") {
		t.Fatalf("terminal: exit %d, not styled", tty.code)
	}
	if strings.Contains(tty.stdout, "\x1b]0;pwned") || strings.Contains(tty.stdout, "\x1b[2J") || strings.Contains(tty.stdout, "\x07") {
		t.Error("a model's escape sequence reached the terminal")
	}
	h.env["NO_COLOR"] = "1"
	if nc := h.runOut(true, "show", id); strings.Contains(nc.stdout, "\x1b[") {
		t.Error("NO_COLOR still styled the report")
	}
}
