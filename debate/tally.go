package debate

import (
	"sort"
)

// RankEntry is one seat's place in the peer review.
type RankEntry struct {
	Seat   string `json:"seat"`
	Model  string `json:"model"`
	Points int    `json:"points"` // Borda points: k−1 for a first place among k, …, 0 for last
	Rank   int    `json:"rank"`   // 1 is best; tied seats share a rank
	Tied   bool   `json:"tied,omitempty"`
	Votes  int    `json:"votes"` // how many reviewers ranked it
}

// Borda aggregates rankings (reviewer seat → seats best first) by Borda count. A
// reviewer's own seat is ignored if it ranked itself, as are seats it names twice
// or that are not candidates; each ballot scores only the candidates it ranks, k−1
// down to 0. Ties share a rank and are ordered by seat letter.
func Borda(candidates []string, ballots map[string][]string) []RankEntry {
	points := map[string]int{}
	votes := map[string]int{}
	isCandidate := map[string]bool{}
	for _, c := range candidates {
		isCandidate[c] = true
		points[c] = 0
	}
	for reviewer, ranking := range ballots {
		seen := map[string]bool{}
		var valid []string
		for _, s := range ranking {
			if s == reviewer || !isCandidate[s] || seen[s] {
				continue
			}
			seen[s] = true
			valid = append(valid, s)
		}
		for i, s := range valid {
			points[s] += len(valid) - 1 - i
			votes[s]++
		}
	}
	out := make([]RankEntry, 0, len(candidates))
	for _, c := range candidates {
		out = append(out, RankEntry{Seat: c, Points: points[c], Votes: votes[c]})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Points != out[j].Points {
			return out[i].Points > out[j].Points
		}
		return out[i].Seat < out[j].Seat
	})
	for i := range out {
		out[i].Rank = i + 1
		if i > 0 && out[i].Points == out[i-1].Points {
			out[i].Rank = out[i-1].Rank
			out[i].Tied, out[i-1].Tied = true, true
		}
	}
	return out
}

// Tally is the count of a vote round's short answers.
type Tally struct {
	Answers []TallyEntry `json:"answers"` // most votes first
	// Majority is the answer with the most votes ("" when the top is tied);
	// Weighted the answer with the highest summed confidence ("" when tied).
	Majority string `json:"majority"`
	Weighted string `json:"weighted"`
	Voters   int    `json:"voters"`
}

// TallyEntry is one distinct answer and who gave it.
type TallyEntry struct {
	Answer string   `json:"answer"`
	Seats  []string `json:"seats"`
	Votes  int      `json:"votes"`
	Weight int      `json:"weight"` // summed confidence; a vote without one counts 50
}

// Vote is one seat's answer with its confidence (nil: not given).
type Vote struct {
	Seat       string
	Answer     string
	Confidence *int
}

// CountVotes tallies answers that are equal after NormalizeAnswer. An empty answer
// is no vote.
func CountVotes(votes []Vote) Tally {
	byKey := map[string]*TallyEntry{}
	var order []string
	t := Tally{}
	for _, v := range votes {
		k := NormalizeAnswer(v.Answer)
		if k == "" {
			continue
		}
		t.Voters++
		e, ok := byKey[k]
		if !ok {
			e = &TallyEntry{Answer: v.Answer}
			byKey[k] = e
			order = append(order, k)
		}
		e.Seats = append(e.Seats, v.Seat)
		e.Votes++
		w := 50
		if v.Confidence != nil {
			w = *v.Confidence
		}
		e.Weight += w
	}
	for _, k := range order {
		t.Answers = append(t.Answers, *byKey[k])
	}
	sort.SliceStable(t.Answers, func(i, j int) bool { return t.Answers[i].Votes > t.Answers[j].Votes })
	if n := len(t.Answers); n > 0 {
		if n == 1 || t.Answers[0].Votes > t.Answers[1].Votes {
			t.Majority = t.Answers[0].Answer
		}
		best, tied := 0, false
		for i, e := range t.Answers {
			switch {
			case i == 0:
			case e.Weight > t.Answers[best].Weight:
				best, tied = i, false
			case e.Weight == t.Answers[best].Weight:
				tied = true
			}
		}
		if !tied {
			t.Weighted = t.Answers[best].Answer
		}
	}
	return t
}
