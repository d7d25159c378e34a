import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finished, runCli, startCli } from "../../support/run-cli.js";
import { createDatabase, dropDatabase } from "../../support/postgres-server.js";
import { postgresUrl } from "../../support/requirements.js";
import { waitFor } from "../../support/wait-for.js";

const DATABASE = "tributary_validate_first";
let dir: string;
let target: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tributary-validate-"));
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

/** Every schema and table of the target database besides PostgreSQL's own: what a run left behind. */
async function leftBehind(): Promise<string[]> {
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      "SELECT nspname AS name FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('information_schema', 'public') " +
        "UNION ALL SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    );
    return rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

/** A TCP server that accepts connections and never answers: a server that hangs. */
async function silentServer(): Promise<{ port: number; server: Server; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { port: address.port, server, sockets };
}

function closeSilent({ server, sockets }: { server: Server; sockets: Socket[] }): void {
  for (const socket of sockets) socket.destroy();
  server.close();
}

describe("tributary checks everything before it touches anything", () => {
  it.each([
    ["a port out of range", "postgres://u:pw@localhost:99999/db", "target.url: postgres://u:***@localhost:99999/db has port 99999; a port is between 1 and 65535"],
    ["another database's URL", "mysql://u:pw@localhost/db", "target.url: mysql://u:***@localhost/db is not a PostgreSQL URL: it must start with postgres:// or postgresql://, not mysql://"],
    ["garbage", "not a url", "target.url: not a url is not a URL; write one such as postgres://app@db.example:5432/analytics"],
    ["an uninterpolated variable", "postgres://app:${PGPASSWORD}@localhost/db", "target.url: postgres://app:***@localhost/db holds ${PGPASSWORD}, an environment variable that was never filled in"],
    ["an unknown libpq keyword", "host=localhost user=app password=hunter2 dbnmae=x", 'target.url: host=localhost user=app password=*** dbnmae=x is not a valid keyword/value connection string: unknown setting "dbnmae"'],
    ["a libpq port out of range", "host=localhost port=70000 password='hun ter2'", 'target.url: host=localhost port=70000 password=*** is not a valid keyword/value connection string: port "70000" is not a port'],
    ["a password with an unescaped /", "postgres://app:pa/ss@localhost/db", "target.url: postgres://app:***@localhost/db is not a valid URL (a user name or password holding / ? # or @ must be percent-encoded"],
  ])("rejects a PostgreSQL URL with %s: exit 2, the setting named, the password hidden", async (_what, url, message) => {
    const result = await runCli(["sync", "--from", "mongodb://127.0.0.1:1/", "--to", url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`tributary: error: Invalid configuration: ${message}`);
    expect(result.stderr).toMatch(/\[TRIB_CONFIG_INVALID\]\n$/);
    expect(result.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    for (const secret of ["hunter2", ":pw@", "pa/ss"]) expect(result.stderr).not.toContain(secret);
  });

  it("writes nothing to PostgreSQL when the MongoDB connection string is wrong", async () => {
    const result = await runCli(["sync", "--from", "mongodb://alice:p@ss@db.example/", "--to", target]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("tributary: error: Invalid MongoDB connection string mongodb://alice:***@db.example/ (source.uri, --from): Invalid connection string [TRIB_CONFIG_INVALID]\n");
    expect(await leftBehind()).toEqual([]);
  });

  it("writes nothing when a sink's options are wrong: a webhook URL without a scheme", async () => {
    const config = await configFile("hook.yml", `source: { uri: 'mongodb://127.0.0.1:1/' }\ntarget: { url: '${target}' }\nsinks:\n  - name: hook\n    use: webhook\n    options: { url: 'hooks.example.com/in' }\n`);
    const result = await runCli(["sync", "--config", config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("tributary: error: Invalid options for webhook sink 'hook': sinks.hook.options.url: must be an http(s) URL [TRIB_SINK_INVALID]\n");
    expect(await leftBehind()).toEqual([]);
  });

  it("fills ${NAME}, ${NAME:-default} and NAME_FILE in config files, and names a variable that is not set", async () => {
    const secretFile = join(dir, "pg-password");
    await writeFile(secretFile, "s3cret-word\n");
    const config = await configFile("env.yml", "source:\n  uri: mongodb://${MONGO_HOST:-localhost}:27017/?replicaSet=rs0\ntarget:\n  url: postgres://app:${PG_PASSWORD}@pg.example/analytics\n  schema: $${literal}\n");
    const checked = await runCli(["config", "check", "--config", config], { PG_PASSWORD_FILE: secretFile });
    expect(checked.stderr).toContain("target.schema: must be a PostgreSQL identifier");
    const good = await configFile("env-good.yml", "source:\n  uri: mongodb://${MONGO_HOST:-localhost}:27017/?replicaSet=rs0\ntarget:\n  url: postgres://app:${PG_PASSWORD}@pg.example/analytics\n");
    const resolved = await runCli(["config", "check", "--config", good], { PG_PASSWORD_FILE: secretFile });
    expect(resolved.code).toBe(0);
    expect(resolved.stdout).toContain("uri: mongodb://localhost:27017/?replicaSet=rs0");
    expect(resolved.stdout).toContain("url: postgres://app:***@pg.example/analytics");
    expect(resolved.stdout).not.toContain("s3cret");
    const missing = await runCli(["config", "check", "--config", good]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`tributary: error: Invalid configuration in ${good}: target.url uses \${PG_PASSWORD}, but neither PG_PASSWORD nor PG_PASSWORD_FILE is set in the environment [TRIB_CONFIG_INVALID]\n`);
  });

  it("config check prints the resolved config with every secret redacted, and warns about filters that match nothing", async () => {
    const config = await configFile(
      "check.yml",
      "source:\n  uri: 'mongodb://app:pa ss@db1:27017/?replicaSet=rs0&authMechanismProperties=AWS_SESSION_TOKEN:tok3n'\n" +
        "sinks:\n  - name: hook\n    use: webhook\n    options: { url: 'https://hooks.example.com/in?token=t0ken', secret: whsec_123 }\n",
    );
    const result = await runCli(["config", "check", "--config", config, "--include", "admin.*", "--include", "shop.[ab", "--exclude", "*"]);
    expect(result.code).toBe(0);
    for (const secret of ["pa ss", "tok3n", "t0ken", "whsec_123"]) expect(result.stdout).not.toContain(secret);
    expect(result.stdout).toContain('secret: "***"');
    expect(result.stdout).toContain("maxSize: 2000");
    expect(result.stderr).toBe(
      [
        "tributary: warning: source.include 'shop.[ab' has an unbalanced '['; it is read as a literal name and probably matches nothing",
        "tributary: warning: source.include 'admin.*' names a system namespace, which is never synced",
        "tributary: warning: source.exclude '*' leaves out every namespace: nothing will be synced",
        "",
      ].join("\n"),
    );
  });

  it("exits at once with 130 on SIGINT while a PostgreSQL server does not answer, saying what it was doing", async () => {
    const silent = await silentServer();
    try {
      const child = startCli(["sync", "--from", "mongodb://127.0.0.1:1/", "--to", `postgres://u:pw@127.0.0.1:${silent.port}/db`]);
      const result = finished(child);
      let stderr = "";
      child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      await waitFor(() => stderr.includes("opening the sinks"), "the start-up line");
      child.kill("SIGINT");
      const { code, stderr: all } = await result;
      expect(code).toBe(130);
      expect(all).toContain('"where":"postgres://u:***@127.0.0.1');
      expect(all).toContain("tributary: SIGINT received while opening sinks; exiting now (no change had been applied yet");
      expect(all).not.toContain("finishing the batch");
    } finally {
      closeSilent(silent);
    }
  });

  it("exits at once with 143 on SIGTERM while MongoDB does not answer, without waiting out server selection", async () => {
    const silent = await silentServer();
    try {
      const child = startCli(["sync", "--from", `mongodb://app:secret@127.0.0.1:${silent.port}/`, "--to", target]);
      const result = finished(child);
      let stderr = "";
      child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      await waitFor(() => stderr.includes("connecting to MongoDB"), "the MongoDB line");
      child.kill("SIGTERM");
      const { code, stderr: all } = await result;
      expect(code).toBe(143);
      expect(all).toContain(`"mongodb":"mongodb://app:***@127.0.0.1:${silent.port}/"`);
      expect(all).toContain("tributary: SIGTERM received while connecting to MongoDB; exiting now");
      expect(all).not.toContain("secret");
    } finally {
      closeSilent(silent);
    }
  });
});
