import { ErrorCode } from "../core/error-codes.js";
import { isSecretKey } from "../core/redact.js";
import { TributaryError } from "../core/tributary-error.js";

/** A sink given on the command line: `--sink <use>[:key=value,…]`. */
export interface SinkFlag {
  readonly name: string;
  readonly use: string;
  readonly options?: Record<string, string | number | boolean>;
}

/** Where the options begin: the first `:` followed by `key=` (a path may hold `:` elsewhere). */
const OPTIONS_START = /:(?=[A-Za-z_$][\w$.-]*=)/;
const KEY = /^[A-Za-z_$][\w$.-]*$/;
/** A number as JSON writes it; anything else (`0x1f`, `1_000`, `007`, `1.`) stays text. */
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * `--sink jsonl`, `--sink ./audit-sink.js`, `--sink webhook:url=https://…,timeoutMs=5000`: a sink
 * named after what it uses, with the options written after the first `:` that a `key=` follows.
 * Options are `key=value` pairs separated by commas. A bare value is a number when it reads as
 * one (and a JavaScript number holds it exactly), `true` or `false` a boolean, anything else
 * text (an empty value is `""`), and the value of a secret option (`secret`, `password`, `token`…)
 * is always text; a value in double or single quotes is text as written, commas
 * included, with `\` escaping the quote and itself: `secret="a,b"`, `path='2024'`. Errors name
 * the sink and the key, never a value (it may be a secret).
 */
export function parseSinkFlag(text: string): SinkFlag {
  const match = OPTIONS_START.exec(text);
  const use = match ? text.slice(0, match.index) : text;
  const named = { name: sinkNameOf(use), use };
  if (!match) return named;
  return { ...named, options: parseOptions(text.slice(match.index + 1), use) };
}

/** The sink's name from its `use`: the file or package name, without extension or `tributary-sink-`. */
function sinkNameOf(use: string): string {
  const last = use.replace(/[/\\]+$/, "").split(/[/\\]/).pop() ?? use;
  const name = last.replace(/\.[cm]?[jt]s$/, "").replace(/^tributary-sink-/, "").replace(/[^A-Za-z0-9_-]/g, "_");
  return name || "sink";
}

function parseOptions(text: string, use: string): Record<string, string | number | boolean> {
  const options: Record<string, string | number | boolean> = {};
  let at = 0;
  for (let pair = 1; ; pair++) {
    const equals = text.indexOf("=", at);
    const comma = text.indexOf(",", at);
    if (equals === -1 || (comma !== -1 && comma < equals)) throw flagError(use, `option ${pair} is not key=value`);
    const key = text.slice(at, equals);
    // Not echoed: after an unquoted secret holding a comma, this "name" is the secret's tail.
    if (!KEY.test(key)) throw flagError(use, `option ${pair} does not start with an option name (letters, digits, _ $ . -)`);
    if (Object.hasOwn(options, key)) throw flagError(use, `option ${JSON.stringify(key)} is given twice`);
    const { value, end } = readValue(text, equals + 1, use, key);
    Object.defineProperty(options, key, { value, enumerable: true, writable: true, configurable: true });
    if (end === text.length) return options;
    at = end + 1; // past the comma
  }
}

/** The value starting at `start`, and the index of the comma (or the end) after it. */
function readValue(text: string, start: number, use: string, key: string): { value: string | number | boolean; end: number } {
  const quote = text[start];
  if (quote === '"' || quote === "'") {
    let value = "";
    for (let i = start + 1; i < text.length; i++) {
      const char = text[i];
      if (char === "\\" && i + 1 < text.length) value += text[++i];
      else if (char === quote) {
        const end = i + 1;
        if (end !== text.length && text[end] !== ",") throw flagError(use, `option ${JSON.stringify(key)}: text follows its closing quote (put a comma between options)`);
        return { value, end };
      } else value += char;
    }
    throw flagError(use, `option ${JSON.stringify(key)}: its quote is not closed`);
  }
  const comma = text.indexOf(",", start);
  const end = comma === -1 ? text.length : comma;
  const bare = text.slice(start, end);
  // A secret is text whatever it looks like: a PIN or a token of digits is no number.
  return { value: isSecretKey(key) ? bare : typed(bare), end };
}

function typed(bare: string): string | number | boolean {
  if (bare === "true") return true;
  if (bare === "false") return false;
  if (NUMBER.test(bare)) {
    const number = Number(bare);
    // Digits a double would round (a long id, an account number) stay text.
    if (Number.isFinite(number) && (!Number.isInteger(number) || Number.isSafeInteger(number))) return number;
  }
  return bare;
}

function flagError(use: string, problem: string): TributaryError {
  return new TributaryError(
    ErrorCode.ConfigInvalid,
    `--sink ${use}: ${problem}. Write options as --sink ${use}:key=value,key2=value2, quoting a value that holds a comma: key="a,b"`,
    { context: { flag: "--sink" } },
  );
}
