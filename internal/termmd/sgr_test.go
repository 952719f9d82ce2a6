package termmd_test

import "regexp"

// sgr matches the Select Graphic Rendition sequences (colours and text styles)
// the renderer itself writes: ESC [ digits and semicolons m.
var sgr = regexp.MustCompile(`\x1b\[[0-9;:]*m`)
