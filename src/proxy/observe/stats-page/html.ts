// HAProxy's stats page, for people: one table per frontend and backend, one row per server, colours by state
// as HAProxy's legend, auto-refresh. Every value is escaped; the page has no script.
import type { collectStats } from '../stats.js';
import { checkCode, shownWeight } from './csv.js';

type Stats = ReturnType<typeof collectStats>;
type Backend = Stats['backends'][number];
type Server = Backend['servers'][number];
type Frontend = Stats['frontends'][number];

const esc = (v: unknown) =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** State classes and colours, after HAProxy's legend. */
const LEGEND: [cls: string, colour: string, label: string][] = [
  ['active-up', '#c0ffc0', 'active UP'],
  ['backup-up', '#b0d0ff', 'backup UP'],
  ['down', '#ff9090', 'active or backup DOWN'],
  ['nocheck', '#e0e0e0', 'not checked'],
  ['maint', '#c0c0ff', 'active or backup DOWN for maintenance (MAINT)'],
  ['drain', '#ffa0ff', 'active or backup SOFT STOPPED for maintenance (DRAIN)'],
  ['removing', '#ffd020', 'removed from the pool, finishing its sessions'],
];

export function serverClass(s: Pick<Server, 'status' | 'backup' | 'removing'>): string {
  if (s.removing) return 'removing';
  switch (s.status) {
    case 'UP':
      return s.backup ? 'backup-up' : 'active-up';
    case 'DOWN':
      return 'down';
    case 'MAINT':
      return 'maint';
    case 'DRAIN':
      return 'drain';
    default:
      return 'nocheck';
  }
}

/** "1h02m", "3m10s", "12s" as HAProxy prints durations. */
export function human(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d) return `${d}d${h}h`;
  if (h) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m) return `${m}m${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

const bytes = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(1)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(n));

const HEAD_COLS = `
<tr class="titre"><th rowspan="2"></th><th colspan="2">Queue</th><th colspan="2">Session rate</th><th colspan="3">Sessions</th>
<th colspan="2">Bytes</th><th colspan="3">Errors</th><th colspan="3">Responses</th><th colspan="7">Server</th></tr>
<tr class="titre"><th>Cur</th><th>Max</th><th>Cur</th><th>Max</th><th>Cur</th><th>Max</th><th>Total</th><th>In</th><th>Out</th>
<th>Req</th><th>Conn</th><th>Resp</th><th>2xx</th><th>4xx</th><th>5xx</th>
<th>Status</th><th>LastChk</th><th>Wght</th><th>Act</th><th>Bck</th><th>LastChg</th><th>Dwntme</th></tr>`;

function frontendTable(f: Frontend): string {
  return `<table class="tbl proxy" data-proxy="${esc(f.name)}" data-type="frontend">
<caption><a name="${esc(f.name)}">${esc(f.name)}</a> <span class="mode">(frontend, mode ${esc(f.mode)}, ${esc(f.bind.join(' '))})</span></caption>
${HEAD_COLS}
<tr class="frontend" data-server="FRONTEND" data-status="${esc(f.status)}"><td class="name">Frontend</td><td></td><td></td>
<td>${f.rate}</td><td>${f.rateMax}</td><td>${f.scur}</td><td>${f.smax}</td><td>${f.stot}</td><td>${bytes(f.bin)}</td><td>${bytes(f.bout)}</td>
<td>${f.ereq}</td><td></td><td></td><td>${f.hrsp['2xx']}</td><td>${f.hrsp['4xx']}</td><td>${f.hrsp['5xx']}</td>
<td class="status">${esc(f.status)}</td><td colspan="6">${f.reqRate} req/s (max ${f.reqRateMax}), ${f.reqTotal} requests</td></tr>
</table>`;
}

function serverRow(s: Server, now: number): string {
  const cls = serverClass(s);
  const chk = s.check.status === 'none' ? 'no check' : `${checkCode(s.check.lastResult, s.check.status === 'passed')}${s.check.durationMs !== undefined ? ` in ${Math.round(s.check.durationMs)}ms` : ''}`;
  return `<tr class="server ${cls}" data-server="${esc(s.name)}" data-status="${esc(s.status)}"${s.removing ? ' data-removing="true"' : ''}>
