package cli

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/models"
	"github.com/parleyhq/parley/internal/provider/agentcli"
	"github.com/parleyhq/parley/internal/store"
)

// completionIDLimit bounds how many debate ids a completion offers: the newest,
// which are the ones people go back to; a shell menu of thousands helps nobody.
const completionIDLimit = 200

// registerCompletions adds dynamic shell completion (cobra's __complete, which
// the scripts of `parley completion SHELL` call) to every command: debate ids
// for the commands that take one, mode names for --mode, model refs for -m and
// panel names for --panel. Completion never touches the network and never
// creates a database: it reads what is already there.
func registerCompletions(root *cobra.Command, io IO) {
	idCommands := map[string]func(store.Summary) bool{
		"show": nil, "export": nil, "replay": nil,
		"resume": func(s store.Summary) bool {
			return s.Status != debate.StatusCompleted && s.Status != debate.StatusDegraded && s.Status != debate.StatusFailed
		},
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if keep, ok := idCommands[c.Name()]; ok && c.Parent() == root {
			c.ValidArgsFunction = completeIDs(io, keep)
		}
		if c.Flags().Lookup("mode") != nil {
			_ = c.RegisterFlagCompletionFunc("mode", completeModes(io))
		}
		if f := c.Flags().Lookup("models"); f != nil && f.Value.Type() == "string" {
			_ = c.RegisterFlagCompletionFunc("models", completeModelRefs(io))
		}
		if c.Flags().Lookup("panel") != nil {
			_ = c.RegisterFlagCompletionFunc("panel", completePanels(io))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// completeIDs offers the stored debates' ids, newest first, each described by
// its status and question; keep, when set, says which debates fit the command.
func completeIDs(io IO, keep func(store.Summary) bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		cfg, err := config.Load(io.Env)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		db, _ := cmd.Flags().GetString("db")
		path := cfg.DBPath(db, io.Env)
		if _, err := os.Stat(path); err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp // no database yet: nothing to offer, and none is created
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Second)
		defer cancel()
		st, err := openStore(ctx, path)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer st.Close()
		list, err := st.List(ctx, store.ListOptions{Limit: completionIDLimit})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, s := range list {
			if !strings.HasPrefix(s.ID, toComplete) || keep != nil && !keep(s) {
				continue
			}
			out = append(out, cobra.CompletionWithDesc(s.ID, fmt.Sprintf("%s: %s", s.Status, shorten(s.Problem, 70))))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeModes offers the built-in modes and the user's usable ones.
func completeModes(io IO) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, m := range listModes(io.Env) {
			if m.Error != "" || !strings.HasPrefix(m.Name, toComplete) {
				continue
			}
			desc := m.Description
			if m.Source != "built-in" {
				desc += " (user mode)"
			}
			out = append(out, cobra.CompletionWithDesc(m.Name, shorten(desc, 80)))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeModelRefs completes the last ref of a comma-separated -m list from the
// catalogue (PROVIDER:MODEL), the agent CLIs and the config's named models,
// keeping the refs before it. A prefix without a colon completes provider kinds
// as well as names, so "anth" reaches "anthropic:" and then its models.
func completeModelRefs(io IO) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		done, last := "", toComplete
		if i := strings.LastIndex(toComplete, ","); i >= 0 {
			done, last = toComplete[:i+1], toComplete[i+1:]
		}
		cfg, err := config.Load(io.Env)
		if err != nil {
			cfg = &config.Config{}
		}
		var out []cobra.Completion
		add := func(ref, desc string) {
			if strings.HasPrefix(ref, last) {
				out = append(out, cobra.CompletionWithDesc(done+ref, desc))
			}
		}
		var names []string
		for name := range cfg.Models {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			ep := cfg.Models[name]
			add(name, "config: "+ep.Provider+":"+ep.Model)
		}
		for _, k := range agentcli.Kinds {
			add("cli:"+string(k), "the "+string(k)+" agent CLI")
		}
		for _, kind := range []string{"anthropic", "openai", "gemini", "openrouter"} {
			for _, e := range models.CatalogEntries(kind) {
				desc := e.Name
				if e.Price.Input > 0 || e.Price.Output > 0 {
					desc += fmt.Sprintf(", $%.2f/$%.2f per Mtok", e.Price.Input, e.Price.Output)
				}
				if e.ContextWindow > 0 {
					desc += fmt.Sprintf(", %dk context", e.ContextWindow/1000)
				}
				add(kind+":"+e.ID, desc)
			}
		}
		if !strings.Contains(last, ":") {
			// Local models are not in the catalogue: offer the kind so that the
			// user can type the model after it.
			add("ollama:", "a model served by Ollama (ollama list)")
		}
		// NoSpace: a comma and the next ref may follow.
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// completePanels offers the config's named panels.
func completePanels(io IO) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		cfg, err := config.Load(io.Env)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for name, refs := range cfg.Panels {
			if strings.HasPrefix(name, toComplete) {
				out = append(out, cobra.CompletionWithDesc(name, shorten(strings.Join(refs, ", "), 80)))
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
