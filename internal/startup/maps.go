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
		line := maps
		if i := indexByte(maps, '\n'); i >= 0 {
			line, maps = maps[:i], maps[i+1:]
		} else {
			maps = nil
		}
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
