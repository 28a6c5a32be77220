/**
 * A source scan for atomic operations on 1- and 2-byte objects: calls such as
 * `sync_cmpxchg(pflags, …)` with `u16 *pflags`, or `xchg_acquire(&info->is_active, 1)` with
 * `u8 is_active`. The size is what `sizeof(*(ptr))` gives the arch's `__cmpxchg`/`__xchg`.
 *
 * How the operand's type is found, without a compiler:
 * 1. comments and strings are blanked, and `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else` blocks
 *    are resolved against the config (`defined(CONFIG_X)`, `IS_ENABLED(CONFIG_X)`,
 *    `IS_BUILTIN`, `IS_MODULE`, `!`, `&&`, `||`); a condition it cannot decide keeps its
 *    block. Preprocessor lines themselves (macro bodies included) are not scanned;
 * 2. the first argument is `&lvalue` (the object is the lvalue) or a pointer expression (the
 *    object is what it points to); trailing `[…]` subscripts each remove one level;
 * 3. a member (`&lock->tail`, `&a->b.flags`) is looked up in the struct its base's declared
 *    type names (`struct qspinlock *lock` → `struct qspinlock { … }`, or a `typedef struct
 *    { … } name;`), found in the file or the headers it includes, transitively (local
 *    `"x.h"` ones first); a plain name (`pflags`), or a member whose struct is not found, is
 *    looked up as a declarator: first in the enclosing function before the call, then anywhere
 *    in the file, then in the headers the file includes directly (`"x.h"` next to it, `<a/b.h>`
 *    in `include/`, `arch/<srcarch>/include/` and their `uapi/`); the first scope with a
 *    declaration decides, and a scope whose declarations disagree on the size decides nothing;
 * 4. the size is that of the base type when the dereference count equals the declarator's
 *    pointer and array depth (`u8`, `u16`, `bool`, `__le16`, …); pointers and any other type
 *    count as word-sized, and anything it cannot read (casts, calls) is not reported.
 *
 * Not seen: atomics in header inline functions and macros, calls in functions the compiler
 * drops as unused (those leave no reference), and operands typed through typedefs other than
 * the fixed-width kernel ones.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/** One atomic operation on a narrow object. */
export interface NarrowAtomic {
  /** Source file relative to the tree. */
  file: string;
  /** 1-based line of the call. */
  line: number;
  /** The macro called (`sync_cmpxchg`). */
  call: string;
  /** The pointer argument as written (`&info->is_active`). */
  operand: string;
  /** The base type of the object (`u8`). */
  type: string;
  /** `sizeof` the object, 1 or 2. */
  size: number;
  /** Where the declaration that decided the type is (`file:line`). */
  declaredAt: string;
}

/** Options for {@linkcode scanNarrowAtomics}. */
export interface ScanOptions {
  /** Names of the calls to look for (`cmpxchg`, `xchg_acquire`, …). */
  calls: readonly string[];
  /** Resolved value of a Kconfig symbol without `CONFIG_`. */
  value: (name: string) => string;
  /** SRCARCH, for `arch/<srcarch>/include`. */
  srcarch: string;
}

/** The operand sizes the scan reports (what its type table knows as narrow). */
export const NARROW_SIZES: readonly number[] = [1, 2];

const SIZES: Record<string, number> = {
  u8: 1,
  s8: 1,
  __u8: 1,
  __s8: 1,
  uint8_t: 1,
  int8_t: 1,
  char: 1,
  "unsigned char": 1,
  "signed char": 1,
  bool: 1,
  _Bool: 1,
  u16: 2,
  s16: 2,
  __u16: 2,
  __s16: 2,
  uint16_t: 2,
  int16_t: 2,
  __le16: 2,
  __be16: 2,
  short: 2,
  "short int": 2,
  "unsigned short": 2,
  "unsigned short int": 2,
  "signed short": 2,
};
const QUALIFIERS = new Set([
  "static",
  "const",
  "volatile",
  "extern",
  "register",
  "__rcu",
  "__iomem",
  "__percpu",
  "__user",
  "__read_mostly",
  "__aligned",
  "__packed",
  "signed",
]);
const NOT_TYPES = new Set([
  "return",
  "case",
  "goto",
  "sizeof",
  "else",
  "do",
  "typeof",
  "__typeof__",
  "if",
  "while",
  "for",
  "switch",
]);

