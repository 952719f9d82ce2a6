package reply

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func confPtr(n int) *int { return &n }

// goldenReply reads a golden input from testdata/replies.
func goldenReply(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "replies", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestParseReplyGolden runs the parser over realistic replies, one file each.
func TestParseReplyGolden(t *testing.T) {
	tests := []struct {
		file string
		want Reply
	}{
		{"fenced-end.md", Reply{Position: "Use PostgreSQL as the single primary database", Confidence: confPtr(80), Source: "fenced"}},
		{"bold-confidence.md", Reply{Position: "Move the three services into a monorepo with affected-only CI", Confidence: confPtr(75), Source: "prose"}},
		{"confidence-level.md", Reply{Position: "Raise the pool size to 50 and add a queue-depth alert on the pool", Confidence: confPtr(80), Source: "prose"}},
		{"confidence-fraction.md", Reply{Position: "16:40", Answer: "16:40", Confidence: confPtr(80), Source: "prose"}},
		{"block-not-last.md", Reply{Position: "Use the MIT-licensed library instead of the AGPL one", Confidence: confPtr(70), Changed: true, Converged: true,
			Reason: "the AGPL obligations rule out the on-premise edition", Source: "fenced"}},
		{"quoted-then-own.md", Reply{Position: "Keep Go; fix the invoice state machine in place", Confidence: confPtr(65), Source: "fenced"}},
		{"bare-json.md", Reply{Position: "Two availability zones behind a managed load balancer", Confidence: confPtr(85), Converged: true, Source: "json"}},
		{"korean-block.md", Reply{Position: "모놀리스를 유지하고 모듈 경계를 정리한다", Confidence: confPtr(75), Source: "fenced"}},
		{"korean-prose.md", Reply{Position: "Redis 캐시를 도입하되 TTL은 5분으로 제한한다", Confidence: confPtr(70), Source: "prose"}},
		{"no-block.md", Reply{Source: "none"}},
		{"string-confidence.md", Reply{Position: "Use Protobuf for the internal APIs", Confidence: confPtr(85), Changed: true, Source: "fenced"}},
		{"trailing-comma.md", Reply{Position: "Phased rollout: 5%, then 25%, then 100% over two weeks", Confidence: confPtr(78), Converged: true, Source: "fenced"}},
		{"ranking-array.md", Reply{Position: "B is the strongest answer", Confidence: confPtr(80), Ranking: []string{"B", "A", "C"}, Source: "fenced"}},
		{"ranking-string.md", Reply{Position: "B argues it better", Confidence: confPtr(60), Ranking: []string{"B", "A"}, Source: "fenced"}},
		{"answer-int.md", Reply{Position: "42", Answer: "42", Confidence: confPtr(90), Source: "fenced"}},
		{"answer-float.md", Reply{Position: "The expected value is 42", Answer: "42", Confidence: confPtr(95), Source: "fenced"}},
		{"nested-braces.md", Reply{Position: "Switch the delimiters to [[ ]] instead of escaping {{ and }} in every template", Confidence: confPtr(70),
			Reason: `the "{" escaping bug {see #412} recurs`, Source: "fenced"}},
		{"tilde-upper.md", Reply{Position: "SQLite per station with nightly sync", Confidence: confPtr(72), Source: "fenced"}},
		{"single-quotes-comment.md", Reply{Position: "Migrate online with logical replication", Confidence: confPtr(70), Changed: true, Source: "fenced"}},
		// Unescaped quotes inside the block cannot be repaired cheaply: the block's own
		// text is read as prose rather than trusting anything else.
		{"broken-block.md", Reply{Position: `Use the "strangler fig" pattern to migrate route by route`, Confidence: confPtr(70), Source: "prose"}},
		// Another participant's block and confidence, quoted with '>', are not ours.
		{"blockquote.md", Reply{Position: "Build the core in house, buy the reporting module", Confidence: confPtr(80), Source: "prose"}},
		// Output cut off inside the block: what was written still counts.
		{"truncated.md", Reply{Position: "Cache the pricing API responses for 60 seconds", Confidence: confPtr(82), Source: "fenced"}},
		// The CSS block after the answer has "{ position: ... }" but is code.
		{"code-after-block.md", Reply{Position: "Make the header position: sticky instead of fixed", Confidence: confPtr(88), Converged: true, Source: "fenced"}},
		{"heading-high.md", Reply{Position: "Stream the batch per tenant instead of loading all tenants into memory at once.", Confidence: confPtr(80), Source: "prose"}},
		{"prose-equals.md", Reply{Position: "keep the current vendor for one more year", Confidence: confPtr(85), Source: "prose"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := Parse(goldenReply(t, tt.file))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%s) mismatch (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

// TestParseReplyForms covers the small variations one at a time.
func TestParseReplyForms(t *testing.T) {
	block := func(json string) string {
		return "Some reasoning first.\n\n```json\n" + json + "\n```\n"
	}
	tests := []struct {
		name string
		in   string
		want Reply
	}{
		{"empty", "", Reply{Source: "none"}},
		{"fence without language", "Reasoning.\n\n```\n{\"position\": \"X\", \"confidence\": 40}\n```\n",
			Reply{Position: "X", Confidence: confPtr(40), Source: "fenced"}},
		{"object on the fence line", "```json {\"position\": \"X\", \"confidence\": 40}\n```\n",
			Reply{Position: "X", Confidence: confPtr(40), Source: "fenced"}},
		{"CRLF", "Reasoning.\r\n\r\n```json\r\n{\"position\": \"X\",\r\n \"confidence\": 40}\r\n```\r\n",
			Reply{Position: "X", Confidence: confPtr(40), Source: "fenced"}},
		{"fraction 1.0", block(`{"position": "X", "confidence": 1.0}`), Reply{Position: "X", Confidence: confPtr(100), Source: "fenced"}},
		{"integer 1 is 1%", block(`{"position": "X", "confidence": 1}`), Reply{Position: "X", Confidence: confPtr(1), Source: "fenced"}},
		{"rounded", block(`{"position": "X", "confidence": 0.666}`), Reply{Position: "X", Confidence: confPtr(67), Source: "fenced"}},
		{"clamped high", block(`{"position": "X", "confidence": 150}`), Reply{Position: "X", Confidence: confPtr(100), Source: "fenced"}},
		{"clamped low", block(`{"position": "X", "confidence": -5}`), Reply{Position: "X", Confidence: confPtr(0), Source: "fenced"}},
		{"confidence null", block(`{"position": "X", "confidence": null}`), Reply{Position: "X", Source: "fenced"}},
		{"string ratio", block(`{"position": "X", "confidence": "7/10"}`), Reply{Position: "X", Confidence: confPtr(70), Source: "fenced"}},
		{"string word", block(`{"position": "X", "confidence": "Medium"}`), Reply{Position: "X", Confidence: confPtr(60), Source: "fenced"}},
		{"bare percent", block(`{"position": "X", "confidence": 80%}`), Reply{Position: "X", Confidence: confPtr(80), Source: "fenced"}},
		{"capitalised keys", block(`{"Position": "X", "Confidence Level": 55}`), Reply{Position: "X", Confidence: confPtr(55), Source: "fenced"}},
		{"booleans as strings", block(`{"position": "X", "changed": "true", "converged": "Yes"}`),
			Reply{Position: "X", Changed: true, Converged: true, Source: "fenced"}},
		{"why as reason", block(`{"position": "X", "changed": true, "why": "  B's data  "}`),
			Reply{Position: "X", Changed: true, Reason: "B's data", Source: "fenced"}},
		{"change_reason", block(`{"position": "X", "change_reason": "new evidence"}`),
			Reply{Position: "X", Reason: "new evidence", Source: "fenced"}},
		{"ranking with commas", block(`{"position": "X", "ranking": "B, A, C"}`),
			Reply{Position: "X", Ranking: []string{"B", "A", "C"}, Source: "fenced"}},
		{"answer 3.50", block(`{"position": "X", "answer": 3.50}`), Reply{Position: "X", Answer: "3.5", Source: "fenced"}},
		{"answer 1e3", block(`{"answer": 1e3}`), Reply{Position: "1000", Answer: "1000", Source: "fenced"}},
		{"missing comma", block("{\"position\": \"X\"\n\"confidence\": 40}"), Reply{Position: "X", Confidence: confPtr(40), Source: "fenced"}},
		{"unquoted keys", block(`{position: "X", confidence: 40}`), Reply{Position: "X", Confidence: confPtr(40), Source: "fenced"}},
		{"position from prose when block lacks it",
			"**Position:** Use X\n\n```json\n{\"confidence\": 60, \"changed\": false}\n```\n",
			Reply{Position: "Use X", Confidence: confPtr(60), Source: "fenced"}},
		{"json block under another language is code", "```python\nd = {\"answer\": 41}\n```\n\nAnswer: 42\n",
			Reply{Position: "42", Answer: "42", Source: "prose"}},
		{"quoted position", "Position: \"Use X\"\nConfidence: 50%", Reply{Position: "Use X", Confidence: confPtr(50), Source: "prose"}},
		{"bold position value", "Position: **Use X**", Reply{Position: "Use X", Source: "prose"}},
		{"bold label then value", "- **Confidence**: 8/10", Reply{Confidence: confPtr(80), Source: "prose"}},
		{"confidence low", "Position: Y\nConfidence: Low", Reply{Position: "Y", Confidence: confPtr(30), Source: "prose"}},
		{"confidence word with number", "Position: Y\nConfidence: high (85%)", Reply{Position: "Y", Confidence: confPtr(85), Source: "prose"}},
		{"confidence range", "Position: Y\nConfidence: 70-80%", Reply{Position: "Y", Confidence: confPtr(75), Source: "prose"}},
		{"last occurrence wins", "Position: A\nConfidence: 40%\n\nOn reflection:\n\nPosition: B\nConfidence: 90%",
			Reply{Position: "B", Confidence: confPtr(90), Source: "prose"}},
		{"unreadable confidence keeps earlier", "Confidence: 40%\nConfidence: see above", Reply{Confidence: confPtr(40), Source: "prose"}},
		{"prose flags", "Position: Z\nChanged: yes\nConverged: no\nRanking: C > B > A",
			Reply{Position: "Z", Changed: true, Ranking: []string{"C", "B", "A"}, Source: "prose"}},
		{"labels on one line", "Position: Use A | B hybrid | Confidence: 80%",
			Reply{Position: "Use A | B hybrid", Confidence: confPtr(80), Source: "prose"}},
		{"full-width colon", "입장：현 상태 유지\n신뢰도：60%", Reply{Position: "현 상태 유지", Confidence: confPtr(60), Source: "prose"}},
		{"sentence mentioning position is not a label", "I think the position of the cache matters: put it first.", Reply{Source: "none"}},
		{"non-answer JSON ignored", "The config is {\"host\": \"db\", \"port\": 5432}.", Reply{Source: "none"}},
		{"last bare object", `Seat A said {"position": "P", "confidence": 10} but I say {"position": "Q", "confidence": 90}.`,
			Reply{Position: "Q", Confidence: confPtr(90), Source: "json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseReplyLongPosition(t *testing.T) {
	got := Parse(goldenReply(t, "long-position.md"))
	if n := utf8.RuneCountInString(got.Position); n > maxPositionRunes {
		t.Errorf("position has %d runes, want at most %d", n, maxPositionRunes)
	}
	if !strings.HasSuffix(got.Position, "…") {
		t.Errorf("position %q does not end with an ellipsis", got.Position)
	}
	head := strings.TrimSuffix(got.Position, "…")
	const full = "Adopt an event-sourced architecture for the order domain"
	if !strings.HasPrefix(head, full) {
		t.Errorf("position %q lost its beginning", got.Position)
	}
	// Cut at a word boundary: the text before the ellipsis ends a word of the original.
	in := goldenReply(t, "long-position.md")
	if i := strings.Index(in, head); i < 0 || !strings.ContainsAny(in[i+len(head):i+len(head)+1], " ,") {
		t.Errorf("position %q was cut inside a word", got.Position)
	}
	if got.Confidence == nil || *got.Confidence != 55 {
		t.Errorf("confidence = %v, want 55", got.Confidence)
	}
	// A cut position stays as it is when read again.
	if again := normalisePosition(got.Position); again != got.Position {
		t.Errorf("normalisePosition not idempotent: %q → %q", got.Position, again)
	}
}

func TestParseVerdict(t *testing.T) {
	tests := []struct {
		file   string
		want   Verdict
		wantOK bool
	}{
		{"verdict-arrays.md", Verdict{
			Recommendation: "Use PostgreSQL as the primary store; defer the cache until p95 exceeds 200 ms",
			Confidence:     82,
			Consensus:      []string{"PostgreSQL fits the relational workload", "The team's SQL experience lowers risk"},
			Disagreements:  []string{"Whether to introduce Redis now"},
			Dissent:        []string{"Seat C would add Redis from day one"},
			Risks:          []string{"Event volume may outgrow a single primary"},
			NextSteps:      []string{"Load-test at 2x projected volume", "Set a p95 alert at 200 ms"},
		}, true},
		{"verdict-single.md", Verdict{
			Recommendation: "Ship the feature behind a flag",
			Confidence:     90,
			Consensus:      []string{"Everyone prefers a flagged rollout"},
			Disagreements:  []string{},
			Dissent:        []string{},
			Risks:          []string{"Flag debt if it is never removed"},
			NextSteps:      []string{"Remove the flag after two weeks"},
		}, true},
		{"verdict-objects.md", Verdict{
			Recommendation: "Adopt Kubernetes only for the stateless services",
			Confidence:     70,
			Consensus:      []string{"Stateful workloads stay on VMs"},
			Disagreements:  []string{"managed vs self-hosted (positions: A: managed, B: self-hosted)"},
			Dissent:        []string{"B: Self-host to avoid vendor lock-in", "C, D: Skip Kubernetes entirely (reason: team too small)"},
			Risks:          []string{"Operational load (mitigation: use a managed control plane)"},
			NextSteps:      []string{"Pilot with the API gateway (owner: platform team)", "3"},
		}, true},
		{"verdict-prose.md", Verdict{
			Recommendation: "Run the migration over a weekend with a tested rollback plan",
			Confidence:     75,
			Consensus:      []string{"A rollback plan is mandatory", "The migration must not touch the billing tables"},
			Disagreements:  []string{},
			Dissent:        []string{},
			Risks:          []string{"The rollback has never been rehearsed on production-sized data", "Weekend staffing is thin"},
			NextSteps:      []string{"rehearse the rollback on a production snapshot"},
		}, true},
		{"verdict-none.md", Verdict{
			Consensus: []string{}, Disagreements: []string{}, Dissent: []string{}, Risks: []string{}, NextSteps: []string{},
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in := goldenReply(t, tt.file)
			got, ok := ParseVerdict(in)
			if ok != tt.wantOK {
				t.Errorf("ok = %v, want %v", ok, tt.wantOK)
			}
			if got.Text != in {
				t.Errorf("Text is not the full reply")
			}
			tt.want.Text = in
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseVerdict(%s) mismatch (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

func TestParseVerdictQuotedParticipant(t *testing.T) {
	// The chair quotes a participant's block first; its own verdict comes last.
	in := "B's final block was:\n\n```json\n{\"position\": \"Use MySQL\", \"confidence\": 60}\n```\n\n" +
		"Weighing all three:\n\n```json\n{\"recommendation\": \"Use PostgreSQL\", \"confidence\": 0.8, \"dissent\": [\"B prefers MySQL\"]}\n```\n"
	got, ok := ParseVerdict(in)
	if !ok || got.Recommendation != "Use PostgreSQL" || got.Confidence != 80 {
		t.Errorf("got %q %d ok=%v, want %q 80 true", got.Recommendation, got.Confidence, ok, "Use PostgreSQL")
	}
	if diff := cmp.Diff([]string{"B prefers MySQL"}, got.Dissent); diff != "" {
		t.Errorf("dissent (-want +got):\n%s", diff)
	}
}

func TestRepairJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a": 1,}`, `{"a": 1}`},
		{`{"a": [1, 2,], }`, `{"a": [1, 2] }`},
		{`{'a': 'it\'s'}`, `{"a": "it's"}`},
		{"{\"a\": 1 // note\n}", "{\"a\": 1\n}"},
		{`{"a": 1 /* x */}`, `{"a": 1}`},
		{`{a: True, b: None}`, `{"a": true, "b": null}`},
		{`{"a": 80%}`, `{"a": "80%"}`},
		{`{"a": "x`, `{"a": "x"}`},
		{`{"a": [1, {"b": 2`, `{"a": [1, {"b": 2}]}`},
		{"{\"a\": \"line\nbreak\"}", `{"a": "line\nbreak"}`},
		{`{"a": “curly”}`, `{"a": "curly"}`},
	}
	for _, tt := range tests {
		if got := repairJSON(tt.in); got != tt.want {
			t.Errorf("repairJSON(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestParseReplyClaims: the claims and new_argument keys are read in every shape the
// prompt allows, and a reply without them parses as before.
func TestParseReplyClaims(t *testing.T) {
	text := "Reasoning.\n```json\n" + `{"position": "42", "answer": "42", "confidence": 70, "changed": true,
 "claims": [{"claim": "the train leaves at 9", "stance": "agree"}, {"text": "B's speed is 60 km/h", "agree": false}, "a plain claim", {"claim": "C forgot the stop", "stance": "Disagree — it is counted"}],
 "new_argument": "the timetable says 9:00, not 9:30"}` + "\n```"
	r := Parse(text)
	want := []Claim{
		{Text: "the train leaves at 9", Stance: StanceAgree},
		{Text: "B's speed is 60 km/h", Stance: StanceDisagree},
		{Text: "a plain claim", Stance: StanceAgree},
		{Text: "C forgot the stop", Stance: StanceDisagree},
	}
	if len(r.Claims) != len(want) {
		t.Fatalf("claims = %+v, want %+v", r.Claims, want)
	}
	for i := range want {
		if r.Claims[i] != want[i] {
			t.Errorf("claim %d = %+v, want %+v", i, r.Claims[i], want[i])
		}
	}
	if r.NewArgument != "the timetable says 9:00, not 9:30" {
		t.Errorf("new_argument = %q", r.NewArgument)
	}
	old := Parse("```json\n{\"position\": \"x\", \"confidence\": 50}\n```")
	if old.Claims != nil || old.NewArgument != "" || old.Position != "x" {
		t.Errorf("old reply = %+v", old)
	}
	many := Parse("```json\n{\"position\": \"x\", \"claims\": [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\"]}\n```")
	if len(many.Claims) != maxClaims {
		t.Errorf("claims not capped: %d", len(many.Claims))
	}
}
