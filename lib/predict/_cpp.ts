/**
 * A small C preprocessor over kernel headers, enough to read what the tree says about a
 * config: `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else` evaluated as cpp does (an identifier that
 * is not a macro is 0; `CONFIG_X` is 1 when X=y, `CONFIG_X_MODULE` when X=m, as
 * include/generated/autoconf.h says; `IS_ENABLED`/`IS_BUILTIN`/`IS_MODULE`/`IS_REACHABLE` as
 * include/linux/kconfig.h defines them), `#define`/`#undef` in file order, `#include` of the
 * headers a filter accepts, and macro expansion with hide sets (C11 6.10.3: argument
 * pre-expansion, `#`, `##`, `__VA_ARGS__` and GNU named variadics `args...`, rescanning).
 *
 * Private to lib/predict.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/** A preprocessing token with its hide set. */
export interface Tok {
  text: string;
  kind: "id" | "num" | "str" | "punct";
  hide?: ReadonlySet<string>;
}

/** A macro definition. */
export interface Macro {
  name: string;
  /** Parameter names for function-like macros (`__VA_ARGS__` or the GNU name last). */
  params?: string[];
  /** Whether the last parameter is variadic. */
  variadic?: boolean;
  body: Tok[];
  /** `file:line` of the definition. */
  at: string;
}

/** One conditional directive group member as it was decided. */
export interface CondBlock {
  /** File relative to the tree. */
  file: string;
  /** First and last line (1-based) of the block's text (directive lines excluded). */
  from: number;
  to: number;
  /** The directive and its condition text (`ifndef CONFIG_CPU_V6`). */
  directive: string;
  /** Whether the block's text was compiled. */
  active: boolean;
  /** False when the block was skipped only because an earlier branch of its group was taken. */
  ownCondition: boolean;
  /** Whether every enclosing block was active. */
  parentActive: boolean;
  /** The directives of the earlier members of its group (`ifdef CONFIG_CPU_V6` for an `else`). */
  earlier: string[];
}

/** A `static inline` function found in the active text of a header. */
export interface InlineFn {
  name: string;
  params: string[];
  /** The body with inactive lines blanked, from `{` to `}`. */
  body: string;
  /** The header it is defined in, relative to the tree. */
  file: string;
  /** Line of the opening `{`. */
  line: number;
}

const PUNCT = [
  "...",
  "<<=",
  ">>=",
  "##",
  "->",
  "++",
  "--",
  "<<",
  ">>",
  "<=",
  ">=",
  "==",
  "!=",
  "&&",
  "||",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
];

/** Split C text into tokens (comments must be gone already). */
export function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const id = /^[A-Za-z_]\w*/.exec(s.slice(i, i + 200));
    if (id) {
      out.push({ text: id[0], kind: "id" });
      i += id[0].length;
      continue;
    }
    const num = /^\.?\d(?:[\w.]|[eEpP][+-])*/.exec(s.slice(i, i + 100));
    if (num) {
      out.push({ text: num[0], kind: "num" });
      i += num[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < s.length && s[j] !== c) j += s[j] === "\\" ? 2 : 1;
      out.push({ text: s.slice(i, j + 1), kind: "str" });
      i = j + 1;
      continue;
    }
    const p = PUNCT.find((p) => s.startsWith(p, i)) ?? c;
    out.push({ text: p, kind: "punct" });
    i += p.length;
  }
  return out;
}

/** Join tokens back into text, one space between tokens that would otherwise merge. */
export function untokenize(ts: readonly Tok[]): string {
  let out = "";
  let prev: Tok | undefined;
  for (const t of ts) {
    if (prev && /\w$/.test(prev.text) && /^\w/.test(t.text)) out += " ";
    out += t.text;
    prev = t;
  }
  return out;
}

/** Blank comments, keeping offsets and newlines. */
export function stripComments(s: string): string {
  return s.replace(
    /\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g,
    (m) => m.startsWith("/") ? m.replace(/[^\n]/g, " ") : m,
  );
}

/** Options for {@linkcode Cpp}. */
export interface CppOptions {
  /** Kernel source tree. */
  src: string;
  /** SRCARCH. */
  srcarch: string;
  /** Resolved value of a Kconfig symbol without `CONFIG_`. */
  value: (name: string) => string;
  /** Predefined object-like macros (`__KERNEL__`, the arch Makefile's `-D` flags). */
  defines?: Record<string, string>;
  /** Which included headers (relative to the tree) to read; the others are skipped. */
  follow: (file: string) => boolean;
}

