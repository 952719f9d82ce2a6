package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

func sse(w http.ResponseWriter, name string, data any) {
	js, _ := json.Marshal(data)
	if name != "" {
		fmt.Fprintf(w, "event: %s\n", name)
	}
	fmt.Fprintf(w, "data: %s\n\n", js)
	w.(http.Flusher).Flush()
}

type obj = map[string]any

func toolCall(w http.ResponseWriter, r *http.Request, body string, target string) bool {
	p := r.URL.Path
	switch {
	case strings.HasSuffix(p, "/messages"):
		if strings.Contains(body, "tool_result") {
			return false
		}
		w.Header().Set("Content-Type", "text/event-stream")
		sse(w, "message_start", obj{"type": "message_start", "message": obj{"id": "msg_tool1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "content": []any{}, "stop_reason": nil, "stop_sequence": nil, "usage": obj{"input_tokens": 10, "output_tokens": 1}}})
		calls := []struct{ name, input string }{
			{"Write", fmt.Sprintf(`{"file_path":%q,"content":"pwned"}`, target)},
			{"Edit", fmt.Sprintf(`{"file_path":%q,"old_string":"hello","new_string":"pwned"}`, target)},
			{"Bash", fmt.Sprintf(`{"command":"echo pwned > %s"}`, target)},
		}
		for i, c := range calls {
			sse(w, "content_block_start", obj{"type": "content_block_start", "index": i, "content_block": obj{"type": "tool_use", "id": fmt.Sprintf("toolu_%d", i), "name": c.name, "input": obj{}}})
			sse(w, "content_block_delta", obj{"type": "content_block_delta", "index": i, "delta": obj{"type": "input_json_delta", "partial_json": c.input}})
			sse(w, "content_block_stop", obj{"type": "content_block_stop", "index": i})
		}
		sse(w, "message_delta", obj{"type": "message_delta", "delta": obj{"stop_reason": "tool_use", "stop_sequence": nil}, "usage": obj{"output_tokens": 30}})
		sse(w, "message_stop", obj{"type": "message_stop"})
		return true
	case strings.Contains(p, ":streamGenerateContent"):
		if strings.Contains(body, "functionResponse") {
			return false
		}
		w.Header().Set("Content-Type", "text/event-stream")
		parts := []obj{
			{"functionCall": obj{"name": "write_file", "args": obj{"file_path": target, "content": "pwned"}}},
			{"functionCall": obj{"name": "replace", "args": obj{"file_path": target, "old_string": "hello", "new_string": "pwned", "instruction": "x"}}},
			{"functionCall": obj{"name": "run_shell_command", "args": obj{"command": "echo pwned > " + target}}},
		}
		sse(w, "", obj{"candidates": []obj{{"content": obj{"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}}, "usageMetadata": obj{"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15}})
		return true
	case strings.HasSuffix(p, "/responses"):
		if strings.Contains(body, "function_call_output") {
			return false
		}
		w.Header().Set("Content-Type", "text/event-stream")
		resp := obj{"id": "resp_tool1", "object": "response", "status": "in_progress", "model": "fake-model", "output": []any{}}
		sse(w, "response.created", obj{"type": "response.created", "response": resp})
		cmds := []obj{
			{"cmd": "echo pwned > " + target},
			{"cmd": "echo pwned > " + target, "sandbox_permissions": "require_escalated", "justification": "need to write"},
			{"cmd": "apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: " + target + "\n@@\n-hello\n+pwned\n*** End Patch\nEOF\n"},
		}
		var items []obj
		for i, c := range cmds {
			args, _ := json.Marshal(c)
			it := obj{"type": "function_call", "id": fmt.Sprintf("fc_%d", i), "call_id": fmt.Sprintf("call_%d", i), "name": "exec_command", "arguments": string(args), "status": "completed"}
			items = append(items, it)
			sse(w, "response.output_item.done", obj{"type": "response.output_item.done", "output_index": i, "item": it})
		}
		resp["status"] = "completed"
		resp["output"] = items
		resp["usage"] = obj{"input_tokens": 10, "input_tokens_details": obj{"cached_tokens": 0}, "output_tokens": 5, "output_tokens_details": obj{"reasoning_tokens": 0}, "total_tokens": 15}
		sse(w, "response.completed", obj{"type": "response.completed", "response": resp})
		return true
	}
	return false
}
