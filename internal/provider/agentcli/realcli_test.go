//go:build unix

package agentcli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/provider"
)

// These tests run the real CLIs (installed by scripts/install-agent-clis.sh) against
// fakellm, with the environment shared/reference/agent-clis.md verified, and always
// with a throwaway HOME: never the real one.

// The model each CLI is run with, so that the fake can be scripted per CLI.
var realModels = map[Kind]string{
	Claude: "claude-sonnet-4-5",
	Codex:  "fake-model",
	Gemini: "gemini-2.5-flash",
}

// findCLI returns the real CLI's path or skips the test. It looks in
// $PARLEY_AGENT_CLI_DIR (the .bin folder the install script prints), then on PATH,
// then in the install script's default folder.
func findCLI(t testing.TB, kind Kind) string {
	t.Helper()
	name := string(kind)
	var dirs []string
	if d := os.Getenv("PARLEY_AGENT_CLI_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	cache := os.Getenv("PARLEY_CLI_DIR")
	if cache == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			if home, err := os.UserHomeDir(); err == nil {
				base = filepath.Join(home, ".cache")
			}
		}
		cache = filepath.Join(base, "parley-agent-clis")
	}
	dirs = append(dirs, filepath.Join(cache, "node_modules", ".bin"))
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	t.Skipf("agent CLI %s not installed; run scripts/install-agent-clis.sh (it prints the folder to put in PARLEY_AGENT_CLI_DIR)", name)
	return ""
}

