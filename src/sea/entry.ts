// The single executables' entry point (`npm run build:sea` bundles it into one CommonJS file): bin/lbagent.js's
// job, plus what a bundle cannot load from node_modules at run time.
import pinoPretty from 'pino-pretty';
import { main } from '../cli/index.js';
import { PRETTY_OPTIONS, usePrettyInProcess } from '../log/index.js';

usePrettyInProcess(() => pinoPretty(PRETTY_OPTIONS));

async function run(): Promise<number> {
  // The demo's children: node preloads exit-with-parent.mjs for them; an executable takes no preload, so it is told.
  if (process.env.LBAGENT_EXIT_WITH_PARENT === '1') {
    delete process.env.LBAGENT_EXIT_WITH_PARENT;
    await import('../demo/exit-with-parent.mjs');
  }
  return main(process.argv.slice(2));
}

run().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`lbagent: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
