import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../../src/core/logger.js";
import { formatCount, formatDuration, formatProgressTable } from "../../../src/cli/progress-format.js";
import { startProgressReporter } from "../../../src/cli/progress-display.js";
import { SnapshotProgress } from "../../../src/snapshot/snapshot-progress.js";
import { capturingLogger } from "../../support/capturing-logger.js";

/** A stream that keeps what is written to it, passing for a terminal of the given size. */
class FakeTerminal extends Writable {
  readonly writes: string[] = [];

  constructor(
    readonly isTTY: boolean,
    readonly columns = 100,
    readonly rows = 40,
    private readonly onWrite: (text: string) => void = () => undefined,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    const text = chunk.toString("utf8");
    this.writes.push(text);
    this.onWrite(text);
    done();
  }
}

/** A progress on a clock the test moves; the reporter's timers are vitest's fake ones. */
function progressAt(): { progress: SnapshotProgress; advance: (ms: number) => void } {
  let now = 0;
  return { progress: new SnapshotProgress({ now: () => now }), advance: (ms) => (now += ms) };
}

/** `steps` chunks, 100 ms apart, of each collection's size. */
function copySteps(progress: SnapshotProgress, advance: (ms: number) => void, steps: number, sizes: Record<string, number>): void {
  for (let step = 0; step < steps; step += 1) {
    for (const [namespace, size] of Object.entries(sizes)) progress.recordCopied(namespace, size);
    advance(100);
  }
}