// fakeHome makes a fresh HOME (with every config folder under it) set up for the
// given CLIs to reach baseURL, and returns the environment that points them there,
// so that nothing of the machine's is used or changed. For gemini, withSettings=false
// leaves out the settings file that selects API-key login.
func fakeHome(t testing.TB, baseURL string, withSettings bool, kinds ...Kind) map[string]string {
	t.Helper()
	home := t.TempDir()
	env := map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": filepath.Join(home, ".config"),
		"XDG_DATA_HOME":   filepath.Join(home, ".local", "share"),
		"XDG_STATE_HOME":  filepath.Join(home, ".local", "state"),
		"XDG_CACHE_HOME":  filepath.Join(home, ".cache"),
	}
	write := func(rel, content string) {
		p := filepath.Join(home, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, kind := range kinds {
		switch kind {
		case Claude:
			env["CLAUDE_CONFIG_DIR"] = filepath.Join(home, ".claude")
			env["ANTHROPIC_BASE_URL"] = baseURL
			env["ANTHROPIC_API_KEY"] = "x"
			env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1"
		case Codex:
			// Codex ignores OPENAI_BASE_URL: a provider in CODEX_HOME/config.toml
			// points it at the fake. Its retries are off so that a failure is reported
			// at once (by default it retries a 401 five times, a 5xx for about 25 s).
			write(".codex/config.toml", `model = "`+realModels[Codex]+`"
model_provider = "fake"

[model_providers.fake]
name = "fakellm"
base_url = "`+baseURL+`/v1"
env_key = "OPENAI_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
`)
			env["CODEX_HOME"] = filepath.Join(home, ".codex")
			env["OPENAI_API_KEY"] = "x"
		case Gemini:
			if withSettings {
				write(".gemini/settings.json", `{"security":{"auth":{"selectedType":"gemini-api-key"}}}`)
			}
			env["GEMINI_API_KEY"] = "x"
			env["GOOGLE_GEMINI_BASE_URL"] = baseURL
		}
	}
	return env
}

// fakeEnv is fakeHome for one CLI, as KEY=VALUE entries for Config.Env.
func fakeEnv(t testing.TB, kind Kind, baseURL string, withSettings bool) []string {
	t.Helper()
	var env []string
	for k, v := range fakeHome(t, baseURL, withSettings, kind) {
		env = append(env, k+"="+v)
	}
	return env
}

// realModel builds the model for a real CLI pointed at baseURL.
func realModel(t testing.TB, kind Kind, baseURL string, cfg Config) *Model {
	t.Helper()
	cfg.Kind = kind
	cfg.Binary = findCLI(t, kind)
	if cfg.Model == "" {
		cfg.Model = realModels[kind]
	}
	cfg.Env = append(fakeEnv(t, kind, baseURL, true), cfg.Env...)
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRealCLIAnswers(t *testing.T) {
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv := fakellm.Start(t, fakellm.Options{})
			model := realModels[kind]
			srv.Script(model, fakellm.Script{Replies: []fakellm.Reply{{
				Text:        "REAL-CLI answer from " + model + ".\n\n```json\n{\"position\": \"yes\", \"confidence\": 80}\n```",
				InputTokens: 123, OutputTokens: 45,
			}}})
			m := realModel(t, kind, srv.URL(), Config{})
			var deltas strings.Builder
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			start := time.Now()
			resp, err := m.Generate(ctx, provider.Request{
				System: "SYSTEM-MARKER: you are seat A on a panel.",
				Prompt: "PROMPT-MARKER: should we cache or index first?",
			}, func(d string) { deltas.WriteString(d) })
			t.Logf("%s answered in %v", kind, time.Since(start).Round(time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(resp.Text, "REAL-CLI answer from "+model) {
				t.Errorf("text = %q", resp.Text)
			}
			if deltas.String() != resp.Text {
				t.Errorf("deltas %q do not add up to the text", deltas.String())
			}
			if resp.Usage != (provider.Usage{InputTokens: 123, OutputTokens: 45}) {
				t.Errorf("usage = %+v, want what the fake reported", resp.Usage)
			}
			if kind == Claude && (!resp.CostReported || resp.CostUSD <= 0) {
				t.Errorf("claude reports its cost: %v %v", resp.CostUSD, resp.CostReported)
			}
			if resp.Model != model {
				t.Errorf("model = %q", resp.Model)
			}
			calls := srv.CallsFor(model)
			if len(calls) != 1 {
				t.Fatalf("%d calls to %s, want 1 (all: %d)", len(calls), model, len(srv.Calls()))
			}
			c := calls[0]
			if !strings.Contains(c.Prompt, "PROMPT-MARKER") {
				t.Error("the prompt did not reach the API")
			}
			switch kind {
			case Claude, Gemini:
				// Passed as the system prompt proper.
				if !strings.Contains(c.System, "SYSTEM-MARKER") {
					t.Errorf("the system prompt is not the API's system text: %q", c.System[:min(len(c.System), 300)])
				}
			case Codex:
				// Put before the prompt.
				if !strings.Contains(c.Prompt, "<system_instructions>\nSYSTEM-MARKER") {
					t.Error("the system prompt did not reach the API")
				}
			}
		})
	}
}

// TestRealCLIErrors: a 401 or 400 from the API fails the call quickly, classified,
// with the CLI's own message (which carries the fake's).
func TestRealCLIErrors(t *testing.T) {
	for _, kind := range Kinds {
		for _, tc := range []struct {
			status int
			class  provider.Class
		}{{401, provider.ClassAuth}, {400, provider.ClassBadRequest}} {
			t.Run(string(kind)+"/"+strconv.Itoa(tc.status), func(t *testing.T) {
				t.Parallel()
				srv := fakellm.Start(t, fakellm.Options{})
				msg := "FAKE-ERROR-" + strconv.Itoa(tc.status)
				srv.Script(fakellm.AnyModel, fakellm.Script{Replies: []fakellm.Reply{{Status: tc.status, ErrorMessage: msg}}})
				m := realModel(t, kind, srv.URL(), Config{})
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				start := time.Now()
				_, err := m.Generate(ctx, provider.Request{Prompt: "hi"}, nil)
				took := time.Since(start)
				t.Logf("%s failed in %v: %v", kind, took.Round(time.Millisecond), err)
				status := tc.status
				if kind == Codex && tc.status == 400 {
					status = 0 // codex passes the API's error body on, without the status
				}
				pe := wantClass(t, err, tc.class, status, msg)
				if tc.class == provider.ClassAuth && !strings.Contains(pe.Message, kind.loginHint()) {
					t.Errorf("no login hint in %q", pe.Message)
				}
				// Claude would retry a 401 for about two minutes without
				// CLAUDE_CODE_MAX_RETRIES (the bound is generous for a loaded machine).
				if took > 45*time.Second {
					t.Errorf("took %v", took)
				}
				// One call; claude 2.1.332 re-sends a 400 twice (with retries off),
				// which is quick and harmless.
				if calls := srv.Calls(); len(calls) < 1 || len(calls) > 3 {
					t.Errorf("%d API calls, want 1 to 3 (no retry loop inside the CLI)", len(calls))
					for _, c := range calls {
						t.Logf("call: %s %s model=%s stream=%v status=%d", c.Protocol, c.Path, c.Model, c.Stream, c.Status)
					}
				}
			})
		}
	}
}

// TestRealGeminiWithoutLoginSetup: gemini with an API key but no settings choosing
// API-key login exits 41; that is a clear authentication-setup error.
func TestRealGeminiWithoutLoginSetup(t *testing.T) {
	t.Parallel()
	srv := fakellm.Start(t, fakellm.Options{})
	m, err := New(Config{Kind: Gemini, Binary: findCLI(t, Gemini), Model: realModels[Gemini],
		Env: fakeEnv(t, Gemini, srv.URL(), false)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Generate(context.Background(), provider.Request{Prompt: "hi"}, nil)
	wantClass(t, err, provider.ClassAuth, 41, "login is not set up", "Invalid auth method", "run `gemini` once")
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("%d API calls without a login", n)
	}
}
