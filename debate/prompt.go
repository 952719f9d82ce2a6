package debate

import (
	"embed"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"
)

//go:embed prompts/*.tmpl
var promptFiles embed.FS

// prompts parses the templates on first use, not at start-up: `parley version` and
// `parley list` never need them.
var prompts = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").Funcs(template.FuncMap{
		"join": strings.Join,
	}).ParseFS(promptFiles, "prompts/*.tmpl"))
})

// quote is another seat's answer as one recipient sees it.
type quote struct {
	Seat      string
	Round     int
	Text      string
	Truncated bool
	// raw is the answer as the record holds it, for the log's prompt pieces; empty
	// for what is not a turn's answer (the chair's summary).
	raw string
}

// answerQuote quotes the answer text of seat's turn in round for a prompt with
// nonce nc.
func answerQuote(round int, seat, text, nc string) quote {
	return quote{Seat: seat, Round: round, Text: defang(text, nc), raw: text}
}

// quoted is the answers the prompt made from d quotes, as the record holds them
// (promptlog.go): a quote defanged or cut no longer matches its raw text, and
// promptPieces leaves it in the prompt.
func (d promptData) quoted() []quoted {
	var out []quoted
	add := func(q quote) {
		if q.raw != "" {
			out = append(out, quoted{q.Round, q.Seat, q.raw})
		}
	}
	if d.Own != nil {
		add(*d.Own)
	}
	for _, q := range d.Others {
		add(q)
	}
	return out
}

// promptData is what every template may use.
type promptData struct {
	Problem     string
	Context     string
	Seat        string
	Persona     string
	Stance      string
	Files       []File // defanged copies of Spec.Files
	PanelSize   int
	Round       int
	Rounds      int
	Nonce       string
	Own         *quote
	Others      []quote
	OthersRound int
	Missing     []string
	Notes       []string
	History     []seatHistory // verdict only
	Ranking     []RankEntry   // verdict of a peer-review mode
	Summary     *quote        // the chair's summary of the previous round, when the round sees a summary

	Contested []ContestedClaim // vote-first: what the previous round left contested
}

type seatHistory struct {
	Seat      string
	Positions []string
}

func render(name string, data promptData) (string, error) {
	var b strings.Builder
	// A prompt is mostly the answers it quotes: sized for the largest of its kind
	// so far, the builder grows once instead of doubling its way up (a third of a
	// debate's allocations under load).
	v, _ := renderSize.LoadOrStore(name, new(atomic.Int64))
	hint := v.(*atomic.Int64)
	grown := int(hint.Load())
	b.Grow(grown)
	if err := prompts().ExecuteTemplate(&b, name+".tmpl", data); err != nil {
		return "", fmt.Errorf("prompt template %s: %w", name, err)
	}
	out := b.String()
	if n := int64(len(out)); n > hint.Load() {
		hint.Store(n)
	}
	t := strings.TrimSpace(out)
	// The string keeps the builder's whole buffer: a prompt much shorter than the
	// largest of its kind is copied out rather than hold the difference.
	if len(out) == len(t)+1 && out[len(t)] == '\n' && out[:len(t)] == t && grown <= len(out)+len(out)/4 {
		return out, nil // already trimmed and ending in one newline: no copy
	}
	return t + "\n", nil
}

// renderSize is the largest output of each prompt template so far.
var renderSize sync.Map // name -> *atomic.Int64

// files are the spec's files as one prompt quotes them, defanged for its nonce.
func (r *run) files(nc string) []File {
	if len(r.spec.Files) == 0 {
		return nil
	}
	out := make([]File, len(r.spec.Files))
	for i, f := range r.spec.Files {
		f.Path, f.Text = defang(f.Path, nc), defang(f.Text, nc)
		out[i] = f
	}
	return out
}

// rng returns a generator that depends only on the debate's seed and the given
// parts, so that a resumed debate rebuilds exactly the prompts it would have sent.
func rng(seed int64, parts ...string) *rand.Rand {
	h := fnv.New64a()
	fmt.Fprint(h, seed)
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	s := h.Sum64()
	return rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
}

// nonce marks the quote delimiters of one prompt. Quoted text cannot close a quote
// early because it cannot know the nonce: each recipient and round gets its own, and
// any occurrence inside quoted text is removed anyway.
func nonce(seed int64, round int, seat string) string {
	r := rng(seed, "nonce", fmt.Sprint(round), seat)
	return fmt.Sprintf("%08x", r.Uint32())
}

// shuffled returns the quotes in an order drawn for this recipient alone, so that no
// seat is always read first (position bias) and orders differ between recipients.
func shuffled(seed int64, round int, recipient string, qs []quote) []quote {
	out := append([]quote(nil), qs...)
	r := rng(seed, "order", fmt.Sprint(round), recipient)
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// defang removes anything that could pass for a quote delimiter of this prompt.
func defang(text, nonce string) string {
	return strings.ReplaceAll(text, nonce, "········")
}
