import type { Db } from "mongodb";
import { ErrorCode } from "../core/error-codes.js";
import type { Logger } from "../core/logger.js";
import { TributaryError } from "../core/tributary-error.js";

/**
 * The version the deployment's features are decided by. A server's release says what its binary
 * can do, but its featureCompatibilityVersion (FCV) says what the deployment may use: after an
 * upgrade the FCV stays at the old version until `setFeatureCompatibilityVersion` raises it,
 * and while a sharded cluster is upgraded shard by shard (mongos usually first), the FCV is what
 * every shard can take. So the lower of the two decides; an FCV of "6.0" reads as 6.0.0, since
 * it says nothing of patch releases.
 */
export function featureVersion(release: string, fcv: string | undefined): string {
  if (fcv === undefined) return release;
  const [releaseMajor = 0, releaseMinor = 0] = versionParts(release);
  const [fcvMajor = 0, fcvMinor = 0] = versionParts(fcv);
  const fcvIsLower = fcvMajor < releaseMajor || (fcvMajor === releaseMajor && fcvMinor < releaseMinor);
  return fcvIsLower ? `${fcvMajor}.${fcvMinor}.0` : release;
}

/** Whether a version is at least major.minor. */
export function atLeast(version: string, major: number, minor: number): boolean {
  const [actualMajor = 0, actualMinor = 0] = versionParts(version);
  return actualMajor > major || (actualMajor === major && actualMinor >= minor);
}

function versionParts(version: string): number[] {
  return version.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0);
}

/**
 * The deployment's featureCompatibilityVersion, or `undefined` when it cannot be read. A mongod
 * answers `getParameter` (`{ featureCompatibilityVersion: { version: "7.0" } }`; while it moves,
 * `version` is the one in force); it needs the `getParameter` action (clusterMonitor has it).
 * mongos holds no FCV of its own, but reading `admin.system.version` through it returns the
 * config servers' copy, the cluster's (`{ _id: "featureCompatibilityVersion", version }`).
 */
export async function readFeatureCompatibilityVersion(admin: Db): Promise<string | undefined> {
  try {
    const reply = await admin.command({ getParameter: 1, featureCompatibilityVersion: 1 });
    const version: unknown = (reply.featureCompatibilityVersion as { version?: unknown } | undefined)?.version;
    if (typeof version === "string") return version;
  } catch {
    // mongos, or no getParameter privilege: try the stored document below.
  }
  try {
    const stored = await admin.collection<{ _id: string; version?: unknown }>("system.version").findOne({ _id: "featureCompatibilityVersion" });
    return typeof stored?.version === "string" ? stored.version : undefined;
  } catch {
    return undefined;
  }
}

/** The first version with change stream pre- and post-images (and `showExpandedEvents`). */
const IMAGES_MAJOR = 6;

/** The stream options a deployment may refuse, as configured. */
export interface StreamOptionsAsked {
  readonly fullDocument: string;
  readonly fullDocumentBeforeChange: string;
}

/** What the deployment was found to be, for the message. */
export interface DeploymentVersions {
  readonly where: string;
  readonly version: string;
  readonly featureCompatibilityVersion?: string;
  readonly featureVersion: string;
}

/**
 * Refuses, before anything is read or written, the stream options this deployment cannot take:
 * post-images (`fullDocument: required | whenAvailable`) and pre-images
 * (`fullDocumentBeforeChange` other than `off`) need 6.0 and an FCV of 6.0.
 */
export function refuseUnsupportedStreamOptions(deployment: DeploymentVersions, asked: StreamOptionsAsked): void {
  if (atLeast(deployment.featureVersion, IMAGES_MAJOR, 0)) return;
  const refused: string[] = [];
  const postImages = asked.fullDocument === "required" || asked.fullDocument === "whenAvailable";
  if (postImages) refused.push(`source.fullDocument: ${asked.fullDocument} (post-images; use updateLookup)`);
  if (asked.fullDocumentBeforeChange !== "off") refused.push(`source.fullDocumentBeforeChange: ${asked.fullDocumentBeforeChange} (pre-images; use off)`);
  if (refused.length === 0) return;
  const fcv = deployment.featureCompatibilityVersion;
  const found = fcv === undefined ? `version ${deployment.version}` : `version ${deployment.version}, featureCompatibilityVersion ${fcv}`;
  throw new TributaryError(
    ErrorCode.ConfigInvalid,
    `MongoDB at ${deployment.where} (${found}) cannot take ${refused.join(" or ")}: change stream images need MongoDB 6.0 or later with featureCompatibilityVersion 6.0 or later`,
    { context: { configPath: postImages ? "source.fullDocument" : "source.fullDocumentBeforeChange" } },
  );
}

/**
 * At start-up: says when the FCV could not be read (features are then decided by the release
 * alone, and a lower FCV or an older shard makes the change stream fail as it opens), and
 * refuses the options the deployment cannot take.
 */
export function checkStreamOptions(deployment: DeploymentVersions, asked: StreamOptionsAsked, logger: Logger): void {
  if (deployment.featureCompatibilityVersion === undefined) {
    logger.warn(
      { mongodb: deployment.where, version: deployment.version },
      "the featureCompatibilityVersion could not be read (it needs the getParameter action, which the clusterMonitor role has): features are decided by the server version alone",
    );
  }
  refuseUnsupportedStreamOptions(deployment, asked);
}
