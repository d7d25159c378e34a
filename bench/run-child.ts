import { fork } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChildMessage, ChildResult, ParentMessage, Scenario } from "./scenario.js";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const CHILD = join(BENCH_DIR, "snapshot-child.ts");
const REPOSITORY_ROOT = resolve(BENCH_DIR, "..");

export interface ChildOptions {
  /** Names the CPU profile file. */
  readonly name: string;
  /** Write a CPU profile of the child into this directory. */
  readonly cpuProfileDir?: string | undefined;
  /** Killed (and its result rejected) when not done by then. */
  readonly timeoutMs: number;
}

/** A scenario running in its own process. */
export interface RunningChild {
  /** Settles when the child says it is ready (scenarios that say so). */
  readonly ready: Promise<void>;
  /** The child's result; rejects when it fails, exits without one, or times out. */
  readonly result: Promise<ChildResult>;
  /** Asks the child to finish (scenarios that run until stopped). */
  stop(): void;
  /** Ends the child at once (when the run around it failed). */
  kill(): void;
}

/** Runs `scenario` in `node --import tsx bench/snapshot-child.ts '<json>'` and collects its result over IPC. */
export function startChild(scenario: Scenario, options: ChildOptions): RunningChild {
  const profile = options.cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${resolve(options.cpuProfileDir)}`, `--cpu-prof-name=${options.name}.cpuprofile`] : [];
  const child = fork(CHILD, [JSON.stringify(scenario)], { cwd: REPOSITORY_ROOT, execArgv: ["--import", "tsx", ...profile, ...(wantsLiveHeap(scenario) ? ["--expose-gc"] : [])], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let result: ChildResult | undefined;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolveReady) => {
    markReady = resolveReady;
  });
  child.on("message", (message: ChildMessage) => {
    if (message.type === "ready") markReady();
    else result = message.result;
  });
  const finished = new Promise<ChildResult>((resolveResult, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${options.name}: no result within ${Math.round(options.timeoutMs / 1000)} s; the child was killed`));
    }, options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && result) resolveResult(result);
      else reject(new Error(`${options.name}: the child exited with ${signal ?? `code ${code}`}${result ? "" : " and no result"}`));
    });
  });
  // A child that fails before it is ready must not leave the parent waiting for that; a failure
  // nobody waits for here is reported through `result`.
  const readyOrFailed = Promise.race([ready, finished.then(() => undefined)]);
  readyOrFailed.catch(() => undefined);
  return {
    ready: readyOrFailed,
    result: finished,
    stop() {
      if (child.connected) child.send({ type: "stop" } satisfies ParentMessage);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/** Runs a scenario to its end in its own process. */
export function runChild(scenario: Scenario, options: ChildOptions): Promise<ChildResult> {
  return startChild(scenario, options).result;
}

/** Whether the child measures its live heap (collecting garbage every second to see it). */
function wantsLiveHeap(scenario: Scenario): boolean {
  return (scenario.kind === "generated-snapshot" || scenario.kind === "generated-apply") && scenario.liveHeap === true;
}
