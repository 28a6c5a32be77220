/**
 * Which atomic operations, on operands of which sizes, end in a link-time error symbol
 * (`__bad_cmpxchg`, `__bad_xchg`) under a resolved config: read from the tree, not listed.
 *
 * 1. The arch Makefile is evaluated with the config (lib/kbuild's make evaluator) for the `-D`
 *    flags it adds to `KBUILD_CFLAGS`/`KBUILD_CPPFLAGS`: on arm, `arch-$(CONFIG_CPU_32v6)
 *    =-D__LINUX_ARM_ARCH__=6 …`, the last matching line winning as in make.
 * 2. The entry headers (`linux/atomic.h`, `asm/sync_bitops.h`) are read as cpp reads them
 *    (see `_cpp.ts`), following the `#include`s of headers named after atomics, cmpxchg or
 *    sync_bitops (`asm/atomic.h`, `asm/cmpxchg.h`, `linux/atomic/*.h`,
 *    `asm-generic/cmpxchg-local.h`, `linux/cmpxchg-emu.h`), so every `#ifndef arch_xchg_relaxed`
 *    fallback and every `#if __LINUX_ARM_ARCH__ >= 6` is decided as the compiler decides it.
 * 3. Every function-like macro of those headers is expanded on a placeholder operand
 *    (`cmpxchg(__kmp, __kma1, __kma2)`), to the end, through `__atomic_op_fence(op, args...)`'s
 *    `op##_relaxed` and `typeof(ptr) __ai_ptr = (ptr)` copies; a `static inline` function called
 *    with `sizeof(*(operand))` receives the operand's size.
 * 4. In such a function, for each size, a `switch (size)` keeps the statements from the
 *    matching `case N:` (else `default:`) to the next `break`; what remains is searched for a
 *    call of an error symbol, and for calls passing the size on to another inline function.
 *
 * On Linux 6.1 arm with CPU_V6=y (and no pre-v6 CPU), `xchg`, `cmpxchg`, `sync_cmpxchg`,
 * `try_cmpxchg`, … on 1- and 2-byte operands reach `default: __bad_xchg`/`__bad_cmpxchg` in
 * arch/arm/include/asm/cmpxchg.h; on 6.12 the 1-byte cmpxchg goes to `cmpxchg_emu_u8` instead.
 * `cmpxchg_local` takes `__cmpxchg_local`, whose `case 1: case 2:` go to the generic local
 * version, so it is not reported. Not read: size tests written as `if (sizeof(*(ptr)) == N)` in
 * macros, and `__builtin_constant_p` selections.
 *
 * @module
 */
import { join } from "node:path";
import { MakeScope } from "../kbuild/make_eval.ts";
import { Cpp, tokenize, untokenize } from "./_cpp.ts";

/** Options for {@linkcode deriveBadSizes}. */
export interface BadSizesOptions {
  /** SRCARCH (`arm`). */
  srcarch: string;
  /** Resolved value of a Kconfig symbol without `CONFIG_`. */
  value: (name: string) => string;
  /** The error symbols (`__bad_cmpxchg`, `__bad_xchg`). */
  symbols: readonly string[];
  /** Entry headers as `#include` names (default `linux/atomic.h`, `asm/sync_bitops.h`). */
  headers?: readonly string[];
  /** Operand sizes to try (default 1, 2, 4, 8). */
  sizes?: readonly number[];
}

/** How one operation on one operand size reaches an error symbol. */
export interface BadPath {
  /** The macro called (`sync_try_cmpxchg`). */
  name: string;
  /** `sizeof(*ptr)`. */
  size: number;
  /** The error symbol reached. */
  symbol: string;
  /** The inline functions on the way, last one calling the symbol (`__cmpxchg`). */
  via: string[];
  /** `file:line` of the symbol's call. */
  at: string;
}

/** What {@linkcode deriveBadSizes} read from the tree. */
export interface BadSizes {
  /** Macro name → its paths to an error symbol, one per bad size. */
  byName: Map<string, BadPath[]>;
  /** The Kconfig symbols of the `#if`s that decided the size switches' case labels. */
  condition: string[];
  /** The arch Makefile's `-D` flags under this config (`__LINUX_ARM_ARCH__=6`). */
  defines: Record<string, string>;
  /** Headers read, relative to the tree. */
  files: string[];
}

const FOLLOW = /(^|\/)[^/]*(atomic|cmpxchg|sync_bitops)[^/]*\.h$/;
const P = "__kmp";

/** The `-D`/`-U` flags of the arch Makefile's compiler flags under a config. */
export function archDefines(
  src: string,
  srcarch: string,
  value: (name: string) => string,
): Record<string, string> {
  const mk = join(src, "arch", srcarch, "Makefile");
  const text = Deno.readTextFileSync(mk);
  const init: Record<string, string> = { srctree: src, SRCARCH: srcarch };
  for (const [, n] of text.matchAll(/\bCONFIG_(\w+)/g)) {
    const v = value(n!);
    if (v !== "n" && v !== "") init[`CONFIG_${n}`] = v;
  }
  const scope = new MakeScope({ cwd: src, resolveInclude: () => undefined }, init);
  scope.evalFile(mk, text);
  const flags = `${scope.get("KBUILD_CPPFLAGS")} ${scope.get("KBUILD_CFLAGS")}`;
  const out: Record<string, string> = {};
  for (const [, op, name, v] of flags.matchAll(/(?:^|\s)-([DU])\s*([A-Za-z_]\w*)(?:=(\S*))?/g)) {
    if (op === "U") delete out[name!];
    else out[name!] = v ?? "1";
  }
  return out;
}

