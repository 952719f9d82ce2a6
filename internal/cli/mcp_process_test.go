package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/fakellm"
)

// requireMCPCommand fails with the fix when `parley mcp` is not a command of the
// root: the process-level tests below run the real command line.
func requireMCPCommand(t *testing.T) {
	t.Helper()
	root := newRoot(IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard, Env: func(string) string { return "" }})
	if c, _, err := root.Find([]string{"mcp"}); err != nil || c.Name() != "mcp" {
		t.Fatal("`parley mcp` is not registered: add newMCPCmd(io) to root.AddCommand in newRoot (internal/cli/cli.go)")
	}
}

// rpcPeer speaks newline-delimited JSON-RPC to a subprocess by hand.
type rpcPeer struct {
	t     *testing.T
	stdin io.WriteCloser
	lines chan []byte
	all   [][]byte // every line read from stdout
}

func (p *rpcPeer) send(msg string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, msg+"\n"); err != nil {
		p.t.Fatalf("writing %s: %v", msg, err)
	}
}

// rpcMessage is any JSON-RPC message parley may send.
type rpcMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// await reads messages until the response with id, returning it and the
// notifications that came before it.
func (p *rpcPeer) await(id int) (rpcMessage, []rpcMessage) {
	p.t.Helper()
	var notes []rpcMessage
	timeout := time.After(20 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("stdout closed while waiting for response %d", id)
			}
			var m rpcMessage
			if err := json.Unmarshal(line, &m); err != nil || m.JSONRPC != "2.0" {
				p.t.Fatalf("stdout carried something that is not JSON-RPC: %q", line)
			}
			if m.Method != "" && m.ID == nil {
				notes = append(notes, m)
				continue
			}
			if string(m.ID) != fmt.Sprint(id) {
				p.t.Fatalf("a message for id %s while waiting for %d: %s", m.ID, id, line)
			}
			return m, notes
		case <-timeout:
			p.t.Fatalf("no response %d within 20s", id)
		}
	}
}

