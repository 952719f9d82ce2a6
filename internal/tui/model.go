package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/parleyhq/parley/debate"
)

// status is what a seat is doing in the current phase.
type status int

const (
	statusWaiting status = iota
	statusThinking
	statusStreaming
	statusDone
	statusRetrying
	statusFailed
	statusStopped // in flight when the debate was interrupted; a resume asks again
	statusOut     // failed a round and is not asked again
)

// seatState is one row of the view.
type seatState struct {
	seat  string // "A"
	label string // the honest display name: "openai:gpt-5" or "cli:claude#2"

	status   status
	round    int       // the round of the current (or last) turn, the verdict's included
	started  time.Time // when the current turn (or attempt) began
	latency  time.Duration
	streamed int             // bytes streamed by the current attempt
	text     strings.Builder // the current attempt's streamed text, raw
	final    string          // the finished turn's whole text, when known
	tokens   int             // real output tokens of the finished turn
	attempt  int             // the attempt that failed, while retrying
	retryAt  time.Time       // when the next attempt starts
	errClass string
	errText  string

	position   string // the latest position this seat took, from any round
	confidence *int
	posRound   int
}

// answer is the seat's text for its current turn: the finished answer when there is
// one (it is complete even if deltas were merged or missed, as after a resume),
// else what has streamed so far.
func (s *seatState) answer() string {
	if s.final != "" {
		return s.final
	}
	return s.text.String()
}

// tokenCount is the real output token count of a finished turn, else an estimate
// of a quarter of the bytes streamed so far; estimated says which.
func (s *seatState) tokenCount() (n int, estimated bool) {
	if s.status == statusDone && s.tokens > 0 {
		return s.tokens, false
	}
	if s.status == statusDone && s.final != "" {
		return (len(s.final) + 3) / 4, true
	}
	return (s.streamed + 3) / 4, true
}

// Messages the View sends into the program.
type (
	// batchMsg carries events in the order they were emitted; close asks the
	// model to draw its final frame and quit once they are applied.
	batchMsg struct {
		events []debate.Event
		close  bool
	}
	tickMsg time.Time
)

// tickEvery is how often elapsed times and retry countdowns are redrawn.
const tickEvery = 250 * time.Millisecond

// model is the Bubble Tea model: the debate's state as the view sees it, plus the
// screen's. It is a value type, as Bubble Tea expects; the seats are pointers so
// that a copy of the model shares them, which is safe because only Update, on the
// program's goroutine, changes them.
type model struct {
	now    func() time.Time
	cancel func()
	styles styles

	debateID  string
	mode      string
	rounds    int // the maximum number of rounds
	round     int // the last round started
	roundKind string
	// verdictRound is the round number of the verdict's turns, once the chair is
	// asked: one past the last round run, which is less than rounds+1 when the
	// panel converged early or the budget stopped it.
	verdictRound int
	agreement    *debate.Agreement // of the last completed round
	seats        []*seatState
	bySeat       map[string]*seatState
	chair        string // the seat writing (or that wrote) the verdict
	verdict      *debate.Verdict
	chairFail    []string // "A openai:gpt-5 (timeout)" for each chair that failed
	finished     *debate.Finished
	began        time.Time // the first event this view saw (or the resume)
	ended        time.Time // debate_finished

	width, height int
	selected      int
	pane          bool // showing the selected seat's answer
	viewport      viewport.Model
	paneSeat      string
	paneText      string // what the viewport holds, to refresh it only on change

	interrupting bool // the user asked to stop; the debate is winding down
	closing      bool // the debate returned; this is the final frame
}

