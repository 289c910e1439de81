// `lbagent COMMAND [args]`: dispatch to one file per command under ./commands.
import { readFileSync } from 'node:fs';
import { bundled } from '../build-info.js';
import type { Command } from './command.js';
import { normalizeFlags } from './command.js';
import { commands } from './commands/index.js';
import { describeError } from '../errors/index.js';

/** From src/cli (tsx) or dist/src/cli (built), the package.json is the nearest one above; a bundle was told. */
function version(): string {
  if (bundled) return bundled.version;
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'lbagent') return pkg.version;
    } catch {
      // not there
    }
  }
  return 'unknown';
}

export function helpText(): string {
  const listed = commands.filter((c) => !c.hidden);
  const width = Math.max(...listed.map((c) => c.name.length)) + 2;
  const lines = listed.map((c) => `    ${c.name.padEnd(width)}${c.summary}${c.aliases?.length ? ` (alias: ${c.aliases.join(', ')})` : ''}`);
  return [
    'Usage: lbagent [--version] [--help] <command> [<args>]',
    '',
    'Available commands are:',
    ...lines,
    '',
    "Run 'lbagent <command> --help' for a command's options.",
    '',
  ].join('\n');
}

function find(name: string): Command | undefined {
  return commands.find((c) => c.name === name || c.aliases?.includes(name));
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (!first || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    const cmd = topic ? find(topic) : undefined;
    process.stdout.write(cmd ? `${cmd.usage}\n\n${cmd.summary}\n` : helpText());
    return first ? 0 : 1;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    process.stdout.write(`lbagent v${version()}\n`);
    return 0;
  }
  const cmd = find(first);
  if (!cmd) {
    process.stderr.write(`lbagent: unknown command '${first}'\n\n${helpText()}`);
    return 1;
  }
  const args = normalizeFlags(rest);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${cmd.usage}\n\n${cmd.summary}\n`);
    return 0;
  }
  try {
    return await cmd.run(args);
  } catch (err) {
    process.stderr.write(`lbagent ${cmd.name}: ${describeError(err)}\n`);
    return 1;
  }
}
