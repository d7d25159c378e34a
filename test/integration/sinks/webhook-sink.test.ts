import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { BSON } from "mongodb";
import { afterEach, describe, expect, it } from "vitest";
import type { ResumePointStore } from "../../../src/core/resume-point-store.js";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { TributaryError } from "../../../src/core/tributary-error.js";
import { eventToJson } from "../../../src/sinks/event-json.js";
import type { Sink } from "../../../src/core/sink.js";
import { createWebhookSink } from "../../../src/sinks/webhook/webhook-sink.js";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import { makePosition, type Position } from "../../../src/core/position.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { makeEvent, tokenAt } from "../../support/events.js";
import { waitFor } from "../../support/wait-for.js";

const SECRET = "s3cr3t-do-not-log";
const FAST_RETRY = { initialDelayMs: 10, maxDelayMs: 50 };

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly at: number;
  /** How many positions the store held when the request arrived. */
  readonly savedBefore: number;
}

interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly delayMs?: number;
}

interface Receiver {
  readonly url: string;
  readonly port: number;
  readonly requests: Received[];
}

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A real HTTP receiver on 127.0.0.1 that answers the n-th request with `answer(n)`. */
async function startReceiver(answer: (index: number) => Answer, store?: MemoryStore): Promise<Receiver> {
  const requests: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const index = requests.length;
      requests.push({ headers: request.headers, body: Buffer.concat(chunks), at: Date.now(), savedBefore: store?.saved.length ?? 0 });
      const reply = answer(index);
      const send = (): void => {
        if (response.destroyed) return;
        response.writeHead(reply.status, reply.headers).end(reply.body ?? "");
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/hook`, port, requests };
}

/** A port nothing listens on: bound by the OS, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface MemoryStore extends ResumePointStore {
  readonly saved: Position[];
}

function memoryStore(): MemoryStore {
  const saved: Position[] = [];
  return {
    description: "memory",
    saved,
    load: () => Promise.resolve(saved.at(-1)),
    save: (position) => {
      saved.push(position);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

async function openSink(options: Record<string, unknown>, store: MemoryStore = memoryStore()): Promise<{ sink: Sink; store: MemoryStore; lines: Record<string, unknown>[] }> {
  const { logger, lines } = capturingLogger();
  const sink = await createWebhookSink(options, { pipeline: "orders", sinkName: "audit", logger, baseDir: process.cwd(), positions: store });
  await sink.open();
  return { sink, store, lines };
}

async function failureOf(action: () => unknown): Promise<TributaryError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof TributaryError) return error;
    throw error;
  }
  throw new Error("expected a TributaryError, nothing was thrown");
}

function orderEvents(count: number): ChangeEvent[] {
  return Array.from({ length: count }, (_, index) => makeEvent({ op: "insert", ns: "shop.orders", id: index + 1, doc: { _id: index + 1, total: (index + 1) * 10 } }));
}

const batchPosition = makePosition(tokenAt(1_800_000_000, 1));

describe("webhook sink", () => {
  it("retries 503 answers with the same delivery id and signature, then saves the position once accepted", async () => {
    const store = memoryStore();
    const receiver = await startReceiver((index) => (index < 2 ? { status: 503, body: "busy" } : { status: 200 }), store);
    const { sink, lines } = await openSink({ url: receiver.url, secret: SECRET, headers: { "X-Team": "billing" }, retry: FAST_RETRY }, store);
    const events = orderEvents(2);

    await sink.apply({ events, position: batchPosition });

    expect(receiver.requests).toHaveLength(3);
    expect(receiver.requests.map((request) => request.savedBefore)).toEqual([0, 0, 0]);
    expect(store.saved).toEqual([batchPosition]);
    const expectedBody = JSON.stringify({ pipeline: "orders", sink: "audit", events: events.map((event) => eventToJson(event, "relaxed")) });
    const [first, second] = events as [ChangeEvent, ChangeEvent];
    const expectedDelivery = createHash("sha256")
      .update(JSON.stringify(["orders", "audit"]))
      .update(`\n${first.position.resumeToken._data} {"_id":{"$numberInt":"1"}}`)
      .update(`\n${second.position.resumeToken._data} {"_id":{"$numberInt":"2"}}`)
      .digest("hex");
    for (const request of receiver.requests) {
      expect(request.body.toString("utf8")).toBe(expectedBody);
      expect(request.headers["content-type"]).toBe("application/json");
      expect(request.headers["user-agent"]).toBe("tributary/0.1.0");
      expect(request.headers["x-team"]).toBe("billing");
      expect(request.headers["x-tributary-delivery"]).toBe(expectedDelivery);
      expect(request.headers["x-tributary-signature"]).toBe(`sha256=${createHmac("sha256", SECRET).update(request.body).digest("hex")}`);
      expect(request.headers["x-tributary-timestamp"]).toBeUndefined();
    }
    // The wire format, spelled out once.
    expect(JSON.parse(receiver.requests[0]!.body.toString("utf8"))).toEqual({
      pipeline: "orders",
      sink: "audit",
      events: [
        { op: "insert", ns: "shop.orders", key: { _id: 1 }, doc: { _id: 1, total: 10 }, clusterTime: { $timestamp: { t: 1_700_000_000, i: first.clusterTime.i } }, source: "stream", resumeToken: first.position.resumeToken._data },
        { op: "insert", ns: "shop.orders", key: { _id: 2 }, doc: { _id: 2, total: 20 }, clusterTime: { $timestamp: { t: 1_700_000_000, i: second.clusterTime.i } }, source: "stream", resumeToken: second.position.resumeToken._data },
      ],
    });
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings.map(({ attempt, status, url, sink: name, delivery, msg }) => ({ attempt, status, url, sink: name, delivery, msg }))).toEqual([
      { attempt: 1, status: 503, url: receiver.url, sink: "audit", delivery: expectedDelivery, msg: "webhook delivery failed; retrying" },
      { attempt: 2, status: 503, url: receiver.url, sink: "audit", delivery: expectedDelivery, msg: "webhook delivery failed; retrying" },
    ]);
    for (const warning of warnings) expect(warning.retryInMs).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify(lines)).not.toContain(SECRET);

    // A restart that replays the same events sends the same delivery id, so the receiver can drop it.
    const again = await openSink({ url: receiver.url, secret: SECRET, retry: FAST_RETRY });
    await again.sink.apply({ events, position: batchPosition });
    expect(receiver.requests[3]?.headers["x-tributary-delivery"]).toBe(expectedDelivery);
    await sink.close();
    await again.sink.close();
  });

  it("honours Retry-After on 429", async () => {
    const receiver = await startReceiver((index) => (index === 0 ? { status: 429, headers: { "retry-after": "1" } } : { status: 204 }));
    const { sink, store, lines } = await openSink({ url: receiver.url, retry: { initialDelayMs: 10 } });

    await sink.apply({ events: orderEvents(1), position: batchPosition });

    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[1]!.at - receiver.requests[0]!.at).toBeGreaterThanOrEqual(900);
    expect(lines.filter((line) => line.level === 40).map(({ attempt, status, retryInMs }) => ({ attempt, status, retryInMs }))).toEqual([{ attempt: 1, status: 429, retryInMs: 1000 }]);
    expect(store.saved).toEqual([batchPosition]);
  });

  it("caps a Retry-After date at retry.maxDelayMs", async () => {
    const inAMinute = new Date(Date.now() + 60_000).toUTCString();
    const receiver = await startReceiver((index) => (index === 0 ? { status: 503, headers: { "retry-after": inAMinute } } : { status: 200 }));
    const { sink, store, lines } = await openSink({ url: receiver.url, retry: { initialDelayMs: 10, maxDelayMs: 300 } });

    await sink.apply({ events: orderEvents(1), position: batchPosition });

    expect(receiver.requests[1]!.at - receiver.requests[0]!.at).toBeGreaterThanOrEqual(250);
    expect(lines.filter((line) => line.level === 40).map(({ status, retryInMs }) => ({ status, retryInMs }))).toEqual([{ status: 503, retryInMs: 300 }]);
    expect(store.saved).toEqual([batchPosition]);
  });

  it("retries a request that times out", async () => {
    const receiver = await startReceiver((index) => (index === 0 ? { status: 200, delayMs: 1000 } : { status: 200 }));
    const { sink, store, lines } = await openSink({ url: receiver.url, timeoutMs: 200, retry: FAST_RETRY });

    await sink.apply({ events: orderEvents(1), position: batchPosition });

    expect(receiver.requests).toHaveLength(2);
    expect(lines.filter((line) => line.level === 40).map(({ attempt, status, error }) => ({ attempt, status, error }))).toEqual([{ attempt: 1, status: undefined, error: "timed out after 200 ms" }]);
    expect(store.saved).toEqual([batchPosition]);
  });

  it("does not retry a 400 and does not save the position", async () => {
    const receiver = await startReceiver(() => ({ status: 400, body: "bad payload" }));
    const url = `http://hook-user:pa55word@127.0.0.1:${receiver.port}/hook?token=abc123`;
    const { sink, store, lines } = await openSink({ url, secret: SECRET, retry: FAST_RETRY });

    const error = await failureOf(() => sink.apply({ events: orderEvents(3), position: batchPosition }));

    expect(error.code).toBe(ErrorCode.WebhookRejected);
    const shown = `http://***@127.0.0.1:${receiver.port}/hook?token=***`;
    expect(error.message).toBe(
      `Webhook sink 'audit': POST ${shown} with 3 events was rejected with HTTP 400 (response: "bad payload"). ` +
        `The request is not retried, since the receiver refuses it as it is; the position was not advanced, so a restart resends these events.`,
    );
    expect(error.context).toMatchObject({ sink: "audit", url: shown, status: 400 });
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from("hook-user:pa55word").toString("base64")}`);
    expect(store.saved).toEqual([]);
    for (const text of [error.message, JSON.stringify(error.context), JSON.stringify(lines)]) {
      expect(text).not.toContain("pa55word");
      expect(text).not.toContain("abc123");
      expect(text).not.toContain(SECRET);
    }
  });

  it("treats a redirect as a rejection and names where it points", async () => {
    const receiver = await startReceiver(() => ({ status: 301, headers: { location: "/v2/hook?key=k" }, body: "moved" }));
    const { sink, store } = await openSink({ url: receiver.url, retry: FAST_RETRY });

    const error = await failureOf(() => sink.apply({ events: orderEvents(1), position: batchPosition }));

    expect(error.code).toBe(ErrorCode.WebhookRejected);
    expect(error.message).toBe(
      `Webhook sink 'audit': POST ${receiver.url} with 1 events was rejected with HTTP 301 (response: "moved"). ` +
        `The request is not retried, since the receiver refuses it as it is; the position was not advanced, so a restart resends these events. ` +
        `Redirects are not followed: set url to the final address (Location: http://127.0.0.1:${receiver.port}/v2/hook?key=***).`,
    );
    expect(receiver.requests).toHaveLength(1);
    expect(store.saved).toEqual([]);
  });

  it("gives up after retry.maxAttempts when the connection is refused", async () => {
    const port = await closedPort();
    const { sink, store, lines } = await openSink({ url: `http://127.0.0.1:${port}/hook`, retry: { ...FAST_RETRY, maxAttempts: 2 } });

    const error = await failureOf(() => sink.apply({ events: orderEvents(2), position: batchPosition }));

    expect(error.code).toBe(ErrorCode.SinkFailed);
    expect(error.message).toBe(
      `Webhook sink 'audit': POST http://127.0.0.1:${port}/hook with 2 events failed after 2 attempts (last: connect ECONNREFUSED 127.0.0.1:${port}). ` +
        `The position was not advanced, so a restart resends these events.`,
    );
    expect(lines.filter((line) => line.level === 40).map(({ attempt, error: problem }) => ({ attempt, problem }))).toEqual([{ attempt: 1, problem: `connect ECONNREFUSED 127.0.0.1:${port}` }]);
    expect(store.saved).toEqual([]);
  });

  it("stops retrying promptly when the sync is stopped: the wait ends, one last try, no more", async () => {
    const receiver = await startReceiver(() => ({ status: 503 }));
    const { sink, store } = await openSink({ url: receiver.url, retry: { initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    const controller = new AbortController();

    const applying = failureOf(() => sink.apply({ events: orderEvents(1), position: batchPosition }, controller.signal));
    await waitFor(() => receiver.requests.length === 1, "the first attempt");
    const stoppedAt = Date.now();
    controller.abort();
    const error = await applying;

    expect(Date.now() - stoppedAt).toBeLessThan(1000);
    expect(error.code).toBe(ErrorCode.SinkFailed);
    expect(error.message).toBe(
      `Webhook sink 'audit': stopped while retrying POST ${receiver.url} (attempt 2 failed: HTTP 503). The position was not advanced, so the next run resends these events.`,
    );
    expect(receiver.requests).toHaveLength(2);
    expect(store.saved).toEqual([]);
  });

  it("still delivers the batch applied after a stop (the pipeline's last one), without retrying", async () => {
    const receiver = await startReceiver(() => ({ status: 200 }));
    const { sink, store } = await openSink({ url: receiver.url, retry: FAST_RETRY });

    await sink.apply({ events: orderEvents(1), position: batchPosition }, AbortSignal.abort());

    expect(receiver.requests).toHaveLength(1);
    expect(store.saved).toEqual([batchPosition]);
  });

  it("splits a large batch into requests of maxEventsPerRequest, in order", async () => {
    const store = memoryStore();
    const receiver = await startReceiver(() => ({ status: 200 }), store);
    const { sink } = await openSink({ url: receiver.url, maxEventsPerRequest: 500, format: "canonical" }, store);
    const events = orderEvents(1200);

    await sink.apply({ events, position: batchPosition });

    const bodies = receiver.requests.map((request) => JSON.parse(request.body.toString("utf8")) as { events: { resumeToken: string; key: unknown }[] });
    expect(bodies.map((body) => body.events.length)).toEqual([500, 500, 200]);
    expect(bodies.flatMap((body) => body.events.map((event) => event.resumeToken))).toEqual(events.map((event) => event.position.resumeToken._data));
    expect(bodies[2]!.events[0]!.key).toEqual({ _id: { $numberInt: "1001" } });
    expect(receiver.requests.map((request) => request.body.toString("utf8"))).toEqual(
      [events.slice(0, 500), events.slice(500, 1000), events.slice(1000)].map((slice) =>
        JSON.stringify({ pipeline: "orders", sink: "audit", events: slice.map((event) => eventToJson(event, "canonical")) }),
      ),
    );
    expect(new Set(receiver.requests.map((request) => request.headers["x-tributary-delivery"])).size).toBe(3);
    expect(receiver.requests.map((request) => request.savedBefore)).toEqual([0, 0, 0]);
    expect(store.saved).toEqual([batchPosition]);
  });

  it("sends nothing for a batch without events and saves its position", async () => {
    const receiver = await startReceiver(() => ({ status: 200 }));
    const { sink, store } = await openSink({ url: receiver.url });

    await sink.apply({ events: [], position: batchPosition });

    expect(receiver.requests).toEqual([]);
    expect(store.saved).toEqual([batchPosition]);
    expect(await sink.open()).toEqual(batchPosition);
  });

  it("rejects bad options with the option's path", async () => {
    const bad = async (options: Record<string, unknown>): Promise<string> => {
      const error = await failureOf(() => openSink(options));
      expect(error.code).toBe(ErrorCode.SinkInvalid);
      return error.message;
    };
    expect(await bad({ url: "ftp://x" })).toBe("Invalid options for webhook sink 'audit': sinks.audit.options.url: must be an http(s) URL");
    expect(await bad({ url: "http://127.0.0.1/hook", timeoutMs: -1 })).toBe("Invalid options for webhook sink 'audit': sinks.audit.options.timeoutMs: must be a positive integer");
    expect(await bad({})).toBe("Invalid options for webhook sink 'audit': sinks.audit.options.url is required");
    expect(await bad({ url: "https://example.test", retry: { maxAttempts: 0, delay: 5 }, format: "pretty", headers: { "X-Tributary-Signature": "x" } })).toBe(
      "Invalid options for webhook sink 'audit': sinks.audit.options.headers.X-Tributary-Signature: is set by the webhook sink and cannot be overridden; " +
        "sinks.audit.options.retry.maxAttempts: must be a positive integer; unknown option sinks.audit.options.retry.delay; " +
        'sinks.audit.options.format: must be "relaxed" or "canonical"',
    );
    const error = await failureOf(() => openSink({ url: "ftp://x", secret: SECRET }));
    expect(error.context).toEqual({ sink: "audit", configPath: "sinks.audit.options.url" });
    expect(error.message).not.toContain(SECRET);
  });

  it("keeps delivery ids apart for events that share a position (snapshot reads)", async () => {
    const receiver = await startReceiver(() => ({ status: 200 }));
    const { sink } = await openSink({ url: receiver.url, maxEventsPerRequest: 1 });
    const position = makePosition(tokenAt(1_700_000_500, 1));
    const snapshot = [1, 2].map((id): ChangeEvent => ({ ...makeEvent({ op: "insert", ns: "shop.orders", id, doc: { _id: id } }), position, source: "snapshot" }));

    await sink.apply({ events: snapshot, position });

    const ids = receiver.requests.map((request) => request.headers["x-tributary-delivery"]);
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toBe(ids[1]);
    expect(BSON.EJSON.parse(receiver.requests[1]!.body.toString("utf8"))).toMatchObject({ events: [{ source: "snapshot", key: { _id: 2 } }] });
  });
});
