// Types of scripts/build-web.mjs for the TypeScript that imports it (test/setup/web-build.ts).
export declare const WEB_DIR: string;
export declare const WEB_DIST: string;
export declare function webSourceHash(): string;
export declare function webBuildIsCurrent(): boolean;
export declare function ensureWebBuild(options?: { force?: boolean }): Promise<boolean>;
