package agentcli

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parleyhq/parley/provider"
)

// fixtureDir holds real outputs of the CLIs (shared/fixtures/agent-cli). CI clones
// the repository next to a copy of shared/, so it is the repository's parent's.
const fixtureDir = "../../../../shared/fixtures/agent-cli"

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("fixture %s not present: the real CLI outputs live in shared/fixtures/agent-cli next to the repository", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func wantClass(t *testing.T, err error, class provider.Class, status int, contains ...string) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *provider.Error", err, err)
	}
	if pe.Class != class {
		t.Errorf("class = %s, want %s (%v)", pe.Class, class, pe)
	}
	if status != 0 && pe.Status != status {
		t.Errorf("status = %d, want %d (%v)", pe.Status, status, pe)
	}
	for _, c := range contains {
		if !strings.Contains(pe.Message, c) {
			t.Errorf("message %q does not contain %q", pe.Message, c)
		}
	}
	return pe
}

func TestParseClaudeFixtures(t *testing.T) {
	for _, name := range []string{"claude-output.json", "claude-stream-json.jsonl"} {
		t.Run(name, func(t *testing.T) {
			resp, err := parseClaude(outcome{stdout: fixture(t, name)})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Text != "FAKE-REPLY: hello from fake server" {
				t.Errorf("text = %q", resp.Text)
			}
			if resp.Usage != (provider.Usage{InputTokens: 11, OutputTokens: 7}) {
				t.Errorf("usage = %+v", resp.Usage)
			}
			if !resp.CostReported || resp.CostUSD != 0.000138 {
				t.Errorf("cost = %v reported=%v", resp.CostUSD, resp.CostReported)
			}
			if resp.Model != "claude-sonnet-4-5" {
				t.Errorf("model = %q", resp.Model)
			}
		})
	}
}

func TestParseClaudeCacheTokensCountAsInput(t *testing.T) {
	out := `{"type":"result","subtype":"success","is_error":false,"result":"hi","usage":{"input_tokens":5,"cache_creation_input_tokens":100,"cache_read_input_tokens":1000,"output_tokens":9},"modelUsage":{"claude-opus-4-8[1m]":{"outputTokens":9},"claude-haiku-4-5":{"outputTokens":1}}}`
	resp, err := parseClaude(outcome{stdout: []byte(out)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Usage.InputTokens != 1105 || resp.Usage.OutputTokens != 9 {
		t.Errorf("usage = %+v", resp.Usage)
	}
	if resp.CostReported {
		t.Error("no total_cost_usd, yet cost reported")
	}
	if resp.Model != "claude-opus-4-8" {
		t.Errorf("model = %q", resp.Model)
	}
}

func TestParseClaudeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, out, stderr string
		exit              int
		class             provider.Class
		status            int
		contains          string
	}{
		// An API error is a result with subtype "success": is_error decides.
		{"401", `{"type":"result","subtype":"success","is_error":true,"api_error_status":401,"result":"Failed to authenticate. API Error: 401 invalid x-api-key"}`, "", 1,
			provider.ClassAuth, 401, "Failed to authenticate"},
		{"400", `{"is_error":true,"type":"result","subtype":"success","api_error_status":400,"result":"API Error: 400 prompt is too long"}`, "", 1,
			provider.ClassBadRequest, 400, "prompt is too long"},
		{"429", `{"type":"result","subtype":"success","is_error":true,"api_error_status":429,"result":"API Error: Request rejected (429) · slow down"}`, "", 1,
			provider.ClassRateLimited, 429, "slow down"},
		{"529", `{"type":"result","subtype":"success","is_error":true,"api_error_status":529,"result":"API Error: 529 Overloaded"}`, "", 1,
			provider.ClassServer, 529, "Overloaded"},
		{"not logged in", `{"type":"result","subtype":"success","is_error":true,"api_error_status":null,"result":"Not logged in · Please run /login"}`, "", 1,
			provider.ClassAuth, 1, "Not logged in"},
		{"status only in text", `{"type":"result","subtype":"success","is_error":true,"result":"API Error: 500 boom"}`, "", 1,
			provider.ClassServer, 500, "boom"},
		{"error subtype", `{"type":"result","subtype":"error_max_turns","is_error":true,"errors":["too many turns"]}`, "", 1,
			provider.ClassUnknown, 1, "error_max_turns"},
		{"no result, stderr", `{"type":"system","subtype":"init"}`, "Error: --output-format=stream-json requires --verbose", 1,
			provider.ClassUnknown, 1, "requires --verbose"},
		{"garbage", "Segmentation fault (core dumped)", "", 0,
			provider.ClassUnknown, 0, "Segmentation fault"},
		{"empty answer", `{"type":"result","subtype":"success","is_error":false,"result":"  "}`, "", 0,
			provider.ClassEmpty, 0, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseClaude(outcome{stdout: []byte(tc.out), stderr: []byte(tc.stderr), exitCode: tc.exit})
			wantClass(t, err, tc.class, tc.status, tc.contains)
		})
	}
}

