// The dashboard's script, served from the binary as /assets/dashboard.js.
// Fills the page shells (dashboard/pages.cc) from the JSON endpoints and
// keeps them current by polling every POLL_MS, replacing only the parts
// whose content changed: no reload.
//
// Safety: plain values (names, states, errors, parameters) are set with
// textContent; innerHTML only ever receives HTML and SVG the server made
// with every text escaped (report/), and the page's Content-Security-Policy
// allows no inline script.
//
// Ids the browser test reads: #sweeps-body (rows tr[data-sweep]),
// #trials-body (rows tr[data-trial] with data-state), #curves svg,
// #parallel svg, #results table, #counts, #status.
(function () {
  'use strict';
  var POLL_MS = 1500;
  var page = document.body.dataset.page;
  var id = document.body.dataset.id;
  var shown = {};

  function get(url) {
    return fetch(url, {credentials: 'same-origin', cache: 'no-store'}).then(function (r) {
      if (!r.ok) return r.text().then(function (t) { throw new Error(r.status + ' ' + t); });
      return r.json();
    });
  }
  function byId(x) { return document.getElementById(x); }
  function setHtml(elementId, html) {
    if (shown[elementId] === html) return false;
    shown[elementId] = html;
    var e = byId(elementId);
    if (e) e.innerHTML = html;
    return true;
  }
  function setText(elementId, text) {
    var e = byId(elementId);
    if (e && e.textContent !== String(text)) e.textContent = text;
  }
  function cell(tr, text, cls) {
    var td = document.createElement('td');
    td.textContent = text === null || text === undefined ? '' : String(text);
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }
  function linkCell(tr, href, text) {
    var td = document.createElement('td');
    var a = document.createElement('a');
    a.href = href;
    a.textContent = String(text);
    td.appendChild(a);
    tr.appendChild(td);
  }
  function num(v) { return v === null || v === undefined ? '' : Number(v).toPrecision(4); }
  function ok() {
    var s = byId('status');
    s.className = 'status';
    s.textContent = 'live, updated ' + new Date().toLocaleTimeString();
  }
  function failed(err) {
    var s = byId('status');
    s.className = 'status error';
    s.textContent = 'not updating: ' + err.message;
  }
  // Replaces the rows of a tbody when the data behind them changed.
  function setRows(bodyId, key, rows, makeRow) {
    if (shown[bodyId] === key) return;
    shown[bodyId] = key;
    var body = byId(bodyId);
    while (body.firstChild) body.removeChild(body.firstChild);
    rows.forEach(function (r) { body.appendChild(makeRow(r)); });
  }
  function progressText(s, runningDone) {
    var c = s.counts, e = s.epochs;
    var done = e.finished + (runningDone || 0);
    return (c.succeeded + c.linked) + ' of ' + c.total + ' trials finished, ' + c.running + ' running; epochs ' +
        done + ' of ' + e.expected;
  }
  function loop(tick) {
    var run = function () {
      tick().then(ok, failed).then(function () { setTimeout(run, POLL_MS); });
    };
    run();
  }

  // --- / : the sweeps ---------------------------------------------------------
  function sweepsTick() {
    return get('/api/sweeps').then(function (data) {
      byId('sweeps-empty').hidden = data.sweeps.length > 0;
      setRows('sweeps-body', JSON.stringify(data.sweeps), data.sweeps, function (s) {
        var tr = document.createElement('tr');
        tr.dataset.sweep = s.id;
        linkCell(tr, '/sweeps/' + s.id, s.id);
        cell(tr, s.name);
        cell(tr, s.state, 'state-' + s.state);
        var p = document.createElement('progress');
        p.max = Math.max(1, s.epochs.expected);
        p.value = s.epochs.finished;
        var td = cell(tr, '');
        td.appendChild(p);
        ['total', 'queued', 'running', 'succeeded', 'failed', 'stopped'].forEach(function (k) {
          cell(tr, s.counts[k], 'num');
        });
        cell(tr, s.created);
        return tr;
      });
    });
  }

  // --- /sweeps/ID ---------------------------------------------------------------
  var STATES = ['queued', 'leased', 'running', 'succeeded', 'failed', 'cancelled', 'linked', 'stopped'];
  var pages = [-1];          // after_ordinal of each page visited
  var nextAfter = null;
  var lastVersion = null;
  var ticks = 0;
  function trialsUrl() {
    var state = byId('state-filter').value;
    return '/api/sweeps/' + id + '/trials?after=' + pages[pages.length - 1] + (state ? '&state=' + state : '');
  }
  function renderTrials(data) {
    nextAfter = data.next_after;
    setText('page-text', 'page ' + pages.length + (data.trials.length ? ', trials #' + data.trials[0].ordinal +
        '-#' + data.trials[data.trials.length - 1].ordinal : ', no trial'));
    byId('next-page').disabled = nextAfter === null;
    byId('prev-page').disabled = pages.length < 2;
    setRows('trials-body', JSON.stringify(data.trials), data.trials, function (t) {
      var tr = document.createElement('tr');
      tr.dataset.trial = t.id;
      tr.dataset.state = t.state;
      linkCell(tr, '/trials/' + t.id, t.id);
      cell(tr, t.ordinal, 'num');
      cell(tr, t.state, 'state-' + t.state);
      cell(tr, t.params);
      cell(tr, num(t.best), 'num');
      cell(tr, num(t.last), 'num');
      cell(tr, t.best_epoch, 'num');
      cell(tr, t.attempts, 'num');
      cell(tr, t.worker);
      cell(tr, t.error, 'error');
      return tr;
    });
  }
  function renderSummary(s, runningDone) {
    setText('title', 'Sweep ' + s.id + ': ' + s.name + ' (' + s.state + ')');
    document.title = 'ltsweep: sweep ' + s.id + ' ' + s.name;
    var p = byId('progress');
    p.max = Math.max(1, s.epochs.expected);
    p.value = s.epochs.finished + (runningDone || 0);
    setText('progress-text', progressText(s, runningDone));
    var head = byId('counts-head'), row = byId('counts');
    if (!head.firstChild) STATES.forEach(function (k) { var th = document.createElement('th'); th.textContent = k; head.appendChild(th); });
    var key = JSON.stringify(s.counts);
    if (shown.counts !== key) {
      shown.counts = key;
      while (row.firstChild) row.removeChild(row.firstChild);
      STATES.forEach(function (k) { cell(row, s.counts[k], 'num'); });
    }
  }
  function sweepTick() {
    ticks += 1;
    return get('/api/sweeps/' + id).then(function (s) {
      var active = s.counts.running + s.counts.leased > 0;
      var wantView = s.version !== lastVersion || (active && ticks % 2 === 0);
      lastVersion = s.version;
      // The view and the trial page change only with the counts, or while
      // trials run (epochs): fetched then, not on every poll.
      var view = wantView ? get('/api/sweeps/' + id + '/view') : Promise.resolve(null);
      var trials = wantView ? get(trialsUrl()) : Promise.resolve(null);
      return Promise.all([view, trials]).then(function (both) {
        var v = both[0];
        renderSummary(s, v ? v.epochs_running_done : shown.runningDone);
        if (v) {
          shown.runningDone = v.epochs_running_done;
          setHtml('stages', v.stages_html);
          setHtml('results', v.results_html);
          setHtml('curves', v.curves.map(function (svg) { return '<figure>' + svg + '</figure>'; }).join(''));
          setHtml('parallel', '<figure>' + v.parallel_svg + '</figure>');
          setHtml('best', v.best_html);
        }
        if (both[1]) renderTrials(both[1]);
      });
    });
  }
  function sweepSetup() {
    var filter = byId('state-filter');
    STATES.forEach(function (k) { var o = document.createElement('option'); o.value = k; o.textContent = k; filter.appendChild(o); });
    var reload = function () { get(trialsUrl()).then(renderTrials, failed); };
    filter.addEventListener('change', function () { pages = [-1]; reload(); });
    byId('first-page').addEventListener('click', function () { pages = [-1]; reload(); });
    byId('prev-page').addEventListener('click', function () { if (pages.length > 1) pages.pop(); reload(); });
    byId('next-page').addEventListener('click', function () { if (nextAfter !== null) { pages.push(nextAfter); reload(); } });
  }

  // --- /trials/ID -----------------------------------------------------------------
  function trialTick() {
    return get('/api/trials/' + id).then(function (t) {
      if (shown.version === t.version) return;
      shown.version = t.version;
      setText('title', 'Trial ' + t.id + ' (' + t.state + ')');
      var crumbs = byId('crumbs');
      if (!crumbs.firstChild) {
        var a = document.createElement('a');
        a.href = '/sweeps/' + t.sweep_id;
        a.textContent = 'sweep ' + t.sweep_id;
        crumbs.appendChild(a);
      }
      setHtml('summary', t.summary_html);
      setHtml('curves', t.curves.map(function (svg) { return '<figure>' + svg + '</figure>'; }).join('') ||
          '<p class="note">No epoch reported yet.</p>');
      setHtml('charts', t.charts_html);
      setHtml('config', t.config_html);
      setHtml('attempts', t.attempts_html);
      setHtml('early-stop', t.early_stop_html);
      setHtml('logs', t.logs_html);
    });
  }

  if (page === 'sweeps') loop(sweepsTick);
  if (page === 'sweep') { sweepSetup(); loop(sweepTick); }
  if (page === 'trial') loop(trialTick);
})();
