import { z } from "zod";
import { CommandOps, DataOps } from "../core/change-event.js";

/**
 * The zod fragments that both faces validate with: `watch()` options (watch/watch-options.ts)
 * and the config file (config/config-schema.ts). Each is defined once, so both accept the same
 * values and word the same problem the same way.
 */

/** A whole number of at least 1 (sizes, delays, timeouts). */
export const positiveInt = z.number().int().min(1);

/** A change stream operation, `invalidate` included. */
export const changeOperation = z.enum([...DataOps, ...CommandOps, "invalidate"]);

/** A namespace glob (`db`, `db.collection`, `app.*`); `example` is the glob the error message shows. */
export function namespacePattern(example: string): z.ZodString {
  return z
    .string()
    .min(1)
    .regex(/^[^.\s]+(\.[^\s]+)?$/, `must look like 'db', 'db.collection' or a glob such as '${example}'`);
}

/** A list of namespace globs, empty by default. */
export function namespacePatterns(example: string): z.ZodDefault<z.ZodArray<z.ZodString>> {
  return z.array(namespacePattern(example)).default([]);
}

/** How updates get their full document: looked up when read, or post-images (MongoDB 6.0+). */
export const fullDocumentMode = z.enum(["updateLookup", "required", "whenAvailable"]);

/** Pre-images of updates, replaces and deletes (MongoDB 6.0+). */
export const fullDocumentBeforeChangeMode = z.enum(["off", "whenAvailable", "required"]);

/** With a connection string: how long to look for the deployment (ms); default 10 000. */
export const serverSelectionTimeoutMs = positiveInt.default(10_000);

const backoffFields = { initialDelayMs: positiveInt.default(500), maxDelayMs: positiveInt.default(30_000) };
const ceilingMessage = { message: "maxDelayMs must be at least initialDelayMs", path: ["maxDelayMs"] };

/** Back-off between reconnection attempts: default 500 ms doubling up to 30 s; the ceiling is at least the first delay. */
export const retryBackoff = z
  .object(backoffFields)
  .strict()
  .refine((retry) => retry.maxDelayMs >= retry.initialDelayMs, ceilingMessage)
  .default({ initialDelayMs: 500, maxDelayMs: 30_000 });

/** The sync's retry: the back-off, and how many times start-up tries to reach each server (default: until it answers). */
export const syncRetry = z
  .object({
    ...backoffFields,
    startupAttempts: positiveInt
      .optional()
      .describe("Tries to reach an unreachable server at start-up before giving up (exit 1); default: keep trying, logging each attempt."),
  })
  .strict()
  .refine((retry) => retry.maxDelayMs >= retry.initialDelayMs, ceilingMessage)
  .default({ initialDelayMs: 500, maxDelayMs: 30_000 });
