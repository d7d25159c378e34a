import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

/** A clone's layout around a copy of bin/tributary.js, whose dist/ and src/ entry points each say which ran. */
async function cloneLayout(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "tributary-bin-"));
  await mkdir(join(root, "bin"));
  await mkdir(join(root, "dist", "cli"), { recursive: true });
  await mkdir(join(root, "src", "cli"), { recursive: true });
  await copyFile(resolve("bin/tributary.js"), join(root, "bin", "tributary.js"));
  await writeFile(join(root, "package.json"), JSON.stringify({ type: "module" }));
  await symlink(resolve("node_modules"), join(root, "node_modules"));
  await writeFile(join(root, "src", "cli", "run.ts"), 'process.stdout.write("source");\n');
  await writeFile(join(root, "dist", "cli", "run.js"), 'process.stdout.write("built");\n');
  return root;
}

async function launch(root: string): Promise<string> {
  const { stdout } = await run(process.execPath, [join(root, "bin", "tributary.js")]);
  return stdout;
}

describe("bin/tributary.js", () => {
  let root: string;

  beforeAll(async () => {
    root = await cloneLayout();
  });

  it("runs the build when it is newer than every source file", async () => {
    await utimes(join(root, "src", "cli", "run.ts"), new Date("2026-01-01"), new Date("2026-01-01"));
    await utimes(join(root, "dist", "cli", "run.js"), new Date("2026-01-02"), new Date("2026-01-02"));
    expect(await launch(root)).toBe("built");
  });

  it("runs the source when a source file changed after the build, instead of a stale build", async () => {
    await utimes(join(root, "src", "cli", "run.ts"), new Date("2026-01-03"), new Date("2026-01-03"));
    expect(await launch(root)).toBe("source");
  });
});
