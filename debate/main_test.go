package debate

import (
	"testing"

	"go.uber.org/goleak"
)

// The engine starts a goroutine per turn; none may outlive Run.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
