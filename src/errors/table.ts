// docs/errors.md, rendered from the catalogue: `npm run docs:errors` writes it, a test checks it is current.
import { catalogue, ERROR_PARTS } from './index.js';

export const ERRORS_DOC = 'docs/errors.md';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderErrorsTable(): string {
  const specs = catalogue();
  const rows = ERROR_PARTS.flatMap((part) => specs.filter((s) => s.part === part)).map(
    (s) => `| \`${s.code}\` | ${s.part} | ${s.status ?? ''} | ${cell(s.message)} |`,
  );
  return [
    '# Error codes',
    '',
    'Every error a user, a script or an API client sees carries one of these codes. Both HTTP APIs (the admin',
    "API and the agent's RPC) answer `{\"error\": MESSAGE, \"code\": CODE}` with the status below (500 when none is",
    'given); the CLI prints `MESSAGE [CODE]`. `%s` and `%d` are filled in with the details of each case.',
    "serf's own RPC keeps serf's error strings (`src/agent/serf-errors.ts`): serf clients match on them.",
    '',
    'Generated from `src/errors/` by `npm run docs:errors`; do not edit by hand.',
    '',
    '| code | part | HTTP status | message |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
