package tui

import (
	"fmt"
	"math"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/parleyhq/parley/debate"
)

// styles are the view's colours and emphasis. Without colour (NO_COLOR) only
// bold and faint remain: NO_COLOR forbids colour, not emphasis, and the selected
// row keeps its marker either way.
type styles struct {
	header, seat, selected, faint, verdict lipgloss.Style
	status                                 map[status]lipgloss.Style
}

func newStyles(noColor bool) styles {
	plain := lipgloss.NewStyle()
	s := styles{
		header:   plain.Bold(true),
		seat:     plain.Bold(true),
		selected: plain.Bold(true),
		faint:    plain.Faint(true),
		verdict:  plain.Bold(true),
		status: map[status]lipgloss.Style{
			statusWaiting:   plain.Faint(true),
			statusThinking:  plain,
			statusStreaming: plain,
			statusDone:      plain,
			statusRetrying:  plain,
			statusFailed:    plain.Bold(true),
			statusStopped:   plain.Faint(true),
			statusOut:       plain.Faint(true),
		},
	}
	if noColor {
		return s
	}
	s.header = s.header.Foreground(lipgloss.Color("6"))
	s.verdict = s.verdict.Foreground(lipgloss.Color("2"))
	s.status[statusThinking] = plain.Foreground(lipgloss.Color("4"))
	s.status[statusStreaming] = plain.Foreground(lipgloss.Color("6"))
	s.status[statusDone] = plain.Foreground(lipgloss.Color("2"))
	s.status[statusRetrying] = plain.Foreground(lipgloss.Color("3"))
	s.status[statusFailed] = plain.Bold(true).Foreground(lipgloss.Color("1"))
	return s
}

// View draws the frame. The table is drawn inline, below the shell prompt, so the
// last frame stays on screen above the report; the answer pane takes the
// alternate screen, which leaves the inline frame untouched when it closes.
func (m model) View() tea.View {
	var v tea.View
	if m.pane && !m.closing {
		v.AltScreen = true
		v.SetContent(m.fit(m.paneView()))
		return v
	}
	content := m.fit(m.tableView())
	if m.closing {
		// Bubble Tea leaves the cursor at the start of the frame's last line; an
		// empty last line keeps whatever is printed next from overwriting the verdict.
		content += "\n"
	}
	v.SetContent(content)
	return v
}

// fit cuts every line to the screen's width, so a long position or a narrow
// terminal never wraps a row onto the next (which would break the redraw).
func (m model) fit(lines []string) string {
	for i, l := range lines {
		if ansi.StringWidth(l) > m.width {
			lines[i] = ansi.Truncate(l, m.width, "…")
		}
	}
	return strings.Join(lines, "\n")
}

func (m model) header() string {
	parts := []string{"parley"}
	if m.debateID != "" {
		parts[0] += " " + m.debateID
	}
	if m.mode != "" {
		parts = append(parts, "mode "+m.mode)
	}
	// Once the debate is over, where it stopped matters only if it can go on.
	showPhase := m.finished == nil || m.finished.Status == debate.StatusInterrupted
	switch {
	case !showPhase:
	case m.verdictRound > 0:
		phase := "verdict"
		if s, ok := m.bySeat[m.chair]; ok {
			phase += " by chair " + s.seat + " " + s.label
		}
		parts = append(parts, phase)
	case m.round > 0:
		r := fmt.Sprintf("round %d", m.round)
		if m.rounds > 0 {
			r = fmt.Sprintf("round %d/%d", m.round, m.rounds)
		}
		if m.roundKind != "" {
			r += " " + m.roundKind
		}
		if a := m.agreement; a != nil {
			r += fmt.Sprintf(" done: %d answered, %d failed", a.Live, a.Failed)
			if a.Converged {
				r += ", converged"
			}
		}
		parts = append(parts, r)
	case m.finished == nil:
		parts = append(parts, "starting")
	}
	if f := m.finished; f != nil {
		end := string(f.Status)
		if why := strings.ReplaceAll(f.StoppedBecause, "_", " "); why != "" && why != end {
			end += " (" + why + ")"
		}
		parts = append(parts, oneLine(end))
	}
	if !m.began.IsZero() {
		end := m.ended
		if end.IsZero() {
			end = m.now()
		}
		parts = append(parts, duration(max(end.Sub(m.began), 0)))
	}
	return m.styles.header.Render(strings.Join(parts, " · "))
}

