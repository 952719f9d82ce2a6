//go:build unix

package agentcli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/provider"
)

// fakellm answers with text only; it has no way to script a tool call. To see what
// the real CLIs do when a model tries to change the user's files, toolCaller stands
// in front of it: the first request of a turn is answered with tool calls that read,
// write, edit and run a shell command on a file in the workspace; the follow-up
// request (which carries the tool results) goes to fakellm for the final answer, and
// its body is kept so that the test can read what each tool returned.
type toolCaller struct {
	fake   *fakellm.Server
	target string // the file the model tries to change
	newer  string // a file the model tries to create

	mu        sync.Mutex
	followUps []string // bodies of requests that carried tool results
	toolCalls int      // responses that were tool calls
}

type obj = map[string]any

// originalNotes is the workspace file the model tries to change.
const originalNotes = "original notes: the secret word is PARLEY-READ-OK\n"

func (tc *toolCaller) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	s := string(body)
	p := r.URL.Path
	if r.Method == http.MethodPost {
		var handled, followUp bool
		switch {
		case strings.HasSuffix(p, "/messages"):
			followUp = strings.Contains(s, `"tool_result"`)
			handled = !followUp && tc.anthropic(w)
		case strings.HasSuffix(p, "/responses"):
			followUp = strings.Contains(s, `"function_call_output"`)
			handled = !followUp && tc.responses(w)
		case strings.Contains(p, ":streamGenerateContent"):
			followUp = strings.Contains(s, `"functionResponse"`)
			handled = !followUp && tc.gemini(w)
		}
		tc.mu.Lock()
		if followUp {
			tc.followUps = append(tc.followUps, s)
		}
		if handled {
			tc.toolCalls++
		}
		tc.mu.Unlock()
		if handled {
			return
		}
	}
	tc.fake.ServeHTTP(w, r)
}

func sse(w http.ResponseWriter, event string, data any) {
	js, _ := json.Marshal(data)
	if event != "" {
		fmt.Fprintf(w, "event: %s\n", event)
	}
	fmt.Fprintf(w, "data: %s\n\n", js)
	w.(http.Flusher).Flush()
}

func startSSE(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
}

// anthropic answers with tool_use blocks for Claude Code's tools.
func (tc *toolCaller) anthropic(w http.ResponseWriter) bool {
	startSSE(w)
	sse(w, "message_start", obj{"type": "message_start", "message": obj{
		"id": "msg_toolcaller", "type": "message", "role": "assistant", "model": realModels[Claude],
		"content": []any{}, "stop_reason": nil, "stop_sequence": nil,
		"usage": obj{"input_tokens": 10, "output_tokens": 1}}})
	calls := []struct {
		name  string
		input obj
	}{
		{"Read", obj{"file_path": tc.target}},
		{"Write", obj{"file_path": tc.target, "content": "PWNED by Write\n"}},
		{"Edit", obj{"file_path": tc.target, "old_string": "original", "new_string": "PWNED by Edit"}},
		{"Bash", obj{"command": "echo PWNED by Bash > " + tc.target}},
		{"Write", obj{"file_path": tc.newer, "content": "PWNED\n"}},
	}
	for i, c := range calls {
		input, _ := json.Marshal(c.input)
		sse(w, "content_block_start", obj{"type": "content_block_start", "index": i,
			"content_block": obj{"type": "tool_use", "id": fmt.Sprintf("toolu_%02d", i), "name": c.name, "input": obj{}}})
		sse(w, "content_block_delta", obj{"type": "content_block_delta", "index": i,
			"delta": obj{"type": "input_json_delta", "partial_json": string(input)}})
		sse(w, "content_block_stop", obj{"type": "content_block_stop", "index": i})
	}
	sse(w, "message_delta", obj{"type": "message_delta", "delta": obj{"stop_reason": "tool_use", "stop_sequence": nil},
		"usage": obj{"output_tokens": 40}})
	sse(w, "message_stop", obj{"type": "message_stop"})
	return true
}

// responses answers with function calls of Codex's exec_command tool: a read, a
// plain write, a write asking to leave the sandbox, and an apply_patch.
func (tc *toolCaller) responses(w http.ResponseWriter) bool {
	startSSE(w)
	resp := obj{"id": "resp_toolcaller", "object": "response", "status": "in_progress", "model": realModels[Codex], "output": []any{}}
	sse(w, "response.created", obj{"type": "response.created", "response": resp})
	patch := "apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: " + tc.target + "\n@@\n-" + strings.TrimSpace(originalNotes) +
		"\n+PWNED by apply_patch\n*** End Patch\nEOF\n"
	cmds := []obj{
		{"cmd": "cat " + tc.target},
		{"cmd": "echo PWNED by shell > " + tc.target},
		{"cmd": "echo PWNED escalated > " + tc.target, "sandbox_permissions": "require_escalated", "justification": "update the file"},
		{"cmd": patch},
		{"cmd": "echo PWNED > " + tc.newer},
	}
	var items []obj
	for i, c := range cmds {
		args, _ := json.Marshal(c)
		item := obj{"type": "function_call", "id": fmt.Sprintf("fc_%02d", i), "call_id": fmt.Sprintf("call_%02d", i),
			"name": "exec_command", "arguments": string(args), "status": "completed"}
		items = append(items, item)
		sse(w, "response.output_item.done", obj{"type": "response.output_item.done", "output_index": i, "item": item})
	}
	resp["status"], resp["output"] = "completed", items
	resp["usage"] = obj{"input_tokens": 10, "input_tokens_details": obj{"cached_tokens": 0},
		"output_tokens": 40, "output_tokens_details": obj{"reasoning_tokens": 0}, "total_tokens": 50}
	sse(w, "response.completed", obj{"type": "response.completed", "response": resp})
	return true
}

