// What a test file needs from the shared servers started by test/global-setup.ts.
// Import only from test files (it calls vitest's `inject` on load).

import { describe, inject, it } from "vitest";

/** True when the MongoDB replica set is available to this run. */
export const mongoAvailable: boolean = inject("mongoUri") !== "";

/** Why MongoDB is unavailable ("" when it is available). */
export const mongoUnavailableReason: string = inject("mongoUnavailable");

/** `describe` for suites that need MongoDB: skipped when it is unavailable. */
export const describeWithMongo = describe.skipIf(!mongoAvailable);

/** `it` for tests that need MongoDB: skipped when it is unavailable. */
export const itWithMongo = it.skipIf(!mongoAvailable);

/** The replica set's connection string and version; throws when MongoDB is unavailable. */
export function requireMongo(): { uri: string; version: string } {
  const uri = inject("mongoUri");
  if (uri === "") {
    throw new Error(`MongoDB is not available: ${mongoUnavailableReason}`);
  }
  return { uri, version: inject("mongoVersion") };
}

/** URL of the shared `tributary_test` database; use createDatabase() for a database of your own. */
export function postgresUrl(): string {
  return inject("postgresUrl");
}

/** {@link postgresUrl} with sessions in UTC, so that timestamptz text read back does not depend on the server. */
export function postgresUrlInUtc(): string {
  const target = new URL(postgresUrl());
  target.searchParams.set("options", "-c TimeZone=UTC");
  return target.toString();
}