func newModel(opts Options) model {
	m := model{
		now:    opts.now,
		cancel: opts.Cancel,
		styles: newStyles(opts.NoColor),
		bySeat: map[string]*seatState{},
		width:  opts.Width,
		height: opts.Height,
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.width <= 0 {
		m.width = 80
	}
	if m.height <= 0 {
		m.height = 24
	}
	m.viewport = viewport.New()
	for _, s := range opts.Panel {
		m.addSeat(s)
	}
	for _, e := range opts.Log {
		m.apply(e)
	}
	return m
}

func (m model) Init() tea.Cmd { return m.tick() }

func (m model) tick() tea.Cmd {
	return tea.Tick(tickEvery, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func (m model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case batchMsg:
		for _, e := range msg.events {
			m.apply(e)
		}
		if msg.close {
			m.closing = true
			m.pane = false
			return m, tea.Quit
		}
		m.refreshPane()
		return m, nil
	case tickMsg:
		if m.closing {
			return m, nil
		}
		return m, m.tick()
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 1), max(msg.Height, 1)
		m.paneText = "" // rewrap at the new width
		m.refreshPane()
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	if m.pane {
		var cmd tea.Cmd
		m.viewport, cmd = m.viewport.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m model) key(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch k.String() {
	case "q", "ctrl+c":
		if m.interrupting {
			// A second press while the debate winds down gives the terminal back at
			// once, in case stopping takes longer than the user will wait.
			m.pane = false
			m.closing = true
			return m, tea.Quit
		}
		m.interrupting = true
		if m.cancel != nil {
			m.cancel()
		}
		return m, nil
	case "esc":
		m.pane = false
		return m, nil
	case "enter":
		m.pane = !m.pane && len(m.seats) > 0
		if m.pane {
			m.paneSeat, m.paneText = "", ""
			m.refreshPane()
			// A finished answer is read from the top; one still streaming is
			// followed at its end, as a log viewer would.
			switch m.seats[m.selected].status {
			case statusThinking, statusStreaming:
				m.viewport.GotoBottom()
			default:
				m.viewport.GotoTop()
			}
		}
		return m, nil
	}
	if m.pane {
		var cmd tea.Cmd
		m.viewport, cmd = m.viewport.Update(k)
		return m, cmd
	}
	switch k.String() {
	case "up", "k":
		if m.selected > 0 {
			m.selected--
		}
	case "down", "j":
		if m.selected < len(m.seats)-1 {
			m.selected++
		}
	}
	return m, nil
}

func (m *model) addSeat(s debate.Seat) *seatState {
	if st, ok := m.bySeat[s.Seat]; ok {
		st.label = oneLine(seatLabel(s))
		return st
	}
	st := &seatState{seat: oneLine(s.Seat), label: oneLine(seatLabel(s))}
	m.seats = append(m.seats, st)
	m.bySeat[s.Seat] = st
	return st
}

// seatLabel is the honest name of a seat: its label when the same model sits twice.
func seatLabel(s debate.Seat) string {
	if s.Label != "" {
		return s.Label
	}
	return s.Model
}

// seat returns the row for an event's seat, adding one for a seat the panel did
// not announce rather than losing its events.
func (m *model) seat(id string) *seatState {
	if s, ok := m.bySeat[id]; ok {
		return s
	}
	return m.addSeat(debate.Seat{Seat: id, Model: "seat " + id})
}

// at is when an event happened: its own time, else now.
func (m *model) at(e debate.Event) time.Time {
	if !e.At.IsZero() {
		return e.At
	}
	return m.now()
}

// apply folds one event into the state. Kinds it does not show (clarified, the
// round summaries, user notes) change nothing; a seat event without a seat is
// ignored rather than drawn as a row of its own.
func (m *model) apply(e debate.Event) {
	if m.began.IsZero() {
		m.began = m.at(e)
	}
	if e.DebateID != "" {
		m.debateID = oneLine(e.DebateID)
	}
	switch e.Kind {
	case debate.KindTurnStarted, debate.KindTurnDelta, debate.KindTurnRetrying,
		debate.KindTurnCompleted, debate.KindTurnFailed, debate.KindVerdictFailed:
		if e.Seat == "" {
			return
		}
	}
	switch e.Kind {
	case debate.KindDebateStarted:
		if s := e.Started; s != nil {
			m.mode = oneLine(s.Spec.Mode)
			if s.Mode != nil {
				m.rounds = len(s.Mode.Rounds)
				if m.mode == "" {
					m.mode = oneLine(s.Mode.Name)
				}
			}
			if s.Spec.Rounds > 0 {
				m.rounds = s.Spec.Rounds
			}
			for _, seat := range s.Panel {
				m.addSeat(seat)
			}
		}
	case debate.KindDebateResumed:
		// The calls that were in flight died with the old process; the engine
		// starts them again and says so with turn_started.
		m.finished = nil
		m.ended = time.Time{}
		m.interrupting = false
		m.began = m.at(e) // this process's share of the time
		for _, s := range m.seats {
			switch s.status {
			case statusThinking, statusStreaming, statusRetrying, statusStopped:
				s.status = statusWaiting
			}
		}
	case debate.KindRoundStarted:
		m.round, m.roundKind = e.Round, oneLine(e.RoundKind)
		m.agreement = nil
		for _, s := range m.seats {
			if s.round < e.Round {
				s.status = statusWaiting
			}
		}
	case debate.KindTurnStarted:
		s := m.seat(e.Seat)
		s.status = statusThinking
		s.round = e.Round
		s.started = m.at(e)
		s.streamed, s.tokens, s.latency = 0, 0, 0
		s.text.Reset()
		s.final, s.errClass, s.errText = "", "", ""
		// Every round announces itself; a turn past the last one is the verdict's.
		if e.Round > m.round {
			m.verdictRound = e.Round
			m.chair = e.Seat
		}
	case debate.KindTurnDelta:
		s := m.seat(e.Seat)
		if e.Round != s.round {
			return // a late delta of an earlier turn
		}
		s.text.WriteString(e.Text)
		s.streamed += len(e.Text)
		switch s.status {
		case statusWaiting, statusThinking, statusRetrying: // a retry streams without a new turn_started
			s.status = statusStreaming
		}
	case debate.KindTurnRetrying:
		s := m.seat(e.Seat)
		switch s.status {
		case statusThinking, statusStreaming, statusRetrying:
		default:
			// A call outside the seat's turn (the chair's summary of a round, or
			// its clarifying questions) retries too; the row is about the turn.
			return
		}
		s.status = statusRetrying
		if r := e.Retry; r != nil {
			s.attempt = r.Attempt
			s.errClass, s.errText = oneLine(string(r.Class)), oneLine(r.Error)
			s.retryAt = m.at(e).Add(r.Wait)
		}
		// The next attempt streams its answer from the start.
		s.streamed = 0
		s.text.Reset()
	case debate.KindVerdictCompleted:
		m.verdict = e.Verdict
		if e.Round > m.round {
			m.verdictRound = e.Round
		}
		if e.Seat == "" {
			return // a tallied vote: no chair, no turn
		}
		m.chair = e.Seat
		s := m.seat(e.Seat)
		s.status = statusDone
		s.round = e.Round
		s.errClass, s.errText = "", ""
		if t := e.Turn; t != nil {
			s.final = t.Text
			s.tokens = t.Usage.OutputTokens
			s.latency = time.Duration(t.LatencyMS) * time.Millisecond
		}
	case debate.KindTurnCompleted:
		s := m.seat(e.Seat)
		s.status = statusDone
		s.round = e.Round
		s.errClass, s.errText = "", ""
		if t := e.Turn; t != nil {
			s.final = t.Text
			s.tokens = t.Usage.OutputTokens
			s.latency = time.Duration(t.LatencyMS) * time.Millisecond
			s.position = oneLine(t.Reply.Position)
			s.confidence = t.Reply.Confidence
			s.posRound = e.Round
		}
	case debate.KindTurnFailed, debate.KindVerdictFailed:
		s := m.seat(e.Seat)
		s.status = statusFailed
		s.round = e.Round
		if t := e.Turn; t != nil {
			s.errClass, s.errText = oneLine(string(t.ErrorClass)), oneLine(t.Error)
			s.latency = time.Duration(t.LatencyMS) * time.Millisecond
		}
		if s.errClass == "" {
			s.errClass = "error"
		}
		if e.Kind == debate.KindVerdictFailed {
			m.verdictRound = e.Round
			m.chairFail = append(m.chairFail, fmt.Sprintf("%s %s (%s)", s.seat, s.label, s.errClass))
		}
	case debate.KindSeatOut:
		if e.Seat == "" {
			return
		}
		s := m.seat(e.Seat)
		s.status = statusOut
		s.round = e.Round
		s.errClass, s.errText = "out", oneLine(e.Text)
	case debate.KindRoundCompleted:
		m.agreement = e.Agreement
	case debate.KindDebateFinished:
		m.finished = e.Finished
		m.ended = m.at(e)
		for _, s := range m.seats {
			switch s.status {
			case statusThinking, statusStreaming, statusRetrying:
				s.status = statusStopped
			}
		}
	}
}

// paneLines is the height the answer pane's viewport gets: the screen less a title
// line and the footer.
func (m *model) paneLines() int { return max(m.height-2, 1) }

// refreshPane loads the selected seat's answer into the viewport when it changed,
// following the end of the text if the reader was already there.
func (m *model) refreshPane() {
	if !m.pane || len(m.seats) == 0 {
		return
	}
	s := m.seats[m.selected]
	m.viewport.SetWidth(max(m.width, 1))
	m.viewport.SetHeight(m.paneLines())
	text := s.answer()
	if s.seat == m.paneSeat && text == m.paneText {
		return
	}
	follow := m.viewport.AtBottom() && s.seat == m.paneSeat
	m.paneSeat, m.paneText = s.seat, text
	body := strings.ReplaceAll(sanitize(text), "\t", "    ")
	if strings.TrimSpace(body) == "" {
		body = m.styles.faint.Render("(nothing streamed yet)")
	}
	m.viewport.SetContent(wrap(body, max(m.width, 1)))
	if follow {
		m.viewport.GotoBottom()
	}
}
