// Package reply reads what a participant or a chair answered: the fenced JSON block
// the CONTRACT asks for, an unfenced object, or the same facts in prose. It is the
// tolerant parser the engine records on every turn (Turn.Reply), so that nothing
// downstream (reports, eval) parses a reply again. Its API is Parse, ParseVerdict
// and the types they return.
package reply

import (
	"github.com/parleyhq/parley/internal/lazyre"

	"encoding/json"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reply is what parley reads from a participant's answer: the fenced JSON block the
// CONTRACT asks every participant to end with, or, failing that, the same facts found
// in prose. A reply with no readable position still counts; Position is then "".
type Reply struct {
	Position   string   `json:"position"`
	Confidence *int     `json:"confidence"` // 0–100; nil when the reply did not say
	Changed    bool     `json:"changed"`
	Converged  bool     `json:"converged"`
	Answer     string   `json:"answer,omitempty"`  // modes that ask for a short answer
	Ranking    []string `json:"ranking,omitempty"` // peer review: seats, best first
	Reason     string   `json:"reason,omitempty"`  // why the position changed, when given
	// Claims are the claims the reply rests on or marks, with a stance (the claim map
	// of vote-first debates); NewArgument is what, new to this seat, moved it.
	Claims      []Claim `json:"claims,omitempty"`
	NewArgument string  `json:"new_argument,omitempty"`
	// Source says where the facts were found: "fenced" (a ```json block), "json" (an
	// unfenced JSON object), "prose" (lines such as "Confidence: 80%"), or "none".
	Source string `json:"source"`
}

// Verdict is the chair's conclusion, read from its reply the same way.
type Verdict struct {
	Recommendation string   `json:"recommendation"`
	Confidence     int      `json:"confidence"`
	By             string   `json:"by"` // the chair's model ref, filled by the engine
	Consensus      []string `json:"consensus"`
	Disagreements  []string `json:"disagreements"`
	Dissent        []string `json:"dissent"`
	Risks          []string `json:"risks"`
	NextSteps      []string `json:"next_steps"`
	Text           string   `json:"text,omitempty"` // the chair's full reply
	// Degraded, when set, says the verdict rests on fewer seats than a debate needs
	// (the others failed or were cut), and which.
	Degraded string `json:"degraded,omitempty"`
}

// The values of Reply.Source.
const (
	SourceFenced = "fenced"
	SourceJSON   = "json"
	SourceProse  = "prose"
	SourceNone   = "none"
)

// maxPositionRunes bounds a position: it is meant to be one line, and a model that
// pastes a paragraph there should not make every table and prompt that quotes it
// unreadable.
const maxPositionRunes = 300

// Parse reads a participant's reply. It never fails.
//
// It looks, in this order, for the last fenced block holding a JSON object with one of
// the reply's keys, for the last such object outside any fence, and for prose lines
// such as "**Confidence:** 75%". Facts the structured object leaves out (no position
// key, no confidence key) are taken from prose when the prose has them.
func Parse(text string) Reply {
	loc := findBlock(text, replyKeys)

	r := Reply{Source: SourceNone}
	if loc.obj != nil {
		r = replyFromObject(loc.obj)
		r.Source = loc.source
		// A participant that wrote {"confidence": 80} and put its position in a
		// "Position:" line still told us its position. The prose is read only for
		// what the block left out: a whole answer's lines are most of a parse.
		needPosition := !loc.obj.has("position", "recommendation", "answer")
		needConfidence := !loc.obj.has("confidence", "confidence_level")
		needAnswer := !loc.obj.has("answer") && mentionsAnswer(loc.prose)
		if !needPosition && !needConfidence && !needAnswer && !alwaysScanProse {
			return r
		}
		facts := scanProse(loc.prose, replyLabels)
		if needPosition {
			r.Position = facts.position()
		}
		if needConfidence {
			r.Confidence = facts.conf
		}
		if !loc.obj.has("answer") {
			r.Answer = facts.scalar["answer"]
		}
		return r
	}
	facts := scanProse(loc.prose, replyLabels)

	if !facts.any() {
		return r
	}
	r.Source = SourceProse
	r.Position = facts.position()
	r.Confidence = facts.conf
	r.Answer = facts.scalar["answer"]
	if s, ok := facts.scalar["changed"]; ok {
		r.Changed = yesNo(s)
	}
	if s, ok := facts.scalar["converged"]; ok {
		r.Converged = yesNo(s)
	}
	if s, ok := facts.scalar["ranking"]; ok {
		r.Ranking = splitRanking(s)
	}
	r.Reason = facts.scalar["reason"]
	return r
}

// ParseVerdict reads the chair's reply. ok is false when no recommendation could be
// found at all.
//
// The block is found as in Parse, with the verdict's keys. Whatever the block
// leaves out is looked for in prose ("Recommendation: ...", a "Risks:" heading over a
// bulleted list).
func ParseVerdict(text string) (v Verdict, ok bool) {
	loc := findBlock(text, verdictKeys)
	facts := scanProse(loc.prose, verdictLabels)

	v = Verdict{Text: text}
	lists := []struct {
		dst  *[]string
		keys []string
	}{
		{&v.Consensus, []string{"consensus", "agreements", "agreement"}},
		{&v.Disagreements, []string{"disagreements", "disagreement", "open_disagreements"}},
		{&v.Dissent, []string{"dissent", "dissents", "minority_views", "minority"}},
		{&v.Risks, []string{"risks", "risk"}},
		{&v.NextSteps, []string{"next_steps", "nextsteps", "next_step", "steps"}},
	}

	var conf *int
	if o := loc.obj; o != nil {
		if x, ok := o.get("recommendation", "final_recommendation", "verdict", "position"); ok {
			v.Recommendation = cleanValue(renderValue(x, 0))
		}
		if x, ok := o.get("confidence", "confidence_level"); ok {
			conf = confidenceFromJSON(x)
		}
		for _, l := range lists {
			if x, ok := o.get(l.keys...); ok {
				*l.dst = stringList(x)
			}
		}
	}

	// Prose fills what the block (if any) did not give.
	if v.Recommendation == "" {
		v.Recommendation = facts.scalar["recommendation"]
		if v.Recommendation == "" {
			v.Recommendation = facts.scalar["position"]
		}
	}
	if conf == nil {
		conf = facts.conf
	}
	if conf != nil {
		v.Confidence = *conf
	}
	for _, l := range lists {
		if *l.dst == nil {
			*l.dst = facts.lists[l.keys[0]]
		}
		// The contract shows arrays; an empty one reads better than null.
		if *l.dst == nil {
			*l.dst = []string{}
		}
	}
	return v, v.Recommendation != ""
}

// ---------------------------------------------------------------------------
// Finding the structured block.

// blockKeys is the set of keys that mark a JSON object as the participant's (or chair's)
// structured answer, plus a pattern that spots those keys in text that would not parse.
type blockKeys struct {
	keys    map[string]bool
	mention *lazyre.Regexp // compiled on first use: \p{L} classes are costly at init
}

func newBlockKeys(keys ...string) blockKeys {
	ks := blockKeys{keys: map[string]bool{}}
	for _, k := range keys {
		ks.keys[k] = true
	}
	// A key name followed by a colon (or '='), optionally quoted: enough to say "this
	// was meant to be the answer block" even when the JSON around it is broken.
	ks.mention = lazyre.New(`(?i)(?:^|[^\p{L}\p{N}_])(["']?)(?:` +
		strings.Join(keys, "|") + `)["']?\s*[:=]`)
	return ks
}

var (
	replyKeys   = newBlockKeys("position", "confidence", "changed", "converged", "answer", "ranking")
	verdictKeys = newBlockKeys("recommendation", "position", "confidence", "consensus",
		"disagreements", "dissent", "risks", "next_steps")
)

// jsonObject is a decoded JSON object whose keys have been normalised (lower case, spaces
// and hyphens as underscores), so that "Confidence Level" and "next-steps" are found.
type jsonObject map[string]any

// get returns the value of the first of names present in o.
func (o jsonObject) get(names ...string) (any, bool) {
	for _, n := range names {
		if v, ok := o[n]; ok {
			return v, true
		}
	}
	return nil, false
}

func (o jsonObject) has(names ...string) bool {
	_, ok := o.get(names...)
	return ok
}

func normKey(k string) string {
	k = strings.ToLower(strings.TrimSpace(k))
	return strings.NewReplacer(" ", "_", "-", "_").Replace(k)
}

// newJSONObject normalises m's keys. When two keys normalise alike ("Position" and
// "position"), the one already in normal form wins, else the smallest: Go's map order
// is random and the result must not be.
func newJSONObject(m map[string]any) jsonObject {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	o := make(jsonObject, len(m))
	for _, k := range keys {
		n := normKey(k)
		if _, seen := o[n]; !seen || k == n {
			o[n] = m[k]
		}
	}
	return o
}

func (ks blockKeys) matches(o jsonObject) bool {
	for k := range o {
		if ks.keys[k] {
			return true
		}
	}
	return false
}

// foundBlock is what findBlock found: the structured object (nil if none), where it was
// found, and the lines that prose scanning should read.
type foundBlock struct {
	obj    jsonObject
	source string
	prose  []string
}

// replyLine is one line of the reply outside Markdown blockquotes. block is the index of
// the fenced block the line belongs to, or -1.
type replyLine struct {
	text  string
	block int
}

// findBlock applies the search order of Parse to text.
func findBlock(text string, ks blockKeys) foundBlock {
	lines, blocks := splitFences(text)

	// 1. The last fenced block that holds a matching object. A block that plainly meant
	// to be the answer (it names our keys) but cannot be read even after repair stops the
	// search: the blocks before it are most likely other participants' blocks, quoted,
	// and its lines are handed to the prose scan instead.
	broken := -1
	for b := len(blocks) - 1; b >= 0; b-- {
		if blocks[b].code {
			continue
		}
		if o := lastObject(blocks[b].content, ks); o != nil {
			return foundBlock{obj: o, source: SourceFenced, prose: proseLines(lines, -1, ks)}
		}
		if ks.mention.MatchString(blocks[b].content) {
			broken = b
			break
		}
	}

	// 2. The last matching object outside fences.
	var out strings.Builder
	for _, l := range lines {
		if l.block < 0 {
			out.WriteString(l.text)
			out.WriteByte('\n')
		}
	}
	if o := lastObject(out.String(), ks); o != nil {
		return foundBlock{obj: o, source: SourceJSON, prose: proseLines(lines, broken, ks)}
	}

	// 3. Prose, left to the caller.
	return foundBlock{prose: proseLines(lines, broken, ks)}
}

// proseLines returns the lines outside fences, plus those of the broken block keep (if
// >= 0). Code in other fences is not prose: "answer = compute()" in a Python block is
// no answer. The broken block's lines are split before each key, so that a one-line
// object the decoder rejected, such as {"position": "Use "X"", "confidence": 80},
// still reads as "position": ... and "confidence": ... lines.
func proseLines(lines []replyLine, keep int, ks blockKeys) []string {
	var out []string
	for _, l := range lines {
		switch {
		case l.block < 0:
			out = append(out, l.text)
		case l.block == keep:
			out = append(out, splitAtKeys(l.text, ks)...)
		}
	}
	return out
}

// splitAtKeys cuts s before each mention of a key of ks and trims the JSON
// punctuation around each piece.
func splitAtKeys(s string, ks blockKeys) []string {
	idx := ks.mention.FindAllStringSubmatchIndex(s, -1)
	if len(idx) == 0 {
		return []string{s}
	}
	var out []string
	for i, m := range idx {
		end := len(s)
		if i+1 < len(idx) {
			end = idx[i+1][2]
		}
		piece := strings.TrimSpace(s[m[2]:end])
		piece = strings.TrimRight(piece, ",}] \t")
		out = append(out, piece)
	}
	return out
}

// splitFences splits text into lines and fenced blocks (``` or ~~~, any info string or
// none). Lines inside Markdown blockquotes are dropped: a quoted line is someone
// else's words, typically another participant's block or confidence. A fence left
// open runs to the end of the text, as happens when output is cut off.
func splitFences(text string) (lines []replyLine, blocks []fencedBlock) {
	raw := strings.Split(text, "\n")
	var (
		inFence bool
		fch     byte
		flen    int
		lang    string
		content strings.Builder
	)
	closeBlock := func() {
		blocks = append(blocks, fencedBlock{content: content.String(), code: !answerLangs[lang]})
		content.Reset()
		inFence = false
	}
	for _, s := range raw {
		s = strings.TrimSuffix(s, "\r")
		if inFence {
			if isFenceClose(s, fch, flen) {
				closeBlock()
				continue
			}
			content.WriteString(s)
			content.WriteByte('\n')
			lines = append(lines, replyLine{text: s, block: len(blocks)})
			continue
		}
		if strings.HasPrefix(strings.TrimLeft(s, " \t"), ">") {
			continue
		}
		if ch, n, l, rest, ok := fenceOpen(s); ok {
			inFence, fch, flen, lang = true, ch, n, l
			// "```json {"position": ...}" on one line: the object is content, not
			// part of the info string.
			if rest != "" {
				content.WriteString(rest)
				content.WriteByte('\n')
				lines = append(lines, replyLine{text: rest, block: len(blocks)})
			}
			continue
		}
		lines = append(lines, replyLine{text: s, block: -1})
	}
	if inFence {
		closeBlock()
	}
	return lines, blocks
}

// fencedBlock is a fenced block's content. code marks a block in a programming language:
// its braces and "key: value" lines are code ({ position: absolute } in CSS), not the
// participant's answer.
type fencedBlock struct {
	content string
	code    bool
}

// answerLangs are the info strings under which a block may hold the answer: JSON and
// its relatives, YAML (which models sometimes use instead), plain text, and none.
var answerLangs = map[string]bool{
	"": true, "json": true, "jsonc": true, "json5": true, "js": true, "javascript": true,
	"yaml": true, "yml": true, "text": true, "txt": true, "plaintext": true, "plain": true,
	"markdown": true, "md": true, "output": true, "result": true,
}

// fenceOpen reports whether s opens a fenced code block, with the fence character and
// length, the language (lower case, "" for none), and any text from an opening '{' in
// the info string on.
func fenceOpen(s string) (ch byte, n int, lang, rest string, ok bool) {
	t := strings.TrimLeft(s, " \t")
	if len(t) < 3 || (t[0] != '`' && t[0] != '~') {
		return 0, 0, "", "", false
	}
	ch = t[0]
	for n < len(t) && t[n] == ch {
		n++
	}
	if n < 3 {
		return 0, 0, "", "", false
	}
	info := t[n:]
	// As in CommonMark: a backtick fence's info string has no backticks, so that
	// inline code such as ```x``` is not taken for a fence.
	if ch == '`' && strings.IndexByte(info, '`') >= 0 {
		return 0, 0, "", "", false
	}
	if i := strings.IndexByte(info, '{'); i >= 0 {
		rest = info[i:]
		info = info[:i]
	}
	info = strings.TrimSpace(info)
	end := strings.IndexFunc(info, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if end < 0 {
		end = len(info)
	}
	return ch, n, strings.ToLower(info[:end]), rest, true
}

func isFenceClose(s string, ch byte, n int) bool {
	t := strings.TrimSpace(s)
	if len(t) < n {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] != ch {
			return false
		}
	}
	return true
}

// maxObjectAttempts bounds how many brace pairs lastObject tries to decode, so that a reply
// full of braces (code, templates) costs linear time, not quadratic.
const maxObjectAttempts = 64

// maxOpenBraces is how many unclosed braces lastObject tries as the start of a cut-off
// object: the answer's own object is among the outermost.
const maxOpenBraces = 8

// maxTrailingCuts is how many trailing members of a cut-off object lastObject gives up on.
const maxTrailingCuts = 3

// lastObject returns the last JSON object in s (by where it ends) that has a key of
// ks, repairing cheap mistakes. An object nested in a larger matching one loses to it.
func lastObject(s string, ks blockKeys) jsonObject {
	closed, open := braceSpans(s)
	attempts := 0
	try := func(span string) jsonObject {
		attempts++
		if m, ok := decodeObject(span); ok {
			if o := newJSONObject(m); ks.matches(o) {
				return o
			}
		}
		return nil
	}
	// Objects left open (output cut off mid-block) end last; outermost first. The cut
	// usually falls inside the last member ("conve), so the text after the last few
	// commas is dropped in turn until what remains reads.
	if len(open) > maxOpenBraces {
		open = open[:maxOpenBraces]
	}
	for _, start := range open {
		span := s[start:]
		for cut := 0; cut <= maxTrailingCuts && attempts < maxObjectAttempts; cut++ {
			if o := try(span); o != nil {
				return o
			}
			i := strings.LastIndexByte(span, ',')
			if i <= 0 {
				break
			}
			span = span[:i]
		}
		if attempts >= maxObjectAttempts {
			return nil
		}
	}
	for i := len(closed) - 1; i >= 0 && attempts < maxObjectAttempts; i-- {
		if o := try(s[closed[i][0]:closed[i][1]]); o != nil {
			return o
		}
	}
	return nil
}

// braceSpans finds balanced {...} pairs in s, in the order they close, and the starts
// of the braces never closed, outermost first. Braces inside double-quoted strings do
// not count. Quotes only count inside braces (prose quotes are not JSON strings), and
// a newline ends a string: JSON strings have none, and an unpaired quote must not hide
// the rest of the text.
func braceSpans(s string) (closed [][2]int, open []int) {
	var stack []int
	inStr, esc := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inStr {
			switch {
			case c == '\n':
				inStr = false
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			if len(stack) > 0 {
				inStr, esc = true, false
			}
		case '{':
			stack = append(stack, i)
		case '}':
			if n := len(stack); n > 0 {
				closed = append(closed, [2]int{stack[n-1], i + 1})
				stack = stack[:n-1]
			}
		}
	}
	return closed, stack
}

// decodeObject decodes s as a JSON object, first as it is and then repaired.
func decodeObject(s string) (map[string]any, bool) {
	if m, ok := strictObject(s); ok {
		return m, true
	}
	return strictObject(repairJSON(s))
}

func strictObject(s string) (map[string]any, bool) {
	d := json.NewDecoder(strings.NewReader(s))
	// Numbers stay as text: "42.0" vs "42" and "0.8" vs "1" matter below.
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

// repairJSON rewrites the mistakes models commonly make in JSON into valid JSON, where
// that is cheap and unambiguous: trailing and missing commas, comments (//, /* */, #),
// single-quoted and curly-quoted strings, raw newlines and bad escapes in strings,
// unquoted keys, Python literals (True, None), bare values such as 80% or High
// (quoted as strings), and brackets left open by a cut-off reply. What it cannot fix
// it leaves for the JSON decoder to reject.
func repairJSON(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 16)
	var stack []byte // the closers owed
	prevValue := false

	// startValue inserts the comma a model forgot between two members.
	startValue := func() {
		if prevValue && len(stack) > 0 {
			b.WriteByte(',')
		}
	}
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			b.WriteByte(c)
			i++
		case c == '/' && i+1 < len(s) && s[i+1] == '/', c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				i = len(s)
			} else {
				i += 2 + end + 2
			}
		case c == '{' || c == '[':
			startValue()
			b.WriteByte(c)
			if c == '{' {
				stack = append(stack, '}')
			} else {
				stack = append(stack, ']')
			}
			prevValue = false
			i++
		case c == '}' || c == ']':
			if n := len(stack); n > 0 && stack[n-1] == c {
				stack = stack[:n-1]
			}
			b.WriteByte(c)
			prevValue = true
			i++
		case c == ',':
			if !closerFollows(s[i+1:]) {
				b.WriteByte(',')
			}
			prevValue = false
			i++
		case c == ':':
			b.WriteByte(':')
			prevValue = false
			i++
		case c == '"' || c == '\'':
			startValue()
			var str string
			str, i = readQuoted(s, i+1, string(c))
			b.WriteString(str)
			prevValue = true
		case strings.HasPrefix(s[i:], "“"):
			startValue()
			var str string
			str, i = readQuoted(s, i+len("“"), "”")
			b.WriteString(str)
			prevValue = true
		default:
			startValue()
			j := i
			for j < len(s) && strings.IndexByte(",:{}[]\"\n\r", s[j]) < 0 && !commentAt(s, j) {
				j++
			}
			word := strings.TrimSpace(s[i:j])
			if j == i { // cannot happen, but never loop forever
				j++
			}
			b.WriteString(bareword(word))
			prevValue = true
			i = j
		}
	}
	for n := len(stack) - 1; n >= 0; n-- {
		b.WriteByte(stack[n])
	}
	return b.String()
}

