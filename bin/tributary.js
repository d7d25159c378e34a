#!/usr/bin/env node
// The built CLI (dist/, made by `npm run build` and shipped in the package). In a fresh clone
// after `npm ci` there is no dist/ yet: run the source through tsx (a dev dependency) instead of
// failing with a stack trace.
import { existsSync } from "node:fs";

const built = new URL("../dist/cli/run.js", import.meta.url);
if (existsSync(built)) {
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
  await import(new URL("../src/cli/run.ts", import.meta.url).href);
}
