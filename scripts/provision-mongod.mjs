#!/usr/bin/env node
// Makes a real `mongod` binary available to the test suite and the demo.
//
// Order of preference:
//   1. TRIBUTARY_TEST_MONGODB_URI is set: an existing deployment is used, nothing to do.
//   2. .servers/mongodb/bin/mongod exists and runs: keep it.
//   3. The `dotnet` CLI is on PATH: restore EphemeralMongo runtime packages from the
//      NuGet feed (they ship prebuilt mongod binaries) and copy the first one that runs
//      into .servers/mongodb/, describing it in .servers/mongodb.json.
//   4. Otherwise print a notice: mongodb-memory-server will try its normal download at
//      test time.
//
// This script never fails the build: every outcome exits 0.

import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SERVERS_DIR = join(ROOT, ".servers");
const MONGODB_DIR = join(SERVERS_DIR, "mongodb");
const MONGOD = join(MONGODB_DIR, "bin", "mongod");
const MANIFEST = join(SERVERS_DIR, "mongodb.json");
const RESTORE_TIMEOUT_MS = 120_000;
const VERSION_TIMEOUT_MS = 30_000;
const PREFIX = "[provision-mongod]";

/** Candidate NuGet packages, tried in order. */
function candidates() {
  const list = [];
  for (const major of [8, 7, 6]) {
    for (const version of ["2.0.0", "2.1.0", "2.2.0", "2.0.1"]) {
      list.push({ id: `EphemeralMongo${major}.runtime.linux-x64`, version });
    }
  }
  for (const major of [8, 7, 6]) {
    for (const version of ["1.1.3", "1.1.2", "1.1.0", "1.0.0"]) {
      list.push({ id: `EphemeralMongo${major}.runtime.ubuntu.22.04-x64`, version });
    }
  }
  return list;
}

function log(message) {
  console.log(`${PREFIX} ${message}`);
}

/** Runs a command without stdin; never throws. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    ...options,
    env: { ...process.env, ...options.env },
  });
  return {
    status: result.status,
    signal: result.signal,
    error: result.error,
    stdout: result.stdout ?? "",
    stderr: result.stderr ?? "",
  };
}

/**
 * Runs `<binary> --version`. Returns { ok: true, version, firstLine } when it is a working
 * mongod, otherwise { ok: false, reason }.
 */
function probeMongod(binary) {
  try {
    chmodSync(binary, 0o755);
  } catch {
    // Read-only location: try to run it as it is.
  }
  const result = run(binary, ["--version"], { timeout: VERSION_TIMEOUT_MS });
  if (result.error) {
    return { ok: false, reason: `cannot run ${binary}: ${result.error.message}` };
  }
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0) {
    const detail = firstMeaningfulLine(result.stderr) || firstMeaningfulLine(result.stdout) || `exit status ${result.status ?? result.signal}`;
    return { ok: false, reason: `mongod --version failed: ${detail}` };
  }
  const match = /db version v?(\d+\.\d+\.\d+)/i.exec(output);
  if (!match) {
    return { ok: false, reason: `mongod --version printed no version: ${firstMeaningfulLine(output)}` };
  }
  return { ok: true, version: match[1], firstLine: firstMeaningfulLine(result.stdout) };
}

function firstMeaningfulLine(text) {
  return (
    text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .find((line) => line.length > 0) ?? ""
  );
}

function writeManifest(binary, version, source) {
  mkdirSync(SERVERS_DIR, { recursive: true });
  writeFileSync(MANIFEST, `${JSON.stringify({ binary, version, source }, null, 2)}\n`);
}

function readManifest() {
  try {
    return JSON.parse(readFileSync(MANIFEST, "utf8"));
  } catch {
    return undefined;
  }
}

function useExistingBinary() {
  if (!existsSync(MONGOD)) {
    return false;
  }
  const probe = probeMongod(MONGOD);
  if (!probe.ok) {
    log(`${MONGOD} exists but does not run (${probe.reason}); provisioning again.`);
    return false;
  }
  const manifest = readManifest();
  if (!manifest || manifest.binary !== MONGOD || manifest.version !== probe.version) {
    writeManifest(MONGOD, probe.version, manifest?.source ?? "existing");
  }
  log(`using existing ${MONGOD}: ${probe.firstLine} (source: ${readManifest()?.source ?? "unknown"})`);
  return true;
}

function dotnetTargetFramework() {
  const result = run("dotnet", ["--version"], {
    timeout: 60_000,
    env: dotnetEnv(),
  });
  if (result.error || result.status !== 0) {
    return undefined;
  }
  const match = /^(\d+)\./.exec(result.stdout.trim());
  return match ? `net${match[1]}.0` : undefined;
}