// commentAt reports whether a comment starts at s[i] in the middle of a bare value:
// "//", "/*", or a '#' after a space (so that "#412" stays part of the value).
func commentAt(s string, i int) bool {
	switch {
	case s[i] == '/' && i+1 < len(s):
		return s[i+1] == '/' || s[i+1] == '*'
	case s[i] == '#':
		return i > 0 && (s[i-1] == ' ' || s[i-1] == '\t')
	}
	return false
}

// closerFollows reports whether only whitespace and comments stand between a comma and
// a closing bracket (or the end): the comma is a trailing one.
func closerFollows(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case c == '}' || c == ']':
			return true
		case c == '/' && i+1 < len(s) && s[i+1] == '/', c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		default:
			return false
		}
	}
	return true
}

// readQuoted reads a string whose opening quote ends just before s[i] and which is
// closed by quote, returning it as a JSON string literal and the index after it.
func readQuoted(s string, i int, quote string) (string, int) {
	var v strings.Builder
	for i < len(s) {
		if strings.HasPrefix(s[i:], quote) {
			i += len(quote)
			break
		}
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			n := s[i+1]
			switch n {
			case '"', '\\', '/':
				v.WriteByte(n)
			case 'n':
				v.WriteByte('\n')
			case 't':
				v.WriteByte('\t')
			case 'r':
				v.WriteByte('\r')
			case 'b':
				v.WriteByte('\b')
			case 'f':
				v.WriteByte('\f')
			case 'u':
				if i+6 <= len(s) {
					if r, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil {
						v.WriteRune(rune(r))
						i += 6
						continue
					}
				}
				v.WriteString(`\u`)
			default: // \' and the like: keep the character
				v.WriteByte(n)
			}
			i += 2
			continue
		}
		v.WriteByte(c)
		i++
	}
	return quoteJSON(v.String()), i
}

