import { expect } from "vitest";
import { TributaryError } from "../../src/core/tributary-error.js";

/** Iterates in the background, collecting what arrives; `done` settles with the loop's error, if any. */
export function collect<T>(iterable: AsyncIterable<T>): { items: T[]; done: Promise<unknown> } {
  const items: T[] = [];
  const done = (async () => {
    for await (const item of iterable) items.push(item);
  })().then(
    () => undefined,
    (error: unknown) => error,
  );
  return { items, done };
}

/** Every group an iterable of groups hands out, in order. */
export async function groupsOf<T>(iterable: AsyncIterable<readonly T[]>): Promise<T[][]> {
  const groups: T[][] = [];
  for await (const group of iterable) groups.push([...group]);
  return groups;
}

/** The TributaryError a promise rejects with (the test fails if it resolves or rejects with something else). */
export async function failure(promise: Promise<unknown>): Promise<TributaryError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TributaryError);
  return error as TributaryError;
}