func TestClaudeDeltas(t *testing.T) {
	stream := strings.Join([]string{
		`{"type":"system","subtype":"init","tools":[]}`,
		`{"type":"stream_event","event":{"type":"message_start","message":{}},"parent_tool_use_id":null}`,
		`{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello "}},"parent_tool_use_id":null}`,
		`{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{"}},"parent_tool_use_id":null}`,
		`{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"sub-agent"}},"parent_tool_use_id":"toolu_1"}`,
		`{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"world"}},"parent_tool_use_id":null}`,
		`{"type":"stream_event","event":{"type":"message_start","message":{}},"parent_tool_use_id":null}`,
		`{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"again"}},"parent_tool_use_id":null}`,
		`not json`,
		`{"type":"result","subtype":"success","is_error":false,"result":"Hello world"}`,
	}, "\n")
	var got strings.Builder
	st := claudeStream{onDelta: func(s string) { got.WriteString(s) }}
	w := lineWriter{onLine: st.line}
	// Written in odd-sized pieces, as a pipe delivers it.
	for i := 0; i < len(stream); i += 7 {
		w.Write([]byte(stream[i:min(i+7, len(stream))]))
	}
	w.flush()
	if got.String() != "Hello world\n\nagain" {
		t.Errorf("deltas = %q", got.String())
	}
	if !st.sent {
		t.Error("sent not set")
	}
}

func TestParseCodexFixtures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in, out int
	}{{"codex-output.jsonl", 11, 7}, {"codex-resume.jsonl", 22, 14}} {
		t.Run(tc.name, func(t *testing.T) {
			// The fixture holds an item.completed of type error (unknown model
			// metadata): a warning, not a failure.
			resp, err := parseCodex(outcome{stdout: fixture(t, tc.name)})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Text != "FAKE-REPLY: hello from fake server" {
				t.Errorf("text = %q", resp.Text)
			}
			if resp.Usage != (provider.Usage{InputTokens: tc.in, OutputTokens: tc.out}) {
				t.Errorf("usage = %+v", resp.Usage)
			}
			if resp.CostReported {
				t.Error("codex reports no cost")
			}
		})
	}
}