// bareword renders an unquoted token as JSON: literals and numbers as they are, the
// rest as a string (so "80%", "High" or an unquoted key survive).
func bareword(w string) string {
	switch w {
	case "true", "false", "null":
		return w
	case "True", "TRUE":
		return "true"
	case "False", "FALSE":
		return "false"
	case "None", "nil", "undefined", "NaN", "Infinity", "-Infinity":
		return "null"
	}
	if jsonNumberRe.MatchString(w) {
		return w
	}
	return quoteJSON(w)
}

var jsonNumberRe = regexp.MustCompile(`^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$`)

func quoteJSON(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// ---------------------------------------------------------------------------
// Reading values.

func replyFromObject(o jsonObject) Reply {
	var r Reply
	if v, ok := o.get("position", "recommendation", "answer"); ok {
		r.Position = normalisePosition(renderValue(v, 0))
	}
	if v, ok := o.get("confidence", "confidence_level"); ok {
		r.Confidence = confidenceFromJSON(v)
	}
	if v, ok := o.get("changed"); ok {
		r.Changed = jsonTruthy(v)
	}
	if v, ok := o.get("converged"); ok {
		r.Converged = jsonTruthy(v)
	}
	if v, ok := o.get("answer"); ok {
		r.Answer = strings.TrimSpace(renderValue(v, 0))
	}
	if v, ok := o.get("ranking"); ok {
		switch x := v.(type) {
		case string:
			r.Ranking = splitRanking(x)
		default:
			r.Ranking = stringList(x)
			if len(r.Ranking) == 0 {
				r.Ranking = nil
			}
		}
	}
	if v, ok := o.get("reason", "change_reason", "why", "reason_for_change"); ok {
		r.Reason = collapseSpace(renderValue(v, 0))
	}
	if v, ok := o.get("claims", "key_claims"); ok {
		r.Claims = claimsFromJSON(v)
	}
	if v, ok := o.get("new_argument", "because", "new_evidence"); ok {
		r.NewArgument = collapseSpace(renderValue(v, 0))
	}
	return r
}

func jsonTruthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return yesNo(x)
	}
	return false
}

