package models

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/provider/agentcli"
	"github.com/parleyhq/parley/provider"
)

// WorkspaceEnv names the variable that holds the --workspace directory: agent-CLI
// participants may read it with read-only tools. The CLI layer sets it; the
// resolver reads it through Resolver.Env like every other setting.
const WorkspaceEnv = "PARLEY_WORKSPACE"

func init() {
	builders["cli"] = buildCLI
	detectors["cli"] = append(detectors["cli"], detectCLIs) // detectors is keyed by kind (config.Providers)
}

// buildCLI makes cli:claude, cli:codex and cli:gemini, each with an optional
// /MODEL (cli:gemini/gemini-2.5-flash). The CLI uses its own login; nothing of the
// user's is read or written here beyond finding the binary on PATH.
func buildCLI(r *Resolver, ref config.Ref, ep config.Endpoint, s provider.Settings) (Resolved, error) {
	name, model, _ := strings.Cut(ep.Model, "/")
	kind := agentcli.Kind(strings.TrimSpace(name))
	if !kind.Valid() {
		return Resolved{}, configErr("model ref %q: unknown agent CLI %q (known: cli:claude, cli:codex, cli:gemini, each optionally with /MODEL)", ref.Raw, name)
	}
	model = strings.TrimSpace(model)
	if strings.HasSuffix(ep.Model, "/") && model == "" {
		return Resolved{}, configErr("model ref %q: the model is missing after %q", ref.Raw, name+"/")
	}
	bin := lookPath(r.Env("PATH"), string(kind))
	if bin == "" {
		return Resolved{}, configErr("%s needs the `%s` command on PATH: %s", "cli:"+string(kind), kind, kind.InstallHint())
	}
	m, err := agentcli.New(agentcli.Config{
		Kind:      kind,
		Model:     model,
		Binary:    bin,
		Env:       cliEnv(r.Env),
		Workspace: r.Env(WorkspaceEnv),
		Settings:  s,
	})
	if err != nil {
		return Resolved{}, configErr("model ref %q: %v", ref.Raw, err)
	}
	return Resolved{Model: m}, nil
}

// detectCLIs proposes every agent CLI found on PATH. Being installed is taken as
// being logged in: `parley doctor` makes the tiny call that proves it.
func detectCLIs(ctx context.Context, r *Resolver) []Candidate {
	var out []Candidate
	for _, k := range agentcli.Kinds {
		if bin := lookPath(r.Env("PATH"), string(k)); bin != "" {
			out = append(out, Candidate{Ref: "cli:" + string(k), Vendor: k.Vendor(), Why: "`" + string(k) + "` is on PATH (" + bin + ")"})
		}
	}
	return out
}

// lookPath finds an executable in the directories of pathList, the way a shell
// would. It takes PATH from the resolver's environment, which in tests is not the
// process's. Relative PATH entries are skipped: a debate must not run whatever
// happens to sit in the current directory.
func lookPath(pathList, name string) string {
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if err != nil || st.IsDir() || st.Mode().Perm()&0o111 == 0 {
			continue
		}
		return p
	}
	return ""
}

// cliEnvNames are the variables the agent CLIs (and the node or shell they run
// under) read. They are handed to the child from the resolver's environment, which is
// the process's own in production (so this changes nothing there) and a test's
// fake setup in tests.
var cliEnvNames = []string{
	"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL",
	"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "NODE_EXTRA_CA_CERTS",
	// Claude Code
	"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL",
	"CLAUDE_CONFIG_DIR", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX",
	"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "CLAUDE_CODE_MAX_RETRIES",
	// Codex
	"CODEX_HOME", "OPENAI_API_KEY", "OPENAI_BASE_URL",
	// Gemini CLI
	"GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GOOGLE_CLOUD_PROJECT",
	"GOOGLE_CLOUD_LOCATION", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_APPLICATION_CREDENTIALS", "GEMINI_CLI_HOME",
}

func cliEnv(env config.Env) []string {
	var out []string
	for _, k := range cliEnvNames {
		if v := env(k); v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}
