package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// defaultHealthURL is the readiness probe of `parley serve --addr 0.0.0.0:8080`
// as seen from inside its own container, which is where the healthcheck runs.
const defaultHealthURL = "http://127.0.0.1:8080/readyz"

// newHealthcheckCmd is the container's probe. The image is distroless, with no
// shell, wget or curl, so the only program a HEALTHCHECK can call is parley.
func newHealthcheckCmd(io IO) *cobra.Command {
	var (
		url     string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Check that a parley server is ready (for container healthchecks)",
		Long: `GET a parley server's readiness probe and exit 0 when it answers 2xx, 1 otherwise,
with one line naming the URL and the status or error. The container image has no wget
or curl; its HEALTHCHECK and compose.yaml's call this instead.`,
		Example: "  parley healthcheck\n  parley healthcheck --url http://127.0.0.1:8080/healthz --timeout 1s",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if timeout <= 0 {
				return usageErr("parley healthcheck --timeout 3s", "--timeout must be positive, got %s", timeout)
			}
			msg, err := probe(cmd.Context(), url, timeout)
			if err != nil {
				return &exitError{code: ExitNoVerdict, err: err}
			}
			_, werr := fmt.Fprintln(io.Out, msg)
			return werr
		},
	}
	cmd.Flags().StringVar(&url, "url", defaultHealthURL, "the URL to GET")
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "give up after this long")
	return cmd
}

// probe GETs url and says how it answered; an error is anything but a 2xx.
func probe(ctx context.Context, url string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("healthcheck %s: %v", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		// The url error already quotes the URL; unwrap it so the line names it once.
		return "", fmt.Errorf("healthcheck %s: %v", url, unwrapURLError(err))
	}
	defer resp.Body.Close()
	// A probe's body is a few bytes; the cap keeps a wrong URL from streaming a page.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	line := fmt.Sprintf("healthcheck %s: %s", url, resp.Status)
	if reason := readyReason(body); reason != "" {
		line += ": " + reason
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", errors.New(line)
	}
	return line, nil
}

// readyReason is the reason /readyz gives for not being ready, so that
// `docker inspect` shows why and not only that; empty for other bodies.
func readyReason(body []byte) string {
	var r struct {
		Reason string `json:"reason"`
	}
	if json.Unmarshal(body, &r) != nil {
		return ""
	}
	return strings.Join(strings.Fields(r.Reason), " ") // one line whatever the store said
}

func unwrapURLError(err error) error {
	var ue *neturl.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}
