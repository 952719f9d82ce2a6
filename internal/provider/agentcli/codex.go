package agentcli

import (
	"fmt"
	"strings"

	"github.com/parleyhq/parley/provider"
)

// codexInvocation builds `codex exec … -`. The flags, and why:
//   - --json: JSON Lines events on stdout;
//   - --skip-git-repo-check: the fresh working directory is not a git repository;
//   - --sandbox read-only: every command the agent runs is sandboxed without write
//     access (verified: a write fails with "Read-only file system", apply_patch is
//     rejected);
//   - -c approval_policy="never": no escalation out of the sandbox, whatever the
//     user's config says (exec mode defaults to it; this makes it explicit);
//   - --ephemeral: no session files in the user's ~/.codex;
//   - -C DIR: in workspace mode the agent's working root is the workspace, still
//     under the read-only sandbox;
//   - "-": the prompt comes from stdin.
//
// Codex has no system-prompt flag, so the system prompt is put before the prompt,
// clearly marked.
func codexInvocation(c call) invocation {
	args := []string{"exec", "--json", "--skip-git-repo-check",
		"--sandbox", "read-only",
		"-c", `approval_policy="never"`,
		"--ephemeral",
	}
	if c.workspace != "" {
		args = append(args, "-C", c.workspace)
	}
	if c.model != "" {
		args = append(args, "-m", c.model)
	}
	if c.reasoning != "" {
		// A config override like approval_policy above; the value is one of
		// provider.ReasoningEfforts, so it needs no quoting beyond TOML's.
		args = append(args, "-c", fmt.Sprintf("model_reasoning_effort=%q", c.reasoning))
	}
	args = append(args, "-")
	return invocation{args: args, stdin: withSystem(c.system, c.prompt)}
}

// withSystem puts a system prompt in front of the prompt for a CLI that cannot take
// one separately.
func withSystem(system, prompt string) string {
	if strings.TrimSpace(system) == "" {
		return prompt
	}
	return "<system_instructions>\n" + strings.TrimSpace(system) + "\n</system_instructions>\n\n" +
		"Follow the system instructions above throughout your reply. The task follows.\n\n" + prompt
}

// parseCodex reads the JSONL events: the answer is the last agent_message item,
// usage comes with turn.completed, and turn.failed or a final error event is a
// failure. An item.completed of type "error" is a warning (such as unknown model
// metadata) and is ignored.
func parseCodex(o outcome) (provider.Response, error) {
	var (
		text, failed, lastErr string
		usage                 object
		events                int
	)
	for _, ev := range objects(o.stdout) {
		typ := str(ev, "type")
		if typ == "" {
			continue
		}
		events++
		switch typ {
		case "item.completed":
			if str(ev, "item", "type") == "agent_message" {
				text = str(ev, "item", "text")
			}
		case "turn.completed":
			usage, _ = ev["usage"].(object)
		case "turn.failed":
			failed = str(ev, "error", "message")
			if failed == "" {
				failed = "the turn failed"
			}
		case "error":
			lastErr = str(ev, "message")
		}
	}
	if failed != "" {
		return provider.Response{}, failure(Codex, failed, 0, o.exitCode)
	}
	if o.exitCode != 0 {
		if lastErr != "" {
			return provider.Response{}, failure(Codex, lastErr, 0, o.exitCode)
		}
		if msg := tailText(o.stderr, 600); msg != "" && events > 0 {
			return provider.Response{}, failure(Codex, msg, 0, o.exitCode)
		}
		return provider.Response{}, unreadable(Codex, o, "failed")
	}
	if events == 0 {
		return provider.Response{}, unreadable(Codex, o, "no JSON events in the output")
	}
	if strings.TrimSpace(text) == "" {
		return provider.Response{}, &provider.Error{Class: provider.ClassEmpty, Message: "codex: finished without an answer"}
	}
	return provider.Response{
		Text: text,
		Usage: provider.Usage{
			// OpenAI counts cached input inside input_tokens, and reasoning inside
			// output_tokens: both are already totals.
			InputTokens:  integer(usage, "input_tokens"),
			OutputTokens: integer(usage, "output_tokens"),
		},
	}, nil
}
