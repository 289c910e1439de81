// HAProxy 1.x header regexes (`reqidel ^Set-Cookie:\ IP=`, `reqrep ^Host:\ (.*) Host:\ new-\1`) matched whole
// header lines "Name: value". lbagent's rules match a header's value, so a line regex translates when it names one
// header plainly (`^Name:`) and the rest reads the same on the value alone: the space after the colon, then an
// expression with no top-level alternative (`a|b` would match `b` in any header line). Regexes must compile in
// RE2, as lbagent's rules run them.
import { RE2JS } from 're2js';

export interface LineRegex {
  name: string;
  /** the regex on the value, anchored at its start; undefined: any value (the whole header) */
  value: string | undefined;
}

const PLAIN_NAME = /^\^([A-Za-z0-9-]+):(.*)$/;
/** What may stand for the white space between colon and value. */
const LEADING_SPACE = /^(?: |\\s\*|\\s\+| \*| \+|\[ \\t\]\*|\[ \\t\]\+)/;

/** `^Name:…` → the header name and a value regex; a string saying why not otherwise. */
export function splitLineRegex(regex: string, caseInsensitive: boolean): LineRegex | string {
  const m = PLAIN_NAME.exec(regex);
  if (!m) return 'it does not start with ^Name: (the request or status line, or several headers)';
  const name = m[1]!;
  let rest = m[2]!;
  if (rest === '' || rest === '.*' || rest === ' .*' || rest === '\\s*.*') return { name, value: undefined };
  const space = LEADING_SPACE.exec(rest);
  if (space) rest = rest.slice(space[0].length);
  else if (!rest.startsWith('.*')) return `the regex after '${name}:' does not start with the space before the value`;
  if (topLevelAlternative(rest)) return "it has a top-level '|', which HAProxy 1.x tried on every header line";
  const value = `${caseInsensitive ? '(?i)' : ''}^${rest}`;
  try {
    RE2JS.compile(value);
  } catch (err) {
    return `the regex does not compile in RE2 (${(err as Error).message})`;
  }
  return { name, value };
}

/** A `|` outside any group or character class. */
function topLevelAlternative(re: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}

/** A 2.x regex (replace-header, del-header -m reg) lbagent can run, or why not. */
export function re2Problem(regex: string): string | undefined {
  try {
    RE2JS.compile(regex);
    return undefined;
  } catch (err) {
    return `the regex '${regex}' does not compile in RE2, which lbagent's rules use (${(err as Error).message})`;
  }
}
