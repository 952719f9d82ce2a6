package debate

import (
	"strings"
	"unicode"
)

// ModelFamily is the model family of a ref ("openai:gpt-4.1-mini" → "gpt",
// "anthropic:claude-haiku-4-5" → "claude", "ollama:llama3.1:8b" → "llama"): the
// leading letters of the model name, after the provider and any "org/" path. Models
// of one family share training data and tend to share errors, so a panel of one
// family gives a vote and a debate less to correct (see docs/EVAL.md, error
// correlation).
func ModelFamily(ref string) string {
	name := ref
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToLower(name)
	if end := strings.IndexFunc(name, func(r rune) bool { return !unicode.IsLetter(r) }); end > 0 {
		name = name[:end]
	}
	return name
}

// OneFamilyWarning is the warning for a panel of two or more distinct models all of
// one family, else "".
func OneFamilyWarning(refs []string) string {
	distinct := map[string]bool{}
	family := ""
	for i, r := range refs {
		distinct[r] = true
		if f := ModelFamily(r); i == 0 {
			family = f
		} else if f != family {
			return ""
		}
	}
	if len(distinct) < 2 {
		return "" // one model in every seat has its own warning
	}
	return "every seat is a " + family + " model: one family tends to make the same mistakes, so the panel has less to correct; mix families (e.g. -m openai:…,anthropic:…,gemini:…)"
}