/** Split a call's argument text at top-level commas. */
function splitArgs(text: string, open: number): { args: string[]; end: number } | undefined {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      if (--depth === 0) {
        args.push(text.slice(start, i));
        return { args, end: i };
      }
    } else if (c === "," && depth === 1) {
      args.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return undefined;
}

function bare(arg: string): string {
  let a = arg.replace(/\s+/g, "");
  while (a.startsWith("(") && a.endsWith(")") && splitArgs(a, 0)?.end === a.length - 1) {
    a = a.slice(1, -1);
  }
  return a;
}

/** The statements of `body` reached for `param == size` in its `switch (param)` blocks. */
function reached(body: string, param: string, size: number): string {
  const re = new RegExp(`\\bswitch\\s*\\(\\s*${param}\\s*\\)\\s*\\{`, "g");
  let out = "";
  let last = 0;
  for (const m of body.matchAll(re)) {
    if (m.index < last) continue;
    const open = m.index + m[0].length - 1;
    let depth = 0;
    let close = open;
    const labels: { at: number; size: number | "default" }[] = [];
    const stops: number[] = [];
    for (; close < body.length; close++) {
      const c = body[close];
      if (c === "{") depth++;
      else if (c === "}" && --depth === 0) break;
      else if (depth === 1) {
        const rest = body.slice(close, close + 40);
        const label = /^(?:case\s+(\d+)\s*:|default\s*:)/.exec(rest);
        if (label && !/\w/.test(body[close - 1] ?? "")) {
          labels.push({ at: close, size: label[1] ? Number(label[1]) : "default" });
        }
        const stop = /^(?:break|return)\b[^;]*;/.exec(rest);
        if (stop && !/\w/.test(body[close - 1] ?? "")) stops.push(close + stop[0].length);
      }
    }
    const label = labels.find((l) => l.size === size) ?? labels.find((l) => l.size === "default");
    out += body.slice(last, m.index);
    if (label) out += body.slice(label.at, stops.find((s) => s > label.at) ?? close);
    last = close + 1;
  }
  return out + body.slice(last);
}

/**
 * Read from the tree which macros, on operands of which sizes, end in an error symbol.
 *
 * @example Usage
 * ```ts ignore
 * const bad = deriveBadSizes(src, {
 *   srcarch: "arm", value: (n) => kc.value(n), symbols: ["__bad_cmpxchg", "__bad_xchg"],
 * });
 * bad.byName.get("sync_cmpxchg"); // [{ size: 1, symbol: "__bad_cmpxchg", … }, { size: 2, … }]
 * ```
 *
 * @param src Kernel source tree.
 * @param options SRCARCH, the config, the error symbols.
 */
export function deriveBadSizes(src: string, options: BadSizesOptions): BadSizes {
  // Memoized on the values of the CONFIG_ names the headers read and the arch Makefile mention.
  const base = [src, options.srcarch, options.symbols, options.headers ?? [], options.sizes ?? []]
    .join("\0");
  const memo = derived.get(base);
  const key = memo?.names.map((n) => options.value(n)).join("\0");
  const known = key === undefined ? undefined : memo!.entries.get(key);
  if (known) return known;
  const out = derive(src, options);
  // The names of this derivation's files; a header read only under this config widens the key.
  const mine = new Set(
    [...out.files.map((f) => join(src, f)), join(src, "arch", options.srcarch, "Makefile")]
      .flatMap((f) => Deno.readTextFileSync(f).match(/\bCONFIG_\w+/g) ?? [])
      .map((n) => n.slice(7).replace(/_MODULE$/, "")),
  );
  const entry = memo && [...mine].every((n) => memo.names.includes(n))
    ? memo
    : { names: [...new Set([...(memo?.names ?? []), ...mine])].sort(), entries: new Map() };
  entry.entries.set(entry.names.map((n) => options.value(n)).join("\0"), out);
  derived.set(base, entry);
  return out;
}

const derived = new Map<string, { names: string[]; entries: Map<string, BadSizes> }>();

