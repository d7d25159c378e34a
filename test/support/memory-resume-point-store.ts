import type { ResumePointStore } from "../../src/core/resume-point-store.js";
import type { Position } from "../../src/core/position.js";

/** A resume point store in memory, for tests: `value` is the stored position, `saved` every save in order. */
export class MemoryResumePointStore implements ResumePointStore {
  readonly description = "memory";
  readonly saved: Position[] = [];
  value: Position | undefined;
  closed = 0;

  constructor(value?: Position) {
    this.value = value;
  }

  async load(): Promise<Position | undefined> {
    return this.value;
  }

  async save(position: Position): Promise<void> {
    this.value = position;
    this.saved.push(position);
  }

  async close(): Promise<void> {
    this.closed += 1;
  }
}