// yesNo reads yes/no words, in English and Korean.
func yesNo(s string) bool {
	s = strings.ToLower(cleanValue(s))
	if i := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }); i > 0 {
		s = s[:i] // "yes — I moved to B" → "yes"
	}
	switch s {
	case "true", "yes", "y", "예", "네":
		return true
	}
	return false
}

// confidenceFromJSON reads a JSON confidence: a number, or a string in any of the
// forms prose uses ("80%", "0.8", "8/10", "high").
func confidenceFromJSON(v any) *int {
	switch x := v.(type) {
	case json.Number:
		return numberConfidence(string(x))
	case string:
		return parseConfidenceText(x)
	}
	return nil
}

// numberConfidence turns a number into a percentage. A value strictly between 0 and 1
// is a fraction (nobody means 0.8%); so is 1.0 or 0.0 written with a decimal point,
// while a bare 1 stays 1%.
func numberConfidence(text string) *int {
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	if (f > 0 && f < 1) || ((f == 0 || f == 1) && strings.Contains(text, ".")) {
		f *= 100
	}
	return clampPercent(f)
}

func clampPercent(f float64) *int {
	if math.IsNaN(f) {
		return nil
	}
	f = math.Round(f)
	n := int(math.Max(0, math.Min(100, f)))
	return &n
}

