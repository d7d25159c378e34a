// Values that test/global-setup.ts hands to every test file through `inject(...)`.
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the `tributary_test` database on the shared PostgreSQL server. */
    postgresUrl: string;
    /** Replica-set connection string, or "" when MongoDB is unavailable. */
    mongoUri: string;
    /** MongoDB server version (e.g. "8.0.4"), or "" when MongoDB is unavailable. */
    mongoVersion: string;
    /** Why MongoDB is unavailable, or "" when it is available. */
    mongoUnavailable: string;
  }
}