// TestMCPSubprocessJSONRPC starts the real `parley mcp` and speaks the protocol to it
// by hand, as any client would: nothing but JSON-RPC may reach stdout, and nothing
// at all stderr.
func TestMCPSubprocessJSONRPC(t *testing.T) {
	requireMCPCommand(t)
	e := newMCPEnv(t, fakellm.Options{})
	bin := filepath.Join(e.dir, "bin")
	os.Mkdir(bin, 0o755)
	fakeCLI(t, bin, "claude") // the calling agent's own CLI, kept off the panel by --exclude
	e.env["PATH"] = bin

	cmd := exec.Command("parley", "mcp", "--exclude", "cli:claude")
	cmd.Env = e.environ()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	p := &rpcPeer{t: t, stdin: stdin, lines: make(chan []byte)}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			p.lines <- append([]byte(nil), sc.Bytes()...)
		}
	}()

	p.send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"by-hand","version":"0"}}}`)
	resp, _ := p.await(1)
	var init struct {
		ProtocolVersion string `json:"protocolVersion"`
		ServerInfo      struct{ Name, Version string }
		Capabilities    struct {
			Tools *struct{} `json:"tools"`
		}
		Instructions string
	}
	if resp.Error != nil || json.Unmarshal(resp.Result, &init) != nil || init.ProtocolVersion != "2025-06-18" || init.ServerInfo.Name != "parley" || init.Capabilities.Tools == nil || init.Instructions == "" {
		t.Fatalf("initialize: %+v %s", resp.Error, resp.Result)
	}
	p.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)

	p.send(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	resp, _ = p.await(2)
	var list struct {
		Tools []struct {
			Name        string
			Description string
			InputSchema struct {
				Required   []string
				Properties map[string]json.RawMessage
			}
		}
	}
	if err := json.Unmarshal(resp.Result, &list); err != nil {
		t.Fatal(err, string(resp.Result))
	}
	var names []string
	for _, tool := range list.Tools {
		names = append(names, tool.Name)
		if tool.Name == "debate" {
			if len(tool.InputSchema.Required) != 1 || tool.InputSchema.Required[0] != "problem" || len(tool.InputSchema.Properties) != 9 || !strings.Contains(tool.Description, "When to call it") {
				t.Errorf("debate tool: %+v", tool)
			}
		}
	}
	if strings.Join(names, ",") != "cancel_debate,debate,debate_result,debate_status,get_debate,list_debates,list_models,resume_debate,start_debate" {
		t.Errorf("tools %v", names)
	}

	// A debate with the auto-detected panel, one round, with a progress token.
	p.send(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"debate","arguments":{"problem":"Cache or index first?","rounds":1},"_meta":{"progressToken":"tok-3"}}}`)
	resp, notes := p.await(3)
	var call struct {
		IsError bool `json:"isError"`
		Content []struct {
			Type, Text string
		}
		Structured struct {
			ID      string
			Status  string
			Panel   []struct{ Seat, Model string }
			Rounds  []struct{ Turns []json.RawMessage }
			Verdict *struct{ Recommendation string }
		} `json:"structuredContent"`
	}
	if err := json.Unmarshal(resp.Result, &call); err != nil {
		t.Fatal(err)
	}
	if call.IsError || len(call.Content) != 1 || call.Content[0].Type != "text" || !strings.Contains(call.Content[0].Text, "## Verdict") {
		t.Fatalf("tools/call debate: %s", resp.Result)
	}
	s := call.Structured
	if s.Status != "completed" || len(s.Rounds) != 1 || s.Verdict == nil || s.Verdict.Recommendation == "" || len(s.Panel) != 3 {
		t.Fatalf("structured content: %+v", s)
	}
	for _, seat := range s.Panel {
		if seat.Model == "cli:claude" {
			t.Errorf("--exclude cli:claude did not keep it off the panel: %+v", s.Panel)
		}
	}
	// One notification per finished turn (3 seats, 1 round) and the verdict's.
	if len(notes) != 4 {
		t.Fatalf("%d notifications before the result, want 4: %+v", len(notes), notes)
	}
	for i, n := range notes {
		var pp struct {
			ProgressToken string
			Progress      float64
			Total         float64
			Message       string
		}
		json.Unmarshal(n.Params, &pp)
		if n.Method != "notifications/progress" || pp.ProgressToken != "tok-3" || pp.Progress != float64(i+1) || pp.Total != 4 {
			t.Errorf("notification %d: %s %s", i, n.Method, n.Params)
		}
		if i < 3 && !strings.HasPrefix(pp.Message, "round 1: seat ") {
			t.Errorf("notification %d message %q", i, pp.Message)
		}
	}

	// Bad input is a tool error, and the server goes on.
	p.send(`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"debate","arguments":{"models":["openai:a","openai:b"]}}}`)
	resp, _ = p.await(4)
	if resp.Error != nil || !strings.Contains(string(resp.Result), `"isError":true`) || !strings.Contains(string(resp.Result), "problem") {
		t.Errorf("missing problem: %+v %s", resp.Error, resp.Result)
	}
	p.send(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"get_debate","arguments":{"id":"` + s.ID + `"}}}`)
	resp, _ = p.await(5)
	if !strings.Contains(string(resp.Result), `"status":"completed"`) || strings.Contains(string(resp.Result), `"isError":true`) {
		t.Errorf("get_debate: %s", resp.Result)
	}

	// The client leaves: the server exits cleanly and quietly.
	stdin.Close()
	for range p.lines {
		t.Error("stdout after the client left")
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("parley mcp exited with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("parley mcp did not exit when stdin closed")
	}
	if stderr.Len() > 0 {
		t.Errorf("parley mcp wrote to stderr:\n%s", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(bin, "claude.ran")); err == nil {
		t.Error("the excluded CLI was run")
	}
	// The debate is in the database the command line reads.
	if code, out, _ := e.parley("show", s.ID, "--format", "json"); code != 0 || !strings.Contains(out, `"status": "completed"`) {
		t.Errorf("parley show after MCP (%d): %s", code, out)
	}
}

// inspectorBin finds the MCP Inspector installed by scripts/install-mcp-inspector.sh:
// PARLEY_MCP_INSPECTOR names it (CI does: then missing is a failure), else it is looked
// for in the script's default place and the test is skipped when it is not there.
func inspectorBin(t *testing.T) string {
	t.Helper()
	bin, named := os.LookupEnv("PARLEY_MCP_INSPECTOR")
	named = named && bin != ""
	if !named {
		root := os.Getenv("PARLEY_NPM_CACHE_DIR")
		if root == "" {
			home, _ := os.UserHomeDir() // only to find the install; parley never sees it
			root = filepath.Join(home, ".cache", "parley-npm")
		}
		bin = filepath.Join(root, "inspector", "node_modules", ".bin", "mcp-inspector")
	}
	missing := func(format string, args ...any) {
		t.Helper()
		if named {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	if _, err := os.Stat(bin); err != nil {
		missing("the MCP Inspector is not installed (%s): run scripts/install-mcp-inspector.sh, or set PARLEY_MCP_INSPECTOR to its mcp-inspector binary", bin)
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing("node is not on PATH; the MCP Inspector needs it")
	}
	return bin
}

// TestMCPInspectorCLI drives `parley mcp` with a client no one on the team wrote:
// the MCP Inspector's CLI mode, on the official TypeScript SDK.
func TestMCPInspectorCLI(t *testing.T) {
	bin := inspectorBin(t)
	requireMCPCommand(t)
	e := newMCPEnv(t, fakellm.Options{})
	e.scriptPanel(map[string]int{"gpt-5": 85, "o4-mini": 60})
	// The inspector starts `parley` from PATH (where the test binary stands in for
	// it) and hands its own environment down.
	e.env["PATH"] = os.Getenv("PATH")

	inspect := func(args ...string) (map[string]any, string) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--cli", "parley", "mcp"}, args...)...)
		cmd.Env = e.environ()
		cmd.Dir = e.dir
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("inspector %v: %v\nstdout:\n%s\nstderr:\n%s", args, err, out.String(), errb.String())
		}
		var res map[string]any
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("inspector %v printed no JSON: %v\n%s\n%s", args, err, out.String(), errb.String())
		}
		return res, out.String()
	}

	tools, raw := inspect("--method", "tools/list")
	var names []string
	for _, tool := range tools["tools"].([]any) {
		names = append(names, tool.(map[string]any)["name"].(string))
	}
	if strings.Join(names, ",") != "cancel_debate,debate,debate_result,debate_status,get_debate,list_debates,list_models,resume_debate,start_debate" {
		t.Fatalf("tools/list: %s", raw)
	}

	res, raw := inspect("--method", "tools/call", "--tool-name", "debate",
		"--tool-arg", "problem=Our orders endpoint is slow: cache, index or rewrite?",
		"--tool-arg", `models=["openai:gpt-5","openai:o4-mini"]`,
		"--tool-arg", "rounds=2",
		"--tool-arg", "context=p95 is 2.1 s")
	if res["isError"] == true {
		t.Fatalf("tools/call debate is an error: %s", raw)
	}
	sc, _ := res["structuredContent"].(map[string]any)
	verdict, _ := sc["verdict"].(map[string]any)
	if sc["status"] != "completed" || len(sc["rounds"].([]any)) != 2 || verdict["recommendation"] != "Add the missing index on orders.customer_id" {
		t.Fatalf("structured content: %s", raw)
	}
	content := res["content"].([]any)[0].(map[string]any)
	if content["type"] != "text" || !strings.Contains(content["text"].(string), "## Verdict") {
		t.Errorf("content: %v", content)
	}

	bad, raw := inspect("--method", "tools/call", "--tool-name", "debate", "--tool-arg", "problem=q", "--tool-arg", `models=["openia:gpt-5","openai:o4-mini"]`)
	if bad["isError"] != true || !strings.Contains(raw, `unknown provider \"openia\"`) {
		t.Errorf("unknown provider: %s", raw)
	}
}
