/**
 * Errors that point at a place in a file, printed as `file:line:col: path: problem`.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { type Document, isNode, type LineCounter } from "yaml";

/** An input error with its location; the CLI prints {@linkcode Error.message} and exits 2. */
export class LocatedError extends InputError {
  /** File the error is in. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly col: number;

  /** Make an error at `file:line:col`; `path` is the dotted key path, `problem` the text. */
  constructor(where: { file: string; line: number; col: number }, path: string, problem: string) {
    super(`${where.file}:${where.line}:${where.col}: ${path ? `${path}: ` : ""}${problem}`);
    this.name = "LocatedError";
    this.file = where.file;
    this.line = where.line;
    this.col = where.col;
  }
}

/** A parsed YAML document with what is needed to point back into its text. */
export interface SourceDoc {
  /** The file name to print in errors. */
  file: string;
  /** The parsed document. */
  doc: Document.Parsed;
  /** Line offsets of the text. */
  lines: LineCounter;
}

/** Format a key path the way users read it: `variants[0].patches[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/**
 * Where `path` is in the document: the node itself, else the nearest ancestor that exists
 * (a missing key is reported at the map that lacks it). `key` points at the key rather than
 * the value, for unknown keys.
 */
export function locate(
  src: SourceDoc,
  path: readonly PropertyKey[],
  options: { key?: boolean } = {},
): { file: string; line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n) as PropertyKey[];
    let offset: number | undefined;
    if (options.key && n === path.length && n > 0) {
      const parent = sub.length > 1 ? src.doc.getIn(sub.slice(0, -1), true) : src.doc.contents;
      if (parent && typeof parent === "object" && "items" in parent) {
        const items = (parent as { items: { key?: unknown }[] }).items;
        const pair = items.find((it) =>
          isNode(it.key) && (it.key as { value?: unknown }).value === sub[sub.length - 1]
        );
        if (pair && isNode(pair.key)) offset = pair.key.range?.[0];
      }
    }
    if (offset === undefined) {
      const node = sub.length === 0 ? src.doc.contents : src.doc.getIn(sub, true);
      if (isNode(node)) offset = node.range?.[0];
    }
    if (offset !== undefined) {
      const pos = src.lines.linePos(offset);
      return { file: src.file, line: pos.line, col: pos.col };
    }
  }
  return { file: src.file, line: 1, col: 1 };
}

/** Make a {@linkcode LocatedError} at `path` in `src`. */
export function errorAt(
  src: SourceDoc,
  path: readonly PropertyKey[],
  problem: string,
  options: { key?: boolean } = {},
): LocatedError {
  return new LocatedError(locate(src, path, options), formatPath(path), problem);
}
