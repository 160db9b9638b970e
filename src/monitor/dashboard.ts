/**
 * The dashboard served at the monitoring port's `/`: one self-contained HTML page (inline CSS
 * and JavaScript, no build step, nothing fetched from elsewhere) that polls `/varz`, `/connz`,
 * `/subsz` (and `/jsz` when JetStream is on) and draws live charts on canvas, with an opt-in live tail over `/tail`.
 *
 * The page's script is plain ES2017 in a string: it avoids backticks and `${` so that it can
 * sit inside this template literal unchanged. Server data only ever reaches the page through
 * `textContent`, never as HTML.
 */

/** The `Content-Security-Policy` the page is served with: nothing but this origin and the inline code. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const DASHBOARD_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nats-embedded monitor</title>
<link rel="icon" href="data:,">
<style>
  :root {
    --bg: #0e1217; --panel: #161c23; --border: #253040; --text: #dde3ea; --muted: #8795a5;
    --in: #38bdf8; --out: #a3e635; --conns: #f472b6; --subs: #c084fc; --warn: #f59e0b; --bad: #ef4444; --ok: #22c55e;
  }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.4 ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
  header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 18px; padding: 14px 20px; border-bottom: 1px solid var(--border); background: var(--panel); }
  header h1 { font-size: 18px; margin: 0; font-weight: 600; }
  header h1 .mark { color: var(--in); }
  .meta { color: var(--muted); }
  .meta b { color: var(--text); font-weight: 500; }
  nav { margin-left: auto; display: flex; gap: 10px; }
  nav a, a { color: var(--in); text-decoration: none; }
  nav a:hover, a:hover { text-decoration: underline; }
  .status { display: inline-flex; align-items: center; gap: 6px; }
  .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--muted); display: inline-block; }
  .status.live .dot { background: var(--ok); }
  .status.down .dot { background: var(--bad); }
  main { padding: 16px 20px 28px; display: grid; gap: 16px; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(135px, 1fr)); gap: 10px; }
  .card { background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 10px 12px; }
  .card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .02em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .card .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; margin-top: 2px; white-space: nowrap; }
  .card .sub { color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }
  .card.warn .value { color: var(--warn); }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 10px; }
  figure { margin: 0; background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 10px 12px; }
  figcaption { display: flex; justify-content: space-between; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; margin-bottom: 6px; }
  .key { text-transform: none; letter-spacing: 0; }
  .key i { display: inline-block; width: 10px; height: 3px; margin: 0 4px 3px 10px; vertical-align: middle; }
  canvas { width: 100%; height: 150px; display: block; }
  section.panel { background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 10px 12px; overflow-x: auto; }
  h2 { font-size: 13px; margin: 0 0 8px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; font-weight: 600; display: flex; gap: 10px; align-items: baseline; }
  h2 .count { color: var(--text); }
  h2 select, h2 label { text-transform: none; letter-spacing: 0; font-weight: 400; }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid var(--border); white-space: nowrap; }
  th { color: var(--muted); font-weight: 500; font-size: 12px; }
  th:nth-child(-n+4), td:nth-child(-n+4) { text-align: left; }
  tr.empty td { text-align: center; color: var(--muted); }
  .bad { color: var(--bad); }
  select, input, button { background: var(--bg); color: var(--text); border: 1px solid var(--border); border-radius: 6px; padding: 4px 8px; font: inherit; }
  button { cursor: pointer; }
  button.on { border-color: var(--ok); color: var(--ok); }
  .tail-form { display: flex; gap: 8px; align-items: center; margin-bottom: 8px; flex-wrap: wrap; }
  .hint { color: var(--muted); font-size: 12px; }
  #tail-list { list-style: none; margin: 0; padding: 0; max-height: 260px; overflow-y: auto; font: 12px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
  #tail-list li { padding: 2px 0; border-bottom: 1px solid var(--border); white-space: pre-wrap; word-break: break-all; }
  #tail-list .t { color: var(--muted); }
  #tail-list .s { color: var(--in); }
  #tail-list .n { color: var(--muted); }
</style>
</head>
<body>
<header>
  <h1><span class="mark">&#9670;</span> nats-embedded <span id="server-name" class="meta"></span></h1>
  <div class="meta">v<b id="version">&ndash;</b> &middot; <b id="address">&ndash;</b> &middot; up <b id="uptime">&ndash;</b> &middot; <span id="status" class="status"><i class="dot"></i><span id="status-text">connecting</span></span></div>
  <nav aria-label="JSON endpoints">
    <a href="./varz">varz</a><a href="./connz">connz</a><a href="./connz?state=closed">closed</a><a href="./subsz">subsz</a><a href="./healthz">healthz</a><a href="./jsz" id="nav-jsz" hidden>jsz</a><a href="./leafz" id="nav-leafz" hidden>leafz</a><a href="./routez" id="nav-routez" hidden>routez</a><a href="./accountz" id="nav-accountz" hidden>accountz</a><a href="./metrics">metrics</a>
  </nav>
</header>
<main>
  <section class="cards" aria-label="Server state">
    <div class="card"><div class="label">Connections</div><div class="value" id="connections">&ndash;</div><div class="sub"><span id="total-connections">&ndash;</span> total</div></div>
    <div class="card"><div class="label">Subscriptions</div><div class="value" id="subscriptions">&ndash;</div><div class="sub">cache hit <span id="cache-hit-rate">&ndash;</span></div></div>
    <div class="card"><div class="label">Msgs in / s</div><div class="value" id="in-msgs-rate">&ndash;</div><div class="sub"><span id="in-msgs">&ndash;</span> total</div></div>
    <div class="card"><div class="label">Msgs out / s</div><div class="value" id="out-msgs-rate">&ndash;</div><div class="sub"><span id="out-msgs">&ndash;</span> total</div></div>
    <div class="card"><div class="label">Bytes in / s</div><div class="value" id="in-bytes-rate">&ndash;</div><div class="sub"><span id="in-bytes">&ndash;</span> total</div></div>
    <div class="card"><div class="label">Bytes out / s</div><div class="value" id="out-bytes-rate">&ndash;</div><div class="sub"><span id="out-bytes">&ndash;</span> total</div></div>
    <div class="card" id="slow-card"><div class="label">Slow consumers</div><div class="value" id="slow-consumers">&ndash;</div><div class="sub">since start</div></div>
    <div class="card" id="js-card" hidden><div class="label">JetStream streams</div><div class="value" id="js-streams">&ndash;</div><div class="sub"><span id="js-messages">&ndash;</span> msgs &middot; <span id="js-bytes">&ndash;</span></div></div>
    <div class="card" id="route-card" hidden><div class="label">Routes</div><div class="value" id="routes">&ndash;</div><div class="sub" id="route-cluster">&ndash;</div></div>
    <div class="card" id="account-card" hidden><div class="label">Accounts</div><div class="value" id="accounts-active">&ndash;</div><div class="sub"><span id="accounts-total">&ndash;</span> configured &middot; with connections</div></div>
    <div class="card" id="leaf-card" hidden><div class="label">Leaf nodes</div><div class="value" id="leafnodes">&ndash;</div><div class="sub" id="leaf-roles">&ndash;</div></div>
    <div class="card"><div class="label">Memory / CPU</div><div class="value" id="mem">&ndash;</div><div class="sub"><span id="cpu">&ndash;</span> CPU &middot; <span id="cores">&ndash;</span> cores</div></div>
  </section>
  <section class="charts" aria-label="Charts">
    <figure><figcaption>Messages / s<span class="key"><i style="background:var(--in)"></i>in<i style="background:var(--out)"></i>out</span></figcaption><canvas id="chart-msgs"></canvas></figure>
    <figure><figcaption>Bytes / s<span class="key"><i style="background:var(--in)"></i>in<i style="background:var(--out)"></i>out</span></figcaption><canvas id="chart-bytes"></canvas></figure>
    <figure><figcaption>Connections &amp; subs<span class="key"><i style="background:var(--conns)"></i>connections<i style="background:var(--subs)"></i>subscriptions</span></figcaption><canvas id="chart-conns"></canvas></figure>
  </section>
  <section class="panel">
    <h2>Connections <span class="count" id="conn-count"></span>
      <label>sort <select id="conn-sort">
        <option value="cid">cid</option><option value="msgs_from">msgs in</option><option value="msgs_to">msgs out</option>
        <option value="bytes_from">bytes in</option><option value="bytes_to">bytes out</option><option value="pending">pending</option>
        <option value="subs">subscriptions</option><option value="idle">idle</option><option value="rtt">rtt</option>
      </select></label>
    </h2>
    <table id="conn-table">
      <thead><tr><th>cid</th><th>name</th><th>address</th><th>client</th><th>uptime</th><th>idle</th><th>rtt</th><th>subs</th><th>msgs in</th><th>msgs out</th><th>bytes in</th><th>bytes out</th><th>pending</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section class="panel">
    <h2>Recently closed</h2>
    <table id="closed-table">
      <thead><tr><th>cid</th><th>name</th><th>address</th><th>reason</th><th>stopped</th><th>uptime</th><th>msgs in</th><th>msgs out</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section class="panel">
    <h2>Live tail</h2>
    <form class="tail-form" id="tail-form">
      <label for="tail-subject">subject</label>
      <input id="tail-subject" value="&gt;" size="28" spellcheck="false" autocomplete="off">
      <button type="submit" id="tail-toggle">Start</button>
      <span class="hint" id="tail-state">Off: nothing is recorded until you start it.</span>
    </form>
    <ol id="tail-list"></ol>
  </section>
</main>
<script>
"use strict";
(function () {
  var params = new URLSearchParams(location.search);
  var pollMs = Number(params.get("interval")) || 1000;
  if (pollMs < 200 || pollMs > 60000) pollMs = 1000;
  var HISTORY = 120;
  var TAIL_ROWS = 200;
  var hist = { inMsgs: [], outMsgs: [], inBytes: [], outBytes: [], conns: [], subs: [] };
  var prev = null;
  var jetstreamOn = false;

  function el(id) { return document.getElementById(id); }
  function setText(id, text) { var e = el(id); if (e && e.textContent !== text) e.textContent = text; }
  function num(n) { return Number(n).toLocaleString("en-US", { maximumFractionDigits: 1 }); }
  function bytes(n) {
    var units = ["B", "KiB", "MiB", "GiB", "TiB"];
    var i = 0;
    n = Number(n);
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(Math.round(n)) : n.toFixed(n < 10 ? 2 : 1)) + " " + units[i];
  }
  function push(series, value) { series.push(value); if (series.length > HISTORY) series.shift(); }
  function getJson(path) {
    return fetch(path, { cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error(path + ": HTTP " + r.status);
      return r.json();
    });
  }
  function setStatus(ok, text) {
    var s = el("status");
    s.className = "status " + (ok ? "live" : "down");
    setText("status-text", text);
  }

  function niceMax(max) {
    if (!(max > 0)) return 1;
    var mag = Math.pow(10, Math.floor(Math.log10(max)));
    var n = max / mag;
    return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
  }
  function drawChart(canvas, series, format) {
    var dpr = window.devicePixelRatio || 1;
    var w = canvas.clientWidth, h = canvas.clientHeight;
    if (w === 0 || h === 0) return;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    var ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    var max = 0;
    series.forEach(function (s) { s.data.forEach(function (v) { if (v > max) max = v; }); });
    max = niceMax(max);
    var left = 64, right = 6, top = 6, bottom = 6;
    var pw = w - left - right, ph = h - top - bottom;
    var styles = getComputedStyle(document.documentElement);
    ctx.font = "11px ui-sans-serif, system-ui, sans-serif";
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (var g = 0; g <= 4; g++) {
      var y = top + ph - (g / 4) * ph;
      ctx.strokeStyle = styles.getPropertyValue("--border");
      ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(left, Math.round(y) + 0.5); ctx.lineTo(w - right, Math.round(y) + 0.5); ctx.stroke();
      ctx.fillStyle = styles.getPropertyValue("--muted");
      ctx.fillText(format((g / 4) * max), left - 6, y);
    }
    series.forEach(function (s) {
      var data = s.data;
      if (data.length === 0) return;
      var color = styles.getPropertyValue(s.color).trim();
      var step = pw / (HISTORY - 1);
      var x0 = left + (HISTORY - data.length) * step;
      ctx.beginPath();
      data.forEach(function (v, i) {
        var x = x0 + i * step, y = top + ph - (v / max) * ph;
        if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      });
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.stroke();
      ctx.lineTo(x0 + (data.length - 1) * step, top + ph);
      ctx.lineTo(x0, top + ph);
      ctx.closePath();
      ctx.globalAlpha = 0.12;
      ctx.fillStyle = color;
      ctx.fill();
      ctx.globalAlpha = 1;
    });
  }
  function drawCharts() {
    drawChart(el("chart-msgs"), [{ data: hist.inMsgs, color: "--in" }, { data: hist.outMsgs, color: "--out" }], function (v) { return num(v); });
    drawChart(el("chart-bytes"), [{ data: hist.inBytes, color: "--in" }, { data: hist.outBytes, color: "--out" }], function (v) { return bytes(v); });
    drawChart(el("chart-conns"), [{ data: hist.conns, color: "--conns" }, { data: hist.subs, color: "--subs" }], function (v) { return num(v); });
  }

  function onVarz(v) {
    var now = Date.parse(v.now);
    setText("server-name", v.server_name === v.server_id ? v.server_id.slice(0, 12) + "\u2026" : v.server_name);
    setText("version", v.version);
    setText("address", v.port ? v.host + ":" + v.port : "in-process only");
    setText("uptime", v.uptime);
    setText("connections", num(v.connections));
    setText("total-connections", num(v.total_connections));
    setText("subscriptions", num(v.subscriptions));
    setText("slow-consumers", num(v.slow_consumers));
    el("slow-card").className = "card" + (v.slow_consumers > 0 ? " warn" : "");
    setText("in-msgs", num(v.in_msgs));
    setText("out-msgs", num(v.out_msgs));
    setText("in-bytes", bytes(v.in_bytes));
    setText("out-bytes", bytes(v.out_bytes));
    setText("mem", bytes(v.mem));
    setText("cpu", num(v.cpu) + "%");
    setText("cores", String(v.cores));
    // JetStream and leaf node cards only when configured (their /varz sections are {} otherwise).
    jetstreamOn = Boolean(v.jetstream && v.jetstream.config);
    el("js-card").hidden = !jetstreamOn;
    el("nav-jsz").hidden = !jetstreamOn;
    // The routes card when clustered (/varz cluster is {} otherwise).
    var clusterOn = Boolean(v.cluster && v.cluster.name);
    el("route-card").hidden = !clusterOn;
    el("nav-routez").hidden = !clusterOn;
    setText("routes", num(v.routes));
    setText("route-cluster", clusterOn ? v.cluster.name + (v.cluster.cluster_port ? " \u00b7 port " + v.cluster.cluster_port : "") + (v.cluster.tls_required ? " \u00b7 TLS" : "") : "");
    var leafOn = Boolean(v.leaf && (v.leaf.port || v.leaf.remotes));
    el("leaf-card").hidden = !leafOn;
    el("nav-leafz").hidden = !leafOn;
    setText("leafnodes", num(v.leafnodes));
    setText("leaf-roles", [v.leaf && v.leaf.port ? "hub on " + v.leaf.port : "", v.leaf && v.leaf.remotes ? v.leaf.remotes.length + " remote(s)" : ""].filter(Boolean).join(" \u00b7 "));
    if (prev !== null && now > prev.now) {
      var dt = (now - prev.now) / 1000;
      var rate = function (key) { return Math.max(0, (v[key] - prev[key]) / dt); };
      var r = { inMsgs: rate("in_msgs"), outMsgs: rate("out_msgs"), inBytes: rate("in_bytes"), outBytes: rate("out_bytes") };
      push(hist.inMsgs, r.inMsgs); push(hist.outMsgs, r.outMsgs);
      push(hist.inBytes, r.inBytes); push(hist.outBytes, r.outBytes);
      setText("in-msgs-rate", num(r.inMsgs));
      setText("out-msgs-rate", num(r.outMsgs));
      setText("in-bytes-rate", bytes(r.inBytes));
      setText("out-bytes-rate", bytes(r.outBytes));
    }
    push(hist.conns, v.connections);
    push(hist.subs, v.subscriptions);
    prev = { now: now, in_msgs: v.in_msgs, out_msgs: v.out_msgs, in_bytes: v.in_bytes, out_bytes: v.out_bytes };
    drawCharts();
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
  }
  function address(c) { return c.ip ? c.ip + ":" + c.port : c.type + " (in-process)"; }
  function fillTable(tbody, rows, columns, emptyText) {
    var frag = document.createDocumentFragment();
    if (rows.length === 0) {
      var tr = document.createElement("tr");
      tr.className = "empty";
      var td = document.createElement("td");
      td.colSpan = columns;
      td.textContent = emptyText;
      tr.appendChild(td);
      frag.appendChild(tr);
    }
    rows.forEach(function (r) { frag.appendChild(r); });
    tbody.replaceChildren(frag);
  }
  function onConnz(c) {
    setText("conn-count", c.total > c.num_connections ? c.num_connections + " of " + c.total : String(c.total));
    var rows = c.connections.map(function (x) {
      var tr = document.createElement("tr");
      tr.dataset.cid = String(x.cid);
      cell(tr, String(x.cid));
      cell(tr, x.name || "");
      cell(tr, address(x));
      cell(tr, [x.lang, x.version].filter(Boolean).join(" "));
      cell(tr, x.uptime);
      cell(tr, x.idle);
      cell(tr, x.rtt || "");
      cell(tr, num(x.subscriptions));
      cell(tr, num(x.in_msgs));
      cell(tr, num(x.out_msgs));
      cell(tr, bytes(x.in_bytes));
      cell(tr, bytes(x.out_bytes));
      cell(tr, bytes(x.pending_bytes), x.pending_bytes > 1048576 ? "bad" : "");
      return tr;
    });
    fillTable(el("conn-table").tBodies[0], rows, 13, "no open connections");
  }
  function onClosed(c) {
    var rows = c.connections.map(function (x) {
      var tr = document.createElement("tr");
      cell(tr, String(x.cid));
      cell(tr, x.name || "");
      cell(tr, address(x));
      cell(tr, x.reason || "", "reason" + (/Slow|Stale|Violation|Error|Failure|Exceeded/.test(x.reason || "") ? " bad" : ""));
      cell(tr, x.stop ? new Date(x.stop).toLocaleTimeString() : "");
      cell(tr, x.uptime);
      cell(tr, num(x.in_msgs));
      cell(tr, num(x.out_msgs));
      return tr;
    });
    fillTable(el("closed-table").tBodies[0], rows, 8, "none yet");
  }
  function onJsz(j) {
    setText("js-streams", num(j.streams));
    setText("js-messages", num(j.messages));
    setText("js-bytes", bytes(j.bytes));
  }
  function onSubsz(s) { setText("cache-hit-rate", Math.round(s.cache_hit_rate * 100) + "%"); }
  // The accounts card once accounts other than $G and the system account exist (/accstatz).
  function onAccstatz(a) {
    var all = a.account_statz || [];
    var configured = all.filter(function (x) { return x.acc !== "$G" && x.acc !== "$SYS"; });
    var on = configured.length > 0;
    el("account-card").hidden = !on;
    el("nav-accountz").hidden = !on;
    setText("accounts-total", num(configured.length));
    setText("accounts-active", num(all.filter(function (x) { return x.conns > 0; }).length));
  }

  var ticks = 0;
  function poll() {
    var jobs = [getJson("./varz").then(onVarz)];
    if (ticks % 2 === 0) {
      jobs.push(getJson("./connz?limit=50&sort=" + encodeURIComponent(el("conn-sort").value)).then(onConnz));
      jobs.push(getJson("./connz?state=closed&sort=stop&limit=10").then(onClosed));
      jobs.push(getJson("./subsz").then(onSubsz));
      if (jetstreamOn) jobs.push(getJson("./jsz").then(onJsz));
      jobs.push(getJson("./accstatz?unused=1").then(onAccstatz));
    }
    ticks++;
    Promise.all(jobs).then(function () {
      setStatus(true, "live");
    }, function (err) {
      setStatus(false, "unreachable");
      if (window.console) console.warn(String(err));
    }).then(function () { setTimeout(poll, pollMs); });
  }
  el("conn-sort").addEventListener("change", function () { ticks = 0; });
  window.addEventListener("resize", drawCharts);

  var tail = null;
  function stopTail(text) {
    if (tail) { tail.close(); tail = null; }
    el("tail-toggle").textContent = "Start";
    el("tail-toggle").className = "";
    setText("tail-state", text);
  }
  function addTailRow(m) {
    var li = document.createElement("li");
    var t = document.createElement("span"); t.className = "t"; t.textContent = new Date(m.time).toLocaleTimeString() + " ";
    var s = document.createElement("span"); s.className = "s"; s.textContent = m.subject;
    var n = document.createElement("span"); n.className = "n"; n.textContent = " [" + m.size + " B" + (m.reply ? ", reply " + m.reply : "") + (m.headers ? ", headers" : "") + "] ";
    var d = document.createElement("span"); d.textContent = m.data + (m.truncated ? "\u2026" : "");
    li.appendChild(t); li.appendChild(s); li.appendChild(n); li.appendChild(d);
    var list = el("tail-list");
    list.insertBefore(li, list.firstChild);
    while (list.childNodes.length > TAIL_ROWS) list.removeChild(list.lastChild);
  }
  el("tail-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (tail) { stopTail("Stopped."); return; }
    var subject = el("tail-subject").value.trim() || ">";
    tail = new EventSource("./tail?subject=" + encodeURIComponent(subject));
    el("tail-toggle").textContent = "Stop";
    el("tail-toggle").className = "on";
    setText("tail-state", "Connecting\u2026");
    tail.addEventListener("ready", function () { setText("tail-state", "Tailing " + subject); });
    tail.addEventListener("msg", function (e) { addTailRow(JSON.parse(e.data)); });
    tail.addEventListener("dropped", function () {
      setText("tail-state", "Tailing " + subject + " (some messages skipped: too many to show)");
    });
    tail.addEventListener("error", function () {
      if (tail && tail.readyState === EventSource.CLOSED) stopTail("The live tail is not available (see the server's monitoring options).");
    });
  });

  poll();
})();
</script>
</body>
</html>
`;
