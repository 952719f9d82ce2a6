package report_test

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/report"
	"github.com/parleyhq/parley/provider"
)

func renderHTML(t *testing.T, rec *debate.Record) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.HTML(&b, rec); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestHTMLNeutralizesTheHostileAnswer: the golden debate's seat C answered with a
// <script>, an <img onerror> and a javascript: link. None may survive as markup; the
// script must still be readable as text.
func TestHTMLNeutralizesTheHostileAnswer(t *testing.T) {
	page := renderHTML(t, goldenRecord(t))
	for _, bad := range []string{"<script>alert", "<script", "onerror=", "javascript:", "<img"} {
		if strings.Contains(strings.ToLower(page), bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the <script> an answer quoted is not shown as text")
	}
	// The javascript: link keeps its words, loses its target; the https link works.
	if !strings.Contains(page, "See the cache notes and the ") {
		t.Error("the javascript: link's text is not shown as plain text")
	}
	if !strings.Contains(page, `<a href="https://docs.djangoproject.com/en/5.1/topics/cache/" rel="noopener noreferrer nofollow">Django cache framework</a>`) {
		t.Error("an https link in an answer is not rendered as a safe link")
	}
	checkInert(t, page)

	// Nothing is fetched: no resource of any kind, and every URL on the page is the
	// target of a link a reader may choose to follow.
	for _, bad := range []string{"@import", "url(", "src=", "<link", "srcset"} {
		if strings.Contains(strings.ToLower(page), bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
	links := regexp.MustCompile(`<a href="https?://[^"]*" rel="noopener noreferrer nofollow">`)
	if rest := links.ReplaceAllString(page, ""); strings.Contains(rest, "http://") || strings.Contains(rest, "https://") {
		i := strings.Index(rest, "://")
		t.Errorf("a URL outside a link: …%s…", rest[max(0, i-40):min(len(rest), i+40)])
	}
}

// checkInert parses the page as a browser would and checks that it can run nothing
// and fetch nothing: no script element, no event-handler attribute, no resource
// attribute, no link other than http(s) or in-page, no style that imports or loads a
// url(). Hostile text shown as text is fine: it is not markup.
func checkInert(t *testing.T, page string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(page))
	inStyle := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				t.Fatalf("tokenizing: %v", z.Err())
			}
			return
		case html.TextToken:
			if inStyle {
				css := strings.ToLower(string(z.Text()))
				for _, bad := range []string{"@import", "url(", "://"} {
					if strings.Contains(css, bad) {
						t.Errorf("the stylesheet contains %q", bad)
					}
				}
			}
			continue
		case html.EndTagToken:
			inStyle = false
			continue
		case html.StartTagToken, html.SelfClosingTagToken:
		default:
			continue
		}
		tok := z.Token()
		inStyle = tok.Data == "style" && tt == html.StartTagToken
		switch tok.Data {
		case "script", "iframe", "object", "embed", "img", "link", "base", "form", "input", "video", "audio", "source", "image", "use", "foreignobject":
			t.Errorf("the page has a <%s> element", tok.Data)
		}
		for _, a := range tok.Attr {
			key := strings.ToLower(a.Key)
			val := strings.TrimSpace(strings.ToLower(a.Val))
			switch {
			case strings.HasPrefix(key, "on"):
				t.Errorf("<%s> has an event handler %s=%q", tok.Data, a.Key, a.Val)
			case key == "src" || key == "srcset" || key == "xlink:href" || key == "action" || key == "formaction" || key == "background" || key == "poster":
				t.Errorf("<%s> has a resource attribute %s=%q", tok.Data, a.Key, a.Val)
			case key == "href":
				if tok.Data != "a" || !(strings.HasPrefix(val, "https://") || strings.HasPrefix(val, "http://") || strings.HasPrefix(val, "#")) {
					t.Errorf("<%s href=%q> is not an http(s) or in-page link", tok.Data, a.Val)
				}
				if strings.HasPrefix(val, "http") && !hasRel(tok.Attr, "noopener", "noreferrer") {
					t.Errorf("<a href=%q> lacks rel=noopener noreferrer", a.Val)
				}
			case key == "http-equiv" && val == "refresh":
				t.Error("the page redirects")
			case strings.Contains(val, "://") || strings.Contains(val, "url(") || strings.Contains(val, "javascript:"):
				t.Errorf("<%s %s=%q> names a URL", tok.Data, a.Key, a.Val)
			}
		}
	}
}

func hasRel(attrs []html.Attribute, want ...string) bool {
	for _, a := range attrs {
		if a.Key != "rel" {
			continue
		}
		rel := strings.Fields(a.Val)
		for _, w := range want {
			found := false
			for _, r := range rel {
				found = found || r == w
			}
			if !found {
				return false
			}
		}
		return true
	}
	return false
}

