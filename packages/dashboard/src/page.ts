const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** `text` made safe inside HTML text and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!)
}

/**
 * The page's HTML shell. Everything after it is drawn by `public/app.js` from the JSON API with
 * `textContent`, never `innerHTML`, so a payload shows as the text it is. The URLs are relative, so
 * the dashboard works mounted under any path.
 */
export function renderPage(title: string, refreshSeconds: number): string {
  const t = escapeHtml(title)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t}</title>
<link rel="stylesheet" href="./assets/uplot.css">
<link rel="stylesheet" href="./assets/app.css">
<script type="module" src="./assets/app.js"></script>
</head>
<body data-refresh-seconds="${refreshSeconds}">
<header><h1>${t}</h1><span id="status" role="status">loading…</span></header>
<main>
<section id="queues-view"><h2>Queues and subscriptions</h2>
<table id="queues"><thead><tr><th>Name</th><th>Visible</th><th>In flight</th><th>Delayed</th><th>Dead letters</th><th>Oldest (s)</th><th></th></tr></thead><tbody></tbody></table>
</section>
<section id="charts-view"><h2>Depth</h2><div id="depth-chart"></div><h2>Throughput (handled / s)</h2><div id="throughput-chart"></div><p id="throughput-note" hidden>No consumer is observed: pass <code>dashboard.metrics.consumerEvents(queue)</code> as <code>onEvent</code> to <code>consume()</code>.</p></section>
<section id="messages-view" hidden><h2>Messages of <span id="messages-of"></span></h2>
<p id="messages-note"></p>
<div class="actions"><label>Redrive to <input id="redrive-to" size="24"></label> <button id="redrive">Redrive all…</button> <button id="purge" class="danger">Purge visible…</button> <button id="close-messages">Close</button></div>
<table id="messages"><thead><tr><th>Id</th><th>Sent</th><th>State</th><th>Deliveries</th><th>Reason</th><th>Attempts</th><th>Source</th><th>Payload</th></tr></thead><tbody></tbody></table>
</section>
</main>
<dialog id="confirm"><form method="dialog"><p id="confirm-text"></p><button value="cancel">Cancel</button> <button id="confirm-ok" value="ok" class="danger">Yes, go ahead</button></form></dialog>
</body>
</html>
`
}
