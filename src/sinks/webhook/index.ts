// The face of the webhook sink for the rest of Tributary: the sink resolver loads it when a pipeline names it.
export { createWebhookSink } from "./webhook-sink.js";
