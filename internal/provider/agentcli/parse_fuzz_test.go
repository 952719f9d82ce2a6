package agentcli

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/provider"
)

// FuzzParseOutputs feeds arbitrary stdout and stderr to the three CLI output readers
// (claude's JSON and stream-json, codex's JSONL events, gemini's JSON): they read what
// an untrusted process printed, so they must never panic, and must either return a
// non-empty answer or a classified *provider.Error.
func FuzzParseOutputs(f *testing.F) {
	fixtures := filepath.Join("..", "..", "..", "..", "shared", "fixtures", "agent-cli")
	if entries, err := os.ReadDir(fixtures); err == nil {
		for _, e := range entries {
			if data, err := os.ReadFile(filepath.Join(fixtures, e.Name())); err == nil {
				f.Add(data, []byte(""), 0)
			}
		}
	}
	f.Add([]byte(`{"type":"result","is_error":true,"api_error_status":401,"result":"Invalid API key"}`), []byte(""), 1)
	f.Add([]byte(`{"type":"turn.failed","error":{"message":"boom"}}`+"\n"), []byte(""), 1)
	f.Add([]byte(""), []byte(`{"error":{"code":400,"message":"bad"}}`), 144)
	f.Add([]byte("{\"response\": \"hi\", \"stats\": {\"models\": {\"m\": {\"tokens\": {\"prompt\": \"x\"}}}}}"), []byte(""), 0)
	f.Add([]byte("not json at all\n{\n"), []byte("Segmentation fault"), -1)
	parsers := map[string]func(outcome) (provider.Response, error){"claude": parseClaude, "codex": parseCodex, "gemini": parseGemini}
	f.Fuzz(func(t *testing.T, stdout, stderr []byte, exit int) {
		o := outcome{stdout: stdout, stderr: stderr, exitCode: exit, signaled: exit < 0}
		for name, parse := range parsers {
			resp, err := parse(o)
			if err == nil {
				_ = resp // any answer, even an empty one (the engine retries those), is fine
				continue
			}
			var pe *provider.Error
			if !errors.As(err, &pe) || pe.Class == "" {
				t.Fatalf("%s: unclassified error %T %v", name, err, err)
			}
		}
	})
}
