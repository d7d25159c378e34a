/**
 * The MongoDB server error codes Tributary reacts to, each under its name in the server's
 * `src/mongo/base/error_codes.yml` (the `codeName` a server error carries).
 */
export const MongoErrorCode = Object.freeze({
  /** `HostUnreachable` (NetworkError, RetriableError). */
  HostUnreachable: 6,
  /** `HostNotFound` (NetworkError, RetriableError). */
  HostNotFound: 7,
  /** `Unauthorized`: the user lacks a privilege the operation needs. */
  Unauthorized: 13,
  /** `AuthenticationFailed`: wrong user name, password or authSource. */
  AuthenticationFailed: 18,
  /** `NamespaceNotFound`: the collection or database does not exist. */
  NamespaceNotFound: 26,
  /** `CursorNotFound` (CursorInvalidatedError). */
  CursorNotFound: 43,
  /** `StaleShardVersion` (`OBSOLETE_StaleShardVersion` in newer servers). */
  StaleShardVersion: 63,
  /** `WriteConcernTimeout` (WriteConcernError; `WriteConcernFailed` in older servers). */
  WriteConcernTimeout: 64,
  /** `NetworkTimeout` (NetworkError, RetriableError). */
  NetworkTimeout: 89,
  /** `ShutdownInProgress` (ShutdownError, RetriableError). */
  ShutdownInProgress: 91,
  /** `FailedToSatisfyReadPreference`. */
  FailedToSatisfyReadPreference: 133,
  /** `StaleEpoch` (StaleShardVersionError). */
  StaleEpoch: 150,
  /** `PrimarySteppedDown` (NotPrimaryError, RetriableError). */
  PrimarySteppedDown: 189,
  /** `RetryChangeStream`. */
  RetryChangeStream: 234,
  /** `ExceededTimeLimit` (RetriableError). */
  ExceededTimeLimit: 262,
  /** `ChangeStreamFatalError` (NonResumableChangeStreamError). */
  ChangeStreamFatalError: 280,
  /** `ChangeStreamHistoryLost` (NonResumableChangeStreamError): the oplog no longer holds the resume point. */
  ChangeStreamHistoryLost: 286,
  /** `SocketException` (NetworkError, RetriableError). */
  SocketException: 9001,
  /** `NotWritablePrimary` (NotPrimaryError, RetriableError; `NotMaster` in older servers). */
  NotWritablePrimary: 10107,
  /** `BSONObjectTooLarge`: a change event over 16 MB that the server cannot return. */
  BSONObjectTooLarge: 10334,
  /** `InterruptedAtShutdown` (ShutdownError, RetriableError). */
  InterruptedAtShutdown: 11600,
  /** `InterruptedDueToReplStateChange` (NotPrimaryError, RetriableError). */
  InterruptedDueToReplStateChange: 11602,
  /** `StaleConfig` (StaleShardVersionError). */
  StaleConfig: 13388,
  /** `NotPrimaryNoSecondaryOk` (NotPrimaryError, RetriableError; `NotMasterNoSlaveOk` in older servers). */
  NotPrimaryNoSecondaryOk: 13435,
  /** `NotPrimaryOrSecondary` (NotPrimaryError, RetriableError; `NotMasterOrSecondary` in older servers). */
  NotPrimaryOrSecondary: 13436,
  /**
   * `Location28799`: `$sample` "could not find a non-duplicate document" while using a random
   * cursor; random, and gone on the next try.
   */
  Location28799: 28799,
  /**
   * `Location40573`: `$changeStream` on a standalone server. An assertion location, not a
   * named code of error_codes.yml; the server reports it with this `codeName`.
   */
  Location40573: 40573,
  /**
   * `Location40585`: "resume of change stream was not possible, as the resume token was not
   * found", the code servers before 4.2 used where newer ones raise `ChangeStreamFatalError`.
   */
  Location40585: 40585,
  /** `Location7182500`: `$changeStreamSplitLargeEvent` cannot split an event, one of its fields alone is too large. */
  Location7182500: 7182500,
} as const);

/** One of the codes of {@link MongoErrorCode}. */
export type MongoErrorCode = (typeof MongoErrorCode)[keyof typeof MongoErrorCode];
