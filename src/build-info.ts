// What a bundled build knows that a package install reads from disk. scripts/sea-bundle.ts defines
// LBAGENT_BUNDLE when it bundles the CLI for the single executables; from the package (dist/ or tsx) it is absent.
declare const LBAGENT_BUNDLE: { version: string } | undefined;

export interface BundleInfo {
  /** package.json's version at build time (a single executable has no package.json beside it) */
  version: string;
}

export const bundled: BundleInfo | undefined = typeof LBAGENT_BUNDLE === 'object' ? LBAGENT_BUNDLE : undefined;