/** A redraw of `height` lines in place by `lines`. */
const frame = (height: number, lines: readonly string[]): string => `\r${height > 0 ? `\x1b[${height}A` : ""}${lines.map((line) => `\x1b[2K${line}\n`).join("")}\x1b[J`;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe("startProgressReporter on a terminal", () => {
  it("redraws one aligned line per collection and a total in place, and leaves the final state on screen", () => {
    const { progress, advance } = progressAt();
    const terminal = new FakeTerminal(true);
    const { logger } = capturingLogger();
    const reporter = startProgressReporter(progress, { output: terminal, logger });
    vi.advanceTimersByTime(500);
    expect(terminal.writes).toEqual([]);

    progress.addCollection("shop.orders", { estimated: 1_000_000, alreadyCopied: 0 });
    progress.addCollection("shop.customers", { estimated: 50_000, alreadyCopied: 0 });
    vi.advanceTimersByTime(500);
    copySteps(progress, advance, 50, { "shop.orders": 10_000, "shop.customers": 1_000 });
    vi.advanceTimersByTime(500);
    // Nothing changed: nothing is written.
    vi.advanceTimersByTime(500);
    progress.finishCollection("shop.customers");
    advance(3_000);
    vi.advanceTimersByTime(500);
    reporter.stop();
    reporter.stop();
    vi.advanceTimersByTime(5_000);

    expect(terminal.writes).toEqual([
      frame(0, [
        "shop.orders     0 / 1,000,000    0%  waiting", //
        "shop.customers  0 /    50,000    0%  waiting",
        "total           0 / 1,050,000    0%  waiting",
      ]),
      frame(3, [
        "shop.orders     500,000 / 1,000,000   50%   98,000 docs/s  ETA 6s",
        "shop.customers   50,000 /    50,000   99%    9,800 docs/s  ETA 0s",
        "total           550,000 / 1,050,000   52%  108,000 docs/s  ETA 5s",
      ]),
      frame(3, [
        "shop.orders     500,000 / 1,000,000   50%  61,250 docs/s  ETA 9s",
        "shop.customers   50,000 /    50,000  100%  done in 5s",
        "total           550,000 / 1,050,000   52%  67,500 docs/s  ETA 8s",
      ]),
      // The final frame: what did not finish says so.
      frame(3, [
        "shop.orders     500,000 / 1,000,000   50%  stopped after 8s",
        "shop.customers   50,000 /    50,000  100%  done in 5s",
        "total           550,000 / 1,050,000   52%  stopped after 8s",
      ]),
    ]);
  });

  it("shows a single collection without a total, and a complete one as done", () => {
    const { progress, advance } = progressAt();
    const terminal = new FakeTerminal(true);
    const reporter = startProgressReporter(progress, { output: terminal, logger: silentLogger(), refreshMs: 1_000 });
    progress.addCollection("shop.orders", { estimated: 10_000, alreadyCopied: 4_000 });
    vi.advanceTimersByTime(999);
    expect(terminal.writes).toEqual([]);
    vi.advanceTimersByTime(1);
    copySteps(progress, advance, 31, { "shop.orders": 200 });
    progress.finishCollection("shop.orders");
    reporter.stop();

    expect(terminal.writes).toEqual([
      frame(0, ["shop.orders  4,000 / 10,000   40%  waiting"]),
      frame(1, ["shop.orders  10,200 / 10,200  100%  done in 3s"]),
    ]);
  });

  it("writes nothing when there was nothing to copy", () => {
    const terminal = new FakeTerminal(true);
    const reporter = startProgressReporter(new SnapshotProgress(), { output: terminal, logger: silentLogger() });
    vi.advanceTimersByTime(2_000);
    reporter.stop();
    expect(terminal.writes).toEqual([]);
  });

  it("fits the terminal: long names shortened in the middle, columns that do not fit left out, at most its height", () => {
    const { progress, advance } = progressAt();
    const terminal = new FakeTerminal(true, 52, 5);
    const reporter = startProgressReporter(progress, { output: terminal, logger: silentLogger() });
    progress.addCollection("analytics.page_views_by_country_and_day", { estimated: 2_000_000, alreadyCopied: 0 });
    progress.addCollection("shop.done", { estimated: 10, alreadyCopied: 0 });
    progress.addCollection("shop.waiting", { estimated: 10, alreadyCopied: 0 });
    progress.addCollection("shop.orders", { estimated: 100_000, alreadyCopied: 0 });
    progress.addCollection("shop.empty", { estimated: 0, alreadyCopied: 0 });
    progress.finishCollection("shop.done");
    progress.finishCollection("shop.empty");
    copySteps(progress, advance, 20, { "analytics.page_views_by_country_and_day": 5_000, "shop.orders": 100 });
    vi.advanceTimersByTime(500);
    reporter.stop();

    // Four lines at most: the collections being copied, the rest summed up, the total; no rate or ETA in 51 columns.
    const lines = [
      "analyt…d_day  100,000 / 2,000,000    5%",
      "shop.orders     2,000 /   100,000    2%",
      "… 3 more collections (2 done)",
      "total         102,000 / 2,100,010    4%",
    ];
    expect(terminal.writes[0]).toEqual(frame(0, lines));
    expect(lines.every((line) => line.length <= 51)).toBe(true);
  });

  it("gives a logger whose lines go above the display, not through it", () => {
    const events: string[] = [];
    const terminal = new FakeTerminal(true, 100, 40, (text) => events.push(`out ${JSON.stringify(text)}`));
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        events.push(`log ${(JSON.parse(chunk.toString("utf8")) as { msg: string }).msg}`);
        done();
      },
    });
    const { progress } = progressAt();
    const reporter = startProgressReporter(progress, { output: terminal, logger: pino({ level: "info", base: undefined }, sink) });
    // Before anything is drawn, lines go straight through.
    reporter.logger.info("before");
    progress.addCollection("shop.orders", { estimated: 10, alreadyCopied: 0 });
    vi.advanceTimersByTime(500);
    reporter.logger.info({ collection: "shop.orders" }, "planned");
    reporter.logger.child({ component: "x" }).warn("from a child");
    // A level that is off writes nothing, so nothing is redrawn.
    reporter.logger.debug("quiet");
    reporter.stop();
    reporter.logger.info("after");

    const display = frame(0, ["shop.orders  0 / 10    0%  waiting"]);
    const erase = `out ${JSON.stringify("\r\x1b[1A\x1b[J")}`;
    expect(events).toEqual([
      "log before",
      `out ${JSON.stringify(display)}`,
      erase,
      "log planned",
      `out ${JSON.stringify(display)}`,
      erase,
      "log from a child",
      `out ${JSON.stringify(display)}`,
      `out ${JSON.stringify(frame(1, ["shop.orders  0 / 10    0%  stopped"]))}`,
      "log after",
    ]);
    expect(reporter.logger.isLevelEnabled?.("info")).toBe(true);
  });

  it("logs instead on a terminal that cannot move its cursor (TERM=dumb)", () => {
    vi.stubEnv("TERM", "dumb");
    const terminal = new FakeTerminal(true);
    const { logger, lines } = capturingLogger();
    const { progress } = progressAt();
    const reporter = startProgressReporter(progress, { output: terminal, logger });
    progress.addCollection("shop.orders", { estimated: 10, alreadyCopied: 0 });
    vi.advanceTimersByTime(5_000);
    reporter.stop();
    expect(terminal.writes).toEqual([]);
    expect(lines.map((line) => line.msg)).toEqual(["snapshot summary"]);
  });
});