function derive(src: string, options: BadSizesOptions): BadSizes {
  const defines = archDefines(src, options.srcarch, options.value);
  const cpp = new Cpp({
    src,
    srcarch: options.srcarch,
    value: options.value,
    defines,
    follow: (f) => FOLLOW.test(f),
  });
  for (const h of options.headers ?? ["linux/atomic.h", "asm/sync_bitops.h"]) {
    const file = cpp.resolve(h, false, "");
    if (!file) throw new Error(`Cannot read header '${h}': not in '${src}' for ${options.srcarch}`);
    cpp.include(file);
  }
  const sizes = options.sizes ?? [1, 2, 4, 8];
  const symbolRe = new RegExp(`\\b(${options.symbols.join("|")})\\s*\\(`, "g");
  const condition = new Set<string>();
  const memo = new Map<string, Omit<BadPath, "name" | "size">[]>();
  const labelled = new Set<string>();

  /** The config symbols deciding the `case size:` labels of a function. */
  const decide = (fn: string, size: number) => {
    const f = cpp.functions.get(fn)!;
    if (labelled.has(`${fn}\0${size}`)) return;
    labelled.add(`${fn}\0${size}`);
    const raw = cpp.texts.get(f.file)!.split("\n");
    const n = f.body.split("\n").length;
    for (let line = f.line; line < f.line + n; line++) {
      if (!new RegExp(`\\bcase\\s+${size}\\s*:`).test(raw[line - 1] ?? "")) continue;
      const blocks = cpp.enclosing(f.file, line);
      const off = blocks.find((b) => !b.active);
      const texts = off
        ? (off.ownCondition ? [off.directive] : off.earlier)
        : [...blocks].reverse().map((b) => b.directive).filter((d) => /CONFIG_/.test(d))
          .slice(0, 1);
      for (const t of texts) for (const [, s] of t.matchAll(/\bCONFIG_(\w+)/g)) condition.add(s!);
    }
  };

  const reach = (fn: string, k: number, size: number, seen: string[]) => {
    const key = `${fn}\0${k}\0${size}`;
    const hit = memo.get(key);
    if (hit) return hit;
    const out: Omit<BadPath, "name" | "size">[] = [];
    memo.set(key, out);
    const f = cpp.functions.get(fn)!;
    const param = f.params[k];
    if (!param || seen.includes(fn)) return out;
    decide(fn, size);
    const full = f.body.replace(/\bextern\b[^;{}]*;/g, (d) => d.replace(/[^\n]/g, " "));
    const body = reached(full, param, size);
    for (const m of body.matchAll(symbolRe)) {
      const line = f.line + full.slice(0, full.indexOf(m[0])).split("\n").length - 1;
      out.push({ symbol: m[1]!, via: [fn], at: `${f.file}:${line}` });
    }
    for (const m of body.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) {
      if (!cpp.functions.has(m[1]!) || m[1] === fn) continue;
      const call = splitArgs(body, m.index + m[0].length - 1);
      const j = call?.args.findIndex((a) => bare(a) === param) ?? -1;
      if (j < 0) continue;
      for (const p of reach(m[1]!, j, size, [...seen, fn])) out.push({ ...p, via: [fn, ...p.via] });
    }
    return out;
  };

  const byName = new Map<string, BadPath[]>();
  const own = new Set(cpp.files);
  for (const m of cpp.macros.values()) {
    // Function-like macros taking arguments, and aliases (`#define raw_xchg arch_xchg`).
    const alias = !m.params && m.body.length === 1 && m.body[0]!.kind === "id";
    if (!alias && (!m.params || m.params.length === 0)) continue;
    if (!own.has(m.at.slice(0, m.at.lastIndexOf(":")))) continue;
    const counts = m.params && !m.variadic ? [m.params.length] : [2, 3, 4, 1];
    let text: string | undefined;
    for (const n of counts) {
      const args = [P, ...Array.from({ length: n - 1 }, (_, i) => `__kma${i + 1}`)].join(", ");
      try {
        text = untokenize(cpp.expand(tokenize(`${m.name}(${args})`)));
        break;
      } catch {
        // Another argument count, or not an operation on its first argument.
      }
    }
    if (text === undefined) continue;
    const aliases = new Set([P]);
    for (let grew = true; grew;) {
      grew = false;
      const re = /(?:typeof|__typeof__|__typeof)\(\(?(\w+)\)?\)(\w+)=\(?(\w+)\)?[;,]/g;
      for (const [, t, v, init] of text.matchAll(re)) {
        if (aliases.has(t!) && aliases.has(init!) && !aliases.has(v!)) {
          aliases.add(v!);
          grew = true;
        }
      }
    }
    const paths: BadPath[] = [];
    for (const size of sizes) {
      const found = new Map<string, BadPath>();
      for (const c of text.matchAll(symbolRe)) {
        found.set(c[1]!, { name: m.name, size, symbol: c[1]!, via: [], at: m.at });
      }
      for (const c of text.matchAll(/\b([A-Za-z_]\w*)\(/g)) {
        if (!cpp.functions.has(c[1]!)) continue;
        const call = splitArgs(text, c.index + c[0].length - 1);
        const k = call?.args.findIndex((a) => {
          const s = bare(a).match(/^sizeof\(\*[()]*(\w+)[()]*\)$/);
          return s !== null && aliases.has(s[1]!);
        }) ?? -1;
        if (k < 0) continue;
        for (const p of reach(c[1]!, k, size, [])) {
          if (!found.has(p.symbol)) found.set(p.symbol, { name: m.name, size, ...p });
        }
      }
      paths.push(...found.values());
    }
    if (paths.length > 0) byName.set(m.name, paths);
  }
  return { byName, condition: [...condition].sort(), defines, files: cpp.files };
}
