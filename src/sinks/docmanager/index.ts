// The face of the DocManager adapter for the rest of Tributary.
export { docManagerSink } from "./doc-manager-sink.js";
export { parseDocManagerOptions } from "./doc-manager-options.js";
export type { CommandDetails, DocManager, DocManagerOptions, MaybePromise } from "./doc-manager.js";
