// The imported config as YAML text: a header saying where it came from and what was left over, then the sections
// in lbagent.yml's usual order, with short entries (servers, ACLs, rules) on one line each.
import { Document, isMap, isPair, isScalar, isSeq, visit } from 'yaml';
import type { Leftover, Yaml } from './types.js';

const ORDER = ['global', 'defaults', 'frontends', 'backends', 'listen', 'stats', 'roles'];
const ONE_LINE_ITEMS = new Set(['servers', 'use_backend', 'http-request', 'http-response', 'bind']);
const ONE_LINE_VALUES = new Set(['timeout', 'check', 'cookie', 'ssl', 'server_ssl', 'forwardfor']);

export interface Header {
  source: string;
  directives: number;
  carried: number;
  leftovers: Leftover[];
}

export function writeYaml(config: Yaml, header: Header): string {
  const ordered: Yaml = {};
  for (const k of ORDER) if (config[k] !== undefined) ordered[k] = config[k];
  const doc = new Document(ordered);
  visit(doc, {
    Pair(_, pair) {
      if (!isPair(pair) || !isScalar(pair.key)) return;
      const key = String(pair.key.value);
      if (ONE_LINE_ITEMS.has(key) && isSeq(pair.value)) for (const item of pair.value.items) if (isMap(item) || isSeq(item)) item.flow = true;
      if (ONE_LINE_VALUES.has(key) && isMap(pair.value)) pair.value.flow = true;
      if (key === 'acl' && isMap(pair.value)) for (const p of pair.value.items) if (isPair(p) && isMap(p.value)) p.value.flow = true;
    },
  });
  const left = header.leftovers.length;
  const lines = [
    ` lbagent.yml imported from ${header.source} by \`lbagent import\`.`,
    ` ${header.directives} directives: ${header.carried} carried over, ${left} left over${left ? ' (listed below, and on stderr when imported)' : ''}.`,
    ...header.leftovers.map((l) => `   ${l.file}:${l.line}: ${l.text} -- ${l.reason}`),
  ];
  doc.commentBefore = lines.map((l) => l.replace(/\r?\n/g, ' ')).join('\n');
  return doc.toString({ lineWidth: 0 });
}
