// The face of the DocManager adapter for the rest of Tributary.
export { docManagerSink } from "./doc-manager-sink.js";
export type { DocManager, DocManagerOptions, MaybePromise } from "./doc-manager.js";
