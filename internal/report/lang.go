package report

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"

	"github.com/parleyhq/parley/debate"
)

// Language is the report's language: that of the problem, so that a Korean
// question gets a Korean report around the panel's Korean answers. Only the
// languages the phrases below have are told apart; everything else is English.
func Language(rec *debate.Record) string {
	// Words, not letters: a Hangul syllable is one letter, and Korean questions about
	// software are full of English terms ("Redis", "query optimization").
	hangul, words := 0, 0
	for _, w := range strings.FieldsFunc(rec.Problem, func(r rune) bool { return !unicode.IsLetter(r) }) {
		words++
		for _, r := range w {
			if unicode.Is(unicode.Hangul, r) {
				hangul++
				break
			}
		}
	}
	if words > 0 && hangul*4 >= words {
		return "ko"
	}
	return "en"
}

// l is the report's fixed phrase id in the report's language: a fmt format (or plain
// text) for the caller to fill in. The phrases live in a golang.org/x/text catalogue,
// keyed by id rather than by their English, so that rewording the English does not
// orphan a translation.
//
// The catalogue only finds the phrase; fmt fills it in. x/text's printer formats
// numbers for the language (1234 → "1,234" in English and Korean alike), which would
// change every report that prints a count of a thousand or more: so each phrase is
// stored with its '%' doubled, the printer hands back the phrase itself, and the
// caller formats it as before. A missing id comes back as the id: the tests check
// that every id used has both languages.
func l(rec *debate.Record, id string) string {
	lang := Language(rec)
	p, ok := printers()[lang]
	if !ok {
		p = printers()["en"]
	}
	return p.Sprintf(id)
}

// printers are one message printer per report language, over the catalogue built
// from phrases once, on first use (not at init: most commands render no report).
var printers = sync.OnceValue(func() map[string]*message.Printer {
	cat := catalog.NewBuilder()
	for _, ph := range phrases {
		// SetString fails only for a malformed message, which a plain string is not.
		_ = cat.SetString(language.English, ph.id, escapePercent(ph.en))
		_ = cat.SetString(language.Korean, ph.id, escapePercent(ph.ko))
	}
	return map[string]*message.Printer{
		"en": message.NewPrinter(language.Make("en"), message.Catalog(cat)),
		"ko": message.NewPrinter(language.Make("ko"), message.Catalog(cat)),
	}
})

