package cli

import (
	"strconv"

	"github.com/spf13/pflag"
)

// optBool is a boolean flag that knows whether it was given, so that an
// explicit --quiet=false beats the config's quiet: true; a plain BoolVar cannot
// tell "false" from "not given".
type optBool struct {
	v, set bool
}

func (b *optBool) String() string { return strconv.FormatBool(b.v) }
func (b *optBool) Type() string   { return "bool" }
func (b *optBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.v, b.set = v, true
	return nil
}

// IsBoolFlag lets pflag take -q and --quiet without a value.
func (b *optBool) IsBoolFlag() bool { return true }

// or is the flag when it was given, else the config's value.
func (b optBool) or(cfg bool) bool {
	if b.set {
		return b.v
	}
	return cfg
}

// quietFlag declares -q/--quiet on fs.
func quietFlag(fs *pflag.FlagSet, b *optBool) {
	fs.VarPF(b, "quiet", "q", "no live progress on stderr (--quiet=false overrides the config's quiet: true)").NoOptDefVal = "true"
}
