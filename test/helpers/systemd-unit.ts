// What systemd does with a unit's ExecStart, for running it as a plain process (systemd is not PID 1 on the test
// machines, so `systemctl start` is not possible): the unit's keys, its EnvironmentFile, and the command line
// with `${VAR}` (one word) and `$VAR` (split on spaces, nothing when empty) substituted, as systemd.exec(5) says.
// Covers what the shipped units use: no quoting, no specifiers, no line continuations.

/** `Key=value` lines of every section; a key may repeat. */
export function unitKeys(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    keys.set(key, [...(keys.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return keys;
}

/** The one value of `key`, or an Error saying the unit lacks it. */
export function unitValue(keys: Map<string, string[]>, key: string): string {
  const v = keys.get(key);
  if (!v || v.length !== 1) throw new Error(`the unit has ${v?.length ?? 0} ${key}= lines, expected one`);
  return v[0]!;
}

/** An EnvironmentFile: `KEY=value` lines, `#` comments, values optionally in double or single quotes. */
export function envFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(raw);
    if (!m) continue;
    const v = m[2]!.trim();
    env[m[1]!] = /^(["']).*\1$/.test(v) ? v.slice(1, -1) : v;
  }
  return env;
}

/** ExecStart's argv with the environment substituted (a leading `-`, `@`, `+` or `!` prefix is not supported). */
export function execArgv(line: string, env: Record<string, string>): string[] {
  const argv: string[] = [];
  for (const word of line.split(/\s+/).filter((w) => w !== '')) {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
    if (whole) argv.push(...(env[whole[1]!] ?? '').split(/\s+/).filter((w) => w !== ''));
    else argv.push(word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, k: string) => env[k] ?? ''));
  }
  return argv;
}
