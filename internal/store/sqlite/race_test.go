//go:build race

package sqlite

// raceEnabled: the race detector slows the transpiled SQLite by an order of
// magnitude, so timing assertions are skipped under it.
const raceEnabled = true
