// Package textfile holds the two rules parley applies to every file it puts in a
// prompt, whether named by --attach on the command line or by MCP's files: what
// counts as text, and where a file cut to a byte budget may end.
package textfile

import (
	"bytes"
	"unicode/utf8"
)

// IsBinary reports a NUL byte or invalid UTF-8 in the first 8 KB.
func IsBinary(data []byte) bool {
	head := data[:min(len(data), 8192)]
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	if len(head) < len(data) {
		// The 8 KB mark may split a rune: drop the last, possibly partial one.
		for len(head) > 0 && !utf8.RuneStart(head[len(head)-1]) {
			head = head[:len(head)-1]
		}
		if len(head) > 0 {
			head = head[:len(head)-1]
		}
	}
	return !utf8.Valid(head)
}

// Cut returns the length of the longest prefix of text no longer than n bytes that
// ends on a rune boundary (0 when n ≤ 0, len(text) when it all fits).
func Cut(text string, n int) int {
	if n >= len(text) {
		return len(text)
	}
	cut := max(n, 0)
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return cut
}
