// Summarizes a V8 CPU profile (`npm run bench -- --cpu-prof DIR` writes one per child): the
// functions with the most self time, and how much of the run the process was idle (waiting on
// PostgreSQL or MongoDB) or collecting garbage.
// Usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top=25]

import { readFile } from "node:fs/promises";
import { relative } from "node:path";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time (milliseconds) by function, from a profile's samples. */
export function selfTimes(profile: CpuProfile): Map<string, number> {
  const names = new Map(profile.nodes.map((node) => [node.id, describe(node)]));
  const times = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const name = names.get(id) ?? "(unknown)";
    times.set(name, (times.get(name) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
  });
  return times;
}

function describe(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  if (url === "") return functionName || "(anonymous)";
  const file = url.startsWith("file://") ? relative(process.cwd(), new URL(url).pathname) : url;
  return `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
}

const [path, topText] = process.argv.slice(2);
if (path !== undefined) {
  const profile = JSON.parse(await readFile(path, "utf8")) as CpuProfile;
  const times = selfTimes(profile);
  const total = (profile.endTime - profile.startTime) / 1000;
  const busy = total - (times.get("(idle)") ?? 0);
  process.stdout.write(`${path}: ${total.toFixed(0)} ms profiled, ${busy.toFixed(0)} ms on the CPU (${((busy / total) * 100).toFixed(0)}%)\n\n`);
  const top = [...times].sort((a, b) => b[1] - a[1]).slice(0, Number(topText ?? 25));
  for (const [name, ms] of top) process.stdout.write(`${ms.toFixed(0).padStart(7)} ms ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${name}\n`);
}
