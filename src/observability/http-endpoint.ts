import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { redactValue } from "../core/redact.js";
import { STATUS_PAGE } from "./status-page.js";
import type { SyncMonitor } from "./sync-monitor.js";

/** A running HTTP endpoint. */
export interface HttpEndpoint {
  /** `http://host:port`, with the port the system gave when 0 was asked for. */
  readonly url: string;
  close(): Promise<void>;
}

/** `host:port`, `[v6]:port` or `:port` (all interfaces) as `listen()` takes them. */
export function parseListen(listen: string): { host: string | undefined; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(listen);
  const port = Number(match?.[3]);
  if (!match || port > 65_535) throw new Error(`'${listen}' is not host:port (such as 127.0.0.1:9464, [::1]:9464 or :9464)`);
  return { host: match[1] ?? (match[2] === "" ? undefined : match[2]), port };
}

/**
 * Serves what the monitor knows: `/healthz` (the process answers), `/readyz` (200 when
 * streaming and caught up within the configured lag, else 503), `/metrics` (Prometheus),
 * `/status` (JSON) and a live status page at `/`. Read-only: GET and HEAD only; every body is
 * redacted.
 */
export async function startHttpEndpoint(listen: string, monitor: SyncMonitor): Promise<HttpEndpoint> {
  const { host, port } = parseListen(listen);
  const server = createServer((request, response) => {
    respond(request, response, monitor).catch((error: unknown) => send(response, 500, "text/plain; charset=utf-8", `internal error: ${String(redactValue(String(error)))}\n`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function respond(request: IncomingMessage, response: ServerResponse, monitor: SyncMonitor): Promise<void> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.setHeader("allow", "GET, HEAD");
    send(response, 405, "text/plain; charset=utf-8", "method not allowed\n");
    return;
  }
  const path = new URL(request.url ?? "/", "http://localhost").pathname;
  switch (path) {
    case "/":
      send(response, 200, "text/html; charset=utf-8", STATUS_PAGE);
      return;
    case "/healthz":
      send(response, 200, "text/plain; charset=utf-8", "ok\n");
      return;
    case "/readyz": {
      const readiness = monitor.readiness();
      send(response, readiness.ready ? 200 : 503, "application/json", `${JSON.stringify(readiness)}\n`);
      return;
    }
    case "/metrics":
      send(response, 200, monitor.registry.contentType, await monitor.metrics());
      return;
    case "/status":
      send(response, 200, "application/json", `${JSON.stringify(redactValue(monitor.status()))}\n`);
      return;
    default:
      send(response, 404, "text/plain; charset=utf-8", "not found: try /, /healthz, /readyz, /metrics or /status\n");
  }
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  response.end(response.req.method === "HEAD" ? undefined : body);
}
