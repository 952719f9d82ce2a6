package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/fakellm"
)

// The files a caller names are read by parley from the workspace and quoted, each
// in its own labelled block, in every seat's prompt; each seat's stance reaches its
// system prompt. Both are checked in the requests the fake provider recorded.
func TestMCPFilesAndStancesReachTheModels(t *testing.T) {
	e := newMCPEnv(t, fakellm.Options{})
	e.scriptPanel(map[string]int{"gpt-5": 80, "o4-mini": 70})
	ws := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ws, "db"), 0o755); err != nil {
		t.Fatal(err)
	}
	const code = "SELECT * FROM orders WHERE customer_id = $1 -- marker-7f3a"
	if err := os.WriteFile(filepath.Join(ws, "db", "query.sql"), []byte(code+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := e.connect(t, mcpOptions{})

	res, err := c.call(context.Background(), "debate", map[string]any{
		"problem":   "Should we add an index on orders.customer_id?",
		"models":    []string{"openai:gpt-5", "openai:o4-mini"},
		"rounds":    1,
		"files":     []string{"db/query.sql"},
		"workspace": ws,
		"stances":   []string{"for", "argue that caching beats any index"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError {
		t.Fatalf("tool error: %s", resultText(res))
	}
	rec, _ := resultRecord(t, res)
	if len(rec.Files) != 1 || rec.Files[0].Path != "db/query.sql" || rec.Panel[0].Stance != "for" {
		t.Fatalf("recorded files %+v, panel %+v", rec.Files, rec.Panel)
	}
	calls := e.srv.Calls()
	if len(calls) < 3 {
		t.Fatalf("%d calls", len(calls))
	}
	for _, call := range calls {
		if !strings.Contains(call.Prompt, "file db/query.sql>>>\n"+code+"\n<<<END") {
			t.Errorf("%s's request lacks the labelled file block:\n%s", call.Model, call.Prompt)
		}
		if strings.Contains(call.Prompt, "VERDICT") {
			continue
		}
		switch call.Model {
		case "gpt-5":
			if !strings.Contains(call.System, "Your assigned stance in this debate: argue FOR the proposal") {
				t.Errorf("seat A's system prompt lacks its stance:\n%s", call.System)
			}
		case "o4-mini":
			if !strings.Contains(call.System, "Your assigned stance in this debate: argue that caching beats any index") {
				t.Errorf("seat B's system prompt lacks its stance:\n%s", call.System)
			}
		}
	}
}

// Paths that leave the workspace, by "..", by an absolute path or by a symbolic
// link inside it, are refused before anything is called, with a message that says
// how to fix the call.
func TestMCPFilesOutsideTheWorkspaceAreRefused(t *testing.T) {
	e := newMCPEnv(t, fakellm.Options{})
	e.scriptPanel(map[string]int{"gpt-5": 80, "o4-mini": 70})
	ws := t.TempDir()
	secret := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(secret, []byte("hunter2"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(ws, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "blob.bin"), []byte{0x7f, 'E', 'L', 'F', 0, 0, 1}, 0o644); err != nil {
		t.Fatal(err)
	}
	c := e.connect(t, mcpOptions{})
	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"files": []string{"../secret.txt"}, "workspace": ws}, "is outside the workspace"},
		{map[string]any{"files": []string{secret}, "workspace": ws}, "is outside the workspace"},
		{map[string]any{"files": []string{"link.txt"}, "workspace": ws}, "is outside the workspace"},
		{map[string]any{"files": []string{"missing.go"}, "workspace": ws}, "does not exist in the workspace"},
		{map[string]any{"files": []string{"blob.bin"}, "workspace": ws}, "looks binary"},
		{map[string]any{"files": []string{"x"}, "workspace": "relative/dir"}, "must be an absolute path"},
		{map[string]any{"stances": []string{"for", "against", "neutral"}}, `"stances" has 3 entries for 2 models`},
	} {
		args := map[string]any{"problem": "Index or cache?", "models": []string{"openai:gpt-5", "openai:o4-mini"}, "rounds": 1}
		for k, v := range tc.args {
			args[k] = v
		}
		res, err := c.call(context.Background(), "start_debate", args, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !res.IsError || !strings.Contains(resultText(res), tc.want) {
			t.Errorf("%v: IsError %v, text %q, want %q", tc.args, res.IsError, resultText(res), tc.want)
		}
		if strings.Contains(resultText(res), "hunter2") {
			t.Errorf("the error shows the file's content: %s", resultText(res))
		}
	}
	if n := len(e.srv.Calls()); n != 0 {
		t.Errorf("%d model calls for refused requests", n)
	}
}
