// HAProxy's `balance` words → BalanceSpec: "roundrobin", "uri len 10 depth 2 whole", "random(2)".
import type { BalanceSpec } from './api.js';

export const BALANCE_EXPECTED =
  'one of roundrobin, static-rr, leastconn, source, uri [len N] [depth N] [whole], random, random(N)';

export type BalanceParseError = { error: string; expected: string };

function fail(error: string): BalanceParseError {
  return { error, expected: BALANCE_EXPECTED };
}

function positiveInt(word: string | undefined): number | undefined {
  if (word === undefined || !/^[0-9]+$/.test(word)) return undefined;
  const n = Number(word);
  return n >= 1 && n <= 1_000_000 ? n : undefined;
}

export function parseBalance(text: string): BalanceSpec | BalanceParseError {
  const words = text.trim().split(/\s+/).filter((w) => w !== '');
  const [algo, ...args] = words;
  if (algo === undefined) return fail('empty balance algorithm');
  const noArgs = (spec: BalanceSpec) =>
    args.length === 0 ? spec : fail(`'${algo}' takes no arguments, got '${args.join(' ')}'`);
  switch (algo) {
    case 'roundrobin':
    case 'static-rr':
    case 'leastconn':
    case 'source':
      return noArgs({ algo });
    case 'random':
      return noArgs({ algo: 'random', draws: 2 }); // HAProxy's default: random(2)
    case 'uri':
      return parseUriArgs(args);
  }
  const random = /^random\((.*)\)$/.exec(algo);
  if (random) {
    const draws = positiveInt(random[1]);
    if (draws === undefined) return fail(`invalid number of draws '${random[1]}' in '${algo}' (a positive integer)`);
    return noArgs({ algo: 'random', draws });
  }
  return fail(`unknown balance algorithm '${algo}'`);
}

function parseUriArgs(args: string[]): BalanceSpec | BalanceParseError {
  const spec: { algo: 'uri'; len?: number; depth?: number; whole?: boolean } = { algo: 'uri' };
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word === 'whole') {
      spec.whole = true;
      continue;
    }
    if (word === 'len' || word === 'depth') {
      const n = positiveInt(args[i + 1]);
      if (n === undefined) return fail(`'uri ${word}' expects a positive integer, got '${args[i + 1] ?? ''}'`);
      spec[word] = n;
      i++;
      continue;
    }
    return fail(`unknown 'uri' option '${word}' (len N, depth N or whole)`);
  }
  return spec;
}

/** Back to HAProxy's words (stats, `lbagent servers`, HAProxy driver). */
export function formatBalance(spec: BalanceSpec): string {
  switch (spec.algo) {
    case 'random':
      return `random(${spec.draws})`;
    case 'uri': {
      const parts = ['uri'];
      if (spec.len !== undefined) parts.push('len', String(spec.len));
      if (spec.depth !== undefined) parts.push('depth', String(spec.depth));
      if (spec.whole) parts.push('whole');
      return parts.join(' ');
    }
    default:
      return spec.algo;
  }
}
