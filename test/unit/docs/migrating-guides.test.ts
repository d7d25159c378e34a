// The migration guides stand alone: every link stays inside the repository and lands on a file
// (and heading) that exists, and each guide has the parts the index promises.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { guideCommand, guideCommandLines, guideFile, type Guide } from "../../support/guide-walkthrough.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const GUIDES = join(ROOT, "docs", "migrating");
const TOOL_GUIDES = ["mongo-connector", "mongo-connector-postgresql", "gtm", "mongowatch", "superduperdb"];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  for (const [, heading = ""] of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
    found.add(heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-"));
  }
  return found;
}

function links(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] as string);
}

describe("docs/migrating", () => {
  const files = readdirSync(GUIDES).filter((name) => name.endsWith(".md"));

  it("has the index and one guide per tool", () => {
    expect(files.sort()).toEqual(["README.md", ...TOOL_GUIDES.map((name) => `${name}.md`)].sort());
    const index = readFileSync(join(GUIDES, "README.md"), "utf8");
    for (const name of TOOL_GUIDES) expect(index).toContain(`](${name}.md)`);
  });

  it.each(TOOL_GUIDES)("%s.md maps the options, lists the differences and walks through the cutover", (name) => {
    const markdown = readFileSync(join(GUIDES, `${name}.md`), "utf8");
    expect(markdown).toMatch(/^\| [^|\n]+ \| Tributary[^|\n]* \|$/m);
    expect(markdown).toContain("\n## Differences that bite\n");
    expect(markdown).toContain("\n## The cutover, step by step\n");
  });

  it.each(files)("%s links only to files and headings inside the repository", (name) => {
    const path = join(GUIDES, name);
    const markdown = readFileSync(path, "utf8");
    for (const link of links(markdown)) {
      expect(link, `${name}: ${link}`).not.toMatch(/^(?:[a-z]+:|\/)/i);
      const [target = "", anchor] = link.split("#");
      const file = target === "" ? path : resolve(dirname(path), target);
      expect(relative(ROOT, file).startsWith(".."), `${name}: ${link} leaves the repository`).toBe(false);
      expect(existsSync(file), `${name}: ${link} does not exist`).toBe(true);
      if (anchor !== undefined && file.endsWith(".md")) {
        expect(anchors(readFileSync(file, "utf8")), `${name}: ${link} has no such heading`).toContain(anchor);
      }
    }
  });
});

describe("guide commands", () => {
  const guide: Guide = {
    name: "example",
    markdown: [
      "```sh",
      'tributary sync --config tributary.yml \\',
      "    --to \"$TRIBUTARY_POSTGRES_URL\" --include 'shop.*'   # comment",
      "echo not tributary",
      "```",
      "```ts",
      "tributary ignored --because not-sh",
      "```",
    ].join("\n"),
  };

  it("joins continuations, drops comments and reads only sh blocks", () => {
    expect(guideCommandLines(guide)).toEqual(["tributary sync --config tributary.yml --to \"$TRIBUTARY_POSTGRES_URL\" --include 'shop.*'"]);
  });

  it("splits words as sh would, with the variables the test sets", () => {
    expect(guideCommand(guide, "sync", { TRIBUTARY_POSTGRES_URL: "postgres://h/d" })).toEqual(["sync", "--config", "tributary.yml", "--to", "postgres://h/d", "--include", "shop.*"]);
  });

  it("takes files and commands out of list items, their indentation taken off", async () => {
    const listed: Guide = { name: "listed", markdown: "1. Write it:\n\n   <!-- file: a.yml -->\n   ```yaml\n   name: x\n   source:\n     uri: y\n   ```\n2. Run:\n   ```sh\n   tributary sync --config a.yml\n   ```\n" };
    expect(guideFile(listed, "a.yml")).toBe("name: x\nsource:\n  uri: y\n");
    expect(guideCommand(listed, "sync")).toEqual(["sync", "--config", "a.yml"]);
  });

  it("refuses a variable the test did not set, and a command the guide lacks", () => {
    expect(() => guideCommand(guide, "sync")).toThrow(/uses \$TRIBUTARY_POSTGRES_URL/);
    expect(() => guideCommand(guide, "verify")).toThrow(/found 0/);
  });
});