var (
	confNum   = `(\d+(?:\.\d+)?)`
	confRange = regexp.MustCompile(`^` + confNum + `\s*(?:-|–|—|~|to)\s*` + confNum + `\s*(?:%|％|percent)`)
	confRatio = regexp.MustCompile(confNum + `\s*(?:/|out of)\s*` + confNum)
	confPct   = regexp.MustCompile(confNum + `\s*(?:%|％|percent|퍼센트)`)
	confLead  = regexp.MustCompile(`^` + confNum)
	confWord  = lazyre.New(`(?i)(?:^|[^\p{L}])(high|medium|moderate|low|높음|높다|보통|중간|낮음|낮다)(?:[^\p{L}]|$)`)
)

// confidenceWords maps the words models use instead of a number.
var confidenceWords = map[string]int{
	"high": 80, "높음": 80, "높다": 80,
	"medium": 60, "moderate": 60, "보통": 60, "중간": 60,
	"low": 30, "낮음": 30, "낮다": 30,
}

// parseConfidenceText reads a confidence written as text. A number at the start wins
// ("80 (fairly sure)"); then a percentage or ratio anywhere ("High (85%)" means 85);
// then a word.
func parseConfidenceText(s string) *int {
	s = strings.ToLower(cleanValue(s))
	s = strings.TrimLeft(s, "~≈ ")
	for _, p := range []string{"about ", "approximately ", "approx. ", "around ", "roughly ", "약 "} {
		s = strings.TrimPrefix(s, p)
	}
	if m := confRange.FindStringSubmatch(s); m != nil {
		a, _ := strconv.ParseFloat(m[1], 64)
		b, _ := strconv.ParseFloat(m[2], 64)
		return clampPercent((a + b) / 2)
	}
	if m := confRatio.FindStringSubmatchIndex(s); m != nil && m[0] == 0 {
		return ratioPercent(s[m[2]:m[3]], s[m[4]:m[5]])
	}
	if m := confPct.FindStringSubmatchIndex(s); m != nil && m[0] == 0 {
		f, _ := strconv.ParseFloat(s[m[2]:m[3]], 64)
		return clampPercent(f)
	}
	if m := confLead.FindString(s); m != "" {
		return numberConfidence(m)
	}
	if m := confPct.FindStringSubmatch(s); m != nil {
		f, _ := strconv.ParseFloat(m[1], 64)
		return clampPercent(f)
	}
	if m := confRatio.FindStringSubmatch(s); m != nil {
		return ratioPercent(m[1], m[2])
	}
	if m := confWord.FindStringSubmatch(s); m != nil {
		n := confidenceWords[m[1]]
		return &n
	}
	return nil
}

func ratioPercent(a, b string) *int {
	x, _ := strconv.ParseFloat(a, 64)
	y, _ := strconv.ParseFloat(b, 64)
	if y <= 0 {
		return nil
	}
	return clampPercent(x / y * 100)
}

