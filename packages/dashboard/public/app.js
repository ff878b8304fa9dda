// The dashboard page: plain ES module, no build step. Every value from the server is put on the page
// with textContent (never innerHTML): payloads, names and reasons are hostile input.
import uPlot from './uplot.js'

const refreshMs = Number(document.body.dataset.refreshSeconds || 2) * 1000
const $ = (id) => document.getElementById(id)
let openQueue
const charts = {}

function cell(row, text, className) {
  const td = row.insertCell()
  td.textContent = text === undefined || text === null ? '—' : String(text)
  if (className) td.className = className
  return td
}

async function api(path, init) {
  const response = await fetch(path, init)
  const body = await response.json()
  if (!response.ok)
    throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : response.statusText)
  return body
}

function renderQueues(targets) {
  const body = $('queues').tBodies[0]
  body.replaceChildren()
  for (const t of targets) {
    const row = body.insertRow()
    row.dataset.queue = t.key
    const name = cell(row, t.key, 'name')
    if (t.kind === 'subscription') name.title = 'subscription'
    if (t.deadLetterOf) name.append(` (dead letters of ${t.deadLetterOf})`)
    const s = t.stats
    if (s) {
      cell(row, s.visible ?? (s.active !== undefined ? `${s.active} active` : undefined), 'visible')
      cell(row, s.inFlight, 'inFlight')
      cell(row, s.delayed, 'delayed')
      cell(row, s.deadLetters, 'deadLetters')
      cell(row, s.oldestAgeSeconds === undefined ? undefined : Math.round(s.oldestAgeSeconds), 'oldest')
    } else {
      const td = cell(row, t.error ? t.error.message : 'no counts', 'error')
      td.colSpan = 5
    }
    const button = document.createElement('button')
    button.textContent = 'Messages'
    button.className = 'open-messages'
    button.addEventListener('click', () => openMessages(t))
    row.insertCell().append(button)
  }
}

function seriesChart(id, title, samples, pick) {
  const keys = [...new Set(samples.flatMap((s) => Object.keys(pick(s))))].sort()
  const data = [samples.map((s) => s.t), ...keys.map((k) => samples.map((s) => pick(s)[k] ?? null))]
  const signature = keys.join('\n')
  const host = $(id)
  if (!charts[id] || charts[id].signature !== signature) {
    charts[id]?.plot.destroy()
    const colors = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563']
    const plot = new uPlot(
      {
        title,
        width: Math.max(320, host.clientWidth || 800),
        height: 220,
        series: [{}, ...keys.map((label, i) => ({ label, stroke: colors[i % colors.length], width: 2 }))],
        axes: [{}, { size: 60 }],
      },
      data,
      host,
    )
    charts[id] = { plot, signature }
  } else {
    charts[id].plot.setData(data)
  }
}

function rates(samples) {
  // handled / s between consecutive samples, per queue.
  return samples.slice(1).map((s, i) => {
    const prev = samples[i]
    const dt = s.t - prev.t || 1
    const rate = {}
    for (const [q, n] of Object.entries(s.handled)) rate[q] = Math.max(0, (n - (prev.handled[q] ?? 0)) / dt)
    return { t: s.t, rate }
  })
}

function renderCharts(history) {
  seriesChart('depth-chart', 'Messages held (visible + in flight + delayed)', history, (s) => s.depth)
  const r = rates(history)
  const observed = history.some((s) => Object.keys(s.handled).length > 0)
  $('throughput-note').hidden = observed
  if (observed && r.length > 0) seriesChart('throughput-chart', 'Handled per second', r, (s) => s.rate)
}

async function refresh() {
  try {
    const overview = await api('./api/overview')
    renderQueues(overview.targets)
    renderCharts(overview.history)
    $('status').textContent = `updated ${new Date().toLocaleTimeString()}`
    $('status').dataset.state = 'ok'
  } catch (error) {
    $('status').textContent = `refresh failed: ${error.message}`
    $('status').dataset.state = 'error'
  }
}

async function openMessages(target) {
  openQueue = target
  $('messages-view').hidden = false
  $('messages-of').textContent = target.key
  $('redrive-to').value = target.deadLetterOf ?? ''
  await loadMessages()
}

async function loadMessages() {
  const body = $('messages').tBodies[0]
  body.replaceChildren()
  $('messages-note').textContent = ''
  try {
    const { messages } = await api(`./api/messages?queue=${encodeURIComponent(openQueue.key)}&max=50`)
    for (const m of messages) {
      const row = body.insertRow()
      cell(row, m.id, 'id')
      cell(row, m.enqueuedAt)
      cell(row, m.state, 'state')
      cell(row, m.deliveries, 'deliveries')
      cell(row, m.reason, 'reason')
      cell(row, m.attempts, 'attempts')
      cell(row, m.source, 'source')
      const payload = cell(row, '', 'payload')
      const pre = document.createElement('pre')
      pre.textContent = m.payload
      payload.replaceChildren(pre)
    }
    $('messages-note').textContent =
      messages.length === 0 ? 'No messages.' : `${messages.length} shown (peeked: nothing was leased).`
  } catch (error) {
    $('messages-note').textContent = `Cannot show messages: ${error.message}`
  }
  $('messages-view').dataset.loaded = String(Date.now())
}

function confirmDialog(text) {
  const dialog = $('confirm')
  $('confirm-text').textContent = text
  dialog.returnValue = ''
  dialog.showModal()
  return new Promise((resolve) =>
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }),
  )
}

async function change(path, extra, question, done) {
  const queue = openQueue.key
  if (!(await confirmDialog(question))) return
  try {
    const result = await api(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ queue, confirm: queue, ...extra }),
    })
    $('messages-note').textContent = done(result)
  } catch (error) {
    $('messages-note').textContent = `Failed: ${error.message}`
    return
  }
  await refresh()
  const note = $('messages-note').textContent
  await loadMessages()
  $('messages-note').textContent = note
}

$('redrive').addEventListener('click', () => {
  const to = $('redrive-to').value.trim()
  change(
    './api/redrive',
    { to },
    `Move every message of "${openQueue.key}" to "${to}"?`,
    (r) => `moved ${r.moved} message(s) to ${to}`,
  )
})
$('purge').addEventListener('click', () =>
  change(
    './api/purge',
    {},
    `Delete every visible message of "${openQueue.key}" for good? (Delayed and in-flight messages stay.)`,
    (r) => `deleted ${r.deleted} message(s)`,
  ),
)
$('close-messages').addEventListener('click', () => {
  $('messages-view').hidden = true
  openQueue = undefined
})

await refresh()
setInterval(refresh, refreshMs)
