// Reads a migration guide (docs/migrating/*.md) so that its walk-through test runs exactly the
// commands and files the guide shows: `tributary …` lines of its ```sh blocks, and the fenced
// blocks it marks with `<!-- file: NAME -->` (written out as that file).

import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const GUIDES = fileURLToPath(new URL("../../docs/migrating/", import.meta.url));

export interface Guide {
  readonly name: string;
  readonly markdown: string;
}

export function readGuide(name: string): Guide {
  return { name, markdown: readFileSync(join(GUIDES, `${name}.md`), "utf8") };
}

/** Every `tributary …` command of the guide's ```sh blocks, continuation lines joined, comments cut. */
export function guideCommandLines(guide: Guide): string[] {
  const lines: string[] = [];
  for (const block of fencedBlocks(guide.markdown).filter((b) => b.lang === "sh")) {
    const joined = block.body.replace(/\\\n\s*/g, "");
    for (const line of joined.split("\n")) {
      const command = stripComment(line).trim();
      if (command.startsWith("tributary ")) lines.push(command);
    }
  }
  return lines;
}

/**
 * The guide's one command starting with `tributary <prefix>`, as arguments after `tributary`,
 * with `$NAME` / `${NAME}` taken from `env` (a name missing from `env` is an error, so a test
 * never runs a command with a hole in it).
 */
export function guideCommand(guide: Guide, prefix: string, env: Readonly<Record<string, string>> = {}): string[] {
  const matches = guideCommandLines(guide).filter((line) => line === `tributary ${prefix}` || line.startsWith(`tributary ${prefix} `));
  if (matches.length !== 1) throw new Error(`${guide.name}.md: expected one command starting with "tributary ${prefix}", found ${matches.length}`);
  return shellWords(matches[0] as string, env).slice(1);
}

/** Writes the guide's `<!-- file: NAME -->` blocks into `dir`; returns their names. */
export async function writeGuideFiles(guide: Guide, dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const block of fencedBlocks(guide.markdown)) {
    if (block.file === undefined) continue;
    await mkdir(dirname(join(dir, block.file)), { recursive: true });
    await writeFile(join(dir, block.file), block.body);
    names.push(block.file);
  }
  return names;
}

/** The text of the block marked `<!-- file: NAME -->`. */
export function guideFile(guide: Guide, name: string): string {
  const block = fencedBlocks(guide.markdown).find((b) => b.file === name);
  if (!block) throw new Error(`${guide.name}.md: no block marked <!-- file: ${name} -->`);
  return block.body;
}

interface FencedBlock {
  readonly lang: string;
  readonly body: string;
  readonly file?: string;
}

/** Fenced blocks, also those indented in a list item (their indentation taken off). */
function fencedBlocks(markdown: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  const pattern = /^([ \t]*)(?:<!-- file: (\S+) -->\n[ \t]*)?```(\w*)\n([\s\S]*?)^[ \t]*```/gm;
  for (const match of markdown.matchAll(pattern)) {
    const [, indent = "", file, lang = "", indented = ""] = match;
    const body = indented.replace(new RegExp(`^${indent}`, "gm"), "");
    blocks.push(file === undefined ? { lang, body } : { lang, body, file });
  }
  return blocks;
}

function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === "#" && (i === 0 || /\s/.test(line[i - 1] as string))) return line.slice(0, i);
  }
  return line;
}

/** Splits a command line as sh would: quotes, and variables outside single quotes. */
function shellWords(line: string, env: Readonly<Record<string, string>>): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i] as string;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
    } else if (char === "$") {
      const [name, length] = variableAt(line, i);
      const value = env[name];
      if (value === undefined) throw new Error(`the guide's command uses $${name}, which the test did not set: ${line}`);
      word = (word ?? "") + value;
      i += length - 1;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else word += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      word ??= "";
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? "") + char;
  }
  if (quote) throw new Error(`unclosed ${quote} in the guide's command: ${line}`);
  if (word !== undefined) words.push(word);
  return words;
}

function variableAt(line: string, at: number): [name: string, length: number] {
  const braced = /^\$\{(\w+)\}/.exec(line.slice(at));
  if (braced) return [braced[1] as string, braced[0].length];
  const bare = /^\$(\w+)/.exec(line.slice(at));
  if (!bare) throw new Error(`a lone $ in the guide's command: ${line}`);
  return [bare[1] as string, bare[0].length];
}