function dotnetEnv() {
  return {
    DOTNET_CLI_TELEMETRY_OPTOUT: "1",
    DOTNET_NOLOGO: "1",
    DOTNET_SKIP_FIRST_TIME_EXPERIENCE: "1",
    DOTNET_GENERATE_ASPNET_CERTIFICATE: "false",
  };
}

function hasDotnet() {
  const result = run("dotnet", ["--info"], { timeout: 60_000, env: dotnetEnv() });
  return !result.error && result.status === 0;
}

/** Summarises a failed `dotnet restore` into one line. */
function describeRestoreFailure(result) {
  if (result.error && result.error.code === "ETIMEDOUT") {
    return { code: "timeout", text: `restore timed out after ${RESTORE_TIMEOUT_MS / 1000}s` };
  }
  if (result.signal === "SIGTERM") {
    return { code: "timeout", text: `restore timed out after ${RESTORE_TIMEOUT_MS / 1000}s` };
  }
  if (result.error) {
    return { code: "error", text: `could not run dotnet restore: ${result.error.message}` };
  }
  const output = `${result.stdout}\n${result.stderr}`;
  const known = [
    ["NU1101", "not in the NuGet feed (NU1101)"],
    ["NU1102", "this version is not in the NuGet feed (NU1102)"],
    ["NU1103", "only prerelease versions in the NuGet feed (NU1103)"],
    ["NU1301", "NuGet feed unreachable (NU1301)"],
    ["NU1202", "package not compatible with the throwaway project (NU1202)"],
  ];
  for (const [code, text] of known) {
    if (output.includes(code)) {
      return { code, text };
    }
  }
  const errorLine = output
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => /error/i.test(line));
  return { code: "other", text: `restore failed: ${errorLine ?? `exit status ${result.status}`}` };
}

/** Finds runtimes/<rid>/native/mongodb/bin/mongod under a restored package folder. */
function findMongodInPackage(packageDir) {
  const found = [];
  const runtimesDirs = [];
  const walk = (dir, depth) => {
    if (depth > 3 || !existsSync(dir)) {
      return;
    }
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) {
        continue;
      }
      const full = join(dir, entry.name);
      if (entry.name === "runtimes") {
        runtimesDirs.push(full);
      } else {
        walk(full, depth + 1);
      }
    }
  };
  walk(packageDir, 0);
  for (const runtimes of runtimesDirs) {
    for (const rid of readdirSync(runtimes, { withFileTypes: true })) {
      if (!rid.isDirectory()) {
        continue;
      }
      const mongodbDir = join(runtimes, rid.name, "native", "mongodb");
      const binary = join(mongodbDir, "bin", "mongod");
      if (existsSync(binary) && statSync(binary).isFile()) {
        found.push({ mongodbDir, binary });
      }
    }
  }
  return found;
}

function readVersionFile(mongodbDir) {
  for (const candidate of [join(mongodbDir, "version.txt"), join(mongodbDir, "bin", "version.txt"), join(dirname(mongodbDir), "version.txt")]) {
    if (existsSync(candidate)) {
      const match = /(\d+\.\d+\.\d+)/.exec(readFileSync(candidate, "utf8"));
      if (match) {
        return match[1];
      }
    }
  }
  return undefined;
}

