/** A key whose copy is not what the source says it should be. */
export interface KeyDifference {
  /** `missing` in the target, `extra` in the target (the source has no such document), or `different`. */
  readonly kind: "missing" | "extra" | "different";
  /** The target's key of the document. */
  readonly key: string;
  /** The `_id` (from the source; for an extra document, the one its key gives). */
  readonly id: unknown;
  /** For `different`: the first field path (or column, or child table row) that differs. */
  readonly path?: string;
}

/** A document the target does not hold, and is not expected to: it was set aside as a dead letter. */
export interface ExpectedMissing {
  readonly key: string;
  readonly id: unknown;
  readonly reason: string;
}

/** What the live re-check did: keys that differed were compared again once the sync had passed the time verify found them. */
export interface Recheck {
  readonly keys: number;
  /** Keys equal on the second look (changes that were in flight). */
  readonly resolved: readonly string[];
  /** Of the differing keys, those the target had written after verify began (per its `_cluster_time`). */
  readonly changedDuringVerify: number;
  /** Why the re-check did not happen, when it did not. */
  readonly skipped?: string;
}

/** Differences by kind. */
export interface DifferenceCounts {
  missing: number;
  extra: number;
  different: number;
}

/** The verification of one collection against one sink. */
export interface CollectionVerification {
  readonly namespace: string;
  readonly sink: string;
  /** Source documents compared (in the checked ranges). */
  readonly documents: number;
  /** Target documents compared (in the checked ranges). */
  readonly held: number;
  readonly ranges: number;
  readonly rangesChecked: number;
  readonly rangesDiffering: number;
  /** The differing keys, the first `maxDifferences` of them (see {@link capped}). */
  readonly differences: readonly KeyDifference[];
  /** Every difference found, listed or not, by kind (after the re-check and the repair). */
  readonly differenceCounts: DifferenceCounts;
  readonly differenceCount: number;
  /** The expected-missing documents, the first `maxDifferences` of them. */
  readonly expectedMissing: readonly ExpectedMissing[];
  readonly expectedMissingCount: number;
  /** True when more differences or expected-missing documents were found than listed: only the listed ones were re-checked and repaired. */
  readonly capped: boolean;
  /** How the differing ranges were narrowed: split levels, and source documents matched key by key. */
  readonly narrowing?: { readonly levels: number; readonly documentsMatched: number };
  readonly recheck?: Recheck;
  /** With `--repair`: keys copied again (or deleted), and how many of them still differ after. */
  readonly repair?: { readonly keys: number; readonly remaining: number };
  readonly equal: boolean;
  readonly durationMs: number;
}
