// How this program starts itself again (the demo's children, the proxy workers): process.execPath is node with
// bin/lbagent.js from a package, the bundle file when node runs a bundle, and the program itself in a single
// executable (which runs its embedded CLI whatever its arguments).
import { createRequire } from 'node:module';
import { bundled } from './build-info.js';

/** True in a single executable (`lbagent`, `lbagent.exe` built by `npm run build:sea`). */
export function inSingleExecutable(): boolean {
  if (!bundled) return false;
  // node:sea exists from Node 20.12; the bundles are built with a newer one, and only bundles ask.
  const sea = createRequire(process.execPath)('node:sea') as { isSea(): boolean };
  return sea.isSea();
}

/**
 * The script to give process.execPath before the command's arguments, or undefined when process.execPath is
 * the CLI itself. `packageBin` is bin/lbagent.js, asked for only when running from the package.
 */
export function selfScript(packageBin: () => string): string | undefined {
  if (!bundled) return packageBin();
  return inSingleExecutable() ? undefined : process.argv[1];
}
