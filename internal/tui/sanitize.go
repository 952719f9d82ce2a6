package tui

import (
	"strings"
	"unicode/utf8"
)

// sanitize makes model text safe to put on a terminal. Everything a participant
// writes is untrusted: an answer containing ESC sequences could recolour the view,
// move the cursor over another seat's row, set the window title or, on some
// terminals, write to the clipboard. So every C0 control except newline and tab is
// dropped (ESC among them, which disarms every CSI, OSC and DCS sequence: what
// remains of one is printable text), as are DEL and the C1 controls U+0080–U+009F
// (0x9B is a one-byte CSI on terminals that honour 8-bit controls). Invalid UTF-8
// becomes U+FFFD, and a carriage return is dropped so that it cannot send the
// cursor back over text already drawn.
func sanitize(s string) string {
	clean := true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unsafeRune(r) || r == utf8.RuneError && size == 1 {
			clean = false
			break
		}
		i += size
	}
	if clean {
		return s // the common case costs no allocation
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case unsafeRune(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20, r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f:
		return true
	}
	return false
}

// oneLine sanitizes s and folds it onto one line, for the table's cells.
func oneLine(s string) string {
	s = sanitize(s)
	if !strings.ContainsAny(s, "\n\t") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// Sanitize makes untrusted text safe to write to a terminal (see sanitize).
func Sanitize(s string) string { return sanitize(s) }
