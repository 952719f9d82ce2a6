package models_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/models"
	"github.com/parleyhq/parley/internal/provider/agentcli"
	"github.com/parleyhq/parley/provider"
)

// cliBinDir makes a folder holding executable stand-ins for the named CLIs.
func cliBinDir(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func cliResolver(env map[string]string) *models.Resolver {
	return &models.Resolver{Config: &config.Config{}, Env: func(k string) string { return env[k] }}
}

func cliResolve(t *testing.T, env map[string]string, raw string) (models.Resolved, error) {
	t.Helper()
	cfg := &config.Config{}
	ref, err := cfg.ParseRef(raw)
	if err != nil {
		t.Fatalf("ParseRef(%q): %v", raw, err)
	}
	return cliResolver(env).Resolve(ref)
}

func cliConfigError(t *testing.T, err error, mentions ...string) {
	t.Helper()
	var ce *models.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v (%T), want a *models.ConfigError", err, err)
	}
	for _, m := range mentions {
		if !strings.Contains(ce.Msg, m) {
			t.Errorf("config error %q does not mention %q", ce.Msg, m)
		}
	}
}

func TestCLIRefs(t *testing.T) {
	bin := cliBinDir(t, "claude", "codex", "gemini")
	// PATH comes from the resolver's environment, not the process's.
	env := map[string]string{"PATH": "relative/dir:" + t.TempDir() + ":" + bin}
	for _, tc := range []struct {
		ref   string
		kind  agentcli.Kind
		model string
	}{
		{"cli:claude", agentcli.Claude, ""},
		{"cli:codex", agentcli.Codex, ""},
		{"cli:gemini", agentcli.Gemini, agentcli.DefaultGeminiModel},
		{"cli:gemini/gemini-2.5-flash", agentcli.Gemini, "gemini-2.5-flash"},
		{"cli:claude/opus", agentcli.Claude, "opus"},
	} {
		res, err := cliResolve(t, env, tc.ref)
		if err != nil {
			t.Fatalf("%s: %v", tc.ref, err)
		}
		m, ok := res.Model.(*agentcli.Model)
		if !ok {
			t.Fatalf("%s: model is %T", tc.ref, res.Model)
		}
		if m.Kind() != tc.kind {
			t.Errorf("%s: kind %s", tc.ref, m.Kind())
		}
		if m.ModelName() != tc.model {
			t.Errorf("%s: model %q, want %q", tc.ref, m.ModelName(), tc.model)
		}
		if res.Ref.Raw != tc.ref {
			t.Errorf("ref = %q", res.Ref.Raw)
		}
	}
}