// escapePercent doubles every '%', so that the printer, which reads a stored phrase
// as a format, gives the phrase back unchanged.
func escapePercent(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// phrase is one fixed phrase of the reports, in each language. The verbs (%s, %d …)
// must stay in the same order in both, or be indexed (%[3]s). A phrase must not hold
// "${", which x/text's message format reads as a substitution.
type phrase struct{ id, en, ko string }

// phrases are every label the reports translate. A few remain English in every report
// (the peer review, vote and attachment tables, summaries, a failed turn in the
// transcript): they are written as plain strings where they are used, not here, until
// someone translates them.
var phrases = []phrase{
	{"header.meta", "*parley debate `%s` · mode %s · %s · %s*\n\n", "*parley 토론 `%s` · 모드 %s · %s · %s*\n\n"},
	{"header.warning", "> **Warning:** %s\n\n", "> **주의:** %s\n\n"},
	{"footer.full_answers", "\nThe full answers: `parley show %s --transcript`.\n", "\n전체 답변: `parley show %s --transcript`.\n"},
	{"verdict.none.heading", "## No verdict\n\n", "## 결론 없음\n\n"},
	{"verdict.none.unfinished", "The debate has not finished. Continue it with `parley resume %s`.\n\n", "토론이 끝나지 않았습니다. `parley resume %s`로 이어서 진행하세요.\n\n"},
	{"verdict.confidence", "## Verdict — confidence %d%%\n\n", "## 결론 — 신뢰도 %d%%\n\n"},
	{"verdict.by", "*Written by %s as chair.*\n\n", "*의장 %s 작성.*\n\n"},
	{"verdict.degraded", "> **Degraded verdict:** %s.\n\n", "> **축소된 결론:** %s.\n\n"},
	{"failures.out.heading", "**Seats out of the debate** (not asked again after the round they failed):\n\n", "**토론에서 빠진 자리** (실패한 라운드 이후 다시 묻지 않음):\n\n"},
	{"failures.out.item", "- Seat %s (%s): out after round %d, at %s — %s\n", "- 자리 %s (%s): 라운드 %d 이후 제외, %s — %s\n"},
	{"verdict.agreed", "Where the panel agreed", "합의한 점"},
	{"verdict.disagreed", "Where it did not", "합의하지 못한 점"},
	{"verdict.dissent", "Dissent", "소수 의견"},
	{"verdict.risks", "Risks", "위험"},
	{"verdict.next_steps", "Next steps", "다음 단계"},
	{"evidence.heading", "## Did the debate change anything?\n\n", "## 토론이 결과를 바꾸었는가?\n\n"},
	{"evidence.baseline.majority", "- **Plain majority vote of the first, independent answers** (%d of %d: seats %s): %s.%s\n", "- **첫 독립 답변의 단순 다수결** (%d/%d, 좌석 %s): %s.%s\n"},
	{"evidence.baseline.split", "- **Plain majority vote of the first, independent answers:** no majority; the %d first answers were split. The largest group (%d, seats %s): %s.%s\n", "- **첫 독립 답변의 단순 다수결:** 다수 없음; 첫 답변 %d개가 갈렸습니다. 가장 큰 그룹 (%d, 좌석 %s): %s.%s\n"},
	{"evidence.baseline.heuristic", "  *(positions grouped by shared wording: a heuristic)*\n", "  *(공통 단어로 묶은 입장: 근사치)*\n"},
	{"evidence.changes.none", "- **Changes of mind:** none; every seat kept its position.\n", "- **입장 변경:** 없음; 모든 좌석이 입장을 유지했습니다.\n"},
	{"evidence.changes.heading", "- **Changes of mind:**\n", "- **입장 변경:**\n"},
	{"evidence.changes.item", "  - Seat %s (%s), round %d: %s → %s — *%s*\n", "  - 좌석 %s (%s), %d라운드: %s → %s — *%s*\n"},
	{"evidence.cost", "- **Cost of debating:** the rounds after the first used %s tokens, %.1f× the independent round's %s.\n", "- **토론 비용:** 첫 라운드 이후 라운드가 %s 토큰을 사용했습니다. 독립 라운드(%[3]s)의 %.1[2]f배입니다.\n"},
	{"positions.heading", "## Positions by round\n\n| Seat | Model |", "## 라운드별 입장\n\n| 좌석 | 모델 |"},
	{"positions.round", " Round %d (%s) |", " %d라운드 (%s) |"},
	{"positions.legend", "\n↺ the seat changed its position in that round. ✂ the answers it read were cut to fit its context budget (the cut was marked in its prompt).\n\n", "\n↺ 그 라운드에서 입장을 바꾼 좌석. ✂ 읽은 답변이 컨텍스트 예산에 맞게 잘린 좌석 (잘린 곳은 프롬프트에 표시됨).\n\n"},
	{"failures.heading", "## Failed turns\n\n", "## 실패한 차례\n\n"},
	{"notes.heading", "## Your notes to the panel\n\n", "## 패널에게 남긴 메모\n\n"},
	{"notes.item", "- After round %d: %s\n", "- %d라운드 후: %s\n"},
	{"ledger.heading", "## Ledger\n\n| Seat | Model | Calls | Failed | Input tokens | Output tokens | Cost | Model time |\n|---|---|--:|--:|--:|--:|--:|--:|\n", "## 장부\n\n| 좌석 | 모델 | 호출 | 실패 | 입력 토큰 | 출력 토큰 | 비용 | 모델 시간 |\n|---|---|--:|--:|--:|--:|--:|--:|\n"},
	{"ledger.total", "| **Total** | | | | **%s** | **%s** | **%s** | |\n\n", "| **합계** | | | | **%s** | **%s** | **%s** | |\n\n"},
	{"ledger.rounds.heading", "| Round | Kind | Answered | Input tokens | Output tokens | Wall time |\n|--:|---|--:|--:|--:|--:|\n", "| 라운드 | 종류 | 답변 | 입력 토큰 | 출력 토큰 | 소요 시간 |\n|--:|---|--:|--:|--:|--:|\n"},
	{"ledger.stopped", "\nTotal time %s. Stopped because: %s.\n", "\n총 시간 %s. 종료 이유: %s.\n"},
	{"ledger.unknown_price", "Cost shows $0 where a model's price is unknown to parley; set `price:` for it in the config.\n", "가격을 모르는 모델의 비용은 $0으로 표시됩니다. 설정 파일에서 `price:`를 지정하세요.\n"},
	{"transcript.heading", "\n## Transcript\n", "\n## 기록\n"},
	{"transcript.round", "\n### Round %d — %s\n", "\n### %d라운드 — %s\n"},
	{"transcript.seat", "\n#### Seat %s — %s\n\n", "\n#### 좌석 %s — %s\n\n"},
	{"transcript.verdict", "\n### Verdict — seat %s (%s) as chair\n\n%s\n", "\n### 결론 — 의장 좌석 %s (%s)\n\n%s\n"},
	{"material.heading", "## What the panel was given\n\n", "## 패널에게 주어진 자료\n\n"},
	{"material.questions", "The chair's questions before the debate, and your answers:\n\n", "토론 전 의장의 질문과 답변:\n\n"},
	{"verdict.calibration", "Confidence: %d%% stated, %d%% calibrated (eval %s, %d verdicts, Brier %.2f).", "신뢰도: 표명 %d%%, 보정 %d%% (평가 %s, 결론 %d개, Brier %.2f)."},
	{"flips.heading", "## Flips\n\n", "## 입장 번복\n\n"},
	{"flips.table", "| Seat | Round | From → to | Kind | Reason |\n|---|--:|---|---|---|\n", "| 좌석 | 라운드 | 이전 → 이후 | 종류 | 이유 |\n|---|--:|---|---|---|\n"},
	{"flips.table.direction", "| Seat | Round | From → to | Kind | Direction | Reason |\n|---|--:|---|---|---|---|\n", "| 좌석 | 라운드 | 이전 → 이후 | 종류 | 방향 | 이유 |\n|---|--:|---|---|---|---|\n"},
	{"flips.rounds.table", "\n| Round | Answered | Changed | Majority | Tokens | Cost |\n|--:|--:|--:|---|--:|--:|\n", "\n| 라운드 | 답변 | 바뀐 답 | 다수 | 토큰 | 비용 |\n|--:|--:|--:|---|--:|--:|\n"},
	{"flips.counts", "Conformity (moved to the majority with no new argument): %d. Argued (gave an argument new to the seat): %d. Neither: %d.", "동조 (새 논거 없이 다수로 이동): %d. 새 논거 (그 좌석에게 새로운 논거 제시): %d. 그 외: %d."},
	{"flips.directions", "Against the reference answer: %d wrong → right, %d right → wrong.", "정답 기준: 오답 → 정답 %d, 정답 → 오답 %d."},
	{"flips.kind.conformity", "conformity", "동조"},
	{"flips.kind.argued", "argued", "새 논거"},
	{"flips.kind.unargued", "unargued", "논거 없음"},
	{"flips.no_reason", "no reason given", "이유 없음"},
	{"flips.moved", " (moved)", " (이동)"},
	{"flips.direction.wrong-right", "wrong → right", "오답 → 정답"},
	{"flips.direction.right-wrong", "right → wrong", "정답 → 오답"},
	{"flips.direction.wrong-wrong", "wrong → wrong", "오답 → 오답"},
	{"flips.direction.right-right", "right → right", "정답 → 정답"},
	{"html.verdict", "Verdict", "결론"},
	{"html.no_verdict", "No verdict", "결론 없음"},
	{"html.peer_review", "Peer review", "동료 평가"},
	{"html.vote", "Vote", "투표"},
	{"html.evidence", "Did the debate change anything?", "토론이 결과를 바꾸었는가?"},
	{"html.baseline", "Plain majority vote of the first, independent answers", "첫 독립 답변의 단순 다수결"},
	{"html.changes", "Changes of mind", "입장 변경"},
	{"html.cost_of_debating", "Cost of debating", "토론 비용"},
	{"html.chart", "Confidence by round", "라운드별 신뢰도"},
	{"html.positions", "Positions by round", "라운드별 입장"},
	{"html.failures", "Failed turns", "실패한 차례"},
	{"html.notes", "Your notes to the panel", "패널에게 남긴 메모"},
	{"html.material", "What the panel was given", "패널에게 주어진 자료"},
	{"html.ledger", "Ledger", "장부"},
	{"html.stopped", "Why it stopped", "종료 이유"},
	{"html.transcript", "Transcript", "기록"},
	{"col.rank", "Rank", "순위"},
	{"col.seat", "Seat", "좌석"},
	{"col.model", "Model", "모델"},
	{"col.points", "Points", "점수"},
	{"col.ranked_by", "Ranked by", "평가자 수"},
	{"col.answer", "Answer", "답"},
	{"col.votes", "Votes", "표"},
	{"col.weighted", "Confidence-weighted", "신뢰도 가중"},
	{"col.seats", "Seats", "좌석"},
	{"col.attached_file", "Attached file", "첨부 파일"},
	{"col.size", "Size", "크기"},
	{"col.read_by_panel", "Read by the panel", "패널이 읽은 양"},
	{"col.calls", "Calls", "호출"},
	{"col.failed", "Failed", "실패"},
	{"col.input_tokens", "Input tokens", "입력 토큰"},
	{"col.output_tokens", "Output tokens", "출력 토큰"},
	{"col.cost", "Cost", "비용"},
	{"col.model_time", "Model time", "모델 시간"},
	{"col.total", "Total", "합계"},
	{"col.round", "Round", "라운드"},
	{"col.kind", "Kind", "종류"},
	{"col.answered", "Answered", "답변"},
	{"col.wall_time", "Wall time", "소요 시간"},
	{"html.flips", "Flips", "입장 번복"},
	{"col.from_to", "From → to", "이전 → 이후"},
	{"col.direction", "Direction", "방향"},
	{"col.reason", "Reason", "이유"},
	{"col.changed", "Changed", "바뀐 답"},
	{"col.majority", "Majority", "다수"},
	{"col.tokens", "Tokens", "토큰"},
}
