// Package eval measures what debate buys: it runs the questions of a data set through
// several strategies — each model alone, a majority vote of the panel, self-consistency
// (k samples of one model, majority), and any debate mode — and reports each
// strategy's accuracy with a 95% confidence interval, its tokens, cost and time, and,
// for debates, how often the debate turned a wrong first-round majority right or a
// right one wrong.
//
// Every strategy runs through the debate engine ([debate.Run]), so prompts, retries,
// answer parsing and pricing are the same for all of them; only the panel and the mode
// differ. The research this answers to (Du et al. 2023 against later studies of majority
// vote at equal cost) is summarised in docs/EVAL.md.
//
// An eval is an append-only JSONL checkpoint (see [Checkpoint]): its spec, every
// stored event of the debates in flight, and one result line per finished
// (question, strategy) pair. Resuming replays the file: finished pairs are never
// called again, and a debate cut off mid-way continues from its last finished turn.
package eval
