package debate

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// baseline computes what a plain majority vote of the independent first answers
// said, the yardstick the research says debate must beat. Short answers (modes that
// ask for an "answer") are compared exactly after normalisation; free-text positions
// are grouped by word overlap, which is a heuristic and is labelled as one.
func baseline(first []TurnRecord, v *Verdict) *Baseline {
	var ok []TurnRecord
	for _, t := range first {
		if t.OK() && (t.Position != "" || t.Reply.Answer != "") {
			ok = append(ok, t)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	useAnswers := true
	for _, t := range ok {
		if t.Reply.Answer == "" {
			useAnswers = false
		}
	}
	key := func(t TurnRecord) string { return t.Position }
	same := func(a, b string) bool { return similarity(a, b) >= 0.5 }
	method := "similarity"
	if useAnswers {
		key = func(t TurnRecord) string { return t.Reply.Answer }
		same = func(a, b string) bool { return NormalizeAnswer(a) == NormalizeAnswer(b) }
		method = "answer"
	}

	type group struct {
		rep   string
		seats []string
		conf  int
	}
	var groups []*group
	for _, t := range ok {
		k := key(t)
		var g *group
		for _, cand := range groups {
			if same(cand.rep, k) {
				g = cand
				break
			}
		}
		if g == nil {
			g = &group{rep: k}
			groups = append(groups, g)
		}
		g.seats = append(g.seats, t.Seat)
		if t.Confidence != nil {
			g.conf += *t.Confidence
		}
	}
	// Largest group wins; ties go to the higher summed confidence, then the earliest seat.
	sort.SliceStable(groups, func(i, j int) bool {
		if len(groups[i].seats) != len(groups[j].seats) {
			return len(groups[i].seats) > len(groups[j].seats)
		}
		return groups[i].conf > groups[j].conf
	})
	top := groups[0]
	b := &Baseline{
		Position: top.rep,
		Seats:    top.seats,
		Of:       len(ok),
		Majority: 2*len(top.seats) > len(ok),
		Method:   method,
	}
	if v != nil {
		if useAnswers {
			b.AgreesWithVerdict = NormalizeAnswer(v.Recommendation) == NormalizeAnswer(top.rep)
		} else {
			b.AgreesWithVerdict = similarity(v.Recommendation, top.rep) >= 0.35
		}
	}
	return b
}

// NormalizeAnswer makes short answers comparable: case, spacing, thousands
// separators, currency signs, trailing zeros and a unit after a number do not count
// ("$1,200.00", "1200 dollars" and "1200" are one answer).
func NormalizeAnswer(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.Trim(s, " .!?*`\"'")
	if n, ok := leadingNumber(s); ok {
		return n
	}
	return strings.Join(strings.Fields(s), " ")
}

var numberRe = regexp.MustCompile(`^[-+]?[$€£¥]?\s*[-+]?(\d[\d,]*(\.\d+)?|\.\d+)\s*([%a-z€£$¥ .]*)$`)

// leadingNumber reads "answer is a number, maybe with a currency or unit" forms.
func leadingNumber(s string) (string, bool) {
	m := numberRe.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	digits := strings.ReplaceAll(m[1], ",", "")
	f, err := strconv.ParseFloat(digits, 64)
	if err != nil {
		return "", false
	}
	if strings.HasPrefix(s, "-") || strings.Contains(s[:strings.Index(s, m[1])], "-") {
		f = -f
	}
	out := strconv.FormatFloat(f, 'f', -1, 64)
	if strings.Contains(m[3], "%") {
		out += "%"
	}
	return out, true
}

var stopwords = map[string]bool{
	"the": true, "and": true, "for": true, "with": true, "then": true, "first": true,
	"start": true, "starting": true, "our": true, "your": true, "that": true, "this": true,
	"before": true, "after": true, "from": true, "into": true, "only": true, "use": true,
	"should": true, "would": true, "will": true, "are": true, "is": true, "on": true,
	"of": true, "to": true, "in": true, "a": true, "an": true, "by": true, "it": true,
}

func words(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if len([]rune(w)) < 3 && !isCJK(w) || stopwords[w] {
			continue
		}
		out[stem(w)] = true
	}
	return out
}

func isCJK(w string) bool {
	for _, r := range w {
		if unicode.In(r, unicode.Hangul, unicode.Han, unicode.Hiragana, unicode.Katakana) {
			return true
		}
	}
	return false
}

// stem is deliberately crude: it only folds the plural and -ing/-ed endings that make
// two phrasings of one position look different.
func stem(w string) string {
	for _, suf := range []string{"ing", "ed", "es", "s"} {
		if len(w) > len(suf)+3 && strings.HasSuffix(w, suf) {
			return strings.TrimSuffix(w, suf)
		}
	}
	return w
}

// similarity is the overlap coefficient of the content words of a and b.
func similarity(a, b string) float64 {
	wa, wb := words(a), words(b)
	if len(wa) == 0 || len(wb) == 0 {
		return 0
	}
	common := 0
	for w := range wa {
		if wb[w] {
			common++
		}
	}
	small := min(len(wa), len(wb))
	return float64(common) / float64(small)
}
