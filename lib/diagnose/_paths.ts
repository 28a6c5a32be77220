/**
 * Path and message normalisation shared by the parser: what changes between runs (build and
 * source directories, temporary file names, hex offsets, quote style) is removed here.
 *
 * @module
 */
import { relative } from "node:path";

/** Strips build and source directory prefixes from paths and messages. */
export class PathStripper {
  #prefixes: string[] = [];

  /** `dirs` are absolute directories; their relative forms from each other are stripped too. */
  constructor(dirs: { buildDir?: string; srcDir?: string }[]) {
    const set = new Set<string>();
    for (const { buildDir, srcDir } of dirs) {
      for (const d of [buildDir, srcDir]) if (d) set.add(trimSlash(d));
      // Kbuild names sources relative to O= when O= is a sibling of the tree (`../linux/`).
      if (buildDir && srcDir) {
        const rel = relative(buildDir, srcDir);
        if (rel && rel !== ".") set.add(rel);
      }
    }
    this.#prefixes = [...set].sort((a, b) => b.length - a.length).map((p) => `${p}/`);
  }

  /** `path` relative to the tree or build directory. */
  path(path: string): string {
    let p = path;
    for (const prefix of this.#prefixes) {
      if (p.startsWith(prefix)) {
        p = p.slice(prefix.length);
        break;
      }
    }
    while (p.startsWith("./")) p = p.slice(2);
    return p;
  }

  /** `text` with every directory prefix removed wherever it occurs. */
  text(text: string): string {
    let t = text;
    for (const prefix of this.#prefixes) {
      if (t.includes(prefix)) t = t.split(prefix).join("");
    }
    return t;
  }
}

function trimSlash(p: string): string {
  return p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
}

/** ASCII quotes for gcc's UTF-8 ‘…’ and ld's `…' so that LANG does not change signatures. */
export function asciiQuotes(s: string): string {
  return s.replace(/[‘’`´“”]/g, (c) => (c === "“" || c === "”" ? '"' : "'"));
}

/** A message made stable for a signature: no temp names, hex offsets or repeated blanks. */
export function normalize(s: string): string {
  return asciiQuotes(s)
    .replace(/\/(?:var\/)?tmp\/(?:cc\w{6}|[\w.+]+-[a-zA-Z0-9]{6})\.[os]\b/g, "<tmp>")
    .replace(/\b0x[0-9a-f]+\b/gi, "0x…")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * A CI timestamp at the start of a line: `ts -s` (`00:00:14 `, with optional fraction), `ts`
 * (`Nov 25 14:00:01 `), ISO 8601 as GitHub Actions and LAVA print it, bracketed or not.
 */
const TIMESTAMP =
  /^(?:\d{2}:\d{2}:\d{2}(?:\.\d+)?|[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}(?:\.\d+)?|\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]?) /;

/** `line` without its trailing `\r` and its CI timestamp prefix, if any. */
export function stripTimestamp(line: string): string {
  const l = line.endsWith("\r") ? line.slice(0, -1) : line;
  const c = l.charCodeAt(0);
  // Every form starts with a digit, `[` or a capital letter: skip the regex for the rest.
  if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 91))) return l;
  const m = TIMESTAMP.exec(l);
  return m ? l.slice(m[0].length) : l;
}

/** The build and source directories named by make's `Entering directory` lines. */
export function enteredDirs(lines: readonly string[]): { buildDir?: string; srcDir?: string } {
  const dirs: string[] = [];
  const re = /^make(?:\[\d+\])?: Entering directory ['‘`](.+?)['’]$/;
  for (const line of lines.slice(0, 500)) {
    const m = re.exec(line);
    if (m?.[1] && !dirs.includes(m[1])) dirs.push(m[1]);
    if (dirs.length === 2) break;
  }
  // `make -C SRC O=OBJ` enters SRC first, then OBJ; a plain in-tree build enters one dir.
  return dirs.length === 2 ? { srcDir: dirs[0], buildDir: dirs[1] } : { srcDir: dirs[0] };
}
