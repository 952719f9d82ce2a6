package eval

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/debate"
)

// Match scores an extracted answer against the gold one. Both are normalised as the
// engine normalises votes (debate.NormalizeAnswer: case, spacing, thousands
// separators, currency, a unit after the number, trailing ".0"). When the gold answer
// is a number and the prediction is not just a number ("The answer is 18."), the last
// number in the prediction is compared instead: that is where a worked answer states
// its result.
func Match(pred, gold string) bool {
	g := debate.NormalizeAnswer(gold)
	if g == "" {
		return false
	}
	p := debate.NormalizeAnswer(pred)
	if p == "" {
		return false
	}
	if p == g {
		return true
	}
	if !isNumber(g) || isNumber(p) {
		return false
	}
	n, ok := lastNumber(pred)
	return ok && n == g
}

// isNumber: a normalised answer that is a plain number (NormalizeAnswer writes numbers
// in strconv's shortest form, a percent sign kept).
func isNumber(s string) bool {
	_, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	return err == nil
}

var digitsRe = regexp.MustCompile(`\d[\d,]*(\.\d+)?`)

// lastNumber finds the last number written in s, normalised. A minus sign counts only
// when it stands alone before the number ("-5", "is -5"), not in "10-5".
func lastNumber(s string) (string, bool) {
	locs := digitsRe.FindAllStringIndex(s, -1)
	if len(locs) == 0 {
		return "", false
	}
	loc := locs[len(locs)-1]
	num := strings.TrimRight(s[loc[0]:loc[1]], ",")
	before := strings.TrimSuffix(s[:loc[0]], "$")
	if strings.HasSuffix(before, "-") {
		rest := strings.TrimSuffix(before, "-")
		if rest == "" || !isWordByte(rest[len(rest)-1]) {
			num = "-" + num
		}
	}
	n := debate.NormalizeAnswer(num)
	return n, isNumber(n)
}

func isWordByte(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == ')' || b == '_'
}

// z95 is the standard normal quantile for a two-sided 95% interval.
const z95 = 1.959963984540054

// Wilson is the 95% Wilson score interval for k successes in n trials. Unlike the
// normal-approximation ("Wald") interval it stays inside [0, 1] and does not collapse
// to a point at 0/n or n/n, which matters for the small n an eval often has. With
// n = 0 nothing is known: [0, 1].
func Wilson(k, n int) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	p := float64(k) / float64(n)
	nf := float64(n)
	z2 := z95 * z95
	den := 1 + z2/nf
	center := (p + z2/(2*nf)) / den
	half := z95 / den * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	lo, hi = center-half, center+half
	// Rounding can leave 1e-17 outside the unit interval at 0/n and n/n.
	return math.Max(0, lo), math.Min(1, hi)
}
