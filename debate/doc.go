// Package debate runs a panel of language models through a structured debate and
// reaches a verdict.
//
// A debate is an append-only log of events. [Run] takes a [Debate] (the problem, the
// mode, the panel), calls each seat's [provider.Model] — all seats of a round in
// parallel — and hands every event to an [Emit] function in order: the CLI stores
// them and prints progress, the HTTP server streams them, the MCP server turns them
// into progress notifications. [Replay] folds a log into a [Record], the result every
// report is rendered from; resuming a debate is running it again with its log, and
// no turn that already has an answer is ever called again.
//
// In rounds after the first, each seat reads the complete previous answers of the
// others, labelled by seat letter only (never by model), in an order shuffled for
// that reader, inside delimiters that mark them as quoted material. Prompts are
// text/template files embedded from prompts/; modes are YAML embedded from modes/.
//
// The package knows nothing of terminals, HTTP, SQL or files.
package debate