// gemini answers with function calls of the Gemini CLI's tools.
func (tc *toolCaller) gemini(w http.ResponseWriter) bool {
	startSSE(w)
	parts := []obj{
		{"functionCall": obj{"name": "read_file", "args": obj{"file_path": tc.target}}},
		{"functionCall": obj{"name": "write_file", "args": obj{"file_path": tc.target, "content": "PWNED by write_file\n"}}},
		{"functionCall": obj{"name": "replace", "args": obj{"file_path": tc.target, "old_string": "original", "new_string": "PWNED by replace", "instruction": "change it"}}},
		{"functionCall": obj{"name": "run_shell_command", "args": obj{"command": "echo PWNED by shell > " + tc.target}}},
		{"functionCall": obj{"name": "write_file", "args": obj{"file_path": tc.newer, "content": "PWNED\n"}}},
	}
	sse(w, "", obj{"candidates": []obj{{"content": obj{"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}},
		"usageMetadata": obj{"promptTokenCount": 10, "candidatesTokenCount": 40, "totalTokenCount": 50}})
	return true
}

// TestRealCLIsCannotWrite runs each real CLI with a model that tries to change a
// file in the workspace (and to create one) through every writing tool the CLI has,
// with and without --workspace. It proves, for these CLI versions and flags, that:
//   - the CLI really received and acted on the tool calls (a follow-up request with
//     the tool results reached the API);
//   - the workspace file is byte-for-byte unchanged and no file was created;
//   - with a workspace, the participant could read the file (the read's result, the
//     file's text, went back to the model), so the protection is not just "no access".
//
// What each CLI answered to the writes is logged for the report.
func TestRealCLIsCannotWrite(t *testing.T) {
	for _, kind := range Kinds {
		for _, withWorkspace := range []bool{true, false} {
			name := string(kind) + "/no-workspace"
			if withWorkspace {
				name = string(kind) + "/workspace"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				bin := findCLI(t, kind)
				ws := t.TempDir()
				target := filepath.Join(ws, "notes.txt")
				const original = originalNotes
				if err := os.WriteFile(target, []byte(original), 0o644); err != nil {
					t.Fatal(err)
				}
				before := snapshot(t, ws)

				tc := &toolCaller{fake: fakellm.New(fakellm.Options{}), target: target, newer: filepath.Join(ws, "created.txt")}
				t.Cleanup(tc.fake.Close)
				hs := httptest.NewServer(tc)
				t.Cleanup(hs.Close)

				cfg := Config{Kind: kind, Binary: bin, Model: realModels[kind], Env: fakeEnv(t, kind, hs.URL, true)}
				if withWorkspace {
					cfg.Workspace = ws
				}
				m, err := New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				resp, err := m.Generate(ctx, provider.Request{Prompt: "Improve notes.txt in the workspace."}, nil)
				if err != nil {
					t.Fatalf("the call failed: %v", err)
				}
				if !strings.Contains(resp.Text, "FAKE-REPLY") {
					t.Errorf("final answer = %q", resp.Text)
				}

				tc.mu.Lock()
				calls, followUps := tc.toolCalls, strings.Join(tc.followUps, "\n")
				tc.mu.Unlock()
				if calls == 0 || followUps == "" {
					t.Fatalf("the CLI never sent the tool results back (tool-call responses: %d)", calls)
				}
				sameTree(t, "workspace", before, snapshot(t, ws))
				if data, _ := os.ReadFile(target); string(data) != original {
					t.Errorf("the file was changed: %q", data)
				}
				readOK := strings.Contains(followUps, "PARLEY-READ-OK")
				if withWorkspace && !readOK {
					t.Error("with a workspace the participant could not read it")
				}
				if kind == Claude && !withWorkspace && readOK {
					t.Error("claude read a file with tools off")
				}
				t.Logf("%s: read allowed: %v; tool results: %s", name, readOK, toolResults(followUps))
			})
		}
	}
}

// toolResults picks the tool results out of a follow-up request, for the log.
func toolResults(body string) string {
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			switch {
			case x["type"] == "tool_result":
				fmt.Fprintf(&b, "\n  [%v] %v", x["tool_use_id"], oneLine(fmt.Sprint(x["content"]), 160))
				return
			case x["type"] == "function_call_output":
				fmt.Fprintf(&b, "\n  [%v] %v", x["call_id"], oneLine(fmt.Sprint(x["output"]), 160))
				return
			case x["functionResponse"] != nil:
				fr, _ := x["functionResponse"].(map[string]any)
				fmt.Fprintf(&b, "\n  [%v] %v", fr["name"], oneLine(fmt.Sprint(fr["response"]), 160))
				return
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	dec := json.NewDecoder(strings.NewReader(body))
	for {
		var v any
		if dec.Decode(&v) != nil {
			break
		}
		walk(v)
	}
	return b.String()
}
