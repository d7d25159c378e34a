/**
 * The live status page served at `/`: one self-contained HTML document (no external assets, so
 * it works offline and behind strict proxies) that reads `/status` every 2 seconds and draws the
 * phase, readiness, per-collection snapshot progress, throughput and lag over the last minutes
 * as SVG charts, the warning count, the periodic verify's last result and the last error. Text is inserted with textContent only.
 */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Tributary status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2733; background: #f6f8fa; }
  h1 { font-size: 20px; margin: 0 0 16px; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; margin-bottom: 16px; }
  .card, section { background: #fff; border: 1px solid #d8dee4; border-radius: 6px; padding: 12px; }
  section { margin-bottom: 16px; }
  .label { color: #57606a; font-size: 12px; }
  .value { font-size: 20px; font-weight: 600; }
  .ready { color: #1a7f37; } .not-ready { color: #bf8700; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eaeef2; }
  .bar { background: #eaeef2; border-radius: 3px; height: 10px; width: 200px; }
  .bar div { background: #2f81f7; height: 10px; border-radius: 3px; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; }
  svg { width: 100%; height: 160px; background: #fbfcfd; }
  #error { white-space: pre-wrap; font-family: ui-monospace, monospace; color: #cf222e; }
  .muted { color: #57606a; }
</style>
</head>
<body>
<h1>Tributary <span id="phase" class="muted">…</span></h1>
<div class="cards">
  <div class="card"><div class="label">ready</div><div class="value" id="ready">…</div><div class="label" id="ready-reason"></div></div>
  <div class="card"><div class="label">changes applied</div><div class="value" id="changes">0</div></div>
  <div class="card"><div class="label">lag</div><div class="value" id="lag">–</div></div>
  <div class="card"><div class="label">last committed</div><div class="value" id="committed" style="font-size:14px">–</div></div>
  <div class="card"><div class="label">warnings</div><div class="value" id="warnings">0</div></div>
  <div class="card"><div class="label">dead letters</div><div class="value" id="dead-letters">–</div></div>
  <div class="card"><div class="label">oplog runway</div><div class="value" id="runway">–</div><div class="label" id="runway-reason"></div></div>
  <div class="card"><div class="label">periodic verify</div><div class="value" id="verify">off</div><div class="label" id="verify-when"></div></div>
</div>
<section><h2>Initial snapshot</h2><table><thead><tr><th>collection</th><th>copied</th><th>of about</th><th></th><th>docs/s</th></tr></thead><tbody id="snapshot"></tbody></table><div id="no-snapshot" class="muted">no snapshot in this run</div></section>
<div class="charts">
  <section><h2>Throughput (changes/s, last 10 minutes)</h2><svg id="throughput" viewBox="0 0 400 140"></svg></section>
  <section><h2>Lag (seconds, last 10 minutes)</h2><svg id="lagchart" viewBox="0 0 400 140"></svg></section>
</div>
<section><h2>Last error</h2><div id="error" class="muted">none</div><div id="recorded" class="muted"></div></section>
<script>
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
function seconds(ms) { return ms === undefined || ms === null ? "–" : (ms / 1000).toFixed(1) + " s"; }
function chart(svg, points, scale) {
  svg.replaceChildren();
  const now = Date.now(), span = 10 * 60 * 1000;
  const values = points.map((p) => p.value * scale);
  const max = Math.max(1, ...values);
  const xy = points.map((p, i) => [Math.min(396, ((p.at - (now - span)) / span) * 400), 130 - (values[i] / max) * 120]);
  const axis = document.createElementNS(SVG, "text");
  axis.setAttribute("x", "4"); axis.setAttribute("y", "12"); axis.setAttribute("font-size", "10"); axis.setAttribute("fill", "#57606a");
  axis.textContent = "max " + (Math.round(max * 10) / 10);
  svg.appendChild(axis);
  if (xy.length === 0) return;
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", xy.map(([x, y]) => x.toFixed(1) + "," + y.toFixed(1)).join(" "));
  line.setAttribute("fill", "none"); line.setAttribute("stroke", "#2f81f7"); line.setAttribute("stroke-width", "2");
  svg.appendChild(line);
  for (const [x, y] of xy) {
    const dot = document.createElementNS(SVG, "circle");
    dot.setAttribute("cx", x.toFixed(1)); dot.setAttribute("cy", y.toFixed(1)); dot.setAttribute("r", "3"); dot.setAttribute("fill", "#2f81f7");
    svg.appendChild(dot);
  }
}
function snapshotRows(collections) {
  $("no-snapshot").style.display = collections.length ? "none" : "";
  $("snapshot").replaceChildren(...collections.map((c) => {
    const row = document.createElement("tr");
    const bar = document.createElement("div"); bar.className = "bar";
    const fill = document.createElement("div"); fill.style.width = Math.min(100, c.percent) + "%"; bar.appendChild(fill);
    const cells = [c.namespace, c.copied.toLocaleString(), c.estimated.toLocaleString(), bar, c.done ? "done" : (c.docsPerSecond ? Math.round(c.docsPerSecond).toLocaleString() : "–")];
    for (const cell of cells) { const td = document.createElement("td"); if (typeof cell === "string") td.textContent = cell; else td.appendChild(cell); row.appendChild(td); }
    return row;
  }));
}
async function refresh() {
  try {
    const status = await (await fetch("/status", { cache: "no-store" })).json();
    $("phase").textContent = status.phase;
    $("ready").textContent = status.ready ? "yes" : "no";
    $("ready").className = "value " + (status.ready ? "ready" : "not-ready");
    $("ready-reason").textContent = status.readyReason;
    $("changes").textContent = status.changesApplied.toLocaleString();
    $("lag").textContent = seconds(status.lagMs);
    $("committed").textContent = status.lastCommitted ? status.lastCommitted.at : "–";
    $("warnings").textContent = String(status.warnings);
    $("dead-letters").textContent = status.deadLetters === undefined || status.deadLetters === null ? "–" : String(status.deadLetters);
    $("runway").textContent = typeof status.oplogRunwaySeconds === "number" ? (status.oplogRunwaySeconds / 3600).toFixed(1) + " h" : status.oplogRunwayUnmeasured ? "not measured" : "–";
    $("runway-reason").textContent = status.oplogRunwayUnmeasured || "";
    $("error").textContent = status.lastError ? status.lastError.at + "  " + status.lastError.message : "none";
    const verify = status.verify, last = verify && verify.lastRun;
    $("verify").textContent = !verify ? "off" : !last ? (verify.running ? "running" : "not run yet") : last.result === "different" ? last.collections.reduce((sum, c) => sum + c.differences, 0).toLocaleString() + " differ" : last.result;
    $("verify-when").textContent = !verify ? "" : [last ? "last " + last.finishedAt : "", verify.running ? "running now" : verify.nextRunAt ? "next " + verify.nextRunAt : ""].filter(Boolean).join(", ");
    const recorded = status.recordedError;
    $("recorded").textContent = recorded
      ? "recorded in the target: " + recorded.occurredAt + "  [" + recorded.code + "] " + recorded.message + (recorded.resolvedAt ? "  (resolved " + recorded.resolvedAt + ")" : "  (unresolved)")
      : "";
    snapshotRows(status.snapshot);
    chart($("throughput"), status.throughput, 1);
    chart($("lagchart"), status.lag, 1 / 1000);
    document.body.dataset.loaded = "true";
  } catch (error) {
    $("phase").textContent = "(no answer: " + error.message + ")";
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
`;
