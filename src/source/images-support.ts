import type { Document } from "mongodb";
import { atLeast, featureVersion } from "./server-features.js";

/**
 * Which document images a deployment can keep for change streams, decided from what it says of
 * itself. The versions, from the server's history:
 *
 * - **6.0+**, at featureCompatibilityVersion 6.0+: `changeStreamPreAndPostImages` (`collMod`),
 *   pre-images kept in `config.system.preimages`, read by `fullDocumentBeforeChange` and
 *   `fullDocument: required | whenAvailable`. A 6.0 or 6.1 server still accepts `recordPreImages`,
 *   but its change streams no longer read it, and 6.2 removed it (SERVER-60919; SERVER-73746 is
 *   the upgrade to 6.2 refusing collections that still have it), so it is never used there.
 * - **4.4 and 5.x**, at featureCompatibilityVersion 4.4+ and on a replica set (shards refuse it): the `recordPreImages` collection option (SERVER-45806, 4.3.4): each update
 *   and delete writes the document before it to the oplog as a no-op entry, which those
 *   servers' `$changeStream` stage looks up for `fullDocumentBeforeChange`
 *   (document_source_lookup_change_pre_image.cpp). MongoDB documented pre-images only from 6.0.
 *   There are no post-images before 6.0: `fullDocument: updateLookup` is the only full document.
 * - **before 4.4**: neither.
 */
export type ImagesSupport =
  | { readonly kind: "changeStreamPreAndPostImages"; readonly version: string }
  | { readonly kind: "recordPreImages"; readonly version: string }
  | { readonly kind: "none"; readonly version: string; readonly reason: string };

/** What the deployment answered: `buildInfo` (may be refused), else `hello`, and its FCV when readable. */
export interface ServerReplies {
  readonly buildInfo?: Document;
  readonly hello?: Document;
  readonly featureCompatibilityVersion?: string;
}

/** Each release's `maxWireVersion` in `hello`, newest first: the version when `buildInfo` is refused. */
const WIRE_VERSIONS: ReadonlyArray<readonly [number, string]> = [
  [17, "6.0 or later"],
  [13, "5.x"],
  [9, "4.4"],
  [0, "4.2 or older"],
];

/** Decides {@link ImagesSupport} from the server's replies. */
export function imagesSupport(replies: ServerReplies): ImagesSupport {
  const release = releaseOf(replies);
  const version = replies.featureCompatibilityVersion === undefined ? release : `${release}, featureCompatibilityVersion ${replies.featureCompatibilityVersion}`;
  const featureAtLeast = (major: number, minor: number): boolean => atLeast(featureVersion(release, replies.featureCompatibilityVersion), major, minor);
  /** The release has it, but its FCV is lower than what it needs. */
  const raiseFeatureVersion = (needs: string): ImagesSupport => ({
    kind: "none",
    version,
    reason: `${needs}: raise it first (db.adminCommand({ setFeatureCompatibilityVersion: "${featureCompatibilityOf(release)}" }), see the MongoDB upgrade notes), then run this again`,
  });
  if (atLeast(release, 6, 0)) {
    if (featureAtLeast(6, 0)) return { kind: "changeStreamPreAndPostImages", version };
    return raiseFeatureVersion("change stream pre- and post-images need MongoDB 6.0 or later with featureCompatibilityVersion 6.0 or later");
  }
  if (atLeast(release, 4, 4) && replies.hello?.msg === "isdbgrid") {
    // The server's test of the option: accepted "only if the node is a member of a replica set that is not a shard/config server".
    return {
      kind: "none",
      version,
      reason:
        "change stream pre-images on a sharded cluster need MongoDB 6.0 or later (changeStreamPreAndPostImages): " +
        "the shards of 4.4 and 5.x refuse the recordPreImages collection option, which only a replica set that is not a shard takes",
    };
  }
  if (atLeast(release, 4, 4)) {
    // The server takes recordPreImages only at FCV 4.4 or later (its test of the option: "we require the FCV to be 4.4"; at 4.2, InvalidOptions).
    if (featureAtLeast(4, 4)) return { kind: "recordPreImages", version };
    return raiseFeatureVersion("the recordPreImages collection option (pre-images only, 4.4 and 5.x) needs featureCompatibilityVersion 4.4 or later");
  }
  return {
    kind: "none",
    version,
    reason:
      "change stream pre- and post-images need MongoDB 6.0 or later (4.4 and 5.x have the recordPreImages collection option, for pre-images only); " +
      "before that there are none: keep source.fullDocument: updateLookup and source.fullDocumentBeforeChange: off",
  };
}

/** The release: `buildInfo.version`, else its `versionArray`, else what `hello`'s wire version implies. */
function releaseOf(replies: ServerReplies): string {
  const version: unknown = replies.buildInfo?.version;
  if (typeof version === "string" && version !== "") return version;
  const parts: unknown = replies.buildInfo?.versionArray;
  if (Array.isArray(parts) && parts.length >= 2) return parts.slice(0, 3).map(Number).join(".");
  const wire = Number(replies.hello?.maxWireVersion ?? 0);
  const label = WIRE_VERSIONS.find(([atLeastWire]) => wire >= atLeastWire)?.[1] ?? "4.2 or older";
  return `${label} (wire version ${wire})`;
}

/** The FCV to raise to: the release's major.minor (6.0, 7.0, …). */
function featureCompatibilityOf(release: string): string {
  const [major = "6", minor = "0"] = release.split(".");
  return `${Number.parseInt(major, 10)}.${Number.parseInt(minor, 10) || 0}`;
}
