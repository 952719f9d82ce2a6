package provider

import (
	"sync"

	"github.com/tiktoken-go/tokenizer/codec"
)

// o200k is OpenAI's o200k_base encoding, built on first use: its vocabulary is
// embedded in the binary (tiktoken-go/tokenizer, unlike pkoukk/tiktoken-go, never
// downloads it), but decoding it takes tens of milliseconds that a run which never
// estimates should not pay.
var o200k = sync.OnceValue(codec.NewO200kBase)

// EstimateTokens counts the tokens of s with the o200k_base encoding, for budgets
// and for calls whose provider reports no usage. Other vendors' tokenizers differ,
// but by far less than bytes/4 does: that rule undercounts Korean, Chinese and
// Japanese text, whose characters take three bytes each, by a quarter or more.
func EstimateTokens(s string) int {
	if s == "" {
		return 0
	}
	n, err := o200k().Count(s)
	if err != nil {
		// Only invalid UTF-8 gets here; fall back to the byte rule for it.
		return (len(s) + 3) / 4
	}
	return n
}
