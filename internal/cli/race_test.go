//go:build race

package cli_test

// The race detector slows parley's own work several times over; timing limits
// account for it.
const raceEnabled = true
