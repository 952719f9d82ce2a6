package debate

import (
	"github.com/parleyhq/parley/debate/internal/reply"
	"sort"
	"strings"
)

// Claim is one statement a reply rests on, with the seat's stance on it (see
// reply.Claim).
type Claim = reply.Claim

// Claim stances.
const (
	StanceAgree    = reply.StanceAgree
	StanceDisagree = reply.StanceDisagree
)

// ContestedClaim is a point on which the seats of a round do not agree.
type ContestedClaim struct {
	Text     string   `json:"claim"`
	Agree    []string `json:"agree"`    // seats that hold it
	Disagree []string `json:"disagree"` // seats that reject it, or hold another answer
	// Answer is true for the synthetic claim "the answer is …": the seats' answers
	// differ, whatever their claims say.
	Answer bool `json:"answer,omitempty"`
}

// maxContested bounds the list the next round is asked to settle.
const maxContested = 8

// claimSame is the word-overlap threshold at which two claims are taken as one.
const claimSame = 0.6

// ContestedClaims builds the claim map of one round's turns and returns what is
// contested in it, most contested first:
//
//   - the answer itself, when the seats' answers (short answers when every seat gave
//     one, else positions grouped by word overlap, as the baseline groups them) fall
//     into more than one group; and
//   - every claim (claims merged across seats by word overlap) that one seat holds
//     and another marks "disagree", or that only seats of one answer group hold
//     while another group exists: the grounds of the split.
//
// An empty result means the round is resolved.
func ContestedClaims(turns []TurnRecord) []ContestedClaim {
	var ok []TurnRecord
	for _, t := range turns {
		if t.OK() {
			ok = append(ok, t)
		}
	}
	if len(ok) < 2 {
		return nil
	}
	groups := answerGroups(ok)
	groupOf := map[string]int{}
	for i, g := range groups {
		for _, s := range g.seats {
			groupOf[s] = i
		}
	}

	type node struct {
		text     string
		agree    map[string]bool
		disagree map[string]bool
		order    int
	}
	var nodes []*node
	for _, t := range ok {
		for _, c := range t.Reply.Claims {
			var n *node
			for _, cand := range nodes {
				if similarity(cand.text, c.Text) >= claimSame {
					n = cand
					break
				}
			}
			if n == nil {
				n = &node{text: c.Text, agree: map[string]bool{}, disagree: map[string]bool{}, order: len(nodes)}
				nodes = append(nodes, n)
			}
			if c.Stance == StanceDisagree {
				n.disagree[t.Seat] = true
				delete(n.agree, t.Seat)
			} else if !n.disagree[t.Seat] {
				n.agree[t.Seat] = true
			}
		}
	}

	var out []ContestedClaim
	if len(groups) > 1 {
		var parts []string
		for _, g := range groups {
			parts = append(parts, strings.Join(g.seats, ", ")+": "+g.rep)
		}
		out = append(out, ContestedClaim{Text: "the answer (" + strings.Join(parts, " — ") + ")", Agree: groups[0].seats, Disagree: othersThan(ok, groups[0].seats), Answer: true})
	}
	var claims []ContestedClaim
	for _, n := range nodes {
		agree, disagree := keys(n.agree), keys(n.disagree)
		contested := len(agree) > 0 && len(disagree) > 0
		if !contested && len(groups) > 1 && len(agree) > 0 {
			// Held only inside one answer group: the others have not accepted it.
			g := groupOf[agree[0]]
			one := true
			for _, s := range agree {
				one = one && groupOf[s] == g
			}
			if one {
				contested = true
				for _, t := range ok {
					if groupOf[t.Seat] != g && !n.agree[t.Seat] {
						disagree = append(disagree, t.Seat)
					}
				}
			}
		}
		if contested {
			claims = append(claims, ContestedClaim{Text: n.text, Agree: agree, Disagree: disagree})
		}
	}
	// Most contested first: the smaller side larger; then the order first met.
	sort.SliceStable(claims, func(i, j int) bool {
		return min(len(claims[i].Agree), len(claims[i].Disagree)) > min(len(claims[j].Agree), len(claims[j].Disagree))
	})
	out = append(out, claims...)
	if len(out) > maxContested {
		out = out[:maxContested]
	}
	return out
}

type answerGroup struct {
	rep   string
	seats []string
}

// answerGroups groups turns by what they answered, as the baseline does: exact
// normalised short answers when every turn has one, else positions by word overlap.
// Largest group first.
func answerGroups(ok []TurnRecord) []answerGroup {
	useAnswers := true
	for _, t := range ok {
		useAnswers = useAnswers && t.Reply.Answer != ""
	}
	var groups []*answerGroup
	for _, t := range ok {
		k := t.Position
		if useAnswers {
			k = t.Reply.Answer
		}
		var g *answerGroup
		for _, cand := range groups {
			if sameKey(cand.rep, k, useAnswers) {
				g = cand
				break
			}
		}
		if g == nil {
			g = &answerGroup{rep: k}
			groups = append(groups, g)
		}
		g.seats = append(g.seats, t.Seat)
	}
	sort.SliceStable(groups, func(i, j int) bool { return len(groups[i].seats) > len(groups[j].seats) })
	out := make([]answerGroup, len(groups))
	for i, g := range groups {
		out[i] = *g
	}
	return out
}

func sameKey(a, b string, answers bool) bool {
	if answers {
		return NormalizeAnswer(a) == NormalizeAnswer(b)
	}
	return similarity(a, b) >= 0.5
}

func othersThan(turns []TurnRecord, seats []string) []string {
	in := map[string]bool{}
	for _, s := range seats {
		in[s] = true
	}
	var out []string
	for _, t := range turns {
		if !in[t.Seat] {
			out = append(out, t.Seat)
		}
	}
	return out
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
