package debate

import (
	"strings"
	"unicode"
)

// Flip labels.
const (
	// FlipConformity: the seat moved to the previous round's majority and gave no
	// new argument (the conformity the research measures).
	FlipConformity = "conformity"
	// FlipArgued: the seat gave a reason that cites something new to it.
	FlipArgued = "argued"
	// FlipUnargued: no new argument, and not toward the majority.
	FlipUnargued = "unargued"
)

// FlipDetail is one seat's change of answer between two rounds, classified.
type FlipDetail struct {
	Seat       string `json:"seat"`
	Round      int    `json:"round"` // the round in which the new answer was given
	From       string `json:"from"`
	To         string `json:"to"`
	ToMajority bool   `json:"to_majority"` // the new answer is the previous round's majority
	// NewArgument is true when the reply's new_argument (else its reason) names
	// something absent from the seat's own earlier answers; see docs/EVAL.md.
	NewArgument bool   `json:"new_argument"`
	Argument    string `json:"argument,omitempty"`
	Label       string `json:"label"` // FlipConformity, FlipArgued or FlipUnargued
}

// RoundChange is what one round bought: its cost, and how much it moved.
type RoundChange struct {
	Round        int     `json:"round"`
	CostUSD      float64 `json:"cost_usd"`
	Tokens       int     `json:"tokens"`
	Answered     int     `json:"answered"`
	Changed      int     `json:"changed"`  // seats whose answer differs from their previous round's
	Majority     string  `json:"majority"` // the round's majority answer ("" when none)
	MajorityMove bool    `json:"majority_moved,omitempty"`
}

// FlipMatrix is the per-debate evidence on whether the rounds after the first earned
// their cost: every answer change, labelled, and each round's marginal cost and change.
// Right/wrong directions need a reference answer, which only an eval has: see
// internal/eval.
type FlipMatrix struct {
	Flips      []FlipDetail  `json:"flips"`
	Conformity int           `json:"conformity"`
	Argued     int           `json:"argued"`
	Unargued   int           `json:"unargued"`
	Rounds     []RoundChange `json:"rounds"`
}

// answerKey is what a turn answered: its short answer if it gave one, else its
// position.
func answerKey(t TurnRecord) string {
	if a := strings.TrimSpace(t.Reply.Answer); a != "" {
		return a
	}
	return t.Position
}

// sameAnswerKey compares two answer keys: short answers exactly after normalisation,
// positions by word overlap (the baseline's threshold).
func sameAnswerKey(a, b TurnRecord) bool {
	if a.Reply.Answer != "" && b.Reply.Answer != "" {
		return NormalizeAnswer(a.Reply.Answer) == NormalizeAnswer(b.Reply.Answer)
	}
	return similarity(a.Position, b.Position) >= 0.5
}

