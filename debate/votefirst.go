package debate

// ConvergeResolved is the vote-first stop rule (Mode.Converge "resolved"): after any
// round, the independent one included, the debate goes to its verdict when the claim
// map of that round has nothing contested (every seat gives the same answer and no
// seat rejects a claim another holds). Later rounds are shown only what is contested.
//
// Why: most of debate's measured gain is the first-round majority vote (Choi et al.,
// 2025), and rounds over points already agreed cost tokens and invite conformity.
// Debating only the contested claims spends rounds where the seats differ.
const ConvergeResolved = "resolved"

// resolvedAfter is the stop rule's verdict on round n: true when a further round is
// possible and nothing in round n is contested.
func (r *run) resolvedAfter(n int, rr RoundRecord, live int) bool {
	return live >= Quorum && n < r.rounds() && len(ContestedClaims(rr.Turns)) == 0
}

// contestedBefore is what round n's seats are asked to settle: the claims contested
// in round n−1. Nil unless the mode debates contested claims.
// Claims are the seats' words, so they are defanged like any quoted answer.
func (r *run) contestedBefore(st *Record, n int, nonce string) []ContestedClaim {
	if r.mode.Converge != ConvergeResolved || n < 2 || n-1 > len(st.Rounds) {
		return nil
	}
	out := ContestedClaims(st.Rounds[n-2].Turns)
	for i := range out {
		out[i].Text = defang(out[i].Text, nonce)
	}
	return out
}
