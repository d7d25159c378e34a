import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../support/run-cli.js";
import { createDatabase, dropDatabase, findFreePort } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";

const DATABASE = "tributary_source_commands_config";
let dir: string;
let target: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tributary-source-config-"));
  target = await createDatabase(postgresUrl(), DATABASE);
});

afterAll(async () => {
  await dropDatabase(postgresUrl(), DATABASE);
});

async function configFile(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

// mapping infer and images read MongoDB only, yet with --config they take a sync's whole config
// file and check it as sync does before connecting: a mistake anywhere in it is exit 2.
describe("mapping infer and images with --config", () => {
  it("refuse a config file with a mistake outside source, naming it, before connecting", async () => {
    const batch = await configFile("batch.yml", `source:\n  uri: mongodb://127.0.0.1:1/\ntarget:\n  url: ${target}\nbatch:\n  maxSize: -1\n`);
    for (const command of [["mapping", "infer"], ["images", "status", "shop.orders"], ["images", "enable", "shop.orders"]]) {
      const result = await runCli([...command, "--config", batch]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^tributary: error: Invalid configuration in ${batch.replaceAll(/[.\\/]/g, "\\$&")}: batch\\.maxSize: .+ \\[TRIB_CONFIG_INVALID\\]\\n$`));
      expect(result.stdout).toBe("");
    }
    const badUrl = await configFile("url.yml", "source:\n  uri: mongodb://127.0.0.1:1/\ntarget:\n  url: postgres://app:hunter2@pg:99999/db\n");
    const url = await runCli(["mapping", "infer", "--config", badUrl]);
    expect(url).toMatchObject({ code: 2, stdout: "" });
    expect(url.stderr).toContain("target.url: postgres://app:***@pg:99999/db has port 99999");
    expect(url.stderr).not.toContain("hunter2");
    const sinkStore = await configFile("store.yml", "source:\n  uri: mongodb://127.0.0.1:1/\nsinks:\n  - name: audit\n    use: jsonl\n    positions:\n      mongodb: mongodb://a:pw@host:27017,/?replicaSet=\n");
    const store = await runCli(["images", "status", "shop.orders", "--config", sinkStore]);
    expect(store.code).toBe(2);
    expect(store.stderr).not.toContain(":pw@");
  });

  it("use the config's source settings (its server selection timeout too), warn about filters that match nothing, and write nothing", async () => {
    const port = await findFreePort();
    const good = await configFile(
      "good.yml",
      `source:\n  uri: mongodb://u:s3cret@127.0.0.1:${port}/\n  serverSelectionTimeoutMs: 300\n  include: ["shop.orders"]\n  exclude: ["shop.*"]\ntarget:\n  url: ${target}\n  mapping: mappings.yml\n`,
    );
    const result = await runCli(["mapping", "infer", "--config", good, "--out", join(dir, "mappings.yml")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/exclude.*shop\.\*.*shop\.orders|shop\.orders.*exclude/);
    expect(result.stderr).toMatch(/tributary: error: Cannot reach MongoDB at mongodb:\/\/u:\*\*\*@127\.0\.0\.1:\d+\/.* \[TRIB_MONGO_UNREACHABLE\]\n$/);
    expect(result.stderr).not.toContain("s3cret");
    expect(await query(target, "SELECT nspname FROM pg_namespace WHERE nspname = 'tributary'")).toEqual([]);
  });
});
