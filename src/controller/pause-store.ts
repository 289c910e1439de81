// The pause book on disk, next to the serf snapshot. Pauses are user events: a restarted balancer gets the ones sent
// while it was away from its peers' event buffers (the snapshot's event-clock marks where it stopped), but the ones
// it had already seen are history that serf will not deliver twice. This file is that history, so a restart ends
// with the same pauses whatever happened in between. Written whole (temp file + rename) on each change; a file that
// cannot be read is logged and ignored.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { PauseRecord } from './pauses.js';
import { parsePausePayload } from './pauses.js';
import { errorCode, errorMessage } from '../errors/index.js';

const VERSION = 1;

export function loadPauseFile(file: string, log?: Logger): Map<string, PauseRecord> {
  const out = new Map<string, PauseRecord>();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') log?.warn({ file }, `pause state ${file} ignored: cannot read it: ${errorMessage(err)}`);
    return out;
  }
  try {
    const doc = JSON.parse(text) as { version?: unknown; nodes?: unknown };
    if (doc?.version !== VERSION || typeof doc.nodes !== 'object' || doc.nodes === null) throw new Error(`not a version ${VERSION} pause file`);
    for (const [node, r] of Object.entries(doc.nodes as Record<string, Partial<PauseRecord>>)) {
      const ok = parsePausePayload(node) === node && typeof r?.paused === 'boolean' && Number.isSafeInteger(r.ltime) && (r.ltime as number) >= 0;
      if (ok) out.set(node, { paused: r.paused!, ltime: r.ltime!, at: Number.isFinite(r.at) ? r.at! : 0 });
    }
  } catch (err) {
    log?.warn({ file }, `pause state ${file} ignored: ${errorMessage(err)}`);
    out.clear();
  }
  return out;
}

/** Returns false (and logs) when the file could not be written; the pauses in memory stay as they are. */
export function savePauseFile(file: string, nodes: ReadonlyMap<string, PauseRecord>, log?: Logger): boolean {
  const tmp = `${file}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify({ version: VERSION, nodes: Object.fromEntries(nodes) })}\n`, { mode: 0o600 });
    renameSync(tmp, file);
    return true;
  } catch (err) {
    log?.warn({ file }, `pause state not saved to ${file}: ${errorMessage(err)}`);
    return false;
  }
}
