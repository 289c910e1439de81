// The door of sea/, which has nothing to import: entry.ts is where the single executables start (esbuild bundles
// it, scripts/sea-bundle.ts), and no part imports it.
export {};
