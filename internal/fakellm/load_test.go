package fakellm

import (
	"strings"
	"testing"
	"time"
)

const goodScript = `{
  "gpt-x": [
    {"when_contains": "Round 2", "text": "critique", "latency": "300ms", "chunk_delay": "5ms", "chunk_size": 4},
    {"status": 429, "retry_after": "2", "error_message": "busy"},
    {"text": "first answer", "input_tokens": 7, "output_tokens": 9}
  ],
  "*": [{"hang": true}, {"cut_after": 5, "text": "abcdefgh"}, {"malformed": true}, {"empty": true}]
}`

func TestLoadScript(t *testing.T) {
	scripts, err := LoadScript(strings.NewReader(goodScript))
	if err != nil {
		t.Fatal(err)
	}
	g := scripts["gpt-x"].Replies
	if len(g) != 3 || len(scripts["*"].Replies) != 4 {
		t.Fatalf("scripts = %+v", scripts)
	}
	want := Reply{WhenContains: "Round 2", Text: "critique", Latency: 300 * time.Millisecond, ChunkDelay: 5 * time.Millisecond, ChunkSize: 4}
	if g[0] != want {
		t.Fatalf("reply 1 = %+v, want %+v", g[0], want)
	}
	if g[1] != (Reply{Status: 429, RetryAfter: "2", ErrorMessage: "busy"}) || g[2] != (Reply{Text: "first answer", InputTokens: 7, OutputTokens: 9}) {
		t.Fatalf("replies 2, 3 = %+v, %+v", g[1], g[2])
	}
	a := scripts["*"].Replies
	if !a[0].Hang || a[1].CutAfter != 5 || !a[2].Malformed || !a[3].Empty {
		t.Fatalf("* = %+v", a)
	}
}

func TestLoadScriptErrors(t *testing.T) {
	cases := []struct{ script, want string }{
		{`{"m": [{"txt": "typo"}]}`, `model "m", reply 1: unknown field "txt"`},
		{`{"m": [{"text": "ok"}, {"latency": 300}]}`, `model "m", reply 2:`},
		{`{"m": [{"latency": "soon"}]}`, `duration "soon"`},
		{`{"m": [{"status": 200}]}`, `status 200`},
		{`{"m": [{"cut_after": -1}]}`, `cut_after -1`},
		{`{"m": []}`, `model "m": no replies`},
		{`{"m": {"text": "x"}}`, `model "m": want a list of replies`},
		{`{"m": [{"text": 5}]}`, `reply 1: text: want a string, got a number`},
		{`[]`, `want an object mapping model names`},
		{`{"m": [{"text": "x"}]} {}`, `unexpected data`},
	}
	for _, tc := range cases {
		_, err := LoadScript(strings.NewReader(tc.script))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadScript(%s) error = %v, want it to contain %q", tc.script, err, tc.want)
		}
	}
}

// A loaded script drives the server: when_contains matches first, fallbacks go in order.
func TestLoadedScriptServes(t *testing.T) {
	scripts, err := LoadScript(strings.NewReader(`{"m": [
		{"text": "first"},
		{"when_contains": "Round 2", "text": "critique"},
		{"text": "second"}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	s := Start(t, Options{})
	for m, sc := range scripts {
		s.Script(m, sc)
	}
	var got []string
	for _, prompt := range []string{"Round 1", "Round 2 now", "Round 1 again", "Round 2", "later"} {
		resp := post(t, s.URL()+"/v1/messages", map[string]any{"model": "m", "system": []any{map[string]any{"type": "text", "text": prompt}}})
		got = append(got, path(decode(t, resp.Body), "content", 0, "text").(string))
		resp.Body.Close()
	}
	if want := "first critique second critique second"; strings.Join(got, " ") != want {
		t.Fatalf("replies = %v, want %s", got, want)
	}
}
