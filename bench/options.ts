import { parseArgs } from "node:util";

/** The sections of the bench, in the order they run. */
export const SECTIONS = ["sink-apply", "snapshot-write", "snapshot", "streaming", "memory", "verify", "watch"] as const;
export type SectionName = (typeof SECTIONS)[number];

/** What `npm run bench -- …` was asked to do. */
export interface BenchOptions {
  /** Documents per snapshot scenario (`--docs`). */
  readonly docs: number;
  /** About this many BSON bytes per document (`--size`). */
  readonly size: number;
  /**
   * Distinct documents the generated source cycles through (`--distinct`); document `i` is
   * `realisticDocument(i % distinct)` with its own `_id`. 0: every document generated afresh.
   */
  readonly distinct: number;
  /** Concurrent writers of the streaming section (`--writers`). */
  readonly writers: number;
  /** Change events per streaming run (`--events`). */
  readonly events: number;
  /** Total write rate of the paced streaming run, events/s (`--rate`). */
  readonly rate: number;
  /** The second size of the memory section (`--large`); 0 skips it. */
  readonly large: number;
  /** Ranges copied at once by the parallel snapshot runs (`--parallelism`). */
  readonly parallelism: number;
  /** Documents of the sink-apply section, which holds them all in memory (`--apply-docs`). */
  readonly applyDocs: number;
  /** Events per batch of the sink-apply section (`--batch`). */
  readonly batch: number;
  /** Rounds: every scenario of a section runs once per round; the median run is reported, a ratio is the median of its per-round ratios (`--repeat`). */
  readonly repeat: number;
  readonly only: readonly SectionName[];
  /** Where the JSON results go (`--out`). */
  readonly out: string;
  /** An existing MongoDB replica set (`--mongodb-uri`); default: as the tests find one. */
  readonly mongodbUri: string | undefined;
  /** Write a CPU profile of every child process into this directory (`--cpu-prof`). */
  readonly cpuProfileDir: string | undefined;
}

const USAGE = `npm run bench -- [options]
  --docs N           documents per snapshot scenario (default 100000)
  --size BYTES       about this many BSON bytes per document, at least ~370 (default 1024)
  --distinct N       distinct documents the generated source cycles through; 0 = all distinct (default 1000)
  --writers W        concurrent writers in the streaming section (default 4)
  --events N         change events per streaming run (default 20000)
  --rate N           events/s of the paced streaming run (default 5000)
  --large N          second size of the memory section; 0 skips it (default 1000000)
  --parallelism P    ranges copied at once by the parallel snapshot runs (default 4)
  --apply-docs N     documents of the sink-apply section (default 20000; the watch section takes at most 5000)
  --batch N          events per batch in the sink-apply section (default 2000)
  --repeat N         rounds: each scenario of a section once per round; median run reported,
                     ratios are medians of the ratios within each round (default 1)
  --only LIST        sections to run, comma-separated: ${SECTIONS.join(",")}
  --out FILE         JSON results (default bench-results/results.json)
  --mongodb-uri URI  an existing replica set (default: TRIBUTARY_TEST_MONGODB_URI, else as the tests start one)
  --cpu-prof DIR     write a .cpuprofile of every child process into DIR`;

/** Parses the command line; prints usage and exits on `--help`, throws on a bad value. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      docs: { type: "string", default: "100000" },
      size: { type: "string", default: "1024" },
      distinct: { type: "string", default: "1000" },
      writers: { type: "string", default: "4" },
      events: { type: "string", default: "20000" },
      rate: { type: "string", default: "5000" },
      large: { type: "string", default: "1000000" },
      parallelism: { type: "string", default: "4" },
      "apply-docs": { type: "string", default: "20000" },
      batch: { type: "string", default: "2000" },
      repeat: { type: "string", default: "1" },
      only: { type: "string", default: SECTIONS.join(",") },
      out: { type: "string", default: "bench-results/results.json" },
      "mongodb-uri": { type: "string" },
      "cpu-prof": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  return {
    docs: count("--docs", values.docs, 1),
    size: count("--size", values.size, 1),
    distinct: count("--distinct", values.distinct, 0),
    writers: count("--writers", values.writers, 1),
    events: count("--events", values.events, 1),
    rate: count("--rate", values.rate, 1),
    large: count("--large", values.large, 0),
    parallelism: count("--parallelism", values.parallelism, 1),
    applyDocs: count("--apply-docs", values["apply-docs"], 1),
    batch: count("--batch", values.batch, 1),
    repeat: count("--repeat", values.repeat, 1),
    only: sections(values.only),
    out: values.out,
    mongodbUri: values["mongodb-uri"] ?? process.env.TRIBUTARY_TEST_MONGODB_URI,
    cpuProfileDir: values["cpu-prof"],
  };
}

function count(flag: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`${flag} must be an integer of at least ${min}, not ${JSON.stringify(text)}\n\n${USAGE}`);
  return value;
}

function sections(text: string): SectionName[] {
  const names = text.split(",").map((name) => name.trim()).filter((name) => name !== "");
  const unknown = names.filter((name) => !(SECTIONS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`--only: unknown section(s) ${unknown.join(", ")}; known: ${SECTIONS.join(", ")}`);
  return SECTIONS.filter((name) => names.includes(name));
}
