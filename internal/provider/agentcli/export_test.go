//go:build unix

package agentcli

// Test helpers for the external test package (debate_test.go).
var (
	FindCLI    = findCLI
	FakeHome   = fakeHome
	RealModels = realModels
)
