package startup

// span is one mapping of /proc/self/maps, [lo, hi).
type span struct{ lo, hi uintptr }

// mappingsOf returns the mappings of the file named path in a /proc/self/maps
// listing ("lo-hi perms offset dev inode path" per line), in the listing's order.
// Written by hand, not with strings and strconv, so that the package waits for no
// other package's init.
func mappingsOf(maps []byte, path string) []span {
	var spans []span
	for len(maps) > 0 {
		var line []byte
		line, maps, _ = cut(maps, '\n')
		if len(line) <= len(path) || string(line[len(line)-len(path):]) != path || line[len(line)-len(path)-1] != ' ' {
			continue
		}
		lo, rest, ok := hex(line, '-')
		if !ok {
			continue
		}
		hi, _, ok := hex(rest, ' ')
		if !ok || hi <= lo {
			continue
		}
		spans = append(spans, span{lo, hi})
	}
	return spans
}

func indexByte(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
}

// hex reads a hexadecimal number up to the byte end.
func hex(b []byte, end byte) (v uintptr, rest []byte, ok bool) {
	for i, c := range b {
		switch {
		case c == end && i > 0:
			return v, b[i+1:], true
		case c >= '0' && c <= '9':
			v = v<<4 | uintptr(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uintptr(c-'a'+10)
		default:
			return 0, nil, false
		}
	}
	return 0, nil, false
}

// spareCore reads /proc/loadavg ("0.81 1.86 1.83 2/103 9693": the fourth field is
// the tasks running or runnable now, out of all) and reports whether, leaving out
// one, they fit on cpus cores, of which there must be two at least. The count
// includes this process's own two threads, the inits' and the prefault's; on an
// idle 2-core VM it reads 2 or 3, the third a thread passing through (the
// parent's, the runtime's), so one is let go. Two busy tasks elsewhere make it 4
// or more.
func spareCore(loadavg []byte, cpus int) bool {
	running, _, ok := cut(field(loadavg, 3), '/')
	if !ok || len(running) == 0 {
		return false
	}
	n := 0
	for _, c := range running {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return cpus >= 2 && n <= cpus+1
}

// field is the nth (from 0) space-separated field of b, or nil.
func field(b []byte, n int) []byte {
	for ; n > 0; n-- {
		i := indexByte(b, ' ')
		if i < 0 {
			return nil
		}
		b = b[i+1:]
	}
	if i := indexByte(b, ' '); i >= 0 {
		b = b[:i]
	}
	return b
}

// cut is bytes.Cut.
func cut(b []byte, sep byte) (before, after []byte, found bool) {
	if i := indexByte(b, sep); i >= 0 {
		return b[:i], b[i+1:], true
	}
	return b, nil, false
}
