import { z } from "zod";
import { namespacePatterns, positiveInt } from "../pipeline/stream-options-schema.js";

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration as a number and a unit (`90s`, `30m`, `6h`, `1d`), in milliseconds; at least 10 s (runs never overlap: the next is due an interval after one ends). */
const duration = z
  .string()
  .regex(/^\d+(s|m|h|d)$/, "must be a number and a unit (s, m, h or d), such as 30m, 6h or 1d")
  .transform((text) => Number(text.slice(0, -1)) * (UNITS[text.slice(-1)] ?? 0))
  .refine((ms) => ms >= 10_000, "must be at least 10s");

/**
 * `verify`: while `tributary sync` streams, verify the copy every `interval` (as `tributary
 * verify` does, live-safe), the results in `/status` and `/metrics`. Off without an interval.
 */
export const verifySchema = z
  .object({
    interval: duration.optional().describe("Verify every so long while sync streams (30m, 6h, 1d; at least 10s); the first run one interval after streaming begins, each next one an interval after the last ended. Off by default."),
    sample: positiveInt.optional().describe("Check only this many _id ranges per collection, chosen at random each run; default: every range."),
    collections: namespacePatterns("shop.orders").describe("Of the pipeline's collections, the ones to verify (db.collection patterns); default: all of them."),
    repair: z.boolean().default(false).describe("Copy the differing keys again after each run's re-check (as verify --repair). Off by default: a periodic run only reports."),
    maxDifferences: positiveInt.default(1_000).describe("Differing keys listed (and re-checked, repaired) per collection and run; more are counted."),
    parallelism: positiveInt.max(64).default(1).describe("_id ranges read at once: keep it low so verify leaves the sync its share of MongoDB and PostgreSQL."),
  })
  .strict()
  .default({ collections: [], repair: false, maxDifferences: 1_000, parallelism: 1 });

export type VerifyConfig = z.infer<typeof verifySchema>;
