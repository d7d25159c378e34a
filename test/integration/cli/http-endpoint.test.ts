import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finished, runCli, startCli } from "../../support/run-cli.js";
import { createDatabase, dropDatabase, findFreePort } from "../../support/postgres-server.js";
import { postgresUrl } from "../../support/requirements.js";
import { waitFor } from "../../support/wait-for.js";

const DATABASE = "tributary_http_endpoint";
let target: string;
let silent: { server: Server; sockets: Socket[]; port: number };

beforeAll(async () => {
  target = await createDatabase(postgresUrl(), DATABASE);
  // A MongoDB that accepts connections and never answers keeps the sync in its start-up.
  const sockets: Socket[] = [];
  const server = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  silent = { server, sockets, port: (server.address() as { port: number }).port };
});

afterAll(async () => {
  for (const socket of silent.sockets) socket.destroy();
  silent.server.close();
  await dropDatabase(postgresUrl(), DATABASE);
});

describe("tributary sync --http", () => {
  it("serves health, readiness, metrics and status from the start, with secrets redacted", async () => {
    const port = await findFreePort();
    const child = startCli(["sync", "--from", `mongodb://app:s3cret@127.0.0.1:${silent.port}/`, "--to", target, "--http", `127.0.0.1:${port}`]);
    const result = finished(child);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => stderr.includes("connecting to MongoDB"), "the MongoDB phase");
    const base = `http://127.0.0.1:${port}`;
    expect(stderr).toContain(`status page at ${base}/`);
    expect(await (await fetch(`${base}/healthz`)).text()).toBe("ok\n");
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ready: false, reason: "not streaming yet (connecting to MongoDB)" });
    expect(await (await fetch(`${base}/metrics`)).text()).toContain("tributary_ready 0");
    const status = await (await fetch(`${base}/status`)).text();
    expect(JSON.parse(status)).toMatchObject({ phase: "connecting to MongoDB", ready: false, changesApplied: 0 });
    expect(await (await fetch(`${base}/`)).text()).toContain("<title>Tributary status</title>");
    // The dead letters are counted in the target from the start (none: it has no table yet).
    await waitFor(async () => ((await (await fetch(`${base}/status`)).json()) as { deadLetters?: number }).deadLetters === 0, "the dead letter count");
    child.kill("SIGTERM");
    const { code, stderr: all } = await result;
    expect(code).toBe(143);
    expect(all).not.toContain("s3cret");
  });

  it("says on /readyz what start-up waits for while PostgreSQL cannot be reached", async () => {
    const port = await findFreePort();
    const down = await findFreePort();
    const child = startCli(["sync", "--from", "mongodb://127.0.0.1:1/", "--to", `postgres://u:pw@127.0.0.1:${down}/db`, "--http", `127.0.0.1:${port}`]);
    const result = finished(child);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => stderr.includes("waiting for the sinks' servers"), "a waiting line");
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(503);
    const { reason } = (await ready.json()) as { reason: string };
    expect(reason).toMatch(/^not streaming yet \(waiting for the sinks' servers \(attempt \d+: TRIB_POSTGRES_UNREACHABLE\)\)$/);
    // Each of those waits is a retry, counted by component and kind.
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(/\ntributary_retries_total\{component="startup",kind="(transient|unreachable)"\} [1-9]\d*\n/);
    child.kill("SIGTERM");
    await result;
  });

  it("refuses an address that is not host:port, or in use, before connecting to anything", async () => {
    const bad = await runCli(["sync", "--from", "mongodb://127.0.0.1:1/", "--to", target, "--http", "9464"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("tributary: error: Invalid configuration: http.listen: must be host:port, such as 127.0.0.1:9464, [::1]:9464 or :9464 (every interface) [TRIB_CONFIG_INVALID]\n");
    const inUse = await runCli(["sync", "--from", "mongodb://127.0.0.1:1/", "--to", target, "--http", `127.0.0.1:${silent.port}`, "--log-level", "error"]);
    expect(inUse.code).toBe(2);
    expect(inUse.stderr).toBe(`tributary: error: Cannot serve HTTP on 127.0.0.1:${silent.port} (http.listen, --http): the address is in use [TRIB_CONFIG_INVALID]\n`);
  });
});
