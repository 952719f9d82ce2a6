package textfile

import (
	"strings"
	"testing"
)

func TestIsBinary(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		want bool
	}{
		{"text", []byte("SELECT 1;\n"), false},
		{"korean", []byte("느린 쿼리"), false},
		{"nul", []byte("a\x00b"), true},
		{"invalid utf-8", []byte{0xff, 0xfe, 'a'}, true},
		// A 3-byte rune split by the 8 KB mark is not a reason to call it binary.
		{"rune across 8 KB", []byte(strings.Repeat("a", 8191) + "한" + "b"), false},
		{"invalid after 8 KB is not looked at", append([]byte(strings.Repeat("a", 9000)), 0xff), false},
	} {
		if got := IsBinary(c.data); got != c.want {
			t.Errorf("%s: IsBinary = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestCut(t *testing.T) {
	s := "ab한cd" // 한 is bytes 2..4
	for _, c := range []struct{ n, want int }{{-1, 0}, {0, 0}, {2, 2}, {3, 2}, {4, 2}, {5, 5}, {7, 7}, {100, 7}} {
		if got := Cut(s, c.n); got != c.want {
			t.Errorf("Cut(%q, %d) = %d, want %d", s, c.n, got, c.want)
		}
	}
}
