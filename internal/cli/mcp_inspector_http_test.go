package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/internal/syncbuf"
)

// serveFor runs `parley serve` in this process with e's environment and extra.
func (e *mcpEnv) serveFor(t *testing.T, extra map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := &syncbuf.Buffer{}
	env := map[string]string{}
	for k, v := range e.env {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	io := IO{In: strings.NewReader(""), Out: log, Err: log, Env: func(k string) string { return env[k] }}
	addr, done, err := ServeInProcess(ctx, io, "--addr", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatalf("parley serve: %v\n%s", err, log.String())
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("parley serve did not stop\n%s", log.String())
		}
	})
	return addr
}

// TestMCPInspectorHTTP drives `parley serve`'s /mcp with the MCP Inspector's CLI
// over streamable HTTP. The pinned Inspector (0.15.0, see
// scripts/install-mcp-inspector.sh) cannot send headers, so it talks to a
// loopback server without a token here, and is shown a 401 by one with a token;
// the go-sdk client tests the token itself (TestServeMCPOverHTTP).
func TestMCPInspectorHTTP(t *testing.T) {
	bin := inspectorBin(t)
	e := newMCPEnv(t, fakellm.Options{})
	e.scriptPanel(map[string]int{"gpt-5": 85, "o4-mini": 60})
	url := "http://" + e.serveFor(t, nil) + "/mcp"

	inspect := func(target string, args ...string) (map[string]any, string, error) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--cli", target, "--transport", "http"}, args...)...)
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var res map[string]any
		if err == nil {
			if jerr := json.Unmarshal(out.Bytes(), &res); jerr != nil {
				t.Fatalf("inspector %v printed no JSON: %v\n%s\n%s", args, jerr, out.String(), errb.String())
			}
		}
		return res, out.String() + errb.String(), err
	}

	tools, raw, err := inspect(url, "--method", "tools/list")
	if err != nil {
		t.Fatalf("tools/list: %v\n%s", err, raw)
	}
	var names []string
	for _, tool := range tools["tools"].([]any) {
		names = append(names, tool.(map[string]any)["name"].(string))
	}
	if strings.Join(names, ",") != "cancel_debate,debate,debate_result,debate_status,get_debate,list_debates,list_models,resume_debate,start_debate" {
		t.Fatalf("tools/list over HTTP: %s", raw)
	}

	res, raw, err := inspect(url, "--method", "tools/call", "--tool-name", "start_debate",
		"--tool-arg", "problem=Our orders endpoint is slow: cache, index or rewrite?",
		"--tool-arg", `models=["openai:gpt-5","openai:o4-mini"]`,
		"--tool-arg", "rounds=1")
	if err != nil || res["isError"] == true {
		t.Fatalf("start_debate: %v\n%s", err, raw)
	}
	id, _ := res["structuredContent"].(map[string]any)["id"].(string)
	if id == "" {
		t.Fatalf("start_debate gave no id: %s", raw)
	}
	// Each Inspector run is a new session: the debate outlives the one that
	// started it, and any session reads it.
	var sc map[string]any
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		res, raw, err = inspect(url, "--method", "tools/call", "--tool-name", "debate_result", "--tool-arg", "id="+id)
		if err != nil || res["isError"] == true {
			t.Fatalf("debate_result: %v\n%s", err, raw)
		}
		sc, _ = res["structuredContent"].(map[string]any)
		if sc["status"] != "pending" || time.Now().After(deadline) {
			break
		}
	}
	verdict, _ := sc["verdict"].(map[string]any)
	if sc["status"] != "completed" || verdict["recommendation"] != "Add the missing index on orders.customer_id" {
		t.Fatalf("debate_result: %s", raw)
	}

	// A server with a token turns the header-less Inspector away.
	guarded := "http://" + e.serveFor(t, map[string]string{"PARLEY_TOKEN": "inspector-token-0123456789abcdef"}) + "/mcp"
	if _, raw, err := inspect(guarded, "--method", "tools/list"); err == nil || !strings.Contains(raw, "401") {
		t.Errorf("the Inspector got through without the token (err %v):\n%s", err, raw)
	}
}
