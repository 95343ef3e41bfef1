/** The repository root (absolute path). */
export declare const repoRoot: string;
/** True when packages/cli/dist/bin.js exists and no package's src/ or package.json is newer than its dist/. */
export declare function builtIsCurrent(): boolean;