// formatNumber writes a JSON number as a person would: 42.0 → "42", 3.50 → "3.5",
// 1e3 → "1000". Integers keep their digits exactly, however long.
func formatNumber(text string) string {
	if !strings.ContainsAny(text, "eE") {
		if strings.Contains(text, ".") {
			text = strings.TrimRight(text, "0")
			text = strings.TrimSuffix(text, ".")
		}
		if text == "-0" {
			return "0"
		}
		return text
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) || math.Abs(f) >= 1e21 {
		return text
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// Keys naming who holds a view and what the view is, used to render objects that
// models put in lists: {"seat": "B", "view": "..."} → "B: ...".
var (
	whoKeys  = []string{"seat", "seats", "who", "by", "holder", "holders", "participant", "participants", "model", "member", "members", "name", "from"}
	mainKeys = []string{"view", "position", "point", "summary", "text", "description", "issue", "topic", "risk", "step", "action", "item", "content", "claim", "concern", "argument", "statement", "recommendation", "detail", "details", "note", "reason"}
)

// maxRenderDepth stops rendering of deeply nested values: nobody reads them, and the
// recursion must stay bounded on hostile input.
const maxRenderDepth = 6

// renderValue renders a decoded JSON value as compact readable text.
func renderValue(v any, depth int) string {
	if depth > maxRenderDepth {
		return ""
	}
	switch x := v.(type) {
	case string:
		return collapseSpace(x)
	case json.Number:
		return formatNumber(string(x))
	case bool:
		return strconv.FormatBool(x)
	case []any:
		var parts []string
		for _, e := range x {
			if s := renderValue(e, depth+1); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		return renderObject(x, depth)
	}
	return ""
}

// renderObject renders an object as "who: main (other: value; ...)". Keys are matched
// in normal form, but the other keys keep their spelling: they may be seat names.
func renderObject(m map[string]any, depth int) string {
	o := newJSONObject(m)
	used := map[string]bool{}
	pick := func(keys []string) string {
		for _, k := range keys {
			if v, ok := o[k]; ok {
				if s := renderValue(v, depth+1); s != "" {
					used[k] = true
					return s
				}
			}
		}
		return ""
	}
	who, main := pick(whoKeys), pick(mainKeys)

	keys := make([]string, 0, len(m))
	for k := range m {
		if !used[normKey(k)] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	sep := "; "
	if depth > 0 {
		sep = ", "
	}
	var rest []string
	for _, k := range keys {
		if s := renderValue(m[k], depth+1); s != "" {
			rest = append(rest, collapseSpace(k)+": "+s)
		}
	}
	out := main
	switch {
	case out == "":
		out = strings.Join(rest, sep)
	case len(rest) > 0:
		out += " (" + strings.Join(rest, sep) + ")"
	}
	if who != "" {
		if out == "" {
			return who
		}
		return who + ": " + out
	}
	return out
}

// stringList reads a verdict list: an array (of strings, numbers or objects) or a
// single value standing for a list of one.
func stringList(v any) []string {
	items := []any{v}
	if a, ok := v.([]any); ok {
		items = a
	}
	out := []string{}
	for _, e := range items {
		if s := cleanValue(renderValue(e, 0)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

var rankingArrows = regexp.MustCompile(`\s*(?:->|=>|→|≻|>+)\s*`)

// splitRanking reads "B > A > C", "B, A, C" or "1. B" style rankings, and ["B", "A"]
// met as a prose line of a broken block.
func splitRanking(s string) []string {
	s = strings.Trim(strings.TrimSpace(s), "[]")
	var parts []string
	switch {
	case rankingArrows.MatchString(s):
		parts = rankingArrows.Split(s, -1)
	case strings.ContainsAny(s, ",;"):
		parts = strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' })
	default:
		parts = []string{s}
	}
	var out []string
	for _, p := range parts {
		p = listMarker.ReplaceAllString(cleanValue(p), "")
		if p = cleanValue(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// Text clean-up.

func collapseSpace(s string) string {
	return strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
}

var quotePairs = [][2]string{{`"`, `"`}, {"'", "'"}, {"“", "”"}, {"‘", "’"}, {"`", "`"}, {"__", "__"}, {"「", "」"}, {"『", "』"}}

// cleanValue trims what Markdown and JSON-ish prose wrap around a value: whitespace, a
// trailing comma, bold markers (also unpaired ones left by "**Position:** x"), and
// matching quotes or backticks around the whole. It is idempotent.
func cleanValue(s string) string {
	s = collapseSpace(s)
	for {
		prev := s
		s = strings.TrimSpace(s)
		s = strings.TrimSuffix(s, ",")
		s = strings.Trim(s, "*")
		s = strings.TrimSpace(s)
		for _, q := range quotePairs {
			if len(s) >= len(q[0])+len(q[1]) && strings.HasPrefix(s, q[0]) && strings.HasSuffix(s, q[1]) {
				s = s[len(q[0]) : len(s)-len(q[1])]
			}
		}
		if s == prev {
			return s
		}
	}
}

// normalisePosition makes a position one clean line of at most maxPositionRunes runes,
// cut at a word boundary. It is idempotent, so a position read back from a block that
// parley wrote itself comes back unchanged.
func normalisePosition(s string) string {
	s = cleanValue(s)
	if utf8.RuneCountInString(s) <= maxPositionRunes {
		return s
	}
	r := []rune(s)[:maxPositionRunes-1] // room for the ellipsis
	cut := len(r)
	for i := len(r) - 1; i >= maxPositionRunes*2/3; i-- {
		if unicode.IsSpace(r[i]) {
			cut = i
			break
		}
	}
	return strings.TrimRightFunc(string(r[:cut]), func(c rune) bool {
		return unicode.IsSpace(c) || unicode.IsPunct(c) && c != ')' && c != '"'
	}) + "…"
}

// ---------------------------------------------------------------------------
// Prose.

// alwaysScanProse turns the skip above off, for the test that proves it changes
// nothing.
var alwaysScanProse = false

// mentionsAnswer reports whether any line could carry an answer label: every label
// replyLabels maps to "answer" contains "answer" (in any case) or "답".
func mentionsAnswer(lines []string) bool {
	for _, l := range lines {
		if strings.Contains(l, "답") || containsFoldASCII(l, "answer") {
			return true
		}
	}
	return false
}

// containsFoldASCII is strings.Contains under ASCII case folding, without a copy.
func containsFoldASCII(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// Label lines: "Position: x", "**Confidence:** 75%", "- Confidence Level (0-100): 80",
// "confidence = 85", `"position": "x",` (a broken block read line by line), "신뢰도：80%".
var (
	labelLine = lazyre.New(`^\s*(?:[-*+•]\s+|\d{1,2}[.)]\s+|#{1,6}\s+)?[*_"'` + "`" +
		`]*(\p{L}[\p{L}\p{N} _\-]{0,39}?)[*_"'` + "`" + `]*(?:\s*\([^)]{0,40}\))?[*_]*\s*[:=：]\s*(.*)$`)
	headingLine = lazyre.New(`^\s*(?:#{1,6}\s+[*_]*(\p{L}[\p{L} _\-]{0,39}?)[*_]*\s*#*|(?:\*\*|__)(\p{L}[\p{L} _\-]{0,39}?)(?:\*\*|__))\s*$`)
	listMarker  = regexp.MustCompile(`^\s*(?:[-*+•]|\d{1,2}[.)])\s+`)
)

// labelPrefixes are dropped before a label is looked up: "Final answer", "My position".
var labelPrefixes = []string{"my ", "final ", "overall ", "current ", "updated ", "revised ", "our ", "the ", "최종 ", "나의 "}

var replyLabels = map[string]string{
	"position": "position", "stance": "position", "recommendation": "position",
	"입장": "position", "권고": "position", "추천": "position", "결론": "position",
	"answer": "answer", "답": "answer", "답변": "answer", "정답": "answer",
	"confidence": "confidence", "confidence level": "confidence", "confidence score": "confidence",
	"confidence rating": "confidence", "신뢰도": "confidence", "확신도": "confidence", "확신": "confidence",
	"changed": "changed", "position changed": "changed", "changed position": "changed",
	"converged": "converged", "convergence": "converged",
	"ranking": "ranking", "rank": "ranking", "rank order": "ranking", "순위": "ranking",
	"change reason": "reason", "reason for change": "reason", "reason for the change": "reason",
}

var verdictLabels = map[string]string{
	"recommendation": "recommendation", "verdict": "recommendation", "권고": "recommendation",
	"추천": "recommendation", "결론": "recommendation",
	"position": "position", "stance": "position", "입장": "position",
	"confidence": "confidence", "confidence level": "confidence", "confidence score": "confidence",
	"신뢰도": "confidence", "확신도": "confidence",
	"consensus": "consensus", "agreement": "consensus", "agreements": "consensus",
	"points of agreement": "consensus", "합의": "consensus",
	"disagreements": "disagreements", "disagreement": "disagreements",
	"open disagreements": "disagreements", "remaining disagreements": "disagreements",
	"dissent": "dissent", "dissenting views": "dissent", "minority views": "dissent",
	"minority view": "dissent", "소수 의견": "dissent",
	"risks": "risks", "key risks": "risks", "risk": "risks", "위험": "risks", "리스크": "risks",
	"next steps": "next_steps", "next step": "next_steps", "action items": "next_steps", "다음 단계": "next_steps",
}

// proseListFields are read as a bulleted list under their label.
var proseListFields = map[string]bool{
	"consensus": true, "disagreements": true, "dissent": true, "risks": true, "next_steps": true,
}

// proseFacts is what labelled lines said; for each field the last occurrence wins.
type proseFacts struct {
	scalar map[string]string   // field → cleaned value
	lists  map[string][]string // list field → items
	conf   *int                // the last confidence that could be read
}

func (f proseFacts) any() bool { return len(f.scalar) > 0 || len(f.lists) > 0 }

// position is the stated position, else the stated answer.
func (f proseFacts) position() string {
	if p := f.scalar["position"]; p != "" {
		return normalisePosition(p)
	}
	return normalisePosition(f.scalar["answer"])
}

// splitLabel returns the label and value of a label line or a heading.
func splitLabel(s string) (label, value string, ok bool) {
	// The cheap tests are what each pattern cannot match without; they spare the
	// regexp engine every line of plain prose, which was most of a reply's parse.
	if mayBeLabelLine(s) {
		if m := labelLine.FindStringSubmatch(s); m != nil {
			return m[1], m[2], true
		}
	}
	if t := strings.TrimLeftFunc(s, unicode.IsSpace); t == "" || !strings.ContainsRune("#*_", rune(t[0])) {
		return "", "", false
	}
	if m := headingLine.FindStringSubmatch(s); m != nil {
		return m[1] + m[2], "", true
	}
	return "", "", false
}

// mayBeLabelLine is a necessary condition for labelLine to match s, checked without
// the regexp engine: past what may come before the label (spaces, a list marker or
// heading hashes, quotes and emphasis), a letter starts the label; from there on,
// the first rune that can be neither in the label nor in the decoration and spaces
// after it must be the separator or the "(0-100)" that may come before it. A line
// of prose fails at its first comma or full stop.
func mayBeLabelLine(s string) bool {
	if !strings.ContainsAny(s, ":=：") {
		return false
	}
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) && !unicode.IsDigit(r) && !strings.ContainsRune("-*+•#.)_\"'`", r) {
			break
		}
		i += n
	}
	if r, _ := utf8.DecodeRuneInString(s[i:]); !unicode.IsLetter(r) {
		return false
	}
	for j, r := range s[i:] {
		switch {
		case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsSpace(r) || strings.ContainsRune(" _-*\"'`", r):
		case r == ':' || r == '=' || r == '：':
			return true
		case r == '(':
			// "(0-100)": at most 40 runes up to the first ')', then only emphasis and
			// spaces before the separator.
			rest := s[i+j+1:]
			k := strings.IndexByte(rest, ')')
			if k < 0 || utf8.RuneCountInString(rest[:k]) > 40 {
				return false
			}
			after := strings.TrimLeftFunc(rest[k+1:], func(r rune) bool { return r == '*' || r == '_' || unicode.IsSpace(r) })
			return strings.HasPrefix(after, ":") || strings.HasPrefix(after, "=") || strings.HasPrefix(after, "：")
		default:
			return false
		}
	}
	return false
}

func lookupLabel(label string, labels map[string]string) (string, bool) {
	l := strings.ToLower(collapseSpace(strings.NewReplacer("_", " ", "-", " ").Replace(label)))
	for changed := true; changed; {
		changed = false
		for _, p := range labelPrefixes {
			if strings.HasPrefix(l, p) {
				l, changed = l[len(p):], true
			}
		}
	}
	field, ok := labels[l]
	return field, ok
}

// scanProse reads labelled lines. A label with nothing after it ("**Recommendation:**"
// or "## Risks") takes the next non-blank line, or for list fields the bullets below.
func scanProse(lines []string, labels map[string]string) proseFacts {
	f := proseFacts{scalar: map[string]string{}, lists: map[string][]string{}}
	isLabel := func(s string) bool {
		l, _, ok := splitLabel(s)
		if ok {
			_, ok = lookupLabel(l, labels)
		}
		return ok
	}
	lines = splitPiped(lines, isLabel)
	for i := 0; i < len(lines); i++ {
		label, value, ok := splitLabel(lines[i])
		if !ok {
			continue
		}
		field, ok := lookupLabel(label, labels)
		if !ok {
			continue
		}
		if proseListFields[field] {
			if items := collectList(lines, i, value, isLabel); len(items) > 0 {
				f.lists[field] = items
			}
			continue
		}
		if strings.TrimSpace(value) == "" {
			value = nextLine(lines, i, isLabel)
		}
		v := cleanValue(listMarker.ReplaceAllString(value, ""))
		if v == "" {
			continue
		}
		if field == "confidence" {
			// "Confidence: see above" says nothing; an earlier number still stands.
			if c := parseConfidenceText(v); c != nil {
				f.conf = c
				f.scalar[field] = v
			}
			continue
		}
		f.scalar[field] = v
	}
	return f
}

// splitPiped splits "Position: X | Confidence: 80%" into its labelled parts. A " | "
// not followed by a label stays: it may be part of the value.
func splitPiped(lines []string, isLabel func(string) bool) []string {
	var out []string
	for _, s := range lines {
		parts := strings.Split(s, " | ")
		if len(parts) == 1 {
			out = append(out, s)
			continue
		}
		cur := parts[0]
		for _, p := range parts[1:] {
			if isLabel(p) {
				out = append(out, cur)
				cur = p
			} else {
				cur += " | " + p
			}
		}
		out = append(out, cur)
	}
	return out
}

// nextLine returns the first non-blank line after lines[i], unless it is another label.
func nextLine(lines []string, i int, isLabel func(string) bool) string {
	for _, s := range lines[i+1:] {
		if strings.TrimSpace(s) == "" {
			continue
		}
		if isLabel(s) {
			return ""
		}
		return s
	}
	return ""
}

// collectList reads a list field: its inline value as one item, else the bullets (or
// the one paragraph line) below the label, up to the next label or non-bullet text.
func collectList(lines []string, i int, value string, isLabel func(string) bool) []string {
	if v := cleanValue(value); v != "" {
		return []string{v}
	}
	var items []string
	for _, s := range lines[i+1:] {
		if strings.TrimSpace(s) == "" {
			continue
		}
		if isLabel(s) {
			break
		}
		if loc := listMarker.FindStringIndex(s); loc != nil {
			if v := cleanValue(s[loc[1]:]); v != "" {
				items = append(items, v)
			}
			continue
		}
		if len(items) == 0 {
			if v := cleanValue(s); v != "" {
				items = append(items, v)
			}
		}
		break
	}
	return items
}

// Claim is one statement a reply rests on, with the seat's stance on it: the claim
// map that vote-first debates are steered by. Seats list their own claims with
// "agree"; in a later round they mark the claims they were shown "agree" or
// "disagree".
type Claim struct {
	Text   string `json:"claim"`
	Stance string `json:"stance"` // StanceAgree or StanceDisagree
}

// Claim stances.
const (
	StanceAgree    = "agree"
	StanceDisagree = "disagree"
)

// maxClaims bounds how many claims are read from one reply, so that a model that
// pastes its whole answer as claims does not flood the next round's prompt.
const maxClaims = 8

// claimsFromJSON reads the "claims" key tolerantly: an array of objects
// ({"claim": "…", "stance": "agree"} or {"text": …, "agree": true}), of strings (a
// plain string is a claim the seat holds), or one string of lines.
func claimsFromJSON(v any) []Claim {
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case string:
		for _, l := range strings.Split(x, "\n") {
			items = append(items, l)
		}
	case map[string]any:
		items = []any{x}
	}
	var out []Claim
	for _, e := range items {
		if len(out) == maxClaims {
			break
		}
		c := Claim{Stance: StanceAgree}
		switch x := e.(type) {
		case string:
			c.Text = strings.TrimLeft(cleanValue(x), "-*• ")
		case map[string]any:
			o := newJSONObject(x)
			if t, ok := o.get("claim", "text", "statement"); ok {
				c.Text = cleanValue(renderValue(t, 1))
			}
			if s, ok := o.get("stance", "position", "verdict"); ok {
				c.Stance = stanceOf(renderValue(s, 1))
			} else if a, ok := o.get("agree", "agrees"); ok && !jsonTruthy(a) {
				c.Stance = StanceDisagree
			}
		default:
			c.Text = cleanValue(renderValue(e, 1))
		}
		if c.Text == "" {
			continue
		}
		if r := []rune(c.Text); len(r) > maxPositionRunes {
			c.Text = string(r[:maxPositionRunes]) + "…"
		}
		out = append(out, c)
	}
	return out
}

// stanceOf reads a stance word; anything that is not a clear "no" is agreement, since
// a seat that lists a claim holds it.
func stanceOf(s string) string {
	s = strings.ToLower(cleanValue(s))
	switch {
	case strings.HasPrefix(s, "disagree"), strings.HasPrefix(s, "reject"), strings.HasPrefix(s, "false"),
		s == "no", strings.HasPrefix(s, "wrong"), strings.HasPrefix(s, "dispute"), s == "반대":
		return StanceDisagree
	}
	return StanceAgree
}