func (m model) footer() string {
	switch {
	case m.interrupting && m.finished == nil:
		return m.styles.selected.Render(fmt.Sprintf("interrupting… state kept; resume with parley resume %s", m.idOrPlaceholder())) +
			m.styles.faint.Render(" · q again: close this view")
	case m.finished != nil && m.finished.Status == debate.StatusInterrupted:
		return m.styles.selected.Render(fmt.Sprintf("interrupted: state kept; resume with parley resume %s", m.idOrPlaceholder()))
	case m.closing || m.finished != nil:
		return ""
	case m.pane:
		return m.styles.faint.Render(fmt.Sprintf("↑/↓ pgup/pgdn scroll · esc back · q interrupt · %3.0f%%", m.viewport.ScrollPercent()*100))
	}
	return m.styles.faint.Render("↑/↓ select · enter show answer · q interrupt")
}

func (m model) idOrPlaceholder() string {
	if m.debateID == "" {
		return "ID"
	}
	return m.debateID
}

// tableView is the header, one row per seat, the verdict once it lands and the footer.
func (m model) tableView() []string {
	lines := []string{m.header()}
	var tail []string
	if v := m.verdict; v != nil {
		by := oneLine(v.By)
		if s, ok := m.bySeat[m.chair]; ok && by == "" {
			by = s.label
		}
		tail = append(tail, m.styles.verdict.Render(fmt.Sprintf("verdict · confidence %d%% · by %s", v.Confidence, by)))
		rec := oneLine(v.Recommendation)
		if rec == "" {
			rec = "(no recommendation given)"
		}
		// The recommendation is what the user came for: give it up to three lines.
		wrapped := strings.Split(wrap(rec, max(m.width-2, 10)), "\n")
		if len(wrapped) > 3 {
			wrapped = wrapped[:3]
			wrapped[2] = ansi.Truncate(wrapped[2]+" …", max(m.width-2, 10), "…")
		}
		for _, l := range wrapped {
			tail = append(tail, "  "+l)
		}
	}
	for _, f := range m.chairFail {
		tail = append(tail, m.styles.status[statusFailed].Render("chair "+f+" failed; the next seat takes over"))
	}
	if f := m.finished; f != nil && f.Status == debate.StatusFailed {
		why := oneLine(f.Error)
		if why == "" {
			why = strings.ReplaceAll(f.StoppedBecause, "_", " ")
		}
		tail = append(tail, m.styles.status[statusFailed].Render("no verdict: "+why))
	}
	if f := m.footer(); f != "" {
		tail = append(tail, f)
	}
	rows := m.rows()
	// Keep the frame within the screen: an inline frame taller than the screen
	// cannot be redrawn in place. Rows scroll to keep the selected seat in sight.
	room := max(m.frameHeight()-len(lines)-len(tail), 1)
	if len(rows) > room {
		first := min(max(m.selected-room/2, 0), len(rows)-room)
		rows = rows[first : first+room]
	}
	lines = append(lines, rows...)
	lines = append(lines, tail...)
	if h := m.frameHeight(); len(lines) > h {
		lines = lines[:h]
	}
	return lines
}

// frameHeight is the most lines the table may take: the screen, less the empty
// line the final frame ends with.
func (m model) frameHeight() int {
	if m.closing {
		return max(m.height-1, 1)
	}
	return m.height
}

// rows draws the seat table. Columns: marker, seat, model, status, tokens, elapsed,
// then the position (or the error) in whatever width is left.
func (m model) rows() []string {
	labelW := 0
	for _, s := range m.seats {
		labelW = max(labelW, ansi.StringWidth(s.label))
	}
	// A long model name must not push the position off a narrow screen.
	labelW = min(labelW, max(12, m.width/4))
	statuses := make([]string, len(m.seats))
	statusW := len("streaming")
	for i, s := range m.seats {
		statuses[i] = m.statusText(s)
		statusW = max(statusW, ansi.StringWidth(statuses[i]))
	}
	out := make([]string, len(m.seats))
	for i, s := range m.seats {
		marker := "  "
		if i == m.selected {
			marker = "› "
		}
		label := ansi.Truncate(s.label, labelW, "…")
		label += strings.Repeat(" ", labelW-ansi.StringWidth(label))
		st := statuses[i] + strings.Repeat(" ", statusW-ansi.StringWidth(statuses[i]))
		tok := ""
		if n, est := s.tokenCount(); n > 0 {
			tok = fmt.Sprintf("%d tok", n)
			if est {
				tok = "~" + tok
			}
		}
		el := m.elapsed(s)
		prefix := fmt.Sprintf("%s%s %s  ", marker, s.seat, label)
		cells := fmt.Sprintf("%s %9s %6s  ", st, tok, el)
		used := ansi.StringWidth(prefix) + ansi.StringWidth(cells)
		detail := m.detail(s)
		if room := m.width - used; room > 1 {
			detail = ansi.Truncate(detail, room, "…")
		} else {
			detail = ""
		}
		seat := m.styles.seat.Render(s.seat)
		if i == m.selected {
			marker = m.styles.selected.Render(marker)
		}
		line := fmt.Sprintf("%s%s %s  %s %9s %6s  %s", marker, seat, label,
			m.styles.status[s.status].Render(st), tok, el, detail)
		out[i] = strings.TrimRight(line, " ")
	}
	return out
}

