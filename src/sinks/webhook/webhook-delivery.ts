import { ErrorCode } from "../../core/error-codes.js";
import { TributaryError } from "../../core/tributary-error.js";
import type { Logger } from "../../core/logger.js";
import { retryWithProbe } from "../../core/retry.js";
import { retryAfterMs } from "./retry-after.js";
import { describeFetchFailure, readBodySnippet } from "./webhook-response.js";
import type { WebhookRequest } from "./webhook-request.js";
import { redactUrl, type WebhookTarget } from "./webhook-target.js";

/** How a webhook sink sends and retries. */
export interface DeliverySettings {
  readonly sink: string;
  readonly target: WebhookTarget;
  readonly timeoutMs: number;
  readonly retry: { readonly initialDelayMs: number; readonly maxDelayMs: number; readonly maxAttempts?: number };
  readonly logger: Logger;
}

type Attempt =
  | { readonly kind: "delivered" }
  | { readonly kind: "retry"; readonly status?: number; readonly problem: string; readonly retryAfterMs?: number }
  | { readonly kind: "rejected"; readonly status: number; readonly response: string; readonly location?: string };

/** An answer or a network failure after which the same request may be sent again. */
class RetryableDelivery extends Error {
  constructor(readonly outcome: Extract<Attempt, { kind: "retry" }>) {
    super(outcome.problem);
  }
}

/** A final refusal of the receiver. */
class RejectedDelivery extends Error {
  constructor(readonly outcome: Extract<Attempt, { kind: "rejected" }>) {
    super(`HTTP ${outcome.status}`);
  }
}

/**
 * Posts one request until the receiver accepts it (2xx), on the core's retry: network errors,
 * timeouts, 5xx, 408, 425 and 429 are retried with back-off (or the receiver's `Retry-After`,
 * capped at `retry.maxDelayMs`); any other answer is final. `signal` (the sync stopping) ends
 * the retries, not a request in flight: a stop lets the request being sent finish, as the
 * pipeline's last batch is applied after the stop.
 */
export async function deliver(request: WebhookRequest, settings: DeliverySettings, signal?: AbortSignal): Promise<void> {
  const { retry, target } = settings;
  let attempts = 0;
  await retryWithProbe({
    attempt: async () => {
      attempts += 1;
      const outcome = await attemptOnce(request, settings);
      if (outcome.kind === "retry") throw new RetryableDelivery(outcome);
      if (outcome.kind === "rejected") throw new RejectedDelivery(outcome);
    },
    classify: (error) => (error instanceof RetryableDelivery ? "transient" : "permanent"),
    component: "webhook",
    askedDelay: (error) => (error instanceof RetryableDelivery ? error.outcome.retryAfterMs : undefined),
    onRetry: ({ attempt, delayMs, error }) => {
      const { status, problem } = (error as RetryableDelivery).outcome;
      settings.logger.warn(
        { sink: settings.sink, url: target.display, delivery: request.deliveryId, attempt, status, error: status === undefined ? problem : undefined, retryInMs: delayMs },
        "webhook delivery failed; retrying",
      );
    },
    giveUp: (error) => {
      if (error instanceof RejectedDelivery) return rejected(request, settings, error.outcome);
      if (!(error instanceof RetryableDelivery)) return error instanceof Error ? error : new Error(String(error));
      const { status, problem } = error.outcome;
      const context = { context: contextOf(request, settings, { attempts, status }) };
      if (signal?.aborted) {
        return new TributaryError(
          ErrorCode.SinkFailed,
          `Webhook sink '${settings.sink}': stopped while retrying POST ${target.display} (attempt ${attempts} failed: ${problem}). ` +
            `The position was not advanced, so the next run resends these events.`,
          context,
        );
      }
      return new TributaryError(
        ErrorCode.SinkFailed,
        `Webhook sink '${settings.sink}': POST ${target.display} with ${request.eventCount} events failed after ${attempts} attempts (last: ${problem}). ` +
          `The position was not advanced, so a restart resends these events.`,
        context,
      );
    },
    backoff: retry,
    maxAttempts: retry.maxAttempts,
    signal,
  });
}

async function attemptOnce(request: WebhookRequest, settings: DeliverySettings): Promise<Attempt> {
  const signal = AbortSignal.timeout(settings.timeoutMs);
  let response: Response;
  try {
    response = await fetch(settings.target.url, { method: "POST", headers: request.headers, body: request.body, redirect: "manual", signal });
  } catch (error) {
    return { kind: "retry", problem: describeFetchFailure(error, settings.timeoutMs) };
  }
  const status = response.status;
  if (status >= 200 && status < 300) {
    await response.body?.cancel().catch(() => undefined);
    return { kind: "delivered" };
  }
  if (status >= 500 || status === 408 || status === 425 || status === 429) {
    await response.body?.cancel().catch(() => undefined);
    return { kind: "retry", status, problem: `HTTP ${status}`, retryAfterMs: retryAfterMs(response.headers.get("retry-after")) };
  }
  const location = response.headers.get("location") ?? undefined;
  return { kind: "rejected", status, response: await readBodySnippet(response, settings.timeoutMs), location };
}

function rejected(request: WebhookRequest, settings: DeliverySettings, outcome: Extract<Attempt, { kind: "rejected" }>): TributaryError {
  const redirect = outcome.status >= 300 && outcome.status < 400 ? ` Redirects are not followed: set url to the final address${outcome.location ? ` (Location: ${locationOf(outcome.location, settings.target.url)})` : ""}.` : "";
  return new TributaryError(
    ErrorCode.WebhookRejected,
    `Webhook sink '${settings.sink}': POST ${settings.target.display} with ${request.eventCount} events was rejected with HTTP ${outcome.status} (response: ${outcome.response}). ` +
      `The request is not retried, since the receiver refuses it as it is; the position was not advanced, so a restart resends these events.${redirect}`,
    { context: contextOf(request, settings, { status: outcome.status }) },
  );
}

function locationOf(location: string, base: string): string {
  try {
    return redactUrl(new URL(location, base).href);
  } catch {
    return "(not a URL)";
  }
}

function contextOf(request: WebhookRequest, settings: DeliverySettings, extra: { attempts?: number; status?: number }): Record<string, string | number | undefined> {
  return { sink: settings.sink, url: settings.target.display, delivery: request.deliveryId, ...extra };
}
