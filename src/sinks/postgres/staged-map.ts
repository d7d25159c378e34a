/**
 * A map changed inside a database transaction: changes are seen at once by `get`, but become
 * lasting only with `commit()`; `rollback()` forgets them, so a rolled-back batch leaves no stale
 * entry behind.
 */
export class StagedMap<K, V> {
  private committed = new Map<K, V>();
  /** `null`: deleted in this transaction. */
  private readonly staged = new Map<K, V | null>();

  /** Replaces everything, as loaded from the database. */
  reset(entries: Iterable<readonly [K, V]>): void {
    this.committed = new Map(entries);
    this.staged.clear();
  }

  get(key: K): V | undefined {
    const staged = this.staged.get(key);
    return staged === undefined ? this.committed.get(key) : (staged ?? undefined);
  }

  set(key: K, value: V): void {
    this.staged.set(key, value);
  }

  delete(key: K): void {
    this.staged.set(key, null);
  }

  /** The current entries, staged changes included. */
  entries(): [K, V][] {
    const keys = new Set([...this.committed.keys(), ...this.staged.keys()]);
    return [...keys].flatMap((key) => {
      const value = this.get(key);
      return value === undefined ? [] : [[key, value] as [K, V]];
    });
  }

  commit(): void {
    for (const [key, value] of this.staged) {
      if (value === null) this.committed.delete(key);
      else this.committed.set(key, value);
    }
    this.staged.clear();
  }

  rollback(): void {
    this.staged.clear();
  }
}