func (m model) statusText(s *seatState) string {
	switch s.status {
	case statusThinking:
		return "thinking"
	case statusStreaming:
		return "streaming"
	case statusDone:
		return "done"
	case statusRetrying:
		left := s.retryAt.Sub(m.now())
		if left <= 0 {
			return "thinking" // the next attempt is under way
		}
		return "retrying in " + countdown(left)
	case statusFailed:
		return "failed"
	case statusStopped:
		return "stopped"
	case statusOut:
		return "out"
	}
	return "waiting"
}

func (m model) elapsed(s *seatState) string {
	switch s.status {
	case statusThinking, statusStreaming:
		return duration(max(m.now().Sub(s.started), 0))
	case statusDone, statusFailed:
		if s.latency > 0 {
			return duration(s.latency)
		}
	}
	return ""
}

// detail is the last column: why a seat failed or is retrying, else its latest
// position with its confidence first, so that truncation never hides the number.
func (m model) detail(s *seatState) string {
	switch s.status {
	case statusOut:
		return "out after round " + fmt.Sprint(s.round) + ": " + s.errText
	case statusFailed, statusRetrying:
		msg := s.errText
		if !strings.HasPrefix(msg, s.errClass) {
			msg = s.errClass + ": " + msg
		}
		if s.status == statusRetrying && s.attempt > 0 {
			msg = fmt.Sprintf("attempt %d failed: %s", s.attempt, msg)
		}
		return strings.TrimSuffix(msg, ": ")
	}
	if m.isVerdict(s) && s.status != statusDone && s.status != statusWaiting {
		return "writing the verdict"
	}
	if s.posRound == 0 {
		return ""
	}
	conf := " ?%"
	if s.confidence != nil {
		conf = fmt.Sprintf("%3d%%", *s.confidence)
	}
	pos := s.position
	if pos == "" {
		pos = "(position unclear)"
	}
	return conf + " " + pos
}

// isVerdict reports whether the seat's current turn is the verdict.
func (m model) isVerdict(s *seatState) bool {
	return m.verdictRound > 0 && s.round == m.verdictRound
}

// paneView is the selected seat's answer for its current turn, scrollable.
func (m model) paneView() []string {
	s := m.seats[m.selected]
	title := fmt.Sprintf("%s %s · ", s.seat, s.label)
	switch {
	case m.isVerdict(s):
		title += "verdict"
	case s.round > 0:
		title += fmt.Sprintf("round %d", s.round)
	}
	title += " · " + m.statusText(s)
	if n, est := s.tokenCount(); n > 0 {
		if est {
			title += fmt.Sprintf(" · ~%d tok", n)
		} else {
			title += fmt.Sprintf(" · %d tok", n)
		}
	}
	lines := []string{m.styles.header.Render(title)}
	lines = append(lines, strings.Split(m.viewport.View(), "\n")...)
	lines = append(lines, m.footer())
	return lines
}

// duration is short and steady: 4.2s, 42s, 4m05s.
func duration(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// countdown is whole seconds, rounded up: "retrying in 0s" would read as "now"
// for most of the last second.
func countdown(d time.Duration) string {
	sec := int(math.Ceil(d.Seconds()))
	if sec < 60 {
		return fmt.Sprintf("%ds", sec)
	}
	return fmt.Sprintf("%dm%02ds", sec/60, sec%60)
}

// wrap breaks text into lines of at most width cells, at spaces where it can.
func wrap(s string, width int) string {
	return ansi.Wrap(s, width, "")
}
