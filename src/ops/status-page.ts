// The human status page: one self-contained HTML document built from the snapshot (names, paths, keys, errors; never values).
import type { ResourceStatus, StatusSnapshot } from './events.js';

/** Seconds between the page's own reloads (a meta refresh: the page runs no script). */
const statusRefreshSeconds = 5;

const maxChangesShown = 8;

/** `text` safe inside HTML text and attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

type ResourceState = 'error' | 'waiting' | 'ok';

function stateOf(r: ResourceStatus): ResourceState {
  if (r.lastError) return 'error';
  if (!r.rendered || r.missingKeys.length > 0) return 'waiting';
  return 'ok';
}

function ago(iso: string, now: Date): string {
  const seconds = Math.round((now.getTime() - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds)) return '';
  if (seconds < 1) return 'just now';
  if (seconds < 120) return `${seconds}s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} days ago`;
}

function time(iso: string | undefined, now: Date): string {
  if (!iso) return '<span class="none">never</span>';
  return `<time datetime="${escapeHtml(iso)}" title="${escapeHtml(iso)}">${escapeHtml(ago(iso, now))}</time>`;
}

function list(items: readonly string[], className: string, none: string): string {
  if (items.length === 0) return `<div class="none">${none}</div>`;
  const shown = items.slice(0, maxChangesShown).map((i) => `<li>${escapeHtml(i)}</li>`);
  if (items.length > maxChangesShown) shown.push(`<li class="none">and ${items.length - maxChangesShown} more</li>`);
  return `<ul class="${className}">${shown.join('')}</ul>`;
}

function resourceRow(r: ResourceStatus, now: Date): string {
  const state = stateOf(r);
  return `<tr class="resource ${state}">
<td class="name"><span class="badge">${state}</span><span class="resource-name">${escapeHtml(r.name)}</span></td>
<td class="dest"><code>${escapeHtml(r.dest)}</code></td>
<td class="rendered">${time(r.lastRenderAt, now)}${r.lastRenderAt ? list(r.lastChanges ?? [], 'changes', 'no changes recorded') : ''}</td>
<td class="waiting">${list(r.missingKeys, 'keys', 'nothing')}</td>
<td class="error">${r.lastError ? `<pre>${escapeHtml(r.lastError)}</pre>` : '<span class="none">none</span>'}</td>
</tr>`;
}

const style = `
:root { color-scheme: light dark; --ok: #1a7f37; --waiting: #9a6700; --error: #cf222e; --muted: #6e7781; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
.summary, footer, .none { color: var(--muted); }
#backend { margin: 1rem 0; padding: .5rem .75rem; border-left: 4px solid var(--ok); }
#backend.down { border-color: var(--error); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .4rem .6rem; border-bottom: 1px solid #8884; }
ul { margin: .2rem 0 0; padding-left: 1.1rem; }
pre { margin: 0; white-space: pre-wrap; color: var(--error); }
code, .keys, .resource-name { font-family: ui-monospace, monospace; }
.badge { display: block; font-size: .75em; font-weight: 600; text-transform: uppercase; }
.ok .badge { color: var(--ok); } .waiting .badge { color: var(--waiting); } .error .badge { color: var(--error); }
`;

/** The status page for `snapshot`: self-contained HTML, no script, names and keys only (never values). */
export function renderStatusPage(snapshot: StatusSnapshot, now: Date = new Date()): string {
  const { backend, resources } = snapshot;
  const waiting = resources.filter((r) => stateOf(r) !== 'ok').length;
  const summary = resources.length === 0
    ? 'no template resources'
    : waiting === 0
      ? `all ${resources.length} resources rendered`
      : `${waiting} of ${resources.length} resources waiting or failing`;
  const rows = resources.length > 0
    ? resources.map((r) => resourceRow(r, now)).join('\n')
    : '<tr><td colspan="5" class="none">No template resources in conf.d.</td></tr>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${statusRefreshSeconds}">
<title>keyplate: ${escapeHtml(summary)}</title>
<style>${style}</style>
</head>
<body>
<header>
<h1>keyplate</h1>
<p class="summary">${escapeHtml(summary)}</p>
</header>
<section id="backend" class="${backend.up ? 'up' : 'down'}">
Backend <strong class="backend-name">${escapeHtml(backend.name)}</strong>:
<span class="backend-state">${backend.up ? 'up' : 'down'}</span>,
<span class="backend-sync">${backend.synced ? 'synced' : 'not synced yet'}</span>
</section>
<table id="resources">
<thead><tr><th>Resource</th><th>Destination</th><th>Last render</th><th>Waiting for</th><th>Last error</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<footer>
<p>Started ${time(snapshot.startedAt, now)}; loop last turned ${time(snapshot.lastLoopAt, now)}.
Refreshes every ${statusRefreshSeconds}s. <a href="metrics">metrics</a> · <a href="healthz">healthz</a> · <a href="readyz">readyz</a></p>
</footer>
</body>
</html>
`;
}