interface Decl {
  size: number | "wide";
  type: string;
  depth: number;
  line: number;
}

const textCache = new Map<string, string | null>();
const blankCache = new Map<string, string>();

/** A file's text with comments blanked, read and blanked once per path. */
function blankedCached(path: string): string | undefined {
  let b = blankCache.get(path);
  if (b === undefined) {
    const t = readCached(path);
    if (t === undefined) return undefined;
    b = blankComments(t);
    blankCache.set(path, b);
  }
  return b;
}

const scanCache = new Map<string, NarrowAtomic[]>();

function readCached(path: string): string | undefined {
  if (!textCache.has(path)) {
    textCache.set(path, existsSync(path) ? Deno.readTextFileSync(path) : null);
  }
  return textCache.get(path) ?? undefined;
}

/** Blank comments and string/char literals, keeping offsets and newlines. */
function blankComments(s: string): string {
  return s.replace(
    /\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g,
    (m) => m.startsWith("/") ? m.replace(/[^\n]/g, " ") : m[0] + " ".repeat(m.length - 2) + m[0],
  );
}

/** Evaluate a `#if` condition over CONFIG_ macros: true, false, or undefined (unknown). */
function cppCondition(expr: string, value: (n: string) => string): boolean | undefined {
  let unknown = false;
  const sym = (n: string, test: (v: string) => boolean) => {
    const m = n.match(/^CONFIG_(\w+?)(_MODULE)?$/);
    if (!m) {
      unknown = true;
      return "0";
    }
    const v = value(m[1]!);
    return test(m[2] ? (v === "m" ? "y" : "n") : v) ? "1" : "0";
  };
  const e = expr
    .replace(/\bdefined\s*\(?\s*(\w+)\s*\)?/g, (_, n) => sym(n, (v) => v !== "n" && v !== "m"))
    .replace(/\bIS_ENABLED\s*\(\s*(\w+)\s*\)/g, (_, n) => {
      const m = n.match(/^CONFIG_(\w+)$/);
      if (!m) return sym(n, () => false);
      return value(m[1]!) === "y" || value(m[1]!) === "m" ? "1" : "0";
    })
    .replace(/\bIS_BUILTIN\s*\(\s*(\w+)\s*\)/g, (_, n) => sym(n, (v) => v === "y"))
    .replace(/\bIS_MODULE\s*\(\s*CONFIG_(\w+)\s*\)/g, (_, n) => value(n) === "m" ? "1" : "0")
    .replace(/\b[A-Za-z_]\w*\b/g, (n) => {
      unknown = true;
      return n;
    });
  if (unknown || !/^[\s01()!&|]*$/.test(e)) return undefined;
  return boolExpr(e.replace(/\s+/g, ""));
}

/** Evaluate `0`/`1` with `!`, `&&`, `||` and parentheses; undefined when malformed. */
function boolExpr(e: string): boolean | undefined {
  let i = 0;
  const primary = (): boolean | undefined => {
    const c = e[i++];
    if (c === "!") {
      const v = primary();
      return v === undefined ? undefined : !v;
    }
    if (c === "(") {
      const v = or();
      return e[i++] === ")" ? v : undefined;
    }
    return c === "1" ? true : c === "0" ? false : undefined;
  };
  const and = (): boolean | undefined => {
    let v = primary();
    while (e.startsWith("&&", i)) {
      i += 2;
      const r = primary();
      v = v === undefined || r === undefined ? undefined : v && r;
    }
    return v;
  };
  const or = (): boolean | undefined => {
    let v = and();
    while (e.startsWith("||", i)) {
      i += 2;
      const r = and();
      v = v === undefined || r === undefined ? undefined : v || r;
    }
    return v;
  };
  const v = or();
  return i === e.length ? v : undefined;
}

