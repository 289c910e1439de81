// HAProxy's stats CSV ("show stat" / `stats uri;csv`): the same header and field names, one row per frontend,
// server and backend, so scripts and dashboards written for HAProxy read ours.
import type { collectStats } from '../stats.js';

type Stats = ReturnType<typeof collectStats>;

/** The first 50 fields of HAProxy's CSV, in its order (management.txt §9.1). */
export const CSV_FIELDS = [
  'pxname', 'svname', 'qcur', 'qmax', 'scur', 'smax', 'slim', 'stot', 'bin', 'bout', 'dreq', 'dresp', 'ereq', 'econ', 'eresp',
  'wretr', 'wredis', 'status', 'weight', 'act', 'bck', 'chkfail', 'chkdown', 'lastchg', 'downtime', 'qlimit', 'pid', 'iid',
  'sid', 'throttle', 'lbtot', 'tracked', 'type', 'rate', 'rate_lim', 'rate_max', 'check_status', 'check_code',
  'check_duration', 'hrsp_1xx', 'hrsp_2xx', 'hrsp_3xx', 'hrsp_4xx', 'hrsp_5xx', 'hrsp_other', 'hanafail', 'req_rate',
  'req_rate_max', 'req_tot', 'cli_abrt',
] as const;

type Row = Partial<Record<(typeof CSV_FIELDS)[number], string | number>>;

const csvCell = (v: string | number | undefined) => {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** HAProxy's check_status short codes, from our "Layer7 wrong status…" words. */
export function checkCode(lastResult: string | undefined, passed: boolean): string {
  if (!lastResult) return '';
  const table: [RegExp, string][] = [
    [/^Layer7 wrong status/, 'L7STS'], [/^Layer7 timeout/, 'L7TOUT'], [/^Layer7 invalid/, 'L7RSP'], [/^Layer7/, 'L7OK'],
    [/^Layer6 timeout/, 'L6TOUT'], [/^Layer6 invalid/, 'L6RSP'], [/^Layer6/, 'L6OK'],
    [/^Layer4 timeout/, 'L4TOUT'], [/^Layer4 connection/, 'L4CON'], [/^Layer4/, 'L4OK'], [/^Socket error/, 'SOCKERR'],
  ];
  const hit = table.find(([re]) => re.test(lastResult));
  return hit ? hit[1] : passed ? 'OK' : 'UNK';
}

/** HAProxy's hrsp_* columns from one response-class count. */
function hrspCells(h: Stats['frontends'][number]['hrsp']): Row {
  return { hrsp_1xx: h['1xx'], hrsp_2xx: h['2xx'], hrsp_3xx: h['3xx'], hrsp_4xx: h['4xx'], hrsp_5xx: h['5xx'], hrsp_other: h.other };
}

/** HAProxy's `weight` column: the current effective weight as a whole number (a warming server shows its ramp). */
export function shownWeight(s: { weight: number; eweight: number }): number {
  return s.eweight === s.weight ? s.weight : Math.ceil(s.eweight);
}

export function statsCsv(stats: Stats, now = Date.now()): string {
  const rows: Row[] = [];
  stats.frontends.forEach((f, i) => {
    rows.push({
      pxname: f.name, svname: 'FRONTEND', scur: f.scur, smax: f.smax, slim: f.slim, stot: f.stot, bin: f.bin, bout: f.bout,
      ereq: f.ereq, status: f.status, pid: 1, iid: i + 1, sid: 0, type: 0, rate: f.rate, rate_max: f.rateMax,
      ...hrspCells(f.hrsp),
      req_rate: f.reqRate, req_rate_max: f.reqRateMax, req_tot: f.reqTotal,
    });
  });
  stats.backends.forEach((b, bi) => {
    const iid = stats.frontends.length + bi + 1;
    b.servers.forEach((s, si) => {
      rows.push({
        pxname: b.name, svname: s.name, qcur: s.qcur, scur: s.scur, smax: s.smax, stot: s.stot, bin: s.bin, bout: s.bout,
        econ: s.econ, eresp: s.eresp, status: s.removing ? `${s.status} (removing)` : s.status, weight: shownWeight(s),
        act: s.backup ? 0 : 1, bck: s.backup ? 1 : 0, lastchg: Math.round((now - s.lastChange) / 1000),
        downtime: Math.round(s.downtimeMs / 1000), pid: 1, iid, sid: si + 1, lbtot: s.stot, type: 2, rate: s.rate, rate_max: s.rateMax,
        check_status: checkCode(s.check.lastResult, s.check.status === 'passed'), check_code: /code: (\d+)/.exec(s.check.lastResult ?? '')?.[1],
        check_duration: s.check.durationMs === undefined ? undefined : Math.round(s.check.durationMs),
        ...hrspCells(s.hrsp),
        req_tot: s.reqTotal,
      });
    });
    const act = b.servers.filter((s) => !s.backup && (s.status === 'UP' || s.status === 'no check')).length;
    const bck = b.servers.filter((s) => s.backup && (s.status === 'UP' || s.status === 'no check')).length;
    rows.push({
      pxname: b.name, svname: 'BACKEND', qcur: b.qcur, qmax: b.qmax, scur: b.scur, stot: b.stot, bin: b.bin, bout: b.bout,
      econ: b.econ, eresp: b.eresp, status: b.status, weight: b.servers.reduce((n, s) => n + (s.backup ? 0 : shownWeight(s)), 0),
      act, bck, lastchg: Math.round((now - b.lastChange) / 1000), pid: 1, iid, sid: 0, lbtot: b.stot, type: 1, rate: b.rate, rate_max: b.rateMax,
      ...hrspCells(b.hrsp),
      req_tot: b.reqTotal,
    });
  });
  const header = `# ${CSV_FIELDS.join(',')},\n`;
  return header + rows.map((r) => CSV_FIELDS.map((f) => csvCell(r[f])).join(',') + ',\n').join('');
}
