// Types of scripts/cli-bundle.mjs for the TypeScript that imports it (test/setup/cli-bundle.ts).
import type { BuildOptions } from 'esbuild';

export declare const INLINED_PACKAGES: readonly string[];
export declare function externalPackages(root: string): string[];
export declare function cliBundleOptions(root: string, outdir: string, chunkPrefix?: string): BuildOptions & {
  entryPoints: Record<string, string>;
  outdir: string;
};
export declare function installedPackagesFingerprint(root: string): string;