/** Blank preprocessor lines and the inactive branches of config conditionals. */
function preprocess(text: string, value: (n: string) => string): string {
  const lines = text.split("\n");
  const stack: { active: boolean; taken: boolean; parent: boolean }[] = [];
  const active = () => stack.every((s) => s.active);
  let cont = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const directive = cont || /^\s*#/.test(l);
    if (!directive) {
      if (!active()) lines[i] = "";
      continue;
    }
    const wasCont = cont;
    cont = /\\\s*$/.test(l);
    lines[i] = "";
    if (wasCont) continue;
    const m = l.match(/^\s*#\s*(ifdef|ifndef|if|elif|else|endif)\b(.*)$/);
    if (!m) continue;
    const [, d, rest] = m as unknown as [string, string, string];
    const cond = (): boolean | undefined => {
      const name = rest.trim();
      if (d === "ifdef") return cppCondition(`defined(${name})`, value);
      if (d === "ifndef") {
        const v = cppCondition(`defined(${name})`, value);
        return v === undefined ? undefined : !v;
      }
      return cppCondition(rest.replace(/\\$/, ""), value);
    };
    if (d === "if" || d === "ifdef" || d === "ifndef") {
      const parent = active();
      const v = cond();
      // Unknown: keep the block (and later branches too).
      stack.push({ active: v !== false, taken: v === true, parent });
    } else if (d === "elif") {
      const top = stack[stack.length - 1];
      if (!top) continue;
      if (top.taken) top.active = false;
      else {
        const v = cond();
        top.active = v !== false;
        top.taken = v === true;
      }
    } else if (d === "else") {
      const top = stack[stack.length - 1];
      if (top) top.active = !top.taken;
    } else stack.pop();
  }
  return lines.join("\n");
}

/** Index of the `)` matching the `(` at `open`, or -1. */
function matchParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === "(" || s[i] === "[" || s[i] === "{") depth++;
    else if (s[i] === ")" || s[i] === "]" || s[i] === "}") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function firstArg(s: string, open: number): string | undefined {
  let depth = 0;
  for (let i = open + 1; i < s.length; i++) {
    const c = s[i];
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      if (depth === 0) return s.slice(open + 1, i);
      depth--;
    } else if (c === "," && depth === 0) return s.slice(open + 1, i);
  }
  return undefined;
}

function lineAt(s: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}

