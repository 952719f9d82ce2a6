package report

import (
	"strings"
	"unicode"

	"github.com/parleyhq/parley/debate"
)

// Language is the report's language: that of the problem, so that a Korean
// question gets a Korean report around the panel's Korean answers. Only the
// languages with a catalog below are told apart; everything else is English.
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

// l translates one of the report's fixed phrases (a format string) into the
// report's language; a phrase without a translation stays English.
func l(rec *debate.Record, format string) string {
	if t, ok := catalogs[Language(rec)][format]; ok {
		return t
	}
	return format
}

// catalogs hold the translations, keyed by the English format string. The verbs
// (%s, %d …) must stay in the same order.
var catalogs = map[string]map[string]string{
	"ko": {
		"*parley debate `%s` · mode %s · %s · %s*\n\n":                                   "*parley 토론 `%s` · 모드 %s · %s · %s*\n\n",
		"> **Warning:** %s\n\n":                                                          "> **주의:** %s\n\n",
		"\nThe full answers: `parley show %s --transcript`.\n":                           "\n전체 답변: `parley show %s --transcript`.\n",
		"## No verdict\n\n":                                                              "## 결론 없음\n\n",
		"> **Degraded verdict:** %s.\n\n":                                                "> **축소된 결론:** %s.\n\n",
		"**Seats out of the debate** (not asked again after the round they failed):\n\n": "**토론에서 빠진 자리** (실패한 라운드 이후 다시 묻지 않음):\n\n",
		"- Seat %s (%s): out after round %d, at %s — %s\n":                               "- 자리 %s (%s): 라운드 %d 이후 제외, %s — %s\n",
		"The debate has not finished. Continue it with `parley resume %s`.\n\n":          "토론이 끝나지 않았습니다. `parley resume %s`로 이어서 진행하세요.\n\n",
		"## Verdict — confidence %d%%\n\n":                                               "## 결론 — 신뢰도 %d%%\n\n",
		"*Written by %s as chair.*\n\n":                                                  "*의장 %s 작성.*\n\n",
		"Where the panel agreed":                                                         "합의한 점",
		"Where it did not":                                                               "합의하지 못한 점",
		"Dissent":                                                                        "소수 의견",
		"Risks":                                                                          "위험",
		"Next steps":                                                                     "다음 단계",
		"## Did the debate change anything?\n\n":                                         "## 토론이 결과를 바꾸었는가?\n\n",
		"- **Plain majority vote of the first, independent answers** (%d of %d: seats %s): %s.%s\n":                                                            "- **첫 독립 답변의 단순 다수결** (%d/%d, 좌석 %s): %s.%s\n",
		"- **Plain majority vote of the first, independent answers:** no majority; the %d first answers were split. The largest group (%d, seats %s): %s.%s\n": "- **첫 독립 답변의 단순 다수결:** 다수 없음; 첫 답변 %d개가 갈렸습니다. 가장 큰 그룹 (%d, 좌석 %s): %s.%s\n",
		"  *(positions grouped by shared wording: a heuristic)*\n":                                                                                             "  *(공통 단어로 묶은 입장: 근사치)*\n",
		"- **Changes of mind:** none; every seat kept its position.\n":                                                                                         "- **입장 변경:** 없음; 모든 좌석이 입장을 유지했습니다.\n",
		"- **Changes of mind:**\n":                     "- **입장 변경:**\n",
		"  - Seat %s (%s), round %d: %s → %s — *%s*\n": "  - 좌석 %s (%s), %d라운드: %s → %s — *%s*\n",
		"- **Cost of debating:** the rounds after the first used %s tokens, %.1f× the independent round's %s.\n": "- **토론 비용:** 첫 라운드 이후 라운드가 %s 토큰을 사용했습니다. 독립 라운드(%[3]s)의 %.1[2]f배입니다.\n",
		"## Positions by round\n\n| Seat | Model |":                                                              "## 라운드별 입장\n\n| 좌석 | 모델 |",
		" Round %d (%s) |": " %d라운드 (%s) |",
		"\n↺ the seat changed its position in that round. ✂ the answers it read were cut to fit its context budget (the cut was marked in its prompt).\n\n": "\n↺ 그 라운드에서 입장을 바꾼 좌석. ✂ 읽은 답변이 컨텍스트 예산에 맞게 잘린 좌석 (잘린 곳은 프롬프트에 표시됨).\n\n",
		"## Failed turns\n\n":            "## 실패한 차례\n\n",
		"## Your notes to the panel\n\n": "## 패널에게 남긴 메모\n\n",
		"- After round %d: %s\n":         "- %d라운드 후: %s\n",
		"## Ledger\n\n| Seat | Model | Calls | Failed | Input tokens | Output tokens | Cost | Model time |\n|---|---|--:|--:|--:|--:|--:|--:|\n": "## 장부\n\n| 좌석 | 모델 | 호출 | 실패 | 입력 토큰 | 출력 토큰 | 비용 | 모델 시간 |\n|---|---|--:|--:|--:|--:|--:|--:|\n",
		"| **Total** | | | | **%s** | **%s** | **%s** | |\n\n":                                                "| **합계** | | | | **%s** | **%s** | **%s** | |\n\n",
		"| Round | Kind | Answered | Input tokens | Output tokens | Wall time |\n|--:|---|--:|--:|--:|--:|\n": "| 라운드 | 종류 | 답변 | 입력 토큰 | 출력 토큰 | 소요 시간 |\n|--:|---|--:|--:|--:|--:|\n",
		"\nTotal time %s. Stopped because: %s.\n":                                                             "\n총 시간 %s. 종료 이유: %s.\n",
		"Cost shows $0 where a model's price is unknown to parley; set `price:` for it in the config.\n":      "가격을 모르는 모델의 비용은 $0으로 표시됩니다. 설정 파일에서 `price:`를 지정하세요.\n",
		"\n## Transcript\n":                                                     "\n## 기록\n",
		"\n### Round %d — %s\n":                                                 "\n### %d라운드 — %s\n",
		"\n#### Seat %s — %s\n\n":                                               "\n#### 좌석 %s — %s\n\n",
		"\n### Verdict — seat %s (%s) as chair\n\n%s\n":                         "\n### 결론 — 의장 좌석 %s (%s)\n\n%s\n",
		"## What the panel was given\n\n":                                       "## 패널에게 주어진 자료\n\n",
		"The chair's questions before the debate, and your answers:\n\n":        "토론 전 의장의 질문과 답변:\n\n",
		"## Flips\n\n":                                                          "## 입장 번복\n\n",
		"| Seat | Round | From → to | Kind | Reason |\n|---|--:|---|---|---|\n": "| 좌석 | 라운드 | 이전 → 이후 | 종류 | 이유 |\n|---|--:|---|---|---|\n",
		"| Seat | Round | From → to | Kind | Direction | Reason |\n|---|--:|---|---|---|---|\n":                                    "| 좌석 | 라운드 | 이전 → 이후 | 종류 | 방향 | 이유 |\n|---|--:|---|---|---|---|\n",
		"\n| Round | Answered | Changed | Majority | Tokens | Cost |\n|--:|--:|--:|---|--:|--:|\n":                                 "\n| 라운드 | 답변 | 바뀐 답 | 다수 | 토큰 | 비용 |\n|--:|--:|--:|---|--:|--:|\n",
		"Conformity (moved to the majority with no new argument): %d. Argued (gave an argument new to the seat): %d. Neither: %d.": "동조 (새 논거 없이 다수로 이동): %d. 새 논거 (그 좌석에게 새로운 논거 제시): %d. 그 외: %d.",
		"Against the reference answer: %d wrong → right, %d right → wrong.":                                                        "정답 기준: 오답 → 정답 %d, 정답 → 오답 %d.",
		"conformity": "동조", "argued": "새 논거", "unargued": "논거 없음", "no reason given": "이유 없음", " (moved)": " (이동)",
		"wrong → right": "오답 → 정답", "right → wrong": "정답 → 오답", "wrong → wrong": "오답 → 오답", "right → right": "정답 → 정답",
		"Confidence: %d%% stated, %d%% calibrated (eval %s, %d verdicts, Brier %.2f).": "신뢰도: 표명 %d%%, 보정 %d%% (평가 %s, 결론 %d개, Brier %.2f).",
		// Labels of the HTML page.
		"Verdict": "결론", "No verdict": "결론 없음", "Peer review": "동료 평가", "Vote": "투표",
		"Did the debate change anything?":                       "토론이 결과를 바꾸었는가?",
		"Plain majority vote of the first, independent answers": "첫 독립 답변의 단순 다수결",
		"Changes of mind": "입장 변경", "Cost of debating": "토론 비용", "Confidence by round": "라운드별 신뢰도",
		"Positions by round": "라운드별 입장", "Failed turns": "실패한 차례", "Your notes to the panel": "패널에게 남긴 메모",
		"What the panel was given": "패널에게 주어진 자료", "Ledger": "장부", "Why it stopped": "종료 이유", "Transcript": "기록",
		"Rank": "순위", "Seat": "좌석", "Model": "모델", "Points": "점수", "Ranked by": "평가자 수", "Answer": "답",
		"Votes": "표", "Confidence-weighted": "신뢰도 가중", "Seats": "좌석", "Attached file": "첨부 파일", "Size": "크기",
		"Read by the panel": "패널이 읽은 양", "Calls": "호출", "Failed": "실패", "Input tokens": "입력 토큰",
		"Output tokens": "출력 토큰", "Cost": "비용", "Model time": "모델 시간", "Total": "합계", "Round": "라운드",
		"Kind": "종류", "Answered": "답변", "Wall time": "소요 시간",
		"Flips": "입장 번복", "From → to": "이전 → 이후", "Direction": "방향", "Reason": "이유", "Changed": "바뀐 답",
		"Majority": "다수", "Tokens": "토큰",
	},
}