describe("startProgressReporter without a terminal", () => {
  it("logs a line per collection being copied and a total every interval, and a summary per collection at the end", () => {
    const { progress, advance } = progressAt();
    const output = new FakeTerminal(false);
    const { logger, lines } = capturingLogger();
    const reporter = startProgressReporter(progress, { output, logger });
    expect(reporter.logger).toBe(logger);
    progress.addCollection("shop.orders", { estimated: 1_000_000, alreadyCopied: 0 });
    progress.addCollection("shop.customers", { estimated: 50_000, alreadyCopied: 20_000 });
    progress.addCollection("shop.empty", { estimated: 0, alreadyCopied: 0 });
    vi.advanceTimersByTime(5_000);
    progress.finishCollection("shop.empty");
    copySteps(progress, advance, 50, { "shop.orders": 10_000, "shop.customers": 600 });
    vi.advanceTimersByTime(5_000);
    progress.finishCollection("shop.customers");
    advance(2_000);
    vi.advanceTimersByTime(5_000);
    reporter.stop();
    vi.advanceTimersByTime(10_000);

    expect(output.writes).toEqual([]);
    expect(lines.map(({ time: _time, ...rest }) => rest)).toEqual([
      // Nothing copied yet: the total only.
      { level: 30, msg: "snapshot progress total", collections: 3, collectionsDone: 0, copied: 20_000, estimated: 1_050_000, percent: 1 },
      { level: 30, msg: "snapshot progress", collection: "shop.orders", copied: 500_000, estimated: 1_000_000, percent: 50, docsPerSecond: 98_000, etaSeconds: 6 },
      { level: 30, msg: "snapshot progress", collection: "shop.customers", copied: 50_000, estimated: 50_000, percent: 99, docsPerSecond: 5_880, etaSeconds: 0 },
      { level: 30, msg: "snapshot progress total", collections: 3, collectionsDone: 1, copied: 550_000, estimated: 1_050_000, percent: 52, docsPerSecond: 104_000, etaSeconds: 5 },
      { level: 30, msg: "snapshot progress", collection: "shop.orders", copied: 500_000, estimated: 1_000_000, percent: 50, docsPerSecond: 70_000, etaSeconds: 8 },
      { level: 30, msg: "snapshot progress total", collections: 3, collectionsDone: 2, copied: 550_000, estimated: 1_050_000, percent: 52, docsPerSecond: 74_286, etaSeconds: 7 },
      { level: 30, msg: "snapshot summary", collection: "shop.orders", done: false, copied: 500_000, estimated: 1_000_000, percent: 50, seconds: 7, docsPerSecond: 70_000 },
      { level: 30, msg: "snapshot summary", collection: "shop.customers", done: true, copied: 50_000, alreadyCopied: 20_000, seconds: 5, docsPerSecond: 5_880 },
      { level: 30, msg: "snapshot summary", collection: "shop.empty", done: true, copied: 0, seconds: 0 },
      { level: 30, msg: "snapshot summary total", collections: 3, collectionsDone: 2, done: false, copied: 550_000, estimated: 1_050_000, percent: 52, alreadyCopied: 20_000, seconds: 7, docsPerSecond: 74_286 },
    ]);
  });

  it("says nothing between the summaries once every collection is done, at the interval asked", () => {
    const { progress, advance } = progressAt();
    const { logger, lines } = capturingLogger();
    const reporter = startProgressReporter(progress, { output: new FakeTerminal(false), logger, intervalMs: 1_000 });
    progress.addCollection("shop.orders", { estimated: 3_000, alreadyCopied: 0 });
    copySteps(progress, advance, 15, { "shop.orders": 200 });
    vi.advanceTimersByTime(1_000);
    progress.finishCollection("shop.orders");
    vi.advanceTimersByTime(3_000);
    reporter.stop();
    expect(lines.map(({ time: _time, ...rest }) => rest)).toEqual([
      { level: 30, msg: "snapshot progress", collection: "shop.orders", copied: 3_000, estimated: 3_000, percent: 99, docsPerSecond: 1_867, etaSeconds: 0 },
      { level: 30, msg: "snapshot summary", collection: "shop.orders", done: true, copied: 3_000, seconds: 1.5, docsPerSecond: 1_867 },
    ]);
  });
});

