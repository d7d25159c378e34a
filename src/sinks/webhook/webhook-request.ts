import { createHash, createHmac } from "node:crypto";
import { BSON } from "../../core/bson.js";
import type { ChangeEvent } from "../../core/change-event.js";
import { eventToJson, type ExtendedJsonFormat } from "../event-json.js";

/** Sent as `User-Agent` unless the sink's `headers` say otherwise. */
export const WEBHOOK_USER_AGENT = "tributary/0.1.0";

/** One POST of a webhook sink: a consecutive slice of a batch's events, ready to send. */
export interface WebhookRequest {
  readonly body: Buffer;
  readonly headers: Headers;
  readonly deliveryId: string;
  readonly eventCount: number;
}

/** What every request of one sink shares. */
export interface WebhookRequestSettings {
  readonly pipeline: string;
  readonly sink: string;
  readonly format: ExtendedJsonFormat;
  readonly secret?: string;
  readonly authorization?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The requests that carry `events`, at most `maxEvents` each, in stream order. Built one at a
 * time as the caller iterates, so only one request body is held in memory.
 */
export function* webhookRequests(events: readonly ChangeEvent[], maxEvents: number, settings: WebhookRequestSettings): Generator<WebhookRequest> {
  for (let start = 0; start < events.length; start += maxEvents) {
    yield webhookRequest(events.slice(start, start + maxEvents), settings);
  }
}

/** The request for one slice of events: body `{ pipeline, sink, events }`, signed when there is a secret. */
export function webhookRequest(events: readonly ChangeEvent[], settings: WebhookRequestSettings): WebhookRequest {
  const body = Buffer.from(JSON.stringify({ pipeline: settings.pipeline, sink: settings.sink, events: events.map((event) => eventToJson(event, settings.format)) }), "utf8");
  const deliveryId = deliveryIdOf(events, settings);
  const headers = new Headers({ "user-agent": WEBHOOK_USER_AGENT });
  if (settings.authorization) headers.set("authorization", settings.authorization);
  for (const [name, value] of Object.entries(settings.headers ?? {})) headers.set(name, value);
  headers.set("content-type", "application/json");
  headers.set("x-tributary-delivery", deliveryId);
  if (settings.secret !== undefined) headers.set("x-tributary-signature", `sha256=${createHmac("sha256", settings.secret).update(body).digest("hex")}`);
  return { body, headers, deliveryId, eventCount: events.length };
}

/**
 * An id that is the same for every retry of a request and for a restart that sends the same
 * events again, so receivers can drop duplicates. It hashes what identifies the events (their
 * resume tokens, and their keys, since snapshot reads may share one position), never their
 * contents, which an `updateLookup` replay may read differently.
 */
function deliveryIdOf(events: readonly ChangeEvent[], settings: WebhookRequestSettings): string {
  const hash = createHash("sha256").update(JSON.stringify([settings.pipeline, settings.sink]));
  for (const event of events) hash.update(`\n${event.position.resumeToken._data} ${BSON.EJSON.stringify(event.key ?? null, { relaxed: false })}`);
  return hash.digest("hex");
}
