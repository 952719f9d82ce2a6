package report

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/debate"
)

func TestReportFollowsTheProblemsLanguage(t *testing.T) {
	for problem, want := range map[string]string{
		"Our Django API is slow: where do we start?":                       "en",
		"Django 기반 API 응답 속도가 느립니다. 어디부터 시작해야 할까요?":                        "ko",
		"API 응답이 느린데 Redis caching, DB indexing, query optimization 중 무엇?": "ko",
	} {
		rec := &debate.Record{Problem: problem, Verdict: &debate.Verdict{Recommendation: "r", Confidence: 70}}
		if got := Language(rec); got != want {
			t.Errorf("Language(%q) = %s, want %s", problem, got, want)
		}
		var b strings.Builder
		Markdown(&b, rec, Options{})
		heading := map[string]string{"en": "## Verdict — confidence 70%", "ko": "## 결론 — 신뢰도 70%"}[want]
		if !strings.Contains(b.String(), heading) {
			t.Errorf("%s report lacks %q", want, heading)
		}
		var h strings.Builder
		if err := HTML(&h, rec); err != nil {
			t.Fatal(err)
		}
		for _, part := range map[string][]string{"en": {`lang="en"`, "<h2>Verdict</h2>"}, "ko": {`lang="ko"`, "<h2>결론</h2>"}}[want] {
			if !strings.Contains(h.String(), part) {
				t.Errorf("%s HTML lacks %q", want, part)
			}
		}
	}
}
