package mcpserver

// DebateDescription is the debate tool's description: what the calling agent reads
// when it decides whether and how to call the tool. docs/MCP.md quotes it word for
// word (a test keeps the two equal), so change both together.
const DebateDescription = `Put a hard question to a panel of language models and get back a verdict with its evidence. The models answer independently, read and critique each other's complete answers, give final positions, and a chair writes the verdict: the recommendation, how sure the panel is, where it agreed and where it did not, who changed their mind and why, what a plain majority of the first answers said, and what it cost.

When to call it: a consequential decision with several defensible answers, where a second and third opinion pay for themselves. For example: choosing an architecture, a data store or a library; a migration or refactoring plan; a bug whose root cause the evidence does not settle; a design or security trade-off you are unsure of; when the user asks for other models' views.
When not to: facts you can look up, code you can run or test, questions with one obvious answer, or anything needing an answer in seconds. A debate makes several model calls per round (the user pays for them) and takes minutes.

How to call it well: write "problem" so it stands on its own, since the panel sees nothing of your conversation, files or tools. Put what you know in "context": constraints, relevant code excerpts, measurements, what was tried and what happened. Leave "models" and "mode" out unless the user asked for them: the user's configured panel is then used. Progress notifications report each finished answer.

Reading the result: the verdict is evidence, not an order. Check it against what you know, tell the user where the panel disagreed and which risks it named, and do not present a low-confidence or split verdict as settled. Every debate is stored: list_debates and get_debate read past ones, and an interrupted one continues with ` + "`parley resume ID`" + `.`

// Instructions is what the server tells a client about itself at initialization;
// some clients show it to their model next to the tools.
const Instructions = `parley runs structured debates between language models and stores each one. Call the debate tool for consequential decisions with several defensible answers, not for look-ups or quick questions: a debate takes minutes and makes several paid model calls. list_debates and get_debate read past debates.`

// StartDescription is start_debate's description.
const StartDescription = `Start the same debate as the debate tool, in the background, and return its id at once. Use it instead of debate when your tool calls time out after a minute or two: a debate takes several minutes. Then call debate_status with the id every 20-30 seconds (round, model calls done, each seat's state and latest position, cost so far) and debate_result once the status is no longer "running". cancel_debate stops it (resumable with resume_debate).`