func TestParseCodexErrors(t *testing.T) {
	head := `{"type":"thread.started","thread_id":"t"}` + "\n" + `{"type":"turn.started"}` + "\n"
	for _, tc := range []struct {
		name, out, stderr string
		exit              int
		class             provider.Class
		status            int
		contains          string
	}{
		{"401", head + `{"type":"error","message":"Reconnecting... 1/5 (unexpected status 401 Unauthorized: bad key)"}
{"type":"error","message":"unexpected status 401 Unauthorized: bad key, url: http://127.0.0.1:1/v1/responses"}
{"type":"turn.failed","error":{"message":"unexpected status 401 Unauthorized: bad key, url: http://127.0.0.1:1/v1/responses"}}`, "", 1,
			provider.ClassAuth, 401, "bad key"},
		{"400", head + `{"type":"turn.failed","error":{"message":"{\"error\":{\"code\":null,\"message\":\"bad input\",\"param\":null,\"type\":\"invalid_request_error\"}}"}}`, "", 1,
			provider.ClassBadRequest, 0, "bad input"},
		{"429", head + `{"type":"turn.failed","error":{"message":"exceeded retry limit, last status: 429 Too Many Requests"}}`, "", 1,
			provider.ClassRateLimited, 429, "retry limit"},
		{"5xx", head + `{"type":"turn.failed","error":{"message":"We’re currently experiencing high demand, which may cause temporary errors."}}`, "", 1,
			provider.ClassServer, 0, "high demand"},
		{"missing key", head + `{"type":"turn.failed","error":{"message":"Missing environment variable: ` + "`FAKE_API_KEY`" + `."}}`, "", 1,
			provider.ClassAuth, 0, "FAKE_API_KEY"},
		{"error event without turn.failed", head + `{"type":"error","message":"stream disconnected before completion: connection refused"}`, "", 1,
			provider.ClassConnection, 0, "stream disconnected"},
		{"stderr only", "", "WARNING: something\nError: unexpected argument '--bogus' found", 2,
			provider.ClassUnknown, 2, "--bogus"},
		{"garbage, exit 0", "hello, not JSON", "", 0,
			provider.ClassUnknown, 0, "hello, not JSON"},
		{"no answer", head + `{"type":"turn.completed","usage":{"input_tokens":1,"output_tokens":0}}`, "", 0,
			provider.ClassEmpty, 0, "without an answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseCodex(outcome{stdout: []byte(tc.out), stderr: []byte(tc.stderr), exitCode: tc.exit})
			wantClass(t, err, tc.class, tc.status, tc.contains)
		})
	}
}

