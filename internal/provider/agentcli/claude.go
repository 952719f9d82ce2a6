package agentcli

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/provider"
)

// claudeReadTools are the only tools a Claude participant gets in workspace mode:
// they read and search files and cannot change them.
const claudeReadTools = "Read,Grep,Glob"

// claudeInvocation builds `claude -p`. The flags, and why:
//   - --output-format stream-json --verbose --include-partial-messages: JSON lines,
//     with text deltas to stream and a final `result` object (stream-json needs
//     --verbose in print mode);
//   - --system-prompt: parley's system prompt replaces Claude Code's coding-agent one;
//   - --tools "": no tools at all; with a workspace only Read, Grep and Glob, and
//     --add-dir to let them reach it;
//   - --permission-mode default: overrides a user default such as acceptEdits or
//     bypassPermissions (with only read tools there is nothing to approve anyway);
//   - --strict-mcp-config: ignore the user's MCP servers, whose tools could write;
//   - --no-session-persistence: leave no session files behind in the user's ~/.claude.
func claudeInvocation(c call) invocation {
	args := []string{"-p",
		"--output-format", "stream-json", "--verbose", "--include-partial-messages",
		"--permission-mode", "default",
		"--strict-mcp-config",
		"--no-session-persistence",
	}
	if c.workspace != "" {
		args = append(args, "--tools", claudeReadTools, "--add-dir", c.workspace)
	} else {
		args = append(args, "--tools", "")
	}
	if c.model != "" {
		args = append(args, "--model", c.model)
	}
	if c.system != "" {
		args = append(args, "--system-prompt", c.system)
	}
	inv := invocation{args: args, stdin: c.prompt}
	if c.thinking != nil {
		// Claude Code has no flag for the budget; its MAX_THINKING_TOKENS variable
		// sets it (0 turns thinking off).
		inv.env = append(inv.env, "MAX_THINKING_TOKENS="+strconv.Itoa(*c.thinking))
	}
	return inv
}

// claudeStream passes the text deltas of the top-level assistant message (not of
// sub-agents) from stream-json lines to onDelta.
type claudeStream struct {
	onDelta func(string)
	sent    bool // some text went out
}

func (s *claudeStream) line(line []byte) {
	if len(line) == 0 || line[0] != '{' {
		return
	}
	var ev struct {
		Type   string `json:"type"`
		Parent any    `json:"parent_tool_use_id"`
		Event  struct {
			Type  string `json:"type"`
			Delta struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"delta"`
		} `json:"event"`
	}
	if json.Unmarshal(line, &ev) != nil || ev.Type != "stream_event" || ev.Parent != nil {
		return
	}
	switch ev.Event.Type {
	case "message_start":
		// A later message of the same turn (after a tool call): keep it apart.
		if s.sent {
			s.onDelta("\n\n")
		}
	case "content_block_delta":
		if ev.Event.Delta.Type == "text_delta" && ev.Event.Delta.Text != "" {
			s.onDelta(ev.Event.Delta.Text)
			s.sent = true
		}
	}
}

// parseClaude reads the `result` object, the last line of stream-json (and the one
// object of --output-format json).
func parseClaude(o outcome) (provider.Response, error) {
	objs := objects(o.stdout)
	var res object
	for i := len(objs) - 1; i >= 0; i-- {
		if str(objs[i], "type") == "result" {
			res = objs[i]
			break
		}
	}
	if res == nil {
		if o.exitCode == 0 {
			return provider.Response{}, unreadable(Claude, o, "no result in the output")
		}
		msg := tailText(o.stderr, 600)
		if msg == "" {
			return provider.Response{}, unreadable(Claude, o, "failed without a result")
		}
		return provider.Response{}, failure(Claude, msg, 0, o.exitCode)
	}
	text := str(res, "result")
	// An API error still comes as a result, with subtype "success" and is_error
	// true: is_error decides.
	if boolean(res, "is_error") || (str(res, "subtype") != "" && str(res, "subtype") != "success") {
		status, _ := num(res, "api_error_status")
		msg := text
		if msg == "" {
			msg = "failed (" + str(res, "subtype") + ")"
			if errs, ok := res["errors"].([]any); ok && len(errs) > 0 {
				msg += ": " + oneLine(stringsOf(errs), 400)
			}
		}
		return provider.Response{}, failure(Claude, msg, int(status), o.exitCode)
	}
	if strings.TrimSpace(text) == "" {
		return provider.Response{}, &provider.Error{Class: provider.ClassEmpty, Message: "claude: the answer was empty"}
	}
	resp := provider.Response{
		Text: text,
		Usage: provider.Usage{
			// Cached prompt tokens are input too: they were read, and billed.
			InputTokens: integer(res, "usage", "input_tokens") +
				integer(res, "usage", "cache_creation_input_tokens") +
				integer(res, "usage", "cache_read_input_tokens"),
			OutputTokens: integer(res, "usage", "output_tokens"),
		},
		Model: claudeModel(res),
	}
	if cost, ok := num(res, "total_cost_usd"); ok {
		resp.CostUSD, resp.CostReported = cost, true
	}
	return resp, nil
}

// claudeModel is the model that did most of the work, from modelUsage (Claude Code
// may use a small model on the side); "[1m]"-style context suffixes are dropped.
func claudeModel(res object) string {
	mu, _ := res["modelUsage"].(object)
	best, bestOut := "", -1
	for name, u := range mu {
		out := integer(u, "outputTokens")
		if out > bestOut || (out == bestOut && name < best) {
			best, bestOut = name, out
		}
	}
	if i := strings.IndexByte(best, '['); i > 0 {
		best = best[:i]
	}
	return best
}

func stringsOf(vs []any) string {
	var parts []string
	for _, v := range vs {
		if s, ok := v.(string); ok {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "; ")
}
