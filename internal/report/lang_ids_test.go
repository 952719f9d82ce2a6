package report

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/parleyhq/parley/debate"
)

// Every phrase has an English and a Korean text, ids are unique, and both texts use
// the same verbs (an indexed verb may move, so the verbs are compared as sets).
func TestEveryPhraseHasEnglishAndKorean(t *testing.T) {
	verb := regexp.MustCompile(`%[-+# 0]*(\[\d+\])?\d*(\.\d+)?(\[\d+\])?[a-zA-Z%]`)
	verbs := func(s string) map[string]int {
		m := map[string]int{}
		for _, v := range verb.FindAllString(s, -1) {
			m[regexp.MustCompile(`\[\d+\]`).ReplaceAllString(v, "")]++
		}
		return m
	}
	seen := map[string]bool{}
	for _, ph := range phrases {
		if seen[ph.id] {
			t.Errorf("id %q twice", ph.id)
		}
		seen[ph.id] = true
		if strings.TrimSpace(ph.en) == "" || strings.TrimSpace(ph.ko) == "" {
			t.Errorf("%s: English %q, Korean %q; both are needed", ph.id, ph.en, ph.ko)
		}
		if strings.Contains(ph.en+ph.ko, "${") {
			t.Errorf("%s holds ${, which the message format would substitute", ph.id)
		}
		en, ko := verbs(ph.en), verbs(ph.ko)
		if len(en) != len(ko) {
			t.Errorf("%s: verbs %v in English, %v in Korean", ph.id, en, ko)
		}
		for v, n := range en {
			if ko[v] != n {
				t.Errorf("%s: verbs %v in English, %v in Korean", ph.id, en, ko)
				break
			}
		}
	}
}

// Every id the renderers name (l(rec, "…") in the Go files, {{$.T "…"}} in the page,
// and the ids flips.go builds from labels) is in the catalogue: a missing one would
// print as its id.
func TestEveryUsedIDIsInTheCatalogue(t *testing.T) {
	known := map[string]bool{}
	for _, ph := range phrases {
		known[ph.id] = true
	}
	var used []string
	goID := regexp.MustCompile(`l\(rec, ("(?:[^"\\]|\\.)*")`)
	for _, f := range []string{"report.go", "flips.go", "calibration.go", "html.go", "dir.go", "chart.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goID.FindAllStringSubmatch(string(src), -1) {
			id, err := strconv.Unquote(m[1])
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(id, ".") {
				continue // a prefix completed at run time, listed below
			}
			used = append(used, id)
		}
	}
	for _, m := range regexp.MustCompile(`\$\.T "([^"]*)"`).FindAllStringSubmatch(htmlTemplate, -1) {
		used = append(used, m[1])
	}
	for _, label := range []string{debate.FlipConformity, debate.FlipArgued, debate.FlipUnargued} {
		used = append(used, "flips.kind."+label)
	}
	for _, d := range []string{"wrong-right", "right-wrong", "wrong-wrong", "right-right"} {
		used = append(used, "flips.direction."+d)
	}
	if len(used) < 100 {
		t.Fatalf("found only %d ids in use: the patterns no longer match the sources", len(used))
	}
	for _, id := range used {
		if !known[id] {
			t.Errorf("%q is used but not in the catalogue", id)
		}
	}
}

// l hands back the phrase itself for the caller's fmt to fill in: a '%' survives
// the message printer, and numbers are not the printer's to group.
func TestLReturnsThePhraseUnformatted(t *testing.T) {
	en := &debate.Record{Problem: "What is six times seven?"}
	ko := &debate.Record{Problem: "여섯 곱하기 일곱은 무엇입니까?"}
	for _, tc := range []struct {
		rec      *debate.Record
		id, want string
	}{
		{en, "verdict.confidence", "## Verdict — confidence %d%%\n\n"},
		{ko, "verdict.confidence", "## 결론 — 신뢰도 %d%%\n\n"},
		{ko, "evidence.cost", "- **토론 비용:** 첫 라운드 이후 라운드가 %s 토큰을 사용했습니다. 독립 라운드(%[3]s)의 %.1[2]f배입니다.\n"},
		{en, "html.verdict", "Verdict"},
	} {
		if got := l(tc.rec, tc.id); got != tc.want {
			t.Errorf("l(%s) = %q, want %q", tc.id, got, tc.want)
		}
	}
}
