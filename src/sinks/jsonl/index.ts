// The face of the jsonl sink for the rest of Tributary: the sink resolver loads it when a pipeline names it.
export { createJsonlSink } from "./jsonl-sink.js";
