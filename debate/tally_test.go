package debate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBorda(t *testing.T) {
	cases := []struct {
		name    string
		cands   []string
		ballots map[string][]string
		want    []RankEntry
	}{{
		// Each reviewer ranks the two others: first place 1 point, second 0.
		// A: B>C, B: A>C, C: A>B  →  A 2, B 1, C 0.
		name:    "clear order",
		cands:   []string{"A", "B", "C"},
		ballots: map[string][]string{"A": {"B", "C"}, "B": {"A", "C"}, "C": {"A", "B"}},
		want: []RankEntry{
			{Seat: "A", Points: 2, Rank: 1, Votes: 2},
			{Seat: "B", Points: 1, Rank: 2, Votes: 2},
			{Seat: "C", Points: 0, Rank: 3, Votes: 2},
		},
	}, {
		// A: B>C, B: C>A, C: A>B  →  every seat 1 point: a three-way tie.
		name:    "cycle ties",
		cands:   []string{"A", "B", "C"},
		ballots: map[string][]string{"A": {"B", "C"}, "B": {"C", "A"}, "C": {"A", "B"}},
		want: []RankEntry{
			{Seat: "A", Points: 1, Rank: 1, Tied: true, Votes: 2},
			{Seat: "B", Points: 1, Rank: 1, Tied: true, Votes: 2},
			{Seat: "C", Points: 1, Rank: 1, Tied: true, Votes: 2},
		},
	}, {
		// A self-vote, a duplicate and an unknown seat are dropped: A's ballot
		// A>B>B>Z>C counts as B>C. With B: C>A>D, C: D>A>B, D: A>B>C:
		// A: 1 (B) + 1 (C) + 2 (D) = 4; B: 1 (A) + 0 (C) + 1 (D) = 2;
		// C: 0 (A) + 2 (B) + 0 (D) = 2; D: 0 (B) + 2 (C) = 2.
		name:  "self votes ignored, partial tie",
		cands: []string{"A", "B", "C", "D"},
		ballots: map[string][]string{
			"A": {"A", "B", "B", "Z", "C"},
			"B": {"C", "A", "D"},
			"C": {"D", "A", "B"},
			"D": {"A", "B", "C"},
		},
		want: []RankEntry{
			{Seat: "A", Points: 4, Rank: 1, Votes: 3},
			{Seat: "B", Points: 2, Rank: 2, Tied: true, Votes: 3},
			{Seat: "C", Points: 2, Rank: 2, Tied: true, Votes: 3},
			{Seat: "D", Points: 2, Rank: 2, Tied: true, Votes: 2},
		},
	}, {
		name:    "no ballots",
		cands:   []string{"A", "B"},
		ballots: nil,
		want:    []RankEntry{{Seat: "A", Rank: 1, Tied: true}, {Seat: "B", Rank: 1, Tied: true}},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Borda(tc.cands, tc.ballots)); diff != "" {
				t.Errorf("Borda (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCountVotes(t *testing.T) {
	c := func(n int) *int { return &n }
	cases := []struct {
		name               string
		votes              []Vote
		majority, weighted string
		counts             map[string]int
	}{
		// 18 ×2 (conf 60+50) vs 20 ×1 (conf 95): majority 18, weighted 18 (110 > 95).
		{"majority and weight agree", []Vote{{"A", "18", c(60)}, {"B", "$18.00", nil}, {"C", "20", c(95)}}, "18", "18", map[string]int{"18": 2, "20": 1}},
		// 7 ×2 (conf 30+30=60) vs 9 ×1 (conf 90): majority 7, weighted 9.
		{"weight overturns majority", []Vote{{"A", "7", c(30)}, {"B", "7", c(30)}, {"C", "9", c(90)}}, "7", "9", map[string]int{"7": 2, "9": 1}},
		// 1 vs 2, conf 80 each: both tallies tied.
		{"tie", []Vote{{"A", "1", c(80)}, {"B", "2", c(80)}}, "", "", map[string]int{"1": 1, "2": 1}},
		// Normalisation: "1,200", "1200" and "1200.0" are one answer; blank is no vote.
		{"normalised", []Vote{{"A", "1,200", c(70)}, {"B", "1200", c(70)}, {"C", "1200.0", nil}, {"D", " ", c(99)}}, "1,200", "1,200", map[string]int{"1,200": 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := CountVotes(tc.votes)
			if got.Majority != tc.majority || got.Weighted != tc.weighted {
				t.Errorf("majority %q weighted %q, want %q %q (%+v)", got.Majority, got.Weighted, tc.majority, tc.weighted, got)
			}
			counts := map[string]int{}
			for _, e := range got.Answers {
				counts[e.Answer] = e.Votes
			}
			if diff := cmp.Diff(tc.counts, counts); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNormalizeAnswer(t *testing.T) {
	for in, want := range map[string]string{
		"1,200": "1200", "$1,200.00": "1200", "1200 dollars": "1200", "18.0": "18", " 42. ": "42",
		"-3": "-3", "0.50": "0.5", "12%": "12%", "Paris": "paris", "  New   York ": "new york",
		"3 apples and 2 pears": "3 apples and 2 pears", "B": "b",
	} {
		if got := NormalizeAnswer(in); got != want {
			t.Errorf("NormalizeAnswer(%q) = %q, want %q", in, got, want)
		}
	}
}