/** The preprocessor state after reading some headers. */
export class Cpp {
  readonly macros: Map<string, Macro> = new Map();
  readonly functions: Map<string, InlineFn> = new Map();
  readonly blocks: CondBlock[] = [];
  /** Files read, relative to the tree, in reading order. */
  readonly files: string[] = [];
  /** Raw text of every file read. */
  readonly texts: Map<string, string> = new Map();
  #o: CppOptions;
  #once = new Set<string>();

  constructor(options: CppOptions) {
    this.#o = options;
    for (const [k, v] of Object.entries({ __KERNEL__: "1", ...options.defines })) {
      this.macros.set(k, { name: k, body: tokenize(v), at: "<command line>" });
    }
  }

  /** Resolve an `#include` name to a file relative to the tree, or undefined. */
  resolve(name: string, quoted: boolean, from: string): string | undefined {
    const a = this.#o.srcarch;
    const candidates = quoted ? [join(dirname(from), name)] : [];
    candidates.push(
      join("arch", a, "include", name),
      join("include", name),
      join("arch", a, "include/uapi", name),
      join("include/uapi", name),
    );
    // arch/<a>/include/asm/Kbuild's generic-y wrappers (include/generated) are asm-generic's.
    if (name.startsWith("asm/")) candidates.push(join("include/asm-generic", name.slice(4)));
    return candidates.find((c) => existsSync(join(this.#o.src, c)));
  }

  /** Read a header (relative to the tree) as `#include` would. */
  include(file: string): void {
    if (this.#once.has(file)) return;
    this.#once.add(file);
    const raw = Deno.readTextFileSync(join(this.#o.src, file));
    this.files.push(file);
    this.texts.set(file, raw);
    const lines = stripComments(raw).split("\n");
    const stack: CondBlock[][] = [];
    const active = () => stack.every((g) => g[g.length - 1]!.active);
    const text: string[] = [];
    for (let i = 0; i < lines.length; i++) {
      let l = lines[i]!;
      const first = i;
      while (/\\\s*$/.test(l) && i + 1 < lines.length) {
        l = l.replace(/\\\s*$/, " ") + lines[++i]!;
        text.push("");
      }
      const m = l.match(/^\s*#\s*(\w+)\s*(.*)$/);
      if (!m) {
        text.push(active() ? l : "");
        continue;
      }
      text.push("");
      const [, d, rest] = m as unknown as [string, string, string];
      const open = (directive: string, value: boolean, own: boolean, parent: boolean) => ({
        file,
        from: i + 2,
        to: i + 1,
        directive: `${directive} ${rest.trim()}`,
        active: parent && value,
        ownCondition: own,
        parentActive: parent,
        earlier: [] as string[],
      });
      const close = () => {
        const g = stack[stack.length - 1];
        if (g) g[g.length - 1]!.to = first;
      };
      if (d === "if" || d === "ifdef" || d === "ifndef") {
        const parent = active();
        const v = !parent
          ? false
          : d === "if"
          ? this.evalIf(rest)
          : this.#defined(rest.trim()) === (d === "ifdef");
        const b = open(d, v, true, parent);
        this.blocks.push(b);
        stack.push([b]);
      } else if (d === "elif" || d === "else") {
        const g = stack[stack.length - 1];
        if (!g) continue;
        close();
        const parent = g[0]!.parentActive;
        const taken = g.some((b) => b.active);
        const v = d === "else" ? true : !taken && parent && this.evalIf(rest);
        const b = open(d, !taken && v, !taken, parent);
        b.earlier = g.map((e) => e.directive);
        this.blocks.push(b);
        g.push(b);
      } else if (d === "endif") {
        close();
        stack.pop();
      } else if (!active()) continue;
      else if (d === "define") this.define(rest, `${file}:${first + 1}`);
      else if (d === "undef") this.macros.delete(rest.trim());
      else if (d === "include") {
        const inc = rest.match(/^([<"])([^>"]+)[>"]/);
        if (!inc) continue;
        const target = this.resolve(inc[2]!, inc[1] === '"', file);
        if (target && this.#o.follow(target)) this.include(target);
      }
    }
    this.#functions(file, text.join("\n"));
  }

  define(rest: string, at: string): void {
    const m = rest.match(/^([A-Za-z_]\w*)(\(([^)]*)\))?\s*([\s\S]*)$/);
    if (!m) return;
    const name = m[1]!;
    const macro: Macro = { name, body: tokenize(m[4] ?? ""), at };
    if (m[2] !== undefined) {
      const params = m[3]!.split(",").map((p) => p.trim()).filter((p) => p);
      const last = params[params.length - 1];
      if (last?.endsWith("...")) {
        macro.variadic = true;
        params[params.length - 1] = last === "..." ? "__VA_ARGS__" : last.slice(0, -3).trim();
      }
      macro.params = params;
    }
    this.macros.set(name, macro);
  }

  /** `static inline` functions (and `__always_inline` ones) of a file's active text. */
  #functions(file: string, text: string): void {
    const re = /\b(?:inline|__always_inline)\b[^;{}()]*?\b([A-Za-z_]\w*)\s*\(([^()]*)\)\s*\{/g;
    for (const m of text.matchAll(re)) {
      const open = m.index + m[0].length - 1;
      let depth = 0;
      let end = open;
      for (; end < text.length; end++) {
        if (text[end] === "{") depth++;
        else if (text[end] === "}" && --depth === 0) break;
      }
      const params = m[2]!.split(",").map((p) => p.trim().match(/([A-Za-z_]\w*)\s*(\[.*\])?$/)?.[1])
        .filter((p): p is string => p !== undefined && p !== "void");
      this.functions.set(m[1]!, {
        name: m[1]!,
        params,
        body: text.slice(open, end + 1),
        file,
        line: text.slice(0, open).split("\n").length,
      });
    }
  }

  /** Evaluate a `#if` expression. */
  evalIf(expr: string): boolean {
    // `defined X` and `defined(X)` first, before macro expansion.
    const ts = tokenize(expr);
    const pre: Tok[] = [];
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]!;
      if (t.text === "defined") {
        let j = i + 1;
        const paren = ts[j]?.text === "(";
        if (paren) j++;
        const name = ts[j]?.text ?? "";
        if (paren) j++;
        pre.push({ text: this.#defined(name) ? "1" : "0", kind: "num" });
        i = j;
        continue;
      }
      const kc = t.kind === "id" && /^IS_(ENABLED|BUILTIN|MODULE|REACHABLE)$/.test(t.text) &&
        ts[i + 1]?.text === "(";
      if (kc) {
        const sym = ts[i + 2]?.text ?? "";
        const v = sym.startsWith("CONFIG_") ? this.#o.value(sym.slice(7)) : "n";
        const yes = t.text === "IS_BUILTIN"
          ? v === "y"
          : t.text === "IS_MODULE"
          ? v === "m"
          : v === "y" || v === "m";
        pre.push({ text: yes ? "1" : "0", kind: "num" });
        i += 3;
        continue;
      }
      pre.push(t);
    }
    const out = this.expand(pre).map((t) => t.kind === "id" ? { ...t, text: "0" } : t);
    return new IntExpr(out).value() !== 0;
  }

  #defined(name: string): boolean {
    if (this.macros.has(name)) return true;
    return this.#config(name) !== undefined;
  }

  /** autoconf.h's value of a `CONFIG_` macro, or undefined when it is not defined. */
  #config(name: string): string | undefined {
    if (!name.startsWith("CONFIG_")) return undefined;
    const base = name.slice(7);
    if (base.endsWith("_MODULE") && this.#o.value(base.slice(0, -7)) === "m") return "1";
    const v = this.#o.value(base);
    if (v === "y") return "1";
    if (v === "n" || v === "m" || v === "") return undefined;
    return v;
  }

  /** Expand macros in tokens (C11 6.10.3.4 rescanning, with hide sets). */
  expand(input: readonly Tok[]): Tok[] {
    const ts = [...input];
    const out: Tok[] = [];
    let guard = 0;
    while (ts.length > 0) {
      if (++guard > 200000) throw new Error("Cannot expand macros: expansion does not end");
      const t = ts.shift()!;
      if (t.kind !== "id" || t.hide?.has(t.text)) {
        out.push(t);
        continue;
      }
      const cfg = this.#config(t.text);
      const m = this.macros.get(t.text);
      if (!m) {
        out.push(cfg === undefined ? t : { text: cfg, kind: "num" });
        continue;
      }
      if (!m.params) {
        ts.unshift(...this.#subst(m, [], new Set([...(t.hide ?? []), m.name])));
        continue;
      }
      if (ts[0]?.text !== "(") {
        out.push(t);
        continue;
      }
      const args: Tok[][] = [[]];
      let depth = 0;
      let i = 0;
      let rparen: Tok | undefined;
      for (; i < ts.length; i++) {
        const a = ts[i]!;
        if (a.text === "(" && depth++ === 0) continue;
        if (a.text === ")" && --depth === 0) {
          rparen = a;
          break;
        }
        if (a.text === "," && depth === 1) args.push([]);
        else args[args.length - 1]!.push(a);
      }
      if (!rparen) {
        out.push(t);
        continue;
      }
      ts.splice(0, i + 1);
      const n = m.params.length;
      if (args.length === 1 && args[0]!.length === 0 && n === 0) args.pop();
      if (m.variadic && args.length > n) {
        const rest = args.splice(n - 1);
        const joined: Tok[] = [];
        rest.forEach((a, k) => {
          if (k > 0) joined.push({ text: ",", kind: "punct" });
          joined.push(...a);
        });
        args.push(joined);
      }
      if (m.variadic && args.length === n - 1) args.push([]);
      if (args.length !== n) {
        throw new Error(
          `Cannot expand macro '${m.name}' (${m.at}): ${args.length} arguments for ${n} parameters`,
        );
      }
      const hide = new Set([...[...(t.hide ?? [])].filter((h) => rparen!.hide?.has(h)), m.name]);
      ts.unshift(...this.#subst(m, args, hide));
    }
    return out;
  }

  #subst(m: Macro, args: Tok[][], hide: Set<string>): Tok[] {
    const params = m.params ?? [];
    const index = (t: Tok | undefined) => t?.kind === "id" ? params.indexOf(t.text) : -1;
    const out: Tok[] = [];
    const body = m.body;
    for (let i = 0; i < body.length; i++) {
      const t = body[i]!;
      if (t.text === "#" && index(body[i + 1]) >= 0) {
        const text = untokenize(args[index(body[i + 1])]!);
        out.push({ text: JSON.stringify(text), kind: "str" });
        i++;
        continue;
      }
      if (t.text === "##" && out.length > 0) {
        const next = body[i + 1];
        i++;
        const k = index(next);
        const right = k >= 0 ? args[k]! : next ? [next] : [];
        const left = out.pop()!;
        if (right.length === 0) {
          out.push(left);
          continue;
        }
        const pasted = tokenize(left.text + right[0]!.text);
        out.push(...pasted, ...right.slice(1));
        continue;
      }
      const k = index(t);
      if (k >= 0) {
        const raw = body[i + 1]?.text === "##" || body[i - 1]?.text === "##";
        out.push(...(raw ? args[k]! : this.expand(args[k]!)));
        continue;
      }
      out.push(t);
    }
    return out.map((t) => ({ ...t, hide: new Set([...(t.hide ?? []), ...hide]) }));
  }

  /** The conditional blocks of `file` enclosing `line`, outermost first. */
  enclosing(file: string, line: number): CondBlock[] {
    return this.blocks.filter((b) => b.file === file && b.from <= line && line <= b.to);
  }
}

/** C integer constant expressions of `#if` (all values as numbers). */
class IntExpr {
  #ts: Tok[];
  #i = 0;
  constructor(ts: Tok[]) {
    this.#ts = ts;
  }
  value(): number {
    return this.#ternary();
  }
  #peek() {
    return this.#ts[this.#i]?.text;
  }
  #ternary(): number {
    const c = this.#binary(0);
    if (this.#peek() !== "?") return c;
    this.#i++;
    const a = this.#ternary();
    this.#i++; // ':'
    const b = this.#ternary();
    return c ? a : b;
  }
  static #LEVELS = [
    ["||"],
    ["&&"],
    ["|"],
    ["^"],
    ["&"],
    ["==", "!="],
    ["<", ">", "<=", ">="],
    ["<<", ">>"],
    ["+", "-"],
    ["*", "/", "%"],
  ];
  #binary(level: number): number {
    if (level >= IntExpr.#LEVELS.length) return this.#unary();
    let v = this.#binary(level + 1);
    while (IntExpr.#LEVELS[level]!.includes(this.#peek() ?? "")) {
      const op = this.#ts[this.#i++]!.text;
      const r = this.#binary(level + 1);
      v = binop(op, v, r);
    }
    return v;
  }
  #unary(): number {
    const t = this.#ts[this.#i++];
    if (!t) return 0;
    if (t.text === "!") return this.#unary() ? 0 : 1;
    if (t.text === "-") return -this.#unary();
    if (t.text === "+") return this.#unary();
    if (t.text === "~") return ~this.#unary();
    if (t.text === "(") {
      const v = this.#ternary();
      this.#i++;
      return v;
    }
    if (t.kind === "num") return Number.parseInt(t.text.replace(/[uUlL]+$/, "")) || 0;
    return 0;
  }
}

function binop(op: string, a: number, b: number): number {
  switch (op) {
    case "||":
      return a || b ? 1 : 0;
    case "&&":
      return a && b ? 1 : 0;
    case "|":
      return a | b;
    case "^":
      return a ^ b;
    case "&":
      return a & b;
    case "==":
      return a === b ? 1 : 0;
    case "!=":
      return a !== b ? 1 : 0;
    case "<":
      return a < b ? 1 : 0;
    case ">":
      return a > b ? 1 : 0;
    case "<=":
      return a <= b ? 1 : 0;
    case ">=":
      return a >= b ? 1 : 0;
    case "<<":
      return a << b;
    case ">>":
      return a >> b;
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return b ? Math.trunc(a / b) : 0;
    default:
      return b ? a % b : 0;
  }
}
