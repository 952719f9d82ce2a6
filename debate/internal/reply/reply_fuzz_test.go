package reply

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// seedReplies adds every golden reply, plus a few hostile fragments, to f's corpus.
func seedReplies(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "replies", "*.md"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	for _, s := range []string{
		"", "{", "}", "```", "```json\n{", "~~~~\n{\"position\":", "\"\\", "{\"confidence\": 1e999}",
		"Confidence: 99999999999999999999999999/0", "Position: **", "> ```json\n> {}",
		"{'position': 'x' // c\n, 'confidence': .5,}", "신뢰도: 높음", "Ranking: > > >",
	} {
		f.Add(s)
	}
}

var replySources = map[string]bool{SourceFenced: true, SourceJSON: true, SourceProse: true, SourceNone: true}

// canonicalBlock renders r as the block the contract asks participants to write.
func canonicalBlock(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %#v: %v", v, err)
	}
	return "```json\n" + string(b) + "\n```\n"
}

func FuzzParseReply(f *testing.F) {
	seedReplies(f)
	f.Fuzz(func(t *testing.T, text string) {
		r := Parse(text)
		if r.Confidence != nil && (*r.Confidence < 0 || *r.Confidence > 100) {
			t.Fatalf("confidence %d out of range", *r.Confidence)
		}
		if !replySources[r.Source] {
			t.Fatalf("source %q", r.Source)
		}
		if r.Source == SourceNone && (r.Position != "" || r.Confidence != nil) {
			t.Fatalf("source none but found %+v", r)
		}

		// What parley read, written back as a proper block, reads back the same: the
		// normalisation is stable and nothing is lost between the two readings.
		again := Parse(canonicalBlock(t, r))
		if again.Source != SourceFenced {
			t.Fatalf("canonical block read from %q", again.Source)
		}
		if diff := cmp.Diff(r, again, cmpopts.IgnoreFields(Reply{}, "Source")); diff != "" {
			t.Fatalf("round trip differs (-first +again):\n%s\ninput: %q", diff, text)
		}
	})
}

func FuzzParseVerdict(f *testing.F) {
	seedReplies(f)
	f.Fuzz(func(t *testing.T, text string) {
		v, ok := ParseVerdict(text)
		if v.Confidence < 0 || v.Confidence > 100 {
			t.Fatalf("confidence %d out of range", v.Confidence)
		}
		if ok != (v.Recommendation != "") {
			t.Fatalf("ok=%v with recommendation %q", ok, v.Recommendation)
		}
		if v.Text != text || v.By != "" {
			t.Fatalf("Text or By altered")
		}
		for _, l := range [][]string{v.Consensus, v.Disagreements, v.Dissent, v.Risks, v.NextSteps} {
			if l == nil {
				t.Fatalf("nil list in %+v", v)
			}
		}
		if !ok {
			return
		}
		v.Text = ""
		again, ok2 := ParseVerdict(canonicalBlock(t, v))
		again.Text = ""
		if !ok2 {
			t.Fatalf("canonical block of %+v not read", v)
		}
		if diff := cmp.Diff(v, again); diff != "" {
			t.Fatalf("round trip differs (-first +again):\n%s\ninput: %q", diff, text)
		}
	})
}

// FuzzLabelPrefilter: the cheap tests in splitLabel never turn away a line that the
// label or heading patterns match; they only spare the regexp engine.
func FuzzLabelPrefilter(f *testing.F) {
	for _, s := range []string{
		"Position: x", "**Confidence:** 75%", "- Confidence Level (0-100): 80", "confidence = 85",
		`"position": "x",`, "신뢰도：80%", "  12. __Answer__ : 42", "## Risks", "**Next steps**",
		"\t# Position #", "The engine folds each event once, so: nothing", "snake_case: x", "• Reason: y",
		"`answer`= 7", "Answer (final)  :  9", "1) Position (short) = a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if labelLine.MatchString(s) && !mayBeLabelLine(s) {
			t.Errorf("%q matches the label pattern but the prefilter turned it away", s)
		}
		if headingLine.MatchString(s) {
			if _, _, ok := splitLabel(s); !ok {
				t.Errorf("%q matches the heading pattern but splitLabel missed it", s)
			}
		}
	})
}

func TestLabelPrefilterSparesProse(t *testing.T) {
	for _, s := range []string{
		"The engine, which folds each event once (docs/EVENTS.md): it no longer replays the log.",
		"It folds each event once (see docs/EVENTS.md, which says why at length): no replay.",
		"We should profile first, then index: the slow queries are known.",
		"Use snake_case names, e.g. user_id: they read better.",
	} {
		if mayBeLabelLine(s) {
			t.Errorf("%q passes the prefilter: the label regexp would run on every such line", s)
		}
	}
	if !mayBeLabelLine("**Confidence (0-100):** 80") || !mayBeLabelLine("My final position: cache") {
		t.Error("the prefilter turns away label lines")
	}
}

// FuzzSkippingProseChangesNothing: Parse reads the prose only for what the block
// left out; reading it always gives the same reply.
func FuzzSkippingProseChangesNothing(f *testing.F) {
	seedReplies(f)
	f.Add("```json\n{\"position\": \"x\", \"confidence\": 70}\n```\nFinal ANSWER: 42")
	f.Add("```json\n{\"position\": \"x\", \"confidence\": 70}\n```\n정답: 7")
	f.Fuzz(func(t *testing.T, text string) {
		skipped := Parse(text)
		alwaysScanProse = true
		full := Parse(text)
		alwaysScanProse = false
		if diff := cmp.Diff(full, skipped); diff != "" {
			t.Fatalf("skipping the prose changed the reply (-full +skipped):\n%s\ninput: %q", diff, text)
		}
	})
}
