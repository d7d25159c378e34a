// The face of the mongodb sink for the rest of Tributary: the sink resolver loads it when a pipeline names it.
export { createMongoSink } from "./mongodb-sink.js";
