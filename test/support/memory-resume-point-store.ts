import type { ResumePointStore } from "../../src/checkpoint/resume-point-store.js";
import type { Position } from "../../src/source/position.js";

/** A resume point store in memory, for tests: `saved` lists every position saved, in order. */
export class MemoryResumePointStore implements ResumePointStore {
  readonly description = "memory";
  readonly saved: Position[] = [];
  closed = 0;

  constructor(private stored?: Position) {}

  async load(): Promise<Position | undefined> {
    return this.stored;
  }

  async save(position: Position): Promise<void> {
    this.stored = position;
    this.saved.push(position);
  }

  async close(): Promise<void> {
    this.closed += 1;
  }
}
