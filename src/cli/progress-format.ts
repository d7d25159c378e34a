import type { CopyFigures, ProgressFigures } from "../snapshot/snapshot-progress.js";

const counts = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** A count with thousands separators: `1,234,567`. Fixed to one style, whatever the locale, so that columns line up. */
export function formatCount(value: number): string {
  return counts.format(value);
}

/** A duration in whole seconds: `45s`, `2:05`, `1:02:03`. */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole}s`;
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

export interface ProgressTableOptions {
  /** Terminal width: lines are kept shorter than this. */
  readonly columns?: number;
  /** Most lines to show (the terminal's height): collections beyond are summed up in one line. */
  readonly maxLines?: number;
  /** The last frame: unfinished collections show how long they ran instead of a rate. */
  readonly final?: boolean;
}

interface Row {
  readonly name: string;
  readonly figures: CopyFigures;
}

const MIN_NAME_WIDTH = 12;
const UNKNOWN = "--";

/**
 * The progress display: one aligned line per collection and, with several collections, a total:
 *
 * ```text
 * shop.orders     412,003 / 1,000,000   41%  38,211 docs/s  ETA 16s
 * shop.customers   50,000 /    50,000  100%  done in 3s
 * total           462,003 / 1,050,000   44%  38,211 docs/s  ETA 16s
 * ```
 */
export function formatProgressTable(progress: ProgressFigures, options: ProgressTableOptions = {}): string[] {
  const { collections, total } = progress;
  const all: Row[] = collections.map((each) => ({ name: each.namespace, figures: each }));
  const totalRow: Row[] = all.length > 1 ? [{ name: "total", figures: total }] : [];
  const room = Math.max(1, options.maxLines ?? Infinity);
  let shown = all;
  let more: string[] = [];
  if (all.length + totalRow.length > room) {
    // What is being copied matters most, then what waits; finished collections are hidden first.
    const keep = new Set(rankForDisplay(all).slice(0, Math.max(0, room - 2)));
    shown = all.filter((row) => keep.has(row));
    const hidden = all.filter((row) => !keep.has(row));
    const hiddenDone = hidden.filter((row) => row.figures.done).length;
    more = room >= 2 ? [`… ${hidden.length} more collection${hidden.length === 1 ? "" : "s"} (${hiddenDone} done)`] : [];
  }
  const rows = [...shown, ...totalRow];
  const copiedWidth = widest(rows.map((row) => formatCount(row.figures.copied)));
  const estimatedWidth = widest(rows.map((row) => formatCount(row.figures.estimated)));
  const rateWidth = widest(rows.map((row) => rateText(row.figures)));
  const figures = rows.map((row) =>
    [
      formatCount(row.figures.copied).padStart(copiedWidth),
      "/",
      formatCount(row.figures.estimated).padStart(estimatedWidth),
      ` ${row.figures.percent}%`.padStart(5),
      tail(row.figures, rateWidth, options.final === true),
    ].join(" "),
  );
  const limit = options.columns === undefined ? Infinity : Math.max(1, options.columns - 1);
  const nameWidth = Math.min(widest(rows.map((row) => row.name)), Math.max(MIN_NAME_WIDTH, limit - 2 - widest(figures)));
  const lines = rows.map((row, index) => `${shorten(row.name, nameWidth).padEnd(nameWidth)}  ${figures[index] ?? ""}`.trimEnd());
  if (more.length > 0) lines.splice(shown.length, 0, ...more);
  return lines.map((line) => fit(line, limit));
}

/** Cuts a line too long for the terminal after the last column that fits whole. */
function fit(line: string, limit: number): string {
  if (line.length <= limit) return line;
  const boundary = line.lastIndexOf("  ", limit);
  return (boundary > 0 ? line.slice(0, boundary) : line.slice(0, limit)).trimEnd();
}

function tail(figures: CopyFigures, rateWidth: number, final: boolean): string {
  const elapsed = formatDuration(figures.elapsedMs / 1000);
  if (figures.done) return ` done in ${elapsed}`;
  const started = figures.copied > figures.alreadyCopied;
  if (final) return started ? ` stopped after ${elapsed}` : " stopped";
  if (!started) return " waiting";
  const eta = figures.etaSeconds === undefined ? UNKNOWN : formatDuration(figures.etaSeconds);
  return ` ${rateText(figures).padStart(rateWidth)} docs/s  ETA ${eta}`;
}

function rateText(figures: CopyFigures): string {
  return figures.docsPerSecond === undefined ? UNKNOWN : formatCount(figures.docsPerSecond);
}

function rankForDisplay(rows: readonly Row[]): Row[] {
  const rank = (row: Row): number => (row.figures.done ? 2 : row.figures.copied > row.figures.alreadyCopied ? 0 : 1);
  return [...rows].sort((a, b) => rank(a) - rank(b));
}

function widest(texts: readonly string[]): number {
  return Math.max(0, ...texts.map((text) => text.length));
}

/** Cuts the middle out of a long name: both the database and the end of the collection's name stay readable. */
function shorten(name: string, width: number): string {
  if (name.length <= width) return name;
  const head = Math.ceil((width - 1) / 2);
  return `${name.slice(0, head)}…${name.slice(name.length - (width - 1 - head))}`;
}