// TestCLIRunsTheBinaryFoundOnResolverPath checks the model runs the binary found on
// the resolver's PATH, with the resolver's environment: the stand-in echoes back
// what it got as a claude result.
func TestCLIRunsTheBinaryFoundOnResolverPath(t *testing.T) {
	dir := t.TempDir()
	script := `#!/bin/sh
cat > /dev/null
printf '{"type":"result","subtype":"success","is_error":false,"result":"ran %s with HOME=%s BASE=%s WS=%s","usage":{"input_tokens":1,"output_tokens":1}}\n' "$0" "$HOME" "$ANTHROPIC_BASE_URL" "$(printf '%s ' "$@" | grep -o -- '--add-dir [^ ]*')"
`
	if err := os.WriteFile(filepath.Join(dir, "claude"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	home, ws := t.TempDir(), t.TempDir()
	env := map[string]string{"PATH": dir + ":" + os.Getenv("PATH"), "HOME": home, "ANTHROPIC_BASE_URL": "http://127.0.0.1:9", models.WorkspaceEnv: ws}
	res, err := cliResolve(t, env, "cli:claude")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := res.Model.Generate(context.Background(), provider.Request{Prompt: "hi"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "ran " + filepath.Join(dir, "claude") + " with HOME=" + home + " BASE=http://127.0.0.1:9 WS=--add-dir " + ws
	if resp.Text != want {
		t.Errorf("got  %q\nwant %q", resp.Text, want)
	}
}

func TestCLIConfigErrors(t *testing.T) {
	bin := cliBinDir(t, "gemini")
	notExec := t.TempDir()
	os.WriteFile(filepath.Join(notExec, "claude"), []byte("#!/bin/sh\n"), 0o644)
	file := filepath.Join(t.TempDir(), "file.txt")
	os.WriteFile(file, nil, 0o644)

	_, err := cliResolve(t, map[string]string{"PATH": bin}, "cli:claude")
	cliConfigError(t, err, "cli:claude needs the `claude` command on PATH", "npm install -g @anthropic-ai/claude-code", "run `claude` once to log in")
	_, err = cliResolve(t, map[string]string{"PATH": notExec}, "cli:claude")
	cliConfigError(t, err, "on PATH")
	_, err = cliResolve(t, map[string]string{"PATH": bin}, "cli:codex")
	cliConfigError(t, err, "npm install -g @openai/codex")
	_, err = cliResolve(t, map[string]string{"PATH": bin}, "cli:cursor")
	cliConfigError(t, err, `unknown agent CLI "cursor"`, "cli:claude, cli:codex, cli:gemini")
	_, err = cliResolve(t, map[string]string{"PATH": bin}, "cli:gemini/")
	cliConfigError(t, err, "the model is missing")
	_, err = cliResolve(t, map[string]string{"PATH": bin}, "cli:gemini/--yolo")
	cliConfigError(t, err, "not a model name")
	_, err = cliResolve(t, map[string]string{"PATH": bin, models.WorkspaceEnv: file}, "cli:gemini")
	cliConfigError(t, err, "not a directory")
	_, err = cliResolve(t, map[string]string{"PATH": bin, models.WorkspaceEnv: filepath.Join(file, "missing")}, "cli:gemini")
	cliConfigError(t, err, "workspace")
}

func TestCLIFromConfigName(t *testing.T) {
	bin := cliBinDir(t, "codex")
	cfg := &config.Config{Models: map[string]config.Endpoint{"my-codex": {Provider: "cli", Model: "codex/gpt-5-codex"}}}
	ref, err := cfg.ParseRef("my-codex")
	if err != nil {
		t.Fatal(err)
	}
	r := &models.Resolver{Config: cfg, Env: func(k string) string { return map[string]string{"PATH": bin}[k] }}
	res, err := r.Resolve(ref)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := res.Model.(*agentcli.Model); !ok || m.Kind() != agentcli.Codex {
		t.Errorf("model = %#v", res.Model)
	}
}

func TestDetectCLIs(t *testing.T) {
	bin := cliBinDir(t, "claude", "gemini")
	r := cliResolver(map[string]string{"PATH": bin})
	got := map[string]models.Candidate{}
	for _, c := range r.Detect(context.Background(), 10) {
		got[c.Ref] = c
	}
	if c, ok := got["cli:claude"]; !ok || c.Vendor != "anthropic" || !strings.Contains(c.Why, "claude") {
		t.Errorf("cli:claude: %+v", c)
	}
	if c, ok := got["cli:gemini"]; !ok || c.Vendor != "google" {
		t.Errorf("cli:gemini: %+v", c)
	}
	if _, ok := got["cli:codex"]; ok {
		t.Error("cli:codex detected without a codex on PATH")
	}

	all := cliResolver(map[string]string{"PATH": cliBinDir(t, "claude", "codex", "gemini")}).Detect(context.Background(), 3)
	var refs []string
	for _, c := range all {
		refs = append(refs, c.Ref+"="+c.Vendor)
	}
	if strings.Join(refs, ",") != "cli:claude=anthropic,cli:codex=openai,cli:gemini=google" {
		t.Errorf("detected %v", refs)
	}
}