// TestHTMLEscapesEveryField puts hostile text in every string the Record carries,
// not only in answers: positions, reasons, errors, model names, the problem, notes,
// warnings, the verdict's lists. None may turn into markup.
func TestHTMLEscapesEveryField(t *testing.T) {
	const x = `"><script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">j</a><style>@import url(https://evil.example/x.css)</style>`
	conf := func(n int) *int { return &n }
	seat := func(s string) debate.Seat { return debate.Seat{Seat: s, Model: "openai:" + x, Persona: x} }
	turn := func(text string, c int, changed bool) *debate.Turn {
		return &debate.Turn{Text: text + x, Reply: debate.Reply{Position: x, Confidence: conf(c), Changed: changed, Reason: x}, Usage: provider.Usage{InputTokens: 10, OutputTokens: 5}, Attempts: 1}
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	events := []debate.Event{
		{DebateID: "d1", Seq: 1, At: at, Kind: debate.KindDebateStarted, Started: &debate.Started{Spec: debate.Spec{Problem: x + "\nsecond line " + x, Mode: x}, Panel: []debate.Seat{seat("A"), seat("B")}}},
		{DebateID: "d1", Seq: 2, At: at, Kind: debate.KindRoundStarted, Round: 1, RoundKind: x},
		{DebateID: "d1", Seq: 3, At: at, Kind: debate.KindTurnCompleted, Round: 1, Seat: "A", Turn: turn("a1", 60, false)},
		{DebateID: "d1", Seq: 4, At: at, Kind: debate.KindTurnFailed, Round: 1, Seat: "B", Turn: &debate.Turn{ErrorClass: provider.Class(x), Error: x, Attempts: 2}},
		{DebateID: "d1", Seq: 5, At: at, Kind: debate.KindRoundCompleted, Round: 1, Agreement: &debate.Agreement{Live: 1, Failed: 1}},
		{DebateID: "d1", Seq: 6, At: at, Kind: debate.KindUserNote, Round: 1, Text: x},
		{DebateID: "d1", Seq: 7, At: at, Kind: debate.KindRoundStarted, Round: 2, RoundKind: x},
		{DebateID: "d1", Seq: 8, At: at, Kind: debate.KindTurnCompleted, Round: 2, Seat: "A", Turn: turn("a2", 70, true)},
		{DebateID: "d1", Seq: 9, At: at, Kind: debate.KindTurnCompleted, Round: 2, Seat: "B", Turn: turn("b2", 80, false)},
		{DebateID: "d1", Seq: 10, At: at, Kind: debate.KindRoundCompleted, Round: 2, Agreement: &debate.Agreement{Live: 2}},
		{DebateID: "d1", Seq: 11, At: at, Kind: debate.KindVerdictFailed, Round: 3, Seat: "A", Turn: &debate.Turn{ErrorClass: provider.Class(x), Error: x, Attempts: 1}},
		{DebateID: "d1", Seq: 12, At: at, Kind: debate.KindVerdictCompleted, Round: 3, Seat: "B", Turn: turn("v", 0, false), Verdict: &debate.Verdict{
			Recommendation: x, Confidence: 77, By: x, Consensus: []string{x}, Disagreements: []string{x}, Dissent: []string{x}, Risks: []string{x}, NextSteps: []string{x}, Text: x}},
		{DebateID: "d1", Seq: 13, At: at, Kind: debate.KindDebateFinished, Finished: &debate.Finished{Status: debate.StatusCompleted, StoppedBecause: x, Error: x}},
	}
	rec := debate.Replay(events)
	rec.Warnings = append(rec.Warnings, x)
	page := renderHTML(t, rec)
	checkInert(t, page)
	if strings.Contains(page, "<script") || strings.Contains(page, "<style>@import") {
		t.Error("hostile markup survived")
	}
	if n := strings.Count(page, "<style>"); n != 1 {
		t.Errorf("%d <style> elements, want only the page's own", n)
	}
	// The hostile text is still there, as text, for a reader to see.
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the hostile text is not shown")
	}
}

