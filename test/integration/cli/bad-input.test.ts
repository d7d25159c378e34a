import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../support/run-cli.js";
import { findFreePort } from "../../support/postgres-server.js";
import { postgresUrl } from "../../support/requirements.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tributary-cli-"));
});

async function configFile(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

describe("tributary CLI on bad input", () => {
  it("rejects an unknown flag with a usage error and exit code 2", async () => {
    const result = await runCli(["sync", "--bogus"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("tributary: error: unknown option '--bogus'\n(run with --help for usage)\n");
  });

  it("names the missing settings and the flags that set them", async () => {
    const result = await runCli(["sync", "--to", "postgres://localhost/db"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("tributary: error: Invalid configuration: source.uri is required (set it with --from or in a --config file) [TRIB_CONFIG_INVALID]\n");
  });

  it("names the file and every bad path of an invalid config, with no stack trace", async () => {
    const path = await configFile("bad.yml", "source:\n  uri: mongodb://localhost\n  includ: [shop.*]\nbatch:\n  maxSize: -1\n");
    const result = await runCli(["sync", "--config", path, "--to", "postgres://u:secret@localhost/db"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `tributary: error: Invalid configuration in ${path}: unknown setting source.includ; batch.maxSize: Too small: expected number to be >=1 [TRIB_CONFIG_INVALID]\n`,
    );
  });

  it("reports a config file that does not exist or does not parse", async () => {
    expect((await runCli(["sync", "--config", join(dir, "missing.yml")])).stderr).toBe(
      `tributary: error: Cannot read config file ${join(dir, "missing.yml")}: file not found [TRIB_CONFIG_FILE_UNREADABLE]\n`,
    );
    const broken = await configFile("broken.json", "{ not json");
    const result = await runCli(["sync", "--config", broken]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^tributary: error: Config file ${broken} is not valid JSON: .+ \\[TRIB_CONFIG_INVALID\\]\\n$`));
  });

  it("reports a wrong PostgreSQL password in one line, password redacted", async () => {
    const wrong = withPassword(postgresUrl(), "not-the-password");
    const result = await runCli(["sync", "--from", "mongodb://127.0.0.1:1/", "--to", wrong, "--log-level", "error"]);
    expect(result.code).toBe(1);
    const where = withPassword(postgresUrl(), "***");
    expect(result.stderr).toBe(`tributary: error: PostgreSQL at ${where} rejected the credentials: password authentication failed for user "postgres" [TRIB_POSTGRES_AUTH_FAILED]\n`);
    expect(result.stderr).not.toContain("not-the-password");
  });

  it("waits for an unreachable PostgreSQL, a line per try, up to retry.startupAttempts; a missing database fails at once", async () => {
    const port = await findFreePort();
    const twice = await configFile("twice.yml", "retry:\n  initialDelayMs: 50\n  startupAttempts: 2\n");
    const down = await runCli(["sync", "--config", twice, "--from", "mongodb://127.0.0.1:1/", "--to", `postgres://u:pw@127.0.0.1:${port}/db`, "--log-level", "warn"]);
    expect(down.code).toBe(1);
    const lines = down.stderr.trimEnd().split("\n");
    expect(lines.at(-1)).toBe(`tributary: error: Cannot connect to PostgreSQL at postgres://u:***@127.0.0.1:${port}/db: connect ECONNREFUSED 127.0.0.1:${port} [TRIB_POSTGRES_UNREACHABLE]`);
    const waits = lines.filter((line) => line.includes("waiting for the sinks' servers"));
    expect(waits).toHaveLength(1);
    expect(waits[0]).toContain('"attempt":1');
    expect(waits[0]).toContain('"code":"TRIB_POSTGRES_UNREACHABLE"');
    const missing = new URL(postgresUrl());
    missing.pathname = "/no_such_db";
    const result = await runCli(["sync", "--from", "mongodb://127.0.0.1:1/", "--to", missing.toString()]);
    expect(result.stderr).toContain(`database "no_such_db" does not exist; create it first (CREATE DATABASE) or fix the URL [TRIB_POSTGRES_DATABASE_MISSING]`);
  });

  it("reports an unreachable MongoDB in one line, and the stack only with --verbose", async () => {
    const port = await findFreePort();
    const path = await configFile("fast.yml", "source:\n  serverSelectionTimeoutMs: 500\nretry:\n  startupAttempts: 1\n");
    const args = ["sync", "--config", path, "--from", `mongodb://app:secret@127.0.0.1:${port}/`, "--to", postgresUrl(), "--log-level", "silent"];
    const result = await runCli(args);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^tributary: error: Cannot reach MongoDB at mongodb://app:\\*\\*\\*@127\\.0\\.0\\.1:${port}/: .*ECONNREFUSED.* \\[TRIB_MONGO_UNREACHABLE\\]\\n$`));
    const verbose = await runCli([...args, "--verbose"]);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toContain("caused by:");
    expect(verbose.stderr).toMatch(/\n\s+at /);
    expect(verbose.stderr).not.toContain("secret");
  });

  it("rejects a malformed MongoDB connection string as a usage error", async () => {
    const result = await runCli(["sync", "--from", "mongo://db.example", "--to", postgresUrl()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("tributary: error: Invalid configuration: source.uri: mongo://db.example must start with mongodb:// or mongodb+srv:// (set it with --from or in a --config file) [TRIB_CONFIG_INVALID]\n");
    const unescaped = await runCli(["sync", "--from", "mongodb://alice:pa/ss99@db.example/", "--to", postgresUrl()]);
    expect(unescaped.code).toBe(2);
    expect(unescaped.stderr).toBe("tributary: error: Invalid MongoDB connection string mongodb://alice:***@db.example/ (source.uri, --from): Password contains unescaped characters [TRIB_CONFIG_INVALID]\n");
  });

  it("reports a wrong mapping file before connecting to anything, exit code 2", async () => {
    const mapping = await configFile("mappings.json", JSON.stringify({ shop: { orders: { _id: { dest: "id", type: "TEXT" }, total: { dest: "total", type: "MONEYY" } } } }));
    const port = await findFreePort();
    const result = await runCli(["sync", "--from", `mongodb://127.0.0.1:${port}/`, "--to", `postgres://u:pw@127.0.0.1:${port}/db`, "--mapping", mapping]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(`^tributary: error: Invalid mapping in ${mapping.replaceAll("/", "\\/")}: shop\\.orders: field "total": unknown type "MONEYY" \\(known: .+\\); shop\\.orders: missing "pk": .+ \\[TRIB_MAPPING_INVALID\\]\\n$`),
    );
    const missing = await runCli(["sync", "--from", "mongodb://127.0.0.1:1/", "--to", postgresUrl(), "--mapping", join(dir, "nope.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`tributary: error: Cannot read mapping file ${join(dir, "nope.json")}: file not found [TRIB_CONFIG_FILE_UNREADABLE]\n`);
  });

  it("refuses a mapping file and an inferred mapping together, and a bad sample size", async () => {
    const both = await runCli(["sync", "--from", "mongodb://127.0.0.1:1/", "--to", postgresUrl(), "--mapping", "m.json", "--infer-mapping"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe(
      "tributary: error: Invalid configuration: target.inferMapping: choose one: a mapping file (target.mapping, --mapping) or an inferred mapping (target.inferMapping, --infer-mapping) [TRIB_CONFIG_INVALID]\n",
    );
    const sample = await runCli(["sync", "--from", "mongodb://127.0.0.1:1/", "--to", postgresUrl(), "--infer-mapping", "--sample", "1.5"]);
    expect(sample.code).toBe(2);
    expect(sample.stderr).toBe('tributary: error: --sample must be a whole number of at least 1, not "1.5" [TRIB_CONFIG_INVALID]\n');
  });

  it("reports an unknown sink, and bad sink settings, before connecting to anything", async () => {
    const unknown = await runCli(["sync", "--from", "mongodb://127.0.0.1:1/", "--sink", "elastic"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      `tributary: error: sinks.elastic: no sink 'elastic': it is not built in (postgres, jsonl, webhook, mongodb), no package tributary-sink-elastic or elastic is installed (searched from ${process.cwd()}), and it is not a path (start a path with ./ or /) [TRIB_SINK_NOT_FOUND]\n`,
    );
    const nowhere = await runCli(["sync", "--from", "mongodb://127.0.0.1:1/"]);
    expect(nowhere.stderr).toBe("tributary: error: Invalid configuration: target: nowhere to write: set target.url (--to) for PostgreSQL, or list sinks (--sink) [TRIB_CONFIG_INVALID]\n");
    const config = await configFile("sinks.yml", "source: { uri: 'mongodb://127.0.0.1:1/' }\nsinks:\n  - name: hook\n    use: webhook\n    options: { url: 'ftp://example.com/in' }\n");
    const badOptions = await runCli(["sync", "--config", config]);
    expect(badOptions.code).toBe(2);
    expect(badOptions.stderr).toBe("tributary: error: Invalid options for webhook sink 'hook': sinks.hook.options.url: must be an http(s) URL [TRIB_SINK_INVALID]\n");
  });

  it("subcommands exit 2 on usage errors", async () => {
    const infer = await runCli(["mapping", "infer", "--bogus"]);
    expect(infer).toMatchObject({ code: 2, stderr: "tributary: error: unknown option '--bogus'\n(run with --help for usage)\n" });
    const images = await runCli(["images", "enable"]);
    expect(images).toMatchObject({ code: 2, stderr: "tributary: error: missing required argument 'namespaces'\n(run with --help for usage)\n" });
  });

  it("mapping infer: names what is missing, and reports an unreachable MongoDB", async () => {
    const missing = await runCli(["mapping", "infer"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("tributary: error: Invalid configuration: source.uri is required (set it with --from, TRIBUTARY_MONGODB_URI or in a --config file) [TRIB_CONFIG_INVALID]\n");
    const port = await findFreePort();
    const down = await runCli(["mapping", "infer", "--from", `mongodb://u:secret@127.0.0.1:${port}/?serverSelectionTimeoutMS=300`, "--log-level", "silent"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`^tributary: error: Cannot reach MongoDB at mongodb://u:\\*\\*\\*@127\\.0\\.0\\.1:${port}/.*ECONNREFUSED.* \\[TRIB_MONGO_UNREACHABLE\\]\\n$`));
    expect(down.stdout).toBe("");
  });

  it("prints complete help", async () => {
    const top = await runCli(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("Usage: tributary [options] [command]");
    expect(top.stdout).toContain("sync [options]");
    const sync = await runCli(["sync", "--help"]);
    for (const flag of ["--from <mongodb-uri>", "--to <postgres-url>", "--include <glob>", "--exclude <glob>", "--name <pipeline>", "--config <file>", "--schema <schema>", "--mapping <file>", "--infer-mapping", "--sample <n>", "--strict", "--verbose"]) {
      expect(sync.stdout).toContain(flag);
    }
    const infer = await runCli(["mapping", "infer", "--help"]);
    for (const flag of ["--from <mongodb-uri>", "--include <glob>", "--exclude <glob>", "--sample <n>", "--out <file>"]) expect(infer.stdout).toContain(flag);
  });
});
