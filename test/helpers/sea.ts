// The single executables (scripts/build-sea.ts), built once per test process; the build itself keeps them while
// nothing they are made of changed, and the Node binaries it downloads stay cached between runs.
import { buildSea, type SeaBuild } from '../../scripts/build-sea.js';
import { repoRoot } from './paths.js';

let building: Promise<Map<string, SeaBuild>> | undefined;

/** The executables by target (`linux-x64`, `win-x64`). */
export function seaExecutables(): Promise<Map<string, SeaBuild>> {
  building ??= buildSea({ root: repoRoot }).then((builds) => new Map(builds.map((b) => [b.target, b])));
  return building;
}