func TestParseGeminiFixture(t *testing.T) {
	resp, err := parseGemini(outcome{stdout: fixture(t, "gemini-output.json")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "FAKE-REPLY: hello from fake server" {
		t.Errorf("text = %q", resp.Text)
	}
	if resp.Usage != (provider.Usage{InputTokens: 11, OutputTokens: 7}) {
		t.Errorf("usage = %+v", resp.Usage)
	}
	if resp.Model != "gemini-2.5-flash" {
		t.Errorf("model = %q", resp.Model)
	}
}

func TestParseGeminiSumsModels(t *testing.T) {
	out := `{"response":"x","stats":{"models":{
	  "gemini-2.5-flash-lite":{"tokens":{"input":50,"prompt":50,"candidates":3,"thoughts":0}},
	  "gemini-2.5-pro":{"tokens":{"input":90,"prompt":100,"candidates":20,"thoughts":5},"roles":{"main":{}}}}}}`
	resp, err := parseGemini(outcome{stdout: []byte(out)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Usage != (provider.Usage{InputTokens: 150, OutputTokens: 28}) || resp.Model != "gemini-2.5-pro" {
		t.Errorf("usage = %+v model = %q", resp.Usage, resp.Model)
	}
}

// geminiStderr is what gemini 0.61 prints on an API error: warnings, a stack trace
// with the API's JSON inline, then the error object.
func geminiStderr(code int, status, msg string) string {
	api := `{"error":{"code":` + strconv.Itoa(code) + `,"message":"` + msg + `","status":"` + status + `"}}`
	return "Warning: 256-color support not detected.\nRipgrep is not available. Falling back to GrepTool.\n" +
		"Error when talking to Gemini API Full report available at: /tmp/x.json _ApiError: " + api + "\n" +
		"    at throwErrorIfNotOK (file:///x/bundle/chunk.js:1:2) {\n  status: " + strconv.Itoa(code) + "\n}\n" +
		"{\n  \"session_id\": \"s\",\n  \"error\": {\n    \"type\": \"Error\",\n    \"message\": " + strconv.Quote(api) + ",\n    \"code\": " + strconv.Itoa(code) + "\n  }\n}\n"
}

func TestParseGeminiErrors(t *testing.T) {
	for _, tc := range []struct {
		name, stdout, stderr string
		exit                 int
		class                provider.Class
		status               int
		contains             string
	}{
		{"401", "", geminiStderr(401, "UNAUTHENTICATED", "API key not valid"), 145,
			provider.ClassAuth, 401, "API key not valid (UNAUTHENTICATED, status 401)"},
		{"400", "", geminiStderr(400, "INVALID_ARGUMENT", "bad request body"), 144,
			provider.ClassBadRequest, 400, "bad request body"},
		{"429", "", geminiStderr(429, "RESOURCE_EXHAUSTED", "quota"), 173,
			provider.ClassRateLimited, 429, "quota"},
		{"auth setup", "", "{\n  \"session_id\": \"s\",\n  \"error\": {\n    \"type\": \"Error\",\n    \"message\": \"Invalid auth method selected.\",\n    \"code\": 41\n  }\n}", 41,
			provider.ClassAuth, 41, "Invalid auth method selected"},
		{"no key", "", `{"session_id":"s","error":{"type":"Error","message":"When using Gemini API, you must specify the GEMINI_API_KEY environment variable.","code":41}}`, 41,
			provider.ClassAuth, 41, "GEMINI_API_KEY"},
		{"untrusted", "", `{"error":{"type":"FatalUntrustedWorkspaceError","message":"folder is not trusted","code":55}}`, 55,
			provider.ClassBadRequest, 55, "not trusted"},
		{"turn limit", "", `{"error":{"type":"FatalTurnLimitedError","message":"max turns","code":53}}`, 53,
			provider.ClassUnknown, 53, "turn limit"},
		{"status from exit code only", "", "something broke", 244,
			provider.ClassServer, 500, "something broke"},
		{"garbage", "<html>oops</html>", "", 0,
			provider.ClassUnknown, 0, "oops"},
		{"empty answer", `{"response":"","stats":{}}`, "", 0,
			provider.ClassEmpty, 0, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseGemini(outcome{stdout: []byte(tc.stdout), stderr: []byte(tc.stderr), exitCode: tc.exit})
			wantClass(t, err, tc.class, tc.status, tc.contains)
		})
	}
}

func TestObjects(t *testing.T) {
	data := "noise {\"not\": \"at line start\"}\n{\"a\":1}\n{broken\n{\n  \"b\": {\n    \"c\": 2\n  }\n}\ntrailing"
	objs := objects([]byte(data))
	if len(objs) != 2 || objs[0]["a"] == nil || get(objs[1], "b", "c") == nil {
		t.Fatalf("objects = %v", objs)
	}
	if lastWith(objs, "b") == nil || lastWith(objs, "z") != nil {
		t.Error("lastWith")
	}
}

func TestOneLineBounds(t *testing.T) {
	long := strings.Repeat("é", 1000)
	if s := oneLine("\x1b[31mred\x1b[0m\n\n  text ", 100); s != "red text" {
		t.Errorf("oneLine = %q", s)
	}
	if s := oneLine(long, 101); len(s) > 104 || !strings.HasSuffix(s, "…") {
		t.Errorf("cut = %d bytes", len(s))
	}
	if s := tailText([]byte(long), 101); len(s) > 104 || !strings.HasPrefix(s, "…") {
		t.Errorf("tail = %d bytes", len(s))
	}
}

func TestClassFromText(t *testing.T) {
	for msg, want := range map[string]provider.Class{
		"Not logged in · Please run /login":         provider.ClassAuth,
		"Invalid API key provided":                  provider.ClassAuth,
		"the catalog installed fine, then it broke": "",
		"You exceeded your current quota":           provider.ClassRateLimited,
		"Overloaded":                                provider.ClassServer,
		"connect ECONNREFUSED 127.0.0.1:443":        provider.ClassConnection,
		"INVALID_ARGUMENT: bad field":               provider.ClassBadRequest,
		"something odd happened":                    "",
	} {
		if got := classFromText(msg); got != want {
			t.Errorf("%q: %q, want %q", msg, got, want)
		}
	}
}