<td class="name" title="${esc(s.addr)}">${esc(s.name)}${s.monitor ? ' <small>(monitor)</small>' : ''}</td><td>${s.qcur}</td><td></td>
<td>${s.rate}</td><td>${s.rateMax}</td><td>${s.scur}</td><td>${s.smax}</td><td>${s.stot}</td><td>${bytes(s.bin)}</td><td>${bytes(s.bout)}</td>
<td></td><td>${s.econ}</td><td>${s.eresp}</td><td>${s.hrsp['2xx']}</td><td>${s.hrsp['4xx']}</td><td>${s.hrsp['5xx']}</td>
<td class="status">${esc(s.status)}${s.removing ? ' (removing)' : ''}</td><td class="lastchk" title="${esc(s.check.lastResult)}">${esc(chk)}</td>
<td${s.eweight !== s.weight ? ` title="slow start: ${s.eweight} of ${s.weight}"` : ''}>${shownWeight(s)}</td><td>${s.backup ? '-' : 'Y'}</td><td>${s.backup ? 'Y' : '-'}</td><td>${human(now - s.lastChange)}</td><td>${human(s.downtimeMs)}</td></tr>`;
}

function backendTable(b: Backend, now: number): string {
  const act = b.servers.filter((s) => !s.backup && (s.status === 'UP' || s.status === 'no check')).length;
  const bck = b.servers.filter((s) => s.backup && (s.status === 'UP' || s.status === 'no check')).length;
  return `<table class="tbl proxy" data-proxy="${esc(b.name)}" data-type="backend">
<caption><a name="${esc(b.name)}">${esc(b.name)}</a> <span class="mode">(backend, mode ${esc(b.mode)}, balance ${esc(b.balance)})</span></caption>
${HEAD_COLS}
${b.servers.map((s) => serverRow(s, now)).join('\n')}
<tr class="backend ${b.status === 'UP' ? 'active-up' : 'down'}" data-server="BACKEND" data-status="${esc(b.status)}"><td class="name">Backend</td>
<td>${b.qcur}</td><td>${b.qmax}</td><td>${b.rate}</td><td>${b.rateMax}</td><td>${b.scur}</td><td></td><td>${b.stot}</td><td>${bytes(b.bin)}</td><td>${bytes(b.bout)}</td>
<td></td><td>${b.econ}</td><td>${b.eresp}</td><td>${b.hrsp['2xx']}</td><td>${b.hrsp['4xx']}</td><td>${b.hrsp['5xx']}</td>
<td class="status">${esc(b.status)}</td><td></td><td></td><td>${act}</td><td>${bck}</td><td>${human(now - b.lastChange)}</td><td></td></tr>
</table>`;
}

export function statsHtml(stats: Stats, opts: { refreshMs?: number; csvHref: string; now?: number }): string {
  const now = opts.now ?? Date.now();
  const refresh = opts.refreshMs ? `<meta http-equiv="refresh" content="${Math.max(1, Math.round(opts.refreshMs / 1000))}">` : '';
  const legend = LEGEND.map(([cls, , label]) => `<tr><td class="${cls}">&nbsp;&nbsp;&nbsp;&nbsp;</td><td>${esc(label)}</td></tr>`).join('');
  const colours = LEGEND.map(([cls, colour]) => `.${cls}{background:${colour}}`).join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">${refresh}<title>Statistics Report for lbagent</title>
<style>
body{font-family:arial,helvetica,sans-serif;font-size:12px;margin:8px;color:#000;background:#fff}
h1{font-size:18px;color:#fff;background:#20a0a0;padding:4px 8px;margin:0 0 8px}
table.tbl{border-collapse:collapse;margin:0 0 14px;min-width:900px}
table.tbl td,table.tbl th{border:1px solid #999;padding:1px 4px;text-align:right;white-space:nowrap}
table.tbl td.name{text-align:left;font-weight:bold}
table.tbl caption{text-align:left;font-weight:bold;font-size:14px;padding:2px 0;background:#b00040;color:#fff;padding-left:6px}
span.mode{font-weight:normal;font-size:12px}
tr.titre th{background:#20a0a0;color:#fff}
tr.frontend,tr.backend{font-weight:bold}
tr.frontend td{background:#e8e8d0}
${colours}
table.legend td{padding:1px 6px}
</style></head><body>
<h1>lbagent statistics</h1>
<p>Uptime ${human(stats.uptimeMs)}; ${stats.connections} current connections. <a href="${esc(opts.csvHref)}">CSV export</a>${opts.refreshMs ? `; refreshing every ${Math.round(opts.refreshMs / 1000)}s` : ''}.</p>
<table class="legend">${legend}</table>
${stats.frontends.map(frontendTable).join('\n')}
${stats.backends.map((b) => backendTable(b, now)).join('\n')}
</body></html>
`;
}