function tryCandidate(workDir, targetFramework, candidate) {
  const projectDir = mkdtempSync(join(workDir, "restore-"));
  const packagesDir = join(projectDir, "pkgs");
  writeFileSync(
    join(projectDir, "Provision.csproj"),
    [
      '<Project Sdk="Microsoft.NET.Sdk">',
      "  <PropertyGroup>",
      `    <TargetFramework>${targetFramework}</TargetFramework>`,
      "    <OutputType>Library</OutputType>",
      "    <NoWarn>$(NoWarn);NU1603;NU1701</NoWarn>",
      "  </PropertyGroup>",
      "  <ItemGroup>",
      `    <PackageReference Include="${candidate.id}" Version="[${candidate.version}]" />`,
      "  </ItemGroup>",
      "</Project>",
      "",
    ].join("\n"),
  );
  const result = run("dotnet", ["restore", "--packages", packagesDir, "--nologo", "--verbosity", "quiet"], {
    cwd: projectDir,
    timeout: RESTORE_TIMEOUT_MS,
    killSignal: "SIGKILL",
    env: dotnetEnv(),
  });
  if (result.error || result.status !== 0 || result.signal) {
    return { ok: false, ...describeRestoreFailure(result) };
  }
  const packageDir = join(packagesDir, candidate.id.toLowerCase(), candidate.version.toLowerCase());
  const binaries = findMongodInPackage(existsSync(packageDir) ? packageDir : packagesDir);
  if (binaries.length === 0) {
    return { ok: false, code: "no-binary", text: "restored, but no runtimes/*/native/mongodb/bin/mongod inside" };
  }
  const reasons = [];
  for (const { mongodbDir, binary } of binaries) {
    const probe = probeMongod(binary);
    if (!probe.ok) {
      reasons.push(probe.reason);
      continue;
    }
    rmSync(MONGODB_DIR, { recursive: true, force: true });
    mkdirSync(SERVERS_DIR, { recursive: true });
    cpSync(mongodbDir, MONGODB_DIR, { recursive: true });
    for (const entry of readdirSync(join(MONGODB_DIR, "bin"))) {
      try {
        chmodSync(join(MONGODB_DIR, "bin", entry), 0o755);
      } catch {
        // Best effort: mongod itself is checked below.
      }
    }
    const copied = probeMongod(MONGOD);
    if (!copied.ok) {
      reasons.push(`copied to ${MONGOD} but it does not run there: ${copied.reason}`);
      continue;
    }
    const version = readVersionFile(mongodbDir) ?? copied.version;
    writeManifest(MONGOD, version, `nuget:${candidate.id}@${candidate.version}`);
    return { ok: true, version };
  }
  return { ok: false, code: "does-not-run", text: `restored, but ${reasons.join("; ")}` };
}

function provisionFromNuGet() {
  if (!hasDotnet()) {
    log("the dotnet CLI is not on PATH (or does not run): skipping the NuGet EphemeralMongo packages.");
    return false;
  }
  const targetFramework = dotnetTargetFramework();
  if (!targetFramework) {
    log("`dotnet --version` did not report an SDK version: skipping the NuGet EphemeralMongo packages.");
    return false;
  }
  log(`trying EphemeralMongo runtime packages from the NuGet feed (throwaway ${targetFramework} project, ${RESTORE_TIMEOUT_MS / 1000}s per restore)`);
  const workDir = mkdtempSync(join(tmpdir(), "tributary-provision-mongod-"));
  // A package id the feed does not know at all (NU1101) has no other version either.
  const unknownIds = new Set();
  let feedUnreachable = false;
  try {
    for (const candidate of candidates()) {
      const label = `${candidate.id}@${candidate.version}`;
      // Skipped silently: the line for the first version of the id already said why.
      if (feedUnreachable || unknownIds.has(candidate.id)) continue;
      let outcome;
      try {
        outcome = tryCandidate(workDir, targetFramework, candidate);
      } catch (error) {
        outcome = { ok: false, code: "error", text: `unexpected error: ${error instanceof Error ? error.message : String(error)}` };
      }
      if (outcome.ok) {
        log(`${label}: OK, mongod ${outcome.version} installed at ${MONGOD}`);
        log(`wrote ${MANIFEST}`);
        return true;
      }
      log(`${label}: ${outcome.text}`);
      if (outcome.code === "NU1101") {
        unknownIds.add(candidate.id);
      }
      if (outcome.code === "NU1301") {
        feedUnreachable = true;
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  return false;
}

function printNotice() {
  const lines = [
    "",
    "==================================================================",
    " No local mongod was provisioned.",
    " - At test time mongodb-memory-server will try its normal download",
    "   of a MongoDB binary (this needs access to the MongoDB download",
    "   site); if that fails, tests that need MongoDB are SKIPPED.",
    " - To test against an existing MongoDB replica set instead, set",
    "   TRIBUTARY_TEST_MONGODB_URI, e.g.",
    "   TRIBUTARY_TEST_MONGODB_URI='mongodb://localhost:27017/?replicaSet=rs0'",
    " - Set TRIBUTARY_REQUIRE_MONGODB=1 to make missing MongoDB fail the run.",
    "==================================================================",
    "",
  ];
  console.log(lines.join("\n"));
}

function main() {
  if (process.env.TRIBUTARY_TEST_MONGODB_URI) {
    log("TRIBUTARY_TEST_MONGODB_URI is set: the existing MongoDB deployment will be used, no mongod provisioned.");
    return;
  }
  if (useExistingBinary()) {
    return;
  }
  if (provisionFromNuGet()) {
    return;
  }
  printNotice();
}

try {
  main();
} catch (error) {
  log(`unexpected error, continuing without a local mongod: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  printNotice();
}
process.exitCode = 0;
