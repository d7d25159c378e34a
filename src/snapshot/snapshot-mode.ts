import type { CollectionSnapshotState } from "../core/snapshot-contract.js";

/**
 * When collections are copied before streaming:
 * - `initial`: collections whose snapshot has not completed (never started, or cut short), then stream;
 * - `never`: no snapshot, stream only;
 * - `always`: every collection again on each start (a snapshot cut short continues), then stream;
 * - `only`: as `initial`, then exit instead of streaming.
 * @internal
 */
export const SnapshotModes = ["initial", "never", "always", "only"] as const;

/** @internal */
export type SnapshotMode = (typeof SnapshotModes)[number];

/** What the snapshot does with one collection. */
export type CollectionWork =
  | { readonly namespace: string; readonly kind: "start" }
  | { readonly namespace: string; readonly kind: "resume"; readonly state: CollectionSnapshotState };

/**
 * The collections a start of the pipeline copies, in the order given. A snapshot that was cut
 * short (a crash, a stop) continues with its unfinished ranges in every mode but `never`, so a
 * restart never copies twice what was committed.
 */
export function selectSnapshotWork(mode: SnapshotMode, included: readonly string[], stored: ReadonlyMap<string, CollectionSnapshotState>): CollectionWork[] {
  if (mode === "never") return [];
  return included.flatMap((namespace): CollectionWork[] => {
    const state = stored.get(namespace);
    if (state?.status === "copying") return [{ namespace, kind: "resume", state }];
    if (state?.status === "done" && mode !== "always") return [];
    return [{ namespace, kind: "start" }];
  });
}
