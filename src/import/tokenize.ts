// One haproxy.cfg line → words, by HAProxy's own rules (cfgparse's parse_line): white space separates words, `#`
// starts a comment, single quotes keep everything, double quotes keep spaces and expand `${VAR}`/`$VAR`, and a
// backslash escapes a space, `#`, a quote, a backslash, `\r \n \t` or `\xNN`; any other backslash is kept as it
// is, so regexes such as `\.` survive (legacy `reqrep ^Host:\ www\.` relies on both).

export type Env = Record<string, string | undefined>;

export type Tokens = { words: string[] } | { error: string };

const ESCAPES: Record<string, string> = { ' ': ' ', '#': '#', '\\': '\\', '"': '"', "'": "'", r: '\r', n: '\n', t: '\t' };

/** `${NAME}`, `${NAME-default}` or `$NAME` at `i` (just after the `$`): the value and where the reference ends. */
function expandVar(line: string, i: number, env: Env): { value: string; end: number } | undefined {
  if (line[i] === '{') {
    const close = line.indexOf('}', i);
    if (close < 0) return undefined;
    const inner = line.slice(i + 1, close);
    const dash = inner.indexOf('-');
    const name = dash < 0 ? inner : inner.slice(0, dash);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return undefined;
    const value = env[name] ?? (dash < 0 ? '' : inner.slice(dash + 1));
    return { value, end: close + 1 };
  }
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(line.slice(i));
  if (!m) return undefined;
  return { value: env[m[0]] ?? '', end: i + m[0].length };
}

export function tokenize(line: string, env: Env = process.env): Tokens {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
      continue;
    }
    if (c === '\\' && i + 1 < line.length) {
      const next = line[i + 1]!;
      if (next in ESCAPES) {
        word += ESCAPES[next];
        i++;
      } else if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
        word += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
        i += 3;
      } else {
        word += c;
      }
      inWord = true;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '$') {
        const v = expandVar(line, i + 1, env);
        if (v) {
          word += v.value;
          i = v.end - 1;
        } else word += c;
      } else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
      continue;
    }
    if (c === '#') break;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    word += c;
    inWord = true;
  }
  if (quote) return { error: `unterminated ${quote === '"' ? 'double' : 'single'} quote` };
  if (inWord) words.push(word);
  return { words };
}