func TestHTMLIsAPageForPhonesAndDarkMode(t *testing.T) {
	page := renderHTML(t, goldenRecord(t))
	for _, want := range []string{
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'`,
		`@media (prefers-color-scheme: dark)`,
		`<html lang="ko">`,
		`<meta charset="utf-8">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

// The HTML carries the Markdown report's content in the same order: the verdict
// first, then the evidence.
func TestHTMLOrderAndContent(t *testing.T) {
	rec := goldenRecord(t)
	page := renderHTML(t, rec)
	order := []string{
		`<section class="verdict" id="verdict">`,
		"Profile the top endpoints first",
		"Where the panel agreed", "Where it did not", "Dissent", "Risks", "Next steps",
		// The golden debate's problem is Korean, so the page's own labels are too.
		`<section id="evidence">`, "첫 독립 답변의 단순 다수결", "입장 변경", "토론 비용",
		`<section id="chart">`, `<svg viewBox=`,
		`<section id="positions">`,
		`<section id="failures">`, "rate_limited (429)", "after 3 attempt(s)",
		`<section id="ledger">`,
		`<section id="stopped">`, "Stopped because: all rounds run.",
		`<section id="transcript">`,
	}
	pos := 0
	for _, s := range order {
		i := strings.Index(page[pos:], s)
		if i < 0 {
			t.Fatalf("%q missing or out of order (searched after byte %d)", s, pos)
		}
		pos += i + len(s)
	}
	// Every turn is folded in the transcript, the verdict's too.
	turns := 1
	for _, r := range rec.Rounds {
		turns += len(r.Turns)
	}
	if got := strings.Count(page, `<details class="turn`); got != turns {
		t.Errorf("%d folded turns, want %d", got, turns)
	}
	for _, want := range []string{
		"우리 Django API가 느립니다", // the problem, Korean intact
		"캐시나 인덱스를 추가하기 전에",    // an answer
		"<b>Seat B</b>",                      // the flip's seat
		"A showed that adding indexes blind", // the flip's reason
		"✂ cut",                              // the truncated turn
		`<a class="failed" href="#r2-C">failed: rate_limited</a>`,
		`<details class="turn turn-failed" id="r2-C">`,
		`<div class="bar"><span style="width: 82%">`,
		"21,339 tokens, 4.8×",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// The sections other modes add (peer review, vote, what the panel was given) appear
// where the Markdown report has them, escaped like the rest.
func TestHTMLModeSections(t *testing.T) {
	const x = `<script>alert(1)</script>`
	rec := goldenRecord(t)
	rec.Panel[1].Role = "skeptic" + x
	rec.Ranking = []debate.RankEntry{{Seat: "B", Model: "anthropic:claude-sonnet-4-5", Points: 4, Rank: 1, Votes: 2}, {Seat: "A", Points: 1, Rank: 2, Tied: true, Votes: 2}, {Seat: "C", Points: 1, Rank: 2, Tied: true, Votes: 2}}
	rec.Tally = &debate.Tally{Answers: []debate.TallyEntry{{Answer: "42" + x, Seats: []string{"A", "B"}, Votes: 2, Weight: 150}, {Answer: "41", Seats: []string{"C"}, Votes: 1, Weight: 60}}, Majority: "42" + x, Voters: 3}
	rec.Clarification = &debate.Clarification{Questions: []string{"How big is the table?" + x, "Which database?"}, Answers: []string{"40M rows"}}
	rec.Attachments = []debate.Attachment{{Path: "schema.sql" + x, Bytes: 120000, Included: 60000, Truncated: true}, {Path: "notes.md", Bytes: 900, Included: 900}}
	rec.Summaries = map[int]debate.TurnRecord{1: {Seat: "A", Model: "openai:gpt-5", Status: "ok"}}
	page := renderHTML(t, rec)
	checkInert(t, page)
	if strings.Contains(page, x) {
		t.Error("markup from the record survived")
	}
	order := []string{
		`<section class="verdict" id="verdict">`,
		`<section id="ranking">`, "<td>1</td><td class=\"text\">B</td><td class=\"text\">anthropic:claude-sonnet-4-5</td><td>4</td><td>2</td>", "<td>2 (tie)</td><td class=\"text\">A</td><td class=\"text\">openai:gpt-5</td>",
		`<section id="vote">`, "<td>2</td><td>150</td><td class=\"text\">A, B</td>", "Confidence-weighted: <b>tied</b>. 3 seats voted.",
		`<section id="evidence">`,
		`<section id="positions">`,
		`<section id="failures">`,
		`<section id="material">`, "How big is the table?&lt;script&gt;", "— 40M rows", "Which database? — <i>(no answer)</i>",
		"first 60,000 bytes (cut to fit the attachment budget)", "all of it",
		"Round 2 after round 1 read a summary by seat A (openai:gpt-5) instead of the full answers.",
		`<section id="ledger">`,
	}
	pos := 0
	for _, s := range order {
		i := strings.Index(page[pos:], s)
		if i < 0 {
			t.Fatalf("%q missing or out of order (searched after byte %d)", s, pos)
		}
		pos += i + len(s)
	}
	if !strings.Contains(page, `<b>B</b> anthropic:claude-sonnet-4-5 <span class="muted">as skeptic&lt;script&gt;`) {
		t.Error("the seat's role is not shown in the panel")
	}
}
