import { z } from "zod";
import { parseSinkOptions } from "../sink-options.js";

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE_FORBIDDEN = /[\r\n\0]/;
/** Headers the sink computes itself: letting options replace them would break the body, its signature or the dedupe id. */
const RESERVED_HEADERS = new Set(["content-type", "content-length", "content-encoding", "transfer-encoding", "host", "connection", "x-tributary-delivery", "x-tributary-signature"]);

function positiveInteger(): z.ZodNumber {
  const error = "must be a positive integer";
  return z.number({ error }).int({ error }).positive({ error });
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

const HeadersSchema = z.record(z.string(), z.string({ error: "must be a string" })).superRefine((headers, context) => {
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) context.addIssue({ code: "custom", path: [name], message: "is not a valid HTTP header name" });
    else if (RESERVED_HEADERS.has(name.toLowerCase())) context.addIssue({ code: "custom", path: [name], message: "is set by the webhook sink and cannot be overridden" });
    else if (HEADER_VALUE_FORBIDDEN.test(value)) context.addIssue({ code: "custom", path: [name], message: "must not contain line breaks or NUL" });
  }
});

const RetrySchema = z
  .strictObject({
    initialDelayMs: positiveInteger().default(500),
    maxDelayMs: positiveInteger().default(30_000),
    maxAttempts: positiveInteger().optional(),
  })
  .refine((retry) => retry.maxDelayMs >= retry.initialDelayMs, { path: ["maxDelayMs"], message: "must be at least retry.initialDelayMs" });

const WebhookOptionsSchema = z
  .strictObject({
    url: z.string({ error: "must be an http(s) URL" }).refine(isHttpUrl, { error: "must be an http(s) URL" }),
    secret: z.string({ error: "must be a string" }).min(1, { error: "must not be empty" }).optional(),
    headers: HeadersSchema.optional(),
    timeoutMs: positiveInteger().default(10_000),
    maxEventsPerRequest: positiveInteger().default(500),
    retry: RetrySchema.prefault({}),
    format: z.enum(["relaxed", "canonical"], { error: 'must be "relaxed" or "canonical"' }).default("relaxed"),
  })
  .superRefine((options, context) => {
    // zod runs this check even when `url` failed its own (a URL without a scheme): skip it then.
    if (!isHttpUrl(options.url)) return;
    const url = new URL(options.url);
    const hasAuthorization = Object.keys(options.headers ?? {}).some((name) => name.toLowerCase() === "authorization");
    if ((url.username !== "" || url.password !== "") && hasAuthorization) {
      context.addIssue({ code: "custom", path: ["url"], message: "has credentials and headers has an Authorization header too; keep one" });
    }
  });

/**
 * Options of the built-in `webhook` sink, with defaults applied.
 * @public
 */
export type WebhookOptions = z.output<typeof WebhookOptionsSchema>;

/** Validates the `options` of a webhook sink entry. */
export function parseWebhookOptions(raw: Readonly<Record<string, unknown>>, sinkName: string): WebhookOptions {
  return parseSinkOptions(WebhookOptionsSchema, raw, "webhook", sinkName);
}
