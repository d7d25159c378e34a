#!/usr/bin/env node
// The built CLI (dist/, made by `npm run build` and shipped in the package). In a clone, the
// source runs through tsx (a dev dependency) when there is no dist/ yet, or when a source file
// changed after the last build: a stale build would run yesterday's commands without a word.
import { existsSync, readdirSync, statSync } from "node:fs";

const built = new URL("../dist/cli/run.js", import.meta.url);
const source = new URL("../src/", import.meta.url);

/** The newest modification time of a file under `dir` (a clone's src/ holds a few hundred). */
function newestChange(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs);
  }
  return newest;
}

const builtIsCurrent = existsSync(built) && (!existsSync(source) || statSync(built).mtimeMs >= newestChange(source));
if (builtIsCurrent) {
  await import(built.href);
} else {
  let register;
  try {
    ({ register } = await import("tsx/esm/api"));
  } catch {
    process.stderr.write("tributary: error: not built yet: run `npm run build` (or `npm ci`, which installs tsx to run it from source)\n");
    process.exit(1);
  }
  register();
  await import(new URL("run.ts", new URL("cli/", source)).href);
}