describe("progress formatting", () => {
  it("writes counts with thousands separators", () => {
    expect([0, 999, 1_000, 1_234_567, 12.6].map(formatCount)).toEqual(["0", "999", "1,000", "1,234,567", "13"]);
  });

  it("writes durations as seconds, then m:ss, then h:mm:ss", () => {
    expect([0, 0.4, 45, 59.6, 60, 125, 3_599, 3_600, 3_723, 360_000, -5].map(formatDuration)).toEqual([
      "0s", "0s", "45s", "1:00", "1:00", "2:05", "59:59", "1:00:00", "1:02:03", "100:00:00", "0s",
    ]);
  });

  it("shortens long names only as much as the terminal's width needs", () => {
    const { progress, advance } = progressAt();
    progress.addCollection("analytics.page_views_by_country_and_day", { estimated: 2_000_000, alreadyCopied: 0 });
    progress.addCollection("shop.orders", { estimated: 100_000, alreadyCopied: 0 });
    copySteps(progress, advance, 20, { "analytics.page_views_by_country_and_day": 5_000, "shop.orders": 100 });
    expect(formatProgressTable(progress.snapshot(), { columns: 72 })).toEqual([
      "analytics…y_and_day  100,000 / 2,000,000    5%  47,500 docs/s  ETA 40s",
      "shop.orders            2,000 /   100,000    2%     950 docs/s  ETA 1:44",
      "total                102,000 / 2,100,000    4%  48,500 docs/s  ETA 42s",
    ]);
    expect(formatProgressTable(progress.snapshot(), { columns: 72 }).map((line) => line.length)).toEqual([70, 71, 70]);
  });

  it("keeps at least the total when the terminal is tiny", () => {
    const { progress } = progressAt();
    for (const name of ["a.one", "a.two", "a.three"]) progress.addCollection(name, { estimated: 5, alreadyCopied: 0 });
    expect(formatProgressTable(progress.snapshot(), { maxLines: 1 })).toEqual(["total  0 / 15    0%  waiting"]);
    expect(formatProgressTable(progress.snapshot(), { maxLines: 2 })).toEqual(["… 3 more collections (0 done)", "total  0 / 15    0%  waiting"]);
  });
});
