package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
)

// Item is one question of a data set with its gold answer.
type Item struct {
	// Index is the item's position among the data set's questions, from 0; Line is
	// its line in the file, from 1. Both survive --limit and --sample unchanged, so a
	// result can always be traced back to the file.
	Index    int    `json:"index"`
	Line     int    `json:"line"`
	Question string `json:"question"`
	// Gold is the answer to score against: for GSM8K the text after "####", else the
	// whole answer field.
	Gold string `json:"gold"`
}

// LineError is a line of the data set that could not be read.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// maxLine bounds one JSONL line; GSM8K's longest is under 2 KB, and a data set with
// megabyte lines is more likely a wrong file than a set of questions.
const maxLine = 4 << 20

// ReadJSONL reads one {"question": …, "answer": …} object per line. Blank lines are
// skipped; other fields are ignored; the answer may be a string or a number. The first
// bad line stops the read with a *LineError naming it.
func ReadJSONL(r io.Reader) ([]Item, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var items []Item
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if line == 1 {
			text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf")) // a UTF-8 byte-order mark
		}
		if len(text) == 0 {
			continue
		}
		var raw struct {
			Question *string         `json:"question"`
			Answer   json.RawMessage `json:"answer"`
		}
		if err := json.Unmarshal(text, &raw); err != nil {
			return nil, &LineError{line, fmt.Errorf("not a JSON object with \"question\" and \"answer\": %v", err)}
		}
		if raw.Question == nil || strings.TrimSpace(*raw.Question) == "" {
			return nil, &LineError{line, errors.New(`no "question"`)}
		}
		answer, err := answerText(raw.Answer)
		if err != nil {
			return nil, &LineError{line, err}
		}
		gold := Gold(answer)
		if gold == "" {
			return nil, &LineError{line, errors.New(`the "answer" is empty (after "####" for GSM8K)`)}
		}
		items = append(items, Item{Index: len(items), Line: line, Question: strings.TrimSpace(*raw.Question), Gold: gold})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &LineError{line + 1, fmt.Errorf("longer than %d bytes", maxLine)}
		}
		return nil, err
	}
	if len(items) == 0 {
		return nil, errors.New("the data set has no questions")
	}
	return items, nil
}

// answerText accepts "answer" as a string or a bare JSON number.
func answerText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", errors.New(`no "answer"`)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), nil
	}
	return "", fmt.Errorf(`"answer" must be a string or a number, got %s`, raw)
}

// Gold extracts the answer to score against. GSM8K answers are a worked solution
// ending in "#### N"; the text after the last "####" is the answer. Anything else is
// taken whole.
func Gold(answer string) string {
	if i := strings.LastIndex(answer, "####"); i >= 0 {
		answer = answer[i+4:]
	}
	return strings.TrimSpace(answer)
}

// Select picks the items to run: the first limit (0: all), or a sample of n drawn
// with seed, kept in file order. The draw is a partial Fisher–Yates shuffle over
// PCG-DXSM, written out here rather than borrowed from math/rand's Shuffle so that a
// seed picks the same questions on every Go version.
func Select(items []Item, limit, sample int, seed int64) []Item {
	switch {
	case sample > 0 && sample < len(items):
		idx := make([]int, len(items))
		for i := range idx {
			idx[i] = i
		}
		r := rand.NewPCG(uint64(seed), 0x7061726c6579) // the stream is "parley" in ASCII, fixed forever
		for i := 0; i < sample; i++ {
			j := i + int(below(r, uint64(len(idx)-i)))
			idx[i], idx[j] = idx[j], idx[i]
		}
		picked := idx[:sample]
		sort.Ints(picked)
		out := make([]Item, 0, sample)
		for _, i := range picked {
			out = append(out, items[i])
		}
		return out
	case limit > 0 && limit < len(items):
		return append([]Item(nil), items[:limit]...)
	}
	return append([]Item(nil), items...)
}

// below returns a uniform integer in [0, n) by rejection, so no value is favoured.
func below(r *rand.PCG, n uint64) uint64 {
	limit := -n % n // 2^64 mod n: values under it would make the modulo uneven
	for {
		v := r.Uint64()
		if v >= limit {
			return v % n
		}
	}
}
