import { atLeastOnceSink } from "../at-least-once-sink.js";
import type { SinkFactory } from "../../core/sink.js";
import { deliver, type DeliverySettings } from "./webhook-delivery.js";
import { parseWebhookOptions } from "./webhook-options.js";
import { webhookRequests, type WebhookRequestSettings } from "./webhook-request.js";
import { webhookTarget } from "./webhook-target.js";

/**
 * The built-in `webhook` sink: POSTs each batch as JSON (`{ pipeline, sink, events }`, at most
 * `maxEventsPerRequest` events per request, in order), signed with HMAC-SHA256 when a `secret`
 * is set. The position is saved only once every request of the batch was accepted, so delivery
 * is at-least-once; `X-Tributary-Delivery` lets receivers drop the repeats.
 * @public
 */
export const createWebhookSink: SinkFactory = (options, context) => {
  const parsed = parseWebhookOptions(options, context.sinkName);
  const target = webhookTarget(parsed.url);
  const requestSettings: WebhookRequestSettings = {
    pipeline: context.pipeline,
    sink: context.sinkName,
    format: parsed.format,
    secret: parsed.secret,
    authorization: target.authorization,
    headers: parsed.headers,
  };
  const deliverySettings: DeliverySettings = { sink: context.sinkName, target, timeoutMs: parsed.timeoutMs, retry: parsed.retry, logger: context.logger };
  return atLeastOnceSink(
    context.sinkName,
    {
      async write(events, signal): Promise<void> {
        for (const request of webhookRequests(events, parsed.maxEventsPerRequest, requestSettings)) await deliver(request, deliverySettings, signal);
      },
    },
    context.positions,
    { retry: context.retry, logger: context.logger },
  );
};
