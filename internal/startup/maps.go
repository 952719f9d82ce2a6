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

// spareCore reads /proc/loadavg ("0.81 1.86 1.83 2/103 9693": the fourth field is
// the tasks running or runnable now, out of all) and reports whether, leaving out
// one, they fit on cpus cores (two at least). They include this process's own two threads, the
// inits' and the prefault's; on an idle 2-core VM the count read here is 2 or 3,
// the third a thread passing through (the parent's, the runtime's), so one is
// let go. Two busy tasks elsewhere make it 4 or more.
func spareCore(loadavg []byte, cpus int) bool {
	f := 0
	for i := 0; i < len(loadavg); i++ {
		if loadavg[i] == ' ' {
			f++
			continue
		}
		if f != 3 {
			continue
		}
		n := 0
		for ; i < len(loadavg) && loadavg[i] >= '0' && loadavg[i] <= '9'; i++ {
			n = n*10 + int(loadavg[i]-'0')
		}
		if i == len(loadavg) || loadavg[i] != '/' {
			return false
		}
		return cpus >= 2 && n <= cpus+1 // with one core there is none to spare
	}
	return false
}
