package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// ServeInProcess runs `parley serve ARGS` in this process until ctx ends. It returns
// the address the server listens on once it does, and a channel that gets the
// command's exit code when it has stopped.
func ServeInProcess(ctx context.Context, io IO, args ...string) (string, <-chan int, error) {
	ready := make(chan string, 1)
	o := &serveOptions{io: io, ready: func(addr string) { ready <- addr }}
	cmd := newServeCmdWith(o)
	cmd.SetArgs(args)
	cmd.SetOut(io.Out)
	cmd.SetErr(io.Err)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	done := make(chan int, 1)
	failed := make(chan error, 1)
	go func() {
		err := cmd.ExecuteContext(ctx)
		done <- exitCode(err)
		if err != nil {
			failed <- err
		}
	}()
	select {
	case addr := <-ready:
		return addr, done, nil
	case err := <-failed:
		return "", done, err
	}
}

func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	}
	return ExitUsage
}

// ServeChildEnv, set in the environment of this test binary, makes it run
// `parley serve` with its arguments instead of the tests: the replica tests start
// real server processes this way (and kill them), whether or not the root command
// has registered serve yet.
const ServeChildEnv = "PARLEY_TEST_SERVE_CHILD"

func init() {
	if os.Getenv(ServeChildEnv) != "1" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	io := System()
	cmd := newServeCmd(io)
	cmd.SetArgs(os.Args[1:])
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(ctx)
	stop()
	if err != nil {
		io.Err.Write([]byte("Error: " + err.Error() + "\n"))
	}
	os.Exit(exitCode(err))
}
