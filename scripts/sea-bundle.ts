// The CLI as one CommonJS file, what a single executable runs (Node's SEA embeds exactly one script, whose
// `require` reaches only Node's built-in modules): esbuild bundles src/sea/entry.ts with every dependency.
import { builtinModules } from 'node:module';
import { build } from 'esbuild';

export async function bundleCli(root: string, outfile: string, version: string): Promise<void> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/sea/entry.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    metafile: true,
    logLevel: 'error',
    // src/build-info.ts; import.meta.url (ESM only) becomes the executable's own file URL, where code that looks
    // for files beside itself then finds none and takes its bundled path (src/self.ts).
    define: { LBAGENT_BUNDLE: JSON.stringify({ version }), 'import.meta.url': 'LBAGENT_IMPORT_META_URL' },
    banner: { js: 'var LBAGENT_IMPORT_META_URL = require("node:url").pathToFileURL(__filename).href;' },
  });
  // A require left unbundled would fail only when that code path runs, inside the executable: refuse it now.
  const builtins = new Set(builtinModules);
  const external = Object.values(result.metafile.outputs)
    .flatMap((o) => o.imports)
    .filter((i) => i.external && !builtins.has(i.path.replace(/^node:/, '')))
    .map((i) => i.path);
  if (external.length > 0) throw new Error(`the bundle still requires ${[...new Set(external)].join(', ')} at run time`);
}