// AnalyseFlips builds the flip matrix of a record. A seat flips in round n when its
// answer differs from its answer in round n−1 (short answers compared exactly; for
// free-text positions, when the seat itself says it changed). Rounds of a review
// (rankings, no answers) are skipped.
func AnalyseFlips(rec *Record) *FlipMatrix {
	fm := &FlipMatrix{Flips: []FlipDetail{}, Rounds: []RoundChange{}}
	var prevRound *RoundRecord
	for i := range rec.Rounds {
		r := &rec.Rounds[i]
		rc := RoundChange{Round: r.Number}
		var ok []TurnRecord
		for _, t := range r.Turns {
			rc.CostUSD += t.CostUSD
			rc.Tokens += t.Usage.InputTokens + t.Usage.OutputTokens
			if t.OK() && answerKey(t) != "" {
				ok = append(ok, t)
			}
		}
		rc.Answered = len(ok)
		if g := answerGroups(ok); len(g) > 0 && 2*len(g[0].seats) > len(ok) {
			rc.Majority = g[0].rep
		}
		if r.Kind == RoundReview {
			fm.Rounds = append(fm.Rounds, rc)
			continue
		}
		if prevRound != nil {
			prevOK := map[string]TurnRecord{}
			var prevList []TurnRecord
			for _, t := range prevRound.Turns {
				if t.OK() && answerKey(t) != "" {
					prevOK[t.Seat] = t
					prevList = append(prevList, t)
				}
			}
			var majority *answerGroup
			if g := answerGroups(prevList); len(g) > 0 && 2*len(g[0].seats) > len(prevList) {
				majority = &g[0]
			}
			for _, t := range ok {
				p, had := prevOK[t.Seat]
				if !had {
					continue
				}
				moved := !sameAnswerKey(p, t)
				if p.Reply.Answer == "" || t.Reply.Answer == "" {
					moved = t.Changed // free text: trust the seat's own word
				}
				if !moved {
					continue
				}
				rc.Changed++
				d := FlipDetail{Seat: t.Seat, Round: r.Number, From: answerKey(p), To: answerKey(t)}
				if majority != nil && !contains(majority.seats, t.Seat) {
					for _, s := range majority.seats {
						if m, ok := prevOK[s]; ok && sameAnswerKey(m, t) {
							d.ToMajority = true
							break
						}
					}
				}
				d.Argument = t.Reply.NewArgument
				if d.Argument == "" {
					d.Argument = t.Reason
				}
				d.NewArgument = citesNew(d.Argument, earlierText(rec, t.Seat, r.Number), d.To)
				switch {
				case d.NewArgument:
					d.Label = FlipArgued
					fm.Argued++
				case d.ToMajority:
					d.Label = FlipConformity
					fm.Conformity++
				default:
					d.Label = FlipUnargued
					fm.Unargued++
				}
				fm.Flips = append(fm.Flips, d)
			}
			rc.MajorityMove = rc.Majority != "" && fm.lastMajority() != "" && NormalizeAnswer(rc.Majority) != NormalizeAnswer(fm.lastMajority())
		}
		fm.Rounds = append(fm.Rounds, rc)
		prevRound = r
	}
	return fm
}

func (fm *FlipMatrix) lastMajority() string {
	for i := len(fm.Rounds) - 1; i >= 0; i-- {
		if fm.Rounds[i].Majority != "" {
			return fm.Rounds[i].Majority
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// earlierText is everything the seat itself wrote before round n.
func earlierText(rec *Record, seat string, n int) string {
	var b strings.Builder
	for i := 1; i < n; i++ {
		if t, ok := rec.Turn(i, seat); ok && t.OK() {
			b.WriteString(t.Text)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// conformityWords do not make an argument: they say who agrees, not why.
var conformityWords = map[string]bool{
	"majority": true, "consensus": true, "other": true, "others": true, "seat": true, "seats": true,
	"panel": true, "agree": true, "agreed": true, "agreement": true, "everyone": true, "convinced": true,
	"persuaded": true, "most": true, "peers": true, "peer": true, "all": true, "their": true, "they": true,
	"answer": true, "answers": true, "changed": true, "change": true, "position": true, "now": true,
	"was": true, "were": true, "my": true, "mine": true, "i": true, "also": true, "correct": true,
	"right": true, "wrong": true, "so": true, "too": true, "think": true, "reconsidered": true,
	"say": true, "says": true, "said": true, "see": true, "view": true, "go": true,
}

// citesNew decides whether an argument cites something new to the seat: at least
// two of its content words (three letters or more, any number, stop words and the
// words of conformity above left out, seat letters left out) appear nowhere in the
// seat's own earlier answers nor in the new answer itself. "The others agree on 42" has none; "the timetable says
// 9:00, not 9:30" has "timetable" and "930" unless the seat had said them.
func citesNew(argument, earlier, answer string) bool {
	before := map[string]bool{}
	// Naming the new answer is not a reason for it.
	for _, w := range argWords(earlier + "\n" + answer) {
		before[w] = true
	}
	fresh := 0
	for _, w := range argWords(argument) {
		if !conformityWords[w] && !before[w] {
			fresh++
		}
	}
	return fresh >= 2
}

// argWords are the content words of s, stemmed: words of three letters or more (any
// CJK word, any number) that are not stop words.
func argWords(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if stopwords[w] || conformityWords[w] || len([]rune(w)) < 3 && !isCJK(w) && !isDigits(w) {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

func isDigits(w string) bool {
	for _, r := range w {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return w != ""
}
