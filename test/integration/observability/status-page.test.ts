import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpEndpoint, type HttpEndpoint } from "../../../src/observability/http-endpoint.js";
import { SyncMonitor } from "../../../src/observability/sync-monitor.js";
import { SnapshotProgress } from "../../../src/snapshot/snapshot-progress.js";
import { makeEvent } from "../../support/events.js";

/** Debian's chromium, which .ci/run installs; CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((path) => existsSync(path));
const SCREENSHOT = join(process.cwd(), "test-results", "status-page.png");

if (!CHROMIUM) {
  if (process.env.CI) throw new Error("Chromium is missing: .ci/run installs the Debian package chromium, which the status page test needs");
  console.warn("\n=== status page test SKIPPED: no Chromium (apt-get install chromium, or set CHROMIUM_PATH) ===\n");
}

describe.skipIf(!CHROMIUM)("the status page, in a real headless Chromium", () => {
  let browser: Browser;
  let endpoint: HttpEndpoint;
  // The monitor's clock runs through the last five minutes, so the charts have something to draw.
  let clock = Date.now() - 5 * 60_000;
  const monitor = new SyncMonitor({ readyMaxLagMs: 60_000, now: () => clock });

  beforeAll(async () => {
    endpoint = await startHttpEndpoint("127.0.0.1:0", monitor);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  });

  afterAll(async () => {
    await browser?.close();
    await endpoint?.close();
  });

  it("shows the phase, per-collection snapshot progress, throughput and lag charts and the last error, redacted", async () => {
    const progress = new SnapshotProgress();
    progress.addCollection("shop.orders", { estimated: 1_000_000, alreadyCopied: 0 });
    progress.addCollection("shop.customers", { estimated: 88_120, alreadyCopied: 0 });
    progress.recordCopied("shop.orders", 412_003);
    progress.recordCopied("shop.customers", 88_120);
    progress.finishCollection("shop.customers");
    monitor.watchSnapshot(progress);
    monitor.phase("streaming");
    for (let i = 0; i < 20; i += 1) {
      clock += 15_000;
      const lagSeconds = 1 + (i % 7);
      const t = Math.floor(clock / 1000) - lagSeconds;
      const events = Array.from({ length: 1 + (i % 5) }, (_, n) => makeEvent({ op: n % 2 === 0 ? "insert" : "update", ns: "shop.orders", id: i * 10 + n, t }));
      monitor.batchApplied({ events, position: events.at(-1)!.position }, 8);
    }
    clock = Date.now();
    monitor.deadLetters(3);
    monitor.oplogRunway(7200);
    monitor.verify.scheduled(3_600_000, new Date("2026-11-30T12:00:00.000Z"));
    monitor.verify.finished({
      startedAt: "2026-11-30T10:59:00.000Z",
      finishedAt: "2026-11-30T11:00:00.000Z",
      durationMs: 60_000,
      result: "different",
      collections: [{ namespace: "shop.orders", sink: "postgres", equal: false, documents: 1_000, differences: 2, differenceCounts: { missing: 1, extra: 0, different: 1 }, expectedMissing: 0, rechecked: 2, resolved: 0 }],
    });
    monitor.verify.scheduled(3_600_000, new Date("2026-11-30T12:00:00.000Z"));
    monitor.problem("PostgreSQL unavailable; retrying: connect to postgres://app:hunter2@pg.example/db refused", "warn");
    monitor.recordedError({ code: "TRIB_POSTGRES_APPLY_FAILED", message: "batch refused by postgres://app:hunter2@pg.example/db", sink: "postgres", occurredAt: "2026-11-30T10:00:00.000Z", resolvedAt: "2026-11-30T10:05:00.000Z" });

    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(`${endpoint.url}/`);
    await page.waitForSelector("body[data-loaded=true]");
    expect(await page.textContent("#phase")).toBe("streaming");
    expect(await page.textContent("#ready")).toBe("yes");
    expect(await page.textContent("#changes")).toBe("60");
    expect(await page.textContent("#dead-letters")).toBe("3");
    expect(await page.textContent("#runway")).toBe("2.0 h");
    expect(await page.textContent("#verify")).toBe("2 differ");
    expect(await page.textContent("#verify-when")).toBe("last 2026-11-30T11:00:00.000Z, next 2026-11-30T12:00:00.000Z");
    const rows = await page.$$eval("#snapshot tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
    expect(rows).toEqual([
      ["shop.orders", "412,003", "1,000,000", "", expect.any(String)],
      ["shop.customers", "88,120", "88,120", "", "done"],
    ]);
    expect(await page.$eval("#snapshot tr .bar div", (bar) => (bar as unknown as { style: { width: string } }).style.width)).toBe("41%");
    expect(await page.$$("#throughput polyline")).toHaveLength(1);
    expect(await page.$$("#lagchart polyline")).toHaveLength(1);
    expect((await page.$$("#throughput circle")).length).toBe(20);
    const error = await page.textContent("#error");
    expect(error).toContain("postgres://app:***@pg.example/db refused");
    expect(await page.textContent("#recorded")).toBe(
      "recorded in the target: 2026-11-30T10:00:00.000Z  [TRIB_POSTGRES_APPLY_FAILED] batch refused by postgres://app:***@pg.example/db  (resolved 2026-11-30T10:05:00.000Z)",
    );
    expect(await page.content()).not.toContain("hunter2");
    await mkdir(join(process.cwd(), "test-results"), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it("answers /healthz, /readyz, /metrics and /status, and nothing else", async () => {
    expect(await (await fetch(`${endpoint.url}/healthz`)).text()).toBe("ok\n");
    const ready = await fetch(`${endpoint.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, reason: "caught up" });
    const metrics = await fetch(`${endpoint.url}/metrics`);
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    expect(await metrics.text()).toContain('tributary_events_applied_total{namespace="shop.orders",op="update"} 24');
    const status = (await (await fetch(`${endpoint.url}/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ phase: "streaming", changesApplied: 60 });
    expect(JSON.stringify(status)).not.toContain("hunter2");
    expect((await fetch(`${endpoint.url}/nope`)).status).toBe(404);
    expect((await fetch(`${endpoint.url}/status`, { method: "POST" })).status).toBe(405);
  });
});
