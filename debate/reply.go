package debate

import "github.com/parleyhq/parley/debate/internal/reply"

// Reply is what parley reads from a participant's answer (see package reply). The
// engine parses each answer once and records it on the turn (Turn.Reply,
// TurnRecord.Reply).
type Reply = reply.Reply

// Verdict is the chair's conclusion, read from its reply the same way.
type Verdict = reply.Verdict

// The values of Reply.Source.
const (
	SourceFenced = reply.SourceFenced
	SourceJSON   = reply.SourceJSON
	SourceProse  = reply.SourceProse
	SourceNone   = reply.SourceNone
)

// ParseReply reads a participant's reply. It never fails. Code holding a Record
// should read TurnRecord.Reply instead: it is the same parse, done once.
func ParseReply(text string) Reply { return reply.Parse(text) }

// ParseVerdict reads the chair's verdict block; ok is false when the reply has none.
func ParseVerdict(text string) (Verdict, bool) { return reply.ParseVerdict(text) }