/** The declarations of `name` in `text[from, to)`. */
function declarations(text: string, name: string, from = 0, to = text.length): Decl[] {
  const out: Decl[] = [];
  const re = new RegExp(`\\b${name}\\b`, "g");
  re.lastIndex = from;
  for (let m = re.exec(text); m && m.index < to; m = re.exec(text)) {
    const after = text.slice(m.index + name.length, m.index + name.length + 200);
    const dims = after.match(/^\s*((?:\[[^\]]*\]\s*)*)(?:[;,=)]|:\s*\d)/);
    if (!dims) continue;
    const arrayDepth = (dims[1]!.match(/\[/g) ?? []).length;
    // Walk back: pointer stars, then either the type or a comma of a declarator list.
    let j = m.index - 1;
    let stars = 0;
    while (j >= 0 && /[\s*]/.test(text[j]!)) {
      if (text[j] === "*") stars++;
      j--;
    }
    let typeEnd = j + 1;
    if (text[j] === ",") {
      // `u16 flags, nflags;`: the type is at the start of the statement.
      let k = j;
      while (k >= 0 && !/[;{}()]/.test(text[k]!)) k--;
      const stmt = text.slice(k + 1, j);
      const first = stmt.match(/^\s*((?:[A-Za-z_]\w*\s+)+?)\**\s*[A-Za-z_]\w*\s*(\[|,|=|$)/);
      if (!first) continue;
      typeEnd = -1;
      const decl = typeDecl(first[1]!, stars + arrayDepth, lineAt(text, m.index));
      if (decl) out.push(decl);
      continue;
    }
    let k = typeEnd - 1;
    while (k >= 0 && /[\w\s]/.test(text[k]!)) k--;
    if (k >= 0 && !/[;{}(,]/.test(text[k]!)) continue;
    const decl = typeDecl(text.slice(k + 1, typeEnd), stars + arrayDepth, lineAt(text, m.index));
    if (decl) out.push(decl);
  }
  return out;
}

function typeDecl(raw: string, depth: number, line: number): Decl | undefined {
  const tokens = raw.trim().split(/\s+/).filter((t) => t && !QUALIFIERS.has(t));
  if (tokens.length === 0 || tokens.some((t) => NOT_TYPES.has(t) || /^\d/.test(t))) {
    return undefined;
  }
  const type = tokens.join(" ");
  return { size: SIZES[type] ?? "wide", type, depth, line };
}

/** The size the first scope with declarations gives, or undefined. */
function decide(scopes: { decls: Decl[]; where: string }[], derefs: number) {
  for (const { decls, where } of scopes) {
    if (decls.length === 0) continue;
    const sizes = new Set(
      decls.map((d) => d.depth > derefs ? "wide" : d.depth === derefs ? d.size : "?"),
    );
    if (sizes.size !== 1) return undefined;
    const d = decls[0]!;
    const size = [...sizes][0];
    return typeof size === "number" ? { size, type: d.type, at: `${where}:${d.line}` } : undefined;
  }
  return undefined;
}

/**
 * Find atomic calls on 1- and 2-byte objects in one C source file.
 *
 * @param src Kernel source tree.
 * @param file The C file, relative to `src`.
 * @param options The calls to find, the config, SRCARCH.
 */
export function scanNarrowAtomics(src: string, file: string, options: ScanOptions): NarrowAtomic[] {
  const raw = readCached(join(src, file));
  if (raw === undefined) return [];
  // The scan depends on the config only through the file's own `#if`s: memoized on the values
  // of the CONFIG_ names the file mentions.
  const names = [...new Set(raw.match(/\bCONFIG_\w+/g) ?? [])].sort();
  const key = [
    src,
    file,
    options.srcarch,
    options.calls.join(","),
    ...names.map((n) => {
      const m = n.match(/^CONFIG_(\w+?)(_MODULE)?$/)!;
      return options.value(m[1]!);
    }),
  ].join("\0");
  const hit = scanCache.get(key);
  if (hit) return hit;
  const out = scanFile(src, file, raw, options);
  scanCache.set(key, out);
  return out;
}

function scanFile(src: string, file: string, raw: string, options: ScanOptions): NarrowAtomic[] {
  if (!options.calls.some((c) => raw.includes(c))) return [];
  const text = preprocess(blankComments(raw), options.value);
  const callRe = new RegExp(`(?<![\\w.>])(${options.calls.join("|")})\\s*\\(`, "g");
  const out: NarrowAtomic[] = [];
  let headers: { decls: (n: string) => Decl[]; where: string }[] | undefined;
  let structs: StructFinder | undefined;
  for (const m of text.matchAll(callRe)) {
    const open = m.index + m[0].length - 1;
    let arg = firstArg(text, open)?.trim();
    if (!arg) continue;
    while (arg.startsWith("(") && matchParen(arg, 0) === arg.length - 1) {
      arg = arg.slice(1, -1).trim();
    }
    let derefs = 1;
    let lv = arg;
    if (lv.startsWith("&")) {
      derefs = 0;
      lv = lv.slice(1).trim();
    }
    while (lv.endsWith("]")) {
      let depth = 0;
      let k = lv.length - 1;
      for (; k >= 0; k--) {
        if (lv[k] === "]") depth++;
        else if (lv[k] === "[" && --depth === 0) break;
      }
      lv = lv.slice(0, k).trim();
      derefs++;
    }
    const nm = lv.match(/(?:^|->|\.)\s*([A-Za-z_]\w*)$/);
    if (!nm || /[()]/.test(lv)) continue;
    const name = nm[1]!;
    // Enclosing function: from the last top-level `{` before the call.
    let fnStart = 0;
    let depth = 0;
    for (let i = 0; i < m.index; i++) {
      if (text[i] === "{") {
        if (depth === 0) fnStart = i;
        depth++;
      } else if (text[i] === "}") depth--;
    }
    headers ??= includedHeaders(src, file, raw, options.srcarch);
    const scopes = (n: string) => [
      { decls: declarations(text, n, fnStart, m.index), where: file },
      { decls: declarations(text, n), where: file },
      ...headers!.map((h) => ({ decls: h.decls(n), where: h.where })),
    ];
    // A member (`&lock->tail`, `&a->b.c`) is looked up in its struct, when the struct is found.
    const chain = lv.match(/^([A-Za-z_]\w*)((?:\s*(?:->|\.)\s*[A-Za-z_]\w*)+)$/);
    const member = chain
      ? memberDecls(chain[1]!, [...chain[2]!.matchAll(/(->|\.)\s*(\w+)/g)], {
        scopes,
        structs: (tag) =>
          (structs ??= new StructFinder(src, file, { text, raw }, options.srcarch)).find(tag),
      })
      : undefined;
    const decided = decide(member ? [member] : scopes(name), derefs);
    if (!decided) continue;
    out.push({
      file,
      line: lineAt(text, m.index),
      call: m[1]!,
      operand: arg,
      type: decided.type,
      size: decided.size,
      declaredAt: decided.at,
    });
  }
  return out;
}

function includedHeaders(src: string, file: string, raw: string, srcarch: string) {
  const out: { decls: (n: string) => Decl[]; where: string }[] = [];
  for (const m of raw.matchAll(/^\s*#\s*include\s*([<"])([^>"]+)[>"]/gm)) {
    const name = m[2]!;
    const candidates = m[1] === '"' ? [join(dirname(file), name)] : [
      join("include", name),
      join("arch", srcarch, "include", name),
      join("include/uapi", name),
      join("arch", srcarch, "include/uapi", name),
    ];
    for (const c of candidates) {
      const t = readCached(join(src, c));
      if (t === undefined) continue;
      let blanked: string | undefined;
      out.push({
        decls: (n) => {
          if (!t.includes(n)) return [];
          blanked ??= blankedCached(join(src, c)) ?? "";
          return declarations(blanked, n);
        },
        where: c,
      });
      break;
    }
  }
  return out;
}

/** A struct's body text and where it is. */
interface StructBody {
  text: string;
  where: string;
  line: number;
}

/**
 * The declarations of the last member of `base->a.b`, read in the struct the chain leads to:
 * the base's declared type (`struct qspinlock *lock`), then each member's, through
 * `struct <tag> { … }` bodies and `typedef struct <tag> { … } name;`. Undefined when a link of
 * the chain cannot be resolved (then the caller falls back to the name alone).
 */
function memberDecls(
  base: string,
  steps: RegExpMatchArray[],
  find: {
    scopes: (n: string) => { decls: Decl[]; where: string }[];
    structs: (tag: string) => StructBody | undefined;
  },
): { decls: Decl[]; where: string } | undefined {
  const scope = find.scopes(base).find((s) => s.decls.length > 0);
  if (!scope) return undefined;
  let types = new Set(scope.decls.map((d) => `${d.type}\0${d.depth}`));
  for (const [i, step] of steps.entries()) {
    if (types.size !== 1) return undefined;
    const [type, depth] = [...types][0]!.split("\0") as [string, string];
    if (Number(depth) !== (step[1] === "->" ? 1 : 0)) return undefined;
    const body = find.structs(type);
    if (!body) return undefined;
    const decls = declarations(body.text, step[2]!).map((d) => ({
      ...d,
      line: body.line + d.line - 1,
    }));
    if (decls.length === 0) return undefined;
    if (i === steps.length - 1) return { decls, where: body.where };
    types = new Set(decls.map((d) => `${d.type}\0${d.depth}`));
  }
  return undefined;
}

/**
 * Finds `struct <tag> { … }` in a file and in the headers it includes, transitively: the
 * `"local.h"` headers first (a driver's own structs), then the `<…>` ones, breadth first,
 * reading at most 1000 headers.
 */
class StructFinder {
  #src: string;
  #srcarch: string;
  #files: { file: string; text: string }[];
  #local: string[] = [];
  #queue: string[] = [];
  #seen = new Set<string>();
  #cache = new Map<string, StructBody | undefined>();

  /** `text` is the file as scanned (config resolved), `raw` as written (with its includes). */
  constructor(src: string, file: string, texts: { text: string; raw: string }, srcarch: string) {
    this.#src = src;
    this.#srcarch = srcarch;
    this.#files = [{ file, text: texts.text }];
    this.#seen.add(file);
    this.#enqueue(file, texts.raw);
  }

  #enqueue(file: string, text: string): void {
    for (const m of text.matchAll(/^\s*#\s*include\s*([<"])([^>"]+)[>"]/gm)) {
      const name = m[2]!;
      const a = this.#srcarch;
      const candidates = m[1] === '"' ? [join(dirname(file), name)] : [];
      candidates.push(
        join("arch", a, "include", name),
        join("include", name),
        join("arch", a, "include/uapi", name),
        join("include/uapi", name),
      );
      if (name.startsWith("asm/")) candidates.push(join("include/asm-generic", name.slice(4)));
      const c = candidates.find((c) => existsSync(join(this.#src, c)));
      if (c && !this.#seen.has(c)) {
        this.#seen.add(c);
        (m[1] === '"' ? this.#local : this.#queue).push(c);
      }
    }
  }

  /** The body of `struct <tag>` (or of the struct a typedef name stands for). */
  find(type: string): StructBody | undefined {
    if (this.#cache.has(type)) return this.#cache.get(type);
    const tag = type.match(/^(?:struct|union)\s+(\w+)$/)?.[1];
    const name = tag ?? (/^\w+$/.test(type) ? type : undefined);
    let found: StructBody | undefined;
    if (name) {
      const re = tag
        ? new RegExp(`\\b(?:struct|union)\\s+${tag}\\s*\\{`, "g")
        : new RegExp(`\\btypedef\\s+(?:struct|union)\\s*\\w*\\s*\\{`, "g");
      for (let i = 0; !found; i++) {
        while (
          i >= this.#files.length && this.#local.length + this.#queue.length > 0 &&
          this.#files.length < 1000
        ) {
          const next = (this.#local.length > 0 ? this.#local : this.#queue).shift()!;
          const t = readCached(join(this.#src, next));
          if (t === undefined) continue;
          this.#files.push({ file: next, text: blankedCached(join(this.#src, next)) ?? "" });
          this.#enqueue(next, t);
        }
        const f = this.#files[i];
        if (!f) break;
        if (!f.text.includes(name)) continue;
        for (const m of f.text.matchAll(re)) {
          const open = m.index + m[0].length - 1;
          const close = matchParen(f.text, open);
          if (close < 0) continue;
          // A typedef: the name after the closing brace must be the one asked for.
          if (!tag && !new RegExp(`^\\s*${name}\\s*;`).test(f.text.slice(close + 1, close + 200))) {
            continue;
          }
          found = {
            text: f.text.slice(open + 1, close),
            where: f.file,
            line: lineAt(f.text, open + 1),
          };
          break;
        }
      }
    }
    this.#cache.set(type, found);
    return found;
  }
}
