// parley's web UI: the list of debates, a form to start one, a live view with one
// column per seat, and the finished report. Plain JavaScript, no dependencies.
//
// Everything a model (or a user) wrote reaches the page as text: the DOM is built
// with createElement and textContent, never by parsing markup from a string. The one
// piece of markup the page inserts is the confidence chart, which the server renders
// (escaping every string) and which is sanitised here before it is adopted; the
// page's Content-Security-Policy forbids inline script besides.
'use strict';

(function () {
  const TOKEN_KEY = 'parley-token';
  const main = document.getElementById('main');
  let viewAbort = null; // aborts the current view's fetches and stream
  let listTimer = null;

  // ---- token ---------------------------------------------------------------

  // The token arrives once in the URL fragment (#token=…), which browsers never
  // send to a server; it is kept for this tab and the fragment is cleared.
  function takeTokenFromURL() {
    const h = location.hash;
    const m = /(?:^#|[&#])token=([^&]*)/.exec(h);
    if (!m) return;
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    let rest = h.replace(/[&#]?token=[^&]*/, '');
    if (rest === '' || rest === '#') rest = '#/';
    history.replaceState(null, '', location.pathname + location.search + rest);
  }

  function authHeaders() {
    const t = sessionStorage.getItem(TOKEN_KEY);
    return t ? { Authorization: 'Bearer ' + t } : {};
  }

  let tokenWaiters = null;
  // needToken shows the token dialog once, however many requests wait for it.
  function needToken() {
    if (tokenWaiters) return tokenWaiters;
    const dlg = document.getElementById('auth');
    const input = document.getElementById('auth-token');
    tokenWaiters = new Promise((resolve) => {
      const form = document.getElementById('auth-form');
      const onSubmit = () => {
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        input.value = '';
        form.removeEventListener('submit', onSubmit);
        tokenWaiters = null;
        resolve();
      };
      form.addEventListener('submit', onSubmit);
    });
    if (!dlg.open) dlg.showModal();
    return tokenWaiters;
  }

  class HTTPError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // api calls the JSON API with the token, asking for one when the server says 401.
  async function api(path, opts = {}) {
    for (;;) {
      const headers = Object.assign({ Accept: 'application/json' }, authHeaders(), opts.headers || {});
      const init = { method: opts.method || 'GET', headers, signal: opts.signal, cache: 'no-store' };
      if (opts.body !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(opts.body);
      }
      const res = await fetch(path, init);
      if (res.status === 401) {
        await needToken();
        continue;
      }
      if (!res.ok) {
        let msg = res.status + ' ' + res.statusText;
        try {
          const body = await res.json();
          if (body && body.error) msg = body.error;
        } catch (_) { /* not JSON */ }
        throw new HTTPError(res.status, msg);
      }
      return opts.text ? res.text() : res.json();
    }
  }

  // ---- DOM helpers ---------------------------------------------------------

  // el builds an element; strings become text nodes, never markup.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('data-')) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function showError(where, err) {
    const p = el('p', { class: 'error', role: 'alert', text: err && err.message ? err.message : String(err) });
    where.append(p);
    return p;
  }

  function when(iso) {
    const d = new Date(iso);
    return isNaN(d) ? '' : d.toLocaleString();
  }

  function money(v) {
    if (!v) return '$0';
    return v < 0.01 ? '$' + v.toFixed(4) : '$' + v.toFixed(2);
  }

  function sleep(ms, signal) {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      if (signal) signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
  }

  // ---- router --------------------------------------------------------------

  function route() {
    if (viewAbort) viewAbort.abort();
    viewAbort = new AbortController();
    if (listTimer) { clearInterval(listTimer); listTimer = null; }
    const signal = viewAbort.signal;
    const h = location.hash || '#/';
    let m;
    clear(main);
    if (h === '#/new') return viewNew(signal);
    if ((m = /^#\/d\/([A-Za-z0-9_-]+)$/.exec(h))) return viewDebate(m[1], signal);
    return viewList(signal);
  }

  // ---- list ----------------------------------------------------------------

  async function viewList(signal) {
    document.title = 'parley';
    const search = el('input', { type: 'search', id: 'search', placeholder: 'Search questions and verdicts' });
    search.setAttribute('aria-label', 'Search debates');
    const section = el('section', { class: 'card' }, el('div', { class: 'list-head' }, el('h1', { text: 'Debates' }), search));
    const body = el('div', { id: 'debates' });
    section.append(body);
    main.append(section);
    // The search runs on the server (?q=, over every debate stored, not only the
    // rows shown); the answer to an older query never replaces a newer one's.
    let asked = 0;
    const load = async () => {
      const n = ++asked;
      const q = search.value.trim();
      try {
        const rows = await api('/api/debates?limit=200' + (q ? '&q=' + encodeURIComponent(q) : ''), { signal });
        if (n === asked) renderList(body, rows, q);
      } catch (err) {
        if (!signal.aborted && n === asked) { clear(body); showError(body, err); }
      }
    };
    let typing = null;
    search.addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(load, 200);
    });
    await load();
    listTimer = setInterval(load, 5000);
  }

  function renderList(body, rows, q) {
    clear(body);
    if (!rows.length && q) {
      body.append(el('p', { class: 'muted', id: 'no-match', text: 'No debate matches “' + q + '”.' }));
      return;
    }
    if (!rows.length) {
      body.append(el('p', { class: 'muted' }, 'No debates yet. ', el('a', { href: '#/new', text: 'Start one.' })));
      return;
    }
    const table = el('table', { class: 'list' },
      el('thead', {}, el('tr', {}, el('th', { text: 'Started' }), el('th', { text: 'Status' }), el('th', { text: 'Mode' }), el('th', { text: 'Problem' }))));
    const tbody = el('tbody');
    for (const r of rows) {
      tbody.append(el('tr', { 'data-id': r.id },
        el('td', { class: 'nowrap', text: when(r.created_at) }),
        el('td', {}, el('span', { class: 'status s-' + r.status, text: r.status })),
        el('td', { text: r.mode }),
        el('td', {}, el('a', { href: '#/d/' + r.id, text: r.problem.length > 160 ? r.problem.slice(0, 159) + '…' : r.problem }))));
    }
    table.append(tbody);
    body.append(table);
  }

  // ---- new debate ----------------------------------------------------------

  async function viewNew(signal) {
    document.title = 'New debate · parley';
    main.append(document.getElementById('tpl-new').content.cloneNode(true));
    const form = document.getElementById('new-form');
    const list = document.getElementById('f-models-list');
    const note = document.getElementById('f-models-note');
    const modeSel = document.getElementById('f-mode');
    const modeDesc = document.getElementById('f-mode-desc');
    const errBox = document.getElementById('f-error');
    const submit = document.getElementById('f-submit');

    const [models, modes] = await Promise.allSettled([api('/api/models', { signal }), api('/api/modes', { signal })]);
    if (signal.aborted) return;

    if (models.status === 'fulfilled') {
      const m = models.value || {};
      const defaults = new Set(m.default_panel || []);
      const seen = new Set();
      const add = (ref, why) => {
        if (!ref || seen.has(ref)) return;
        seen.add(ref);
        const box = el('input', { type: 'checkbox', name: 'model', value: ref, checked: defaults.has(ref) });
        list.append(el('label', { class: 'model', title: why || '' }, box, ' ', el('code', { text: ref })));
      };
      for (const ref of m.default_panel || []) add(ref, 'default panel');
      for (const r of m.reachable || []) add(r.ref, r.why);
      for (const r of m.configured || []) add(r.ref, r.why);
      note.textContent = seen.size
        ? 'The default panel is ticked; with none ticked the server picks it.'
        : 'No models found on the server: configure one (see parley models), or name refs below.';
    } else {
      note.textContent = 'Could not list the models: ' + models.reason.message;
    }

    if (modes.status === 'fulfilled') {
      for (const m of modes.value || []) {
        modeSel.append(el('option', { value: m.name, text: m.name + ' (' + m.rounds + ' rounds)', selected: m.name === 'standard' }));
      }
      const describe = () => {
        const m = (modes.value || []).find((x) => x.name === modeSel.value);
        modeDesc.textContent = m ? m.description : '';
      };
      modeSel.addEventListener('change', describe);
      describe();
    } else {
      modeSel.append(el('option', { value: '', text: 'default' }));
    }

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      errBox.hidden = true;
      const picked = Array.from(list.querySelectorAll('input[name=model]:checked')).map((b) => b.value);
      const extra = document.getElementById('f-models-extra').value.split(',').map((s) => s.trim()).filter(Boolean);
      const body = { problem: document.getElementById('f-problem').value };
      const refs = picked.concat(extra);
      if (refs.length) body.models = refs;
      if (modeSel.value) body.mode = modeSel.value;
      const rounds = parseInt(document.getElementById('f-rounds').value, 10);
      if (rounds > 0) body.rounds = rounds;
      submit.disabled = true;
      try {
        const res = await api('/api/debates', { method: 'POST', body, signal });
        location.hash = '#/d/' + res.id;
      } catch (err) {
        if (signal.aborted) return;
        errBox.textContent = err.message;
        errBox.hidden = false;
        submit.disabled = false;
      }
    });
  }

  // ---- event stream ----------------------------------------------------------

  // follow reads a debate's Server-Sent Events with fetch, so that the token goes
  // in a header (EventSource cannot send one). It reconnects with Last-Event-ID
  // after a dropped connection and stops after the "finished" event.
  async function follow(id, on, signal) {
    let last = 0;
    let backoff = 500;
    while (!signal.aborted) {
      try {
        const headers = Object.assign({ Accept: 'text/event-stream' }, authHeaders());
        if (last > 0) headers['Last-Event-ID'] = String(last);
        const res = await fetch('/api/debates/' + encodeURIComponent(id) + '/events', { headers, signal, cache: 'no-store' });
        if (res.status === 401) { await needToken(); continue; }
        if (res.status === 404) { on.missing(); return; }
        if (!res.ok) throw new Error('HTTP ' + res.status);
        on.connected();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let cut;
          while ((cut = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            let name = 'message', data = '', seq = null;
            for (const line of block.split('\n')) {
              if (line === '' || line.startsWith(':')) continue;
              const i = line.indexOf(':');
              const field = i < 0 ? line : line.slice(0, i);
              let val = i < 0 ? '' : line.slice(i + 1);
              if (val.startsWith(' ')) val = val.slice(1);
              if (field === 'event') name = val;
              else if (field === 'data') data += (data ? '\n' : '') + val;
              else if (field === 'id') seq = parseInt(val, 10);
            }
            if (!data) continue;
            backoff = 500;
            const payload = JSON.parse(data);
            if (name === 'finished') { on.finished(payload); return; }
            if (seq !== null && !isNaN(seq)) last = seq;
            on.event(payload);
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        on.trouble(err);
      }
      if (signal.aborted) return;
      on.reconnecting();
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, 10000);
    }
  }

  // ---- live debate -----------------------------------------------------------

  function viewDebate(id, signal) {
    document.title = 'Debate ' + id + ' · parley';
    const v = new DebateView(id);
    main.append(v.root);
    follow(id, {
      connected: () => v.setConn(''),
      reconnecting: () => v.setConn('connection lost, reconnecting…'),
      trouble: (err) => v.setConn('connection trouble: ' + err.message),
      missing: () => { clear(v.root); showError(v.root, new Error('No debate with id ' + id + '.')); },
      event: (e) => v.apply(e),
      finished: (f) => { v.setConn(''); v.finish(f, signal); },
    }, signal);
  }

  class DebateView {
    constructor(id) {
      this.id = id;
      this.seats = [];        // panel order
      this.cards = new Map(); // "round/seat" → card
      this.roundKinds = new Map();
      this.totalRounds = 0;
      this.root = el('article', { class: 'debate', 'data-id': id });
      this.title = el('h1', { class: 'problem-title', text: 'Debate ' + id });
      this.meta = el('p', { class: 'meta' });
      this.statusEl = el('span', { class: 'status s-running', id: 'status', text: 'connecting' });
      this.progress = el('span', { class: 'muted', id: 'progress' });
      this.conn = el('span', { class: 'conn muted' });
      this.notes = el('ul', { class: 'notes' });
      this.grid = el('div', { class: 'seats', id: 'seats' });
      this.verdict = el('section', { class: 'verdict', id: 'verdict', hidden: true });
      this.reportEl = el('section', { class: 'report', id: 'report', hidden: true });
      this.cancelBtn = el('button', { type: 'button', id: 'cancel', class: 'danger', text: 'Cancel', hidden: true });
      this.cancelBtn.addEventListener('click', () => this.cancel());
      const exportBtn = (format, label) => {
        const b = el('button', { type: 'button', id: 'export-' + format, class: 'secondary', text: label });
        b.addEventListener('click', () => this.exportReport(format, b));
        return b;
      };
      this.actions = el('p', { class: 'actions debate-actions' }, this.cancelBtn, ' ',
        exportBtn('html', 'Export HTML'), ' ', exportBtn('md', 'Export Markdown'), ' ', exportBtn('json', 'Export JSON'));
      this.actionError = el('p', { class: 'error', role: 'alert', hidden: true });
      this.root.append(
        el('p', { class: 'crumbs' }, el('a', { href: '#/', text: '← Debates' })),
        this.title,
        el('p', { class: 'statusline' }, this.statusEl, ' ', this.progress, ' ', this.conn),
        this.actions, this.actionError,
        this.meta, this.notes, this.grid, this.verdict, this.reportEl);
    }

    setConn(text) { this.conn.textContent = text; }

    setStatus(status, detail) {
      this.statusEl.textContent = status;
      this.statusEl.className = 'status s-' + status;
      if (detail !== undefined) this.progress.textContent = detail;
      this.cancelBtn.hidden = status !== 'running';
    }

    actionFailed(err) {
      this.actionError.textContent = err && err.message ? err.message : String(err);
      this.actionError.hidden = false;
    }

    // cancel asks the server to stop the debate; the stream then brings its
    // interruption (it stays resumable with parley resume).
    async cancel() {
      this.cancelBtn.disabled = true;
      this.actionError.hidden = true;
      try {
        await api('/api/debates/' + encodeURIComponent(this.id) + '/cancel', { method: 'POST' });
        this.progress.textContent = 'canceling…';
      } catch (err) {
        this.actionFailed(err);
      } finally {
        this.cancelBtn.disabled = false;
      }
    }

    // exportReport downloads the report the server renders (the same as parley
    // export). It is fetched, not linked, because the API needs the token header.
    async exportReport(format, button) {
      button.disabled = true;
      this.actionError.hidden = true;
      try {
        const body = await api('/api/debates/' + encodeURIComponent(this.id) + '/report?format=' + format, { text: true, headers: { Accept: '*/*' } });
        const type = { html: 'text/html', md: 'text/markdown', json: 'application/json' }[format];
        const url = URL.createObjectURL(new Blob([body], { type: type + ';charset=utf-8' }));
        const a = el('a', { href: url, download: 'parley-' + this.id + '.' + format, hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
      } catch (err) {
        this.actionFailed(err);
      } finally {
        button.disabled = false;
      }
    }

    apply(e) {
      switch (e.kind) {
        case 'debate_started': return this.started(e);
        case 'debate_resumed': return this.setStatus('running', 'resumed');
        case 'round_started':
          this.roundKinds.set(e.round, e.round_kind || '');
          for (const s of this.seats) this.card(e.round, s.seat);
          return this.progressLine(e.round);
        case 'turn_started': return this.turnStarted(e);
        case 'turn_delta': return this.delta(e);
        case 'turn_retrying': {
          const c = this.cardFor(e);
          if (c && e.retry) c.note.textContent = 'attempt ' + e.retry.attempt + ' failed (' + e.retry.class + '), retrying…';
          return;
        }
        case 'turn_completed': return this.turnDone(e, true);
        case 'turn_failed': return this.turnDone(e, false);
        case 'round_completed': {
          const a = e.agreement || {};
          this.progress.textContent = 'round ' + e.round + ' done: ' + (a.live || 0) + ' answered' + (a.failed ? ', ' + a.failed + ' failed' : '') + (a.converged ? ', converged' : '');
          return;
        }
        case 'seat_out':
          // A seat that failed a round is not asked again: say so once, with why.
          this.notes.append(el('li', { class: 'out' }, el('b', { text: 'Seat ' + e.seat + ' is out after round ' + e.round + ': ' }), e.text || ''));
          return;
        case 'user_note':
          this.notes.append(el('li', {}, el('b', { text: 'Note after round ' + e.round + ': ' }), e.text || ''));
          return;
        case 'verdict_completed': return this.verdictDone(e);
        case 'verdict_failed': {
          const c = this.verdictCard(e.seat);
          c.state.textContent = 'failed: ' + ((e.turn && e.turn.error) || 'no verdict');
          c.box.classList.add('failed');
          return;
        }
        case 'debate_finished': {
          const f = e.finished || {};
          return this.setStatus(f.status || 'finished', f.stopped_because ? 'stopped: ' + f.stopped_because.replace(/_/g, ' ') : '');
        }
      }
    }

    started(e) {
      const st = e.started || {};
      const spec = st.spec || {};
      this.title.textContent = spec.problem || ('Debate ' + this.id);
      document.title = (spec.problem || this.id).slice(0, 60) + ' · parley';
      this.totalRounds = spec.rounds || (st.mode && st.mode.rounds ? st.mode.rounds.length : 0);
      this.seats = st.panel || [];
      this.meta.textContent = 'mode ' + (spec.mode || '?') + ' · ' + this.seats.length + ' seats · debate ' + this.id;
      this.setStatus('running', '');
      clear(this.grid);
      this.grid.style.setProperty('--cols', String(Math.max(1, this.seats.length)));
      this.columns = new Map();
      this.seats.forEach((s, i) => {
        const col = el('section', { class: 'seat c' + (i % 6), 'data-seat': s.seat },
          el('header', {},
            el('span', { class: 'seat-letter', text: s.seat }),
            el('span', { class: 'seat-model', text: s.label || s.model }),
            s.role ? el('span', { class: 'seat-role', text: s.role }) : null));
        this.columns.set(s.seat, col);
        this.grid.append(col);
      });
    }

    progressLine(round) {
      const kind = this.roundKinds.get(round);
      this.progress.textContent = 'round ' + round + (this.totalRounds ? ' of ' + this.totalRounds : '') + (kind ? ' · ' + kind : '');
    }

    // card returns the card of seat's turn in round, making it if needed.
    card(round, seat) {
      const key = round + '/' + seat;
      let c = this.cards.get(key);
      if (c) return c;
      const col = this.columns && this.columns.get(seat);
      if (!col) return null;
      const kind = this.roundKinds.get(round) || '';
      c = {
        box: el('div', { class: 'turn waiting', 'data-round': String(round) }),
        state: el('span', { class: 'turn-state', text: 'waiting' }),
        text: el('div', { class: 'answer' }),
        note: el('p', { class: 'turn-note muted' }),
        facts: el('div', { class: 'facts' }),
      };
      c.box.append(el('h3', {}, 'Round ' + round, kind ? el('span', { class: 'kind', text: ' · ' + kind }) : null, ' ', c.state), c.note, c.text, c.facts);
      col.append(c.box);
      this.cards.set(key, c);
      return c;
    }

    // cardFor finds the card an event belongs to: a debate round, else the verdict.
    cardFor(e) {
      if (this.roundKinds.has(e.round)) return this.card(e.round, e.seat);
      return this.verdictCard(e.seat);
    }

    verdictCard(seat) {
      const key = 'verdict/' + seat;
      let c = this.cards.get(key);
      if (c) return c;
      this.verdict.hidden = false;
      if (!this.verdict.firstChild) this.verdict.append(el('h2', { text: 'Verdict' }));
      const s = this.seats.find((x) => x.seat === seat);
      c = {
        box: el('div', { class: 'turn chair', 'data-seat': seat }),
        state: el('span', { class: 'turn-state', text: 'writing' }),
        text: el('div', { class: 'answer' }),
        note: el('p', { class: 'turn-note muted' }),
        facts: el('div', { class: 'facts' }),
      };
      c.box.append(el('h3', {}, 'Chair: seat ' + seat + (s ? ' (' + (s.label || s.model) + ')' : ''), ' ', c.state), c.note, c.text, c.facts);
      this.verdict.append(c.box);
      this.cards.set(key, c);
      return c;
    }

    turnStarted(e) {
      const c = this.cardFor(e);
      if (!c) return;
      c.box.classList.remove('waiting');
      c.box.classList.add('live');
      c.state.textContent = 'answering…';
      c.note.textContent = '';
      clear(c.text);
    }

    delta(e) {
      const c = this.cardFor(e);
      if (!c || !e.text) return;
      c.box.classList.remove('waiting');
      c.box.classList.add('live');
      // A text node, appended: the model's words are never parsed as markup.
      c.text.append(document.createTextNode(e.text));
    }

    turnDone(e, ok) {
      const c = this.cardFor(e);
      if (!c) return;
      const t = e.turn || {};
      c.box.classList.remove('waiting', 'live');
      clear(c.facts);
      c.note.textContent = '';
      if (!ok) {
        c.box.classList.add('failed');
        c.state.textContent = 'failed';
        c.facts.append(el('p', { class: 'error', text: (t.error_class ? t.error_class + ': ' : '') + (t.error || 'failed') }));
        return;
      }
      c.box.classList.add('done');
      c.state.textContent = '';
      c.text.textContent = t.text || '';
      renderAnswer(c.text, t.text || '');
      const r = t.reply || {};
      const conf = typeof r.confidence === 'number' ? r.confidence : null;
      c.facts.append(
        el('p', { class: 'position' }, el('b', { text: 'Position: ' }), r.position || '(unclear)', r.changed ? el('span', { class: 'changed', title: r.reason || '', text: ' ↺ changed' }) : null),
        el('p', { class: 'confidence' }, 'Confidence ',
          conf === null ? el('span', { class: 'muted', text: 'not given' }) : el('meter', { min: 0, max: 100, value: conf, low: 40, high: 75, optimum: 90 }),
          conf === null ? null : el('span', { class: 'pct', text: ' ' + conf + '%' })));
    }

    verdictDone(e) {
      const c = this.verdictCard(e.seat);
      this.turnDone(Object.assign({}, e, { kind: 'turn_completed' }), true);
      const v = e.verdict || {};
      clear(c.facts); // a verdict has a recommendation, not a position
      c.facts.append(el('p', { class: 'recommendation' }, el('b', { text: 'Recommendation: ' }), v.recommendation || '', ' ', el('span', { class: 'pct', text: '(' + (v.confidence || 0) + '%)' })));
      if (v.degraded) c.facts.append(el('p', { class: 'error' }, el('b', { text: 'Degraded verdict: ' }), v.degraded));
    }

    // finish shows the finished report: the verdict's lists, the evidence and the
    // chart, from the stored result.
    async finish(f, signal) {
      if (f.status) this.setStatus(f.status, f.stopped_because ? 'stopped: ' + f.stopped_because.replace(/_/g, ' ') : '');
      let rec;
      try {
        rec = await api('/api/debates/' + encodeURIComponent(this.id), { signal });
      } catch (err) {
        if (!signal.aborted) showError(this.reportEl, err);
        this.reportEl.hidden = false;
        return;
      }
      if (signal.aborted) return;
      const r = this.reportEl;
      clear(r);
      r.hidden = false;
      r.append(el('h2', { text: 'Report' }));
      const v = rec.verdict;
      if (v) {
        r.append(el('p', { class: 'recommendation big' }, el('b', { text: 'Verdict: ' }), v.recommendation || '', ' ', el('span', { class: 'pct', text: '(confidence ' + v.confidence + '%, by ' + (v.by || '?') + ')' })));
        const lists = [['Consensus', v.consensus], ['Disagreements', v.disagreements], ['Dissent', v.dissent], ['Risks', v.risks], ['Next steps', v.next_steps]];
        for (const [title, items] of lists) {
          if (!items || !items.length) continue;
          r.append(el('h3', { text: title }), el('ul', {}, ...items.map((x) => el('li', { text: x }))));
        }
      } else {
        r.append(el('p', { class: 'error', text: 'No verdict: ' + (rec.error || rec.stopped_because || rec.status) }));
      }
      if (rec.ranking && rec.ranking.length) {
        // The council's peer review: Borda points over every reviewer's ranking.
        const seatOf = (s) => { const p = (rec.panel || []).find((x) => x.seat === s); return p ? (p.label || p.model) : ''; };
        r.append(el('h3', { text: 'Council ranking' }),
          el('table', { class: 'list', id: 'ranking' },
            el('thead', {}, el('tr', {}, el('th', { text: 'Rank' }), el('th', { text: 'Seat' }), el('th', { text: 'Model' }), el('th', { text: 'Points' }), el('th', { text: 'Reviewers' }))),
            el('tbody', {}, ...rec.ranking.map((x) => el('tr', { 'data-seat': x.seat },
              el('td', { text: String(x.rank) + (x.tied ? ' (tied)' : '') }), el('td', { text: x.seat }), el('td', { text: x.model || seatOf(x.seat) }),
              el('td', { text: String(x.points) }), el('td', { text: String(x.votes) }))))));
      }
      if (rec.tally && rec.tally.answers && rec.tally.answers.length) {
        const ta = rec.tally;
        r.append(el('h3', { text: 'Vote tally' }),
          el('p', { class: 'meta', id: 'tally-summary', text: ta.voters + ' voters · majority: ' + (ta.majority || 'none') + ' · weighted by confidence: ' + (ta.weighted || 'none') }),
          el('table', { class: 'list', id: 'tally' },
            el('thead', {}, el('tr', {}, el('th', { text: 'Answer' }), el('th', { text: 'Votes' }), el('th', { text: 'Weight' }), el('th', { text: 'Seats' }))),
            el('tbody', {}, ...ta.answers.map((x) => el('tr', {},
              el('td', { text: x.answer }), el('td', { text: String(x.votes) }), el('td', { text: String(x.weight) }), el('td', { text: (x.seats || []).join(', ') }))))));
      }
      if (rec.baseline) {
        const b = rec.baseline;
        r.append(el('h3', { text: 'Against a plain majority vote' }),
          el('p', {}, 'The independent first answers\u2019 majority: ', el('i', { text: b.position || '(none)' }), b.agrees_with_verdict ? ' — agrees with the verdict.' : ' — differs from the verdict.'));
      }
      if (rec.flips && rec.flips.length) {
        r.append(el('h3', { text: 'Who changed their mind' }),
          el('ul', {}, ...rec.flips.map((x) => el('li', {}, el('b', { text: 'Seat ' + x.seat + ', round ' + x.round + ': ' }), x.from + ' → ' + x.to, x.reason ? el('span', { class: 'muted', text: ' (' + x.reason + ')' }) : null))));
      }
      const chartBox = el('div', { class: 'chart-box', id: 'chart' });
      r.append(el('h3', { text: 'Confidence by round' }), chartBox);
      const u = rec.usage || {};
      r.append(el('p', { class: 'meta', text: (u.input_tokens || 0) + ' input and ' + (u.output_tokens || 0) + ' output tokens · ' + money(u.cost_usd) + ' · ' + ((rec.duration_ms || 0) / 1000).toFixed(1) + ' s' }));
      try {
        const html = await api('/api/debates/' + encodeURIComponent(this.id) + '/chart', { signal, text: true, headers: { Accept: 'text/html' } });
        const node = safeFragment(html);
        if (node) chartBox.append(node);
      } catch (err) {
        if (!signal.aborted) showError(chartBox, err);
      }
    }
  }

  // renderAnswer replaces an answer's text with its Markdown rendered by the server
  // (goldmark, then bluemonday: the same HTML as the exported report). Until the
  // answer comes back, and if it never does, the plain text stays.
  async function renderAnswer(box, text) {
    if (!text) return;
    let html;
    try {
      html = (await api('/api/render', { method: 'POST', body: { markdown: text } })).html;
    } catch (_) {
      return;
    }
    const frag = safeHTML(html);
    clear(box);
    box.append(frag);
    box.classList.add('md');
  }

  // safeHTML parses sanitised answer markup in an inert document and checks it
  // again: only the elements Markdown makes, links only to http(s) and mailto, no
  // attribute that could run or fetch. The server sanitised it already; this is
  // the second lock on the door (and the CSP, which runs no inline script, the third).
  function safeHTML(html) {
    const doc = new DOMParser().parseFromString('<body>' + html + '</body>', 'text/html');
    const allowed = new Set(['P', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'STRONG', 'EM', 'DEL', 'CODE', 'PRE', 'UL', 'OL', 'LI',
      'BLOCKQUOTE', 'HR', 'BR', 'DIV', 'TABLE', 'THEAD', 'TBODY', 'TR', 'TH', 'TD', 'A', 'SPAN', 'B', 'I', 'S', 'SUP', 'SUB']);
    for (const n of Array.from(doc.body.querySelectorAll('*'))) {
      if (!allowed.has(n.tagName)) { n.replaceWith(doc.createTextNode(n.textContent)); continue; }
      for (const a of Array.from(n.attributes)) {
        const name = a.name.toLowerCase();
        const keep = (name === 'href' && n.tagName === 'A' && /^(https?:|mailto:)/i.test(a.value)) ||
          name === 'rel' || name === 'align' || name === 'start' || (name === 'class' && /^(language-[\w+#.-]+|scroll)$/.test(a.value));
        if (!keep) n.removeAttribute(a.name);
      }
      if (n.tagName === 'A') { n.setAttribute('rel', 'noopener noreferrer nofollow'); n.setAttribute('target', '_blank'); }
    }
    const frag = document.createDocumentFragment();
    for (const c of Array.from(doc.body.childNodes)) frag.append(document.importNode(c, true));
    return frag;
  }

  // safeFragment parses the server's chart markup in an inert document, removes
  // anything that could run or fetch, and adopts what is left. The server escapes
  // every string it puts in the chart; this is the second lock on the door.
  function safeFragment(html) {
    const doc = new DOMParser().parseFromString('<body>' + html + '</body>', 'text/html');
    const banned = 'script,iframe,object,embed,foreignObject,style,link,meta,base,form,input,button,textarea,image,use,a,animate,set';
    for (const n of doc.body.querySelectorAll(banned)) n.remove();
    for (const n of doc.body.querySelectorAll('*')) {
      for (const a of Array.from(n.attributes)) {
        const name = a.name.toLowerCase();
        if (name.startsWith('on') || name === 'href' || name === 'xlink:href' || name === 'src' || name === 'style' || name === 'srcset' || name === 'action' || name === 'formaction') {
          n.removeAttribute(a.name);
        }
      }
    }
    const first = doc.body.firstElementChild;
    return first ? document.importNode(first, true) : null;
  }

  // ---- start ---------------------------------------------------------------------

  takeTokenFromURL();
  window.addEventListener('hashchange', () => { takeTokenFromURL(); route(); });
  route();
})();
