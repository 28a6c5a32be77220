/**
 * A small GNU make evaluator: enough of make's reading phase to compute the variables a
 * kernel `Makefile`/`Kbuild` file sets (`obj-y`, `obj-m`, `lib-y`, `foo-y`, …) from a resolved
 * config. It models what the GNU make manual ("How make Reads a Makefile", "The Two Flavors of
 * Variables", "Conditional Parts of Makefiles", "Functions for Transforming Text") describes:
 *
 * - `=` (recursive: expanded on use), `:=`/`::=` (simple: expanded now), `+=` (keeps the
 *   flavor of the variable it appends to; recursive when the variable is new), `?=`;
 *   `override`/`export`/`private` prefixes; `define … endef`;
 * - `ifeq`/`ifneq` (both `(a,b)` and quoted forms), `ifdef`/`ifndef` (true when the variable
 *   has a non-empty value, unexpanded), `else [if…]`, `endif`;
 * - backslash-newline continuations (become one space) and `#` comments;
 * - `include`/`-include`/`sinclude` through a resolver;
 * - references `$(x)`, `${x}`, `$x`, substitution references `$(x:a=b)`, `$(x:%.o=%.c)`, and the
 *   text functions. Rule lines and recipes are skipped: only variables matter here.
 *
 * What it does not run (`$(shell …)`, `$(eval …)`, `!=`, `$(call f)` of an undefined `f`,
 * `$(error …)`) is recorded as a *taint* on the value that used it, so a caller can say
 * "unmodelled" instead of trusting a guess.
 *
 * @module
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** One make variable. */
export interface MakeVar {
  /** `recursive` (`=`, expanded on use) or `simple` (`:=`, expanded when set). */
  flavor: "recursive" | "simple";
  /** The value: raw text for recursive variables, expanded text for simple ones. */
  value: string;
  /** What could not be evaluated while setting a simple variable. */
  taint?: string[];
}

/** How {@linkcode MakeScope.evalFile} finds included files and globs. */
export interface MakeHost {
  /** Absolute path of an `include`d name (already expanded), or undefined when it is skipped. */
  resolveInclude(name: string, from: string): string | undefined;
  /** Directory relative paths in `$(wildcard …)` resolve against. */
  cwd: string;
}

const FUNCTIONS = new Set([
  "subst",
  "patsubst",
  "strip",
  "findstring",
  "filter",
  "filter-out",
  "sort",
  "word",
  "words",
  "wordlist",
  "firstword",
  "lastword",
  "dir",
  "notdir",
  "suffix",
  "basename",
  "addsuffix",
  "addprefix",
  "join",
  "wildcard",
  "realpath",
  "abspath",
  "if",
  "or",
  "and",
  "foreach",
  "call",
  "value",
  "origin",
  "flavor",
  "shell",
  "eval",
  "error",
  "warning",
  "info",
  "file",
  "let",
]);

function words(s: string): string[] {
  return s.split(/\s+/).filter((w) => w.length > 0);
}

/** `%` pattern match: the stem, or undefined. A pattern without `%` matches exactly. */
function matchPattern(pattern: string, word: string): string | undefined {
  const i = pattern.indexOf("%");
  if (i < 0) return pattern === word ? "" : undefined;
  const pre = pattern.slice(0, i);
  const post = pattern.slice(i + 1);
  if (word.length < pre.length + post.length) return undefined;
  if (!word.startsWith(pre) || !word.endsWith(post)) return undefined;
  return word.slice(pre.length, word.length - post.length);
}

function patsubst(pattern: string, repl: string, text: string): string {
  return words(text).map((w) => {
    const stem = matchPattern(pattern, w);
    if (stem === undefined) return w;
    return repl.includes("%") ? repl.replace("%", stem) : repl;
  }).join(" ");
}

/** Index of the delimiter closing the reference opened at `start` (the char after `$`). */
function closing(s: string, start: number): number {
  const open = s[start]!;
  const close = open === "(" ? ")" : "}";
  let depth = 0;
  for (let i = start; i < s.length; i++) {
    const c = s[i];
    if (c === open) depth++;
    else if (c === close) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Split function arguments on top-level commas (parentheses of either kind nest). */
function splitArgs(s: string, max: number): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const c of s) {
    if (c === "(" || c === "{") depth++;
    else if (c === ")" || c === "}") depth--;
    if (c === "," && depth === 0 && out.length < max - 1) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** The variables of one make run, and the reading of makefiles into them. */
export class MakeScope {
  /** The variables, by name. */
  readonly vars: Map<string, MakeVar> = new Map();
  /** What could not be evaluated at file level (`$(eval)` lines, missing includes, …). */
  readonly fileTaint: string[] = [];
  #host: MakeHost;
  #depth = 0;

  /** A scope with the given simple variables already set. */
  constructor(host: MakeHost, init: Record<string, string> = {}) {
    this.#host = host;
    for (const [k, v] of Object.entries(init)) this.vars.set(k, { flavor: "simple", value: v });
  }

  /** Set a variable as a simple one. */
  set(name: string, value: string): void {
    this.vars.set(name, { flavor: "simple", value });
  }

  /** The expanded value of a variable; what could not be evaluated is added to `taint`. */
  get(name: string, taint: Set<string> = new Set()): string {
    const v = this.vars.get(name);
    if (!v) return "";
    for (const t of v.taint ?? []) taint.add(t);
    if (v.flavor === "simple") return v.value;
    if (this.#depth > 60) {
      taint.add(`recursive variable '${name}' references itself`);
      return "";
    }
    this.#depth++;
    try {
      return this.expand(v.value, taint);
    } finally {
      this.#depth--;
    }
  }

  /** Expand `$` references in `text`. */
  expand(text: string, taint: Set<string> = new Set()): string {
    if (!text.includes("$")) return text;
    let out = "";
    let i = 0;
    while (i < text.length) {
      const c = text[i]!;
      if (c !== "$") {
        out += c;
        i++;
        continue;
      }
      const n = text[i + 1];
      if (n === undefined) break;
      if (n === "$") {
        out += "$";
        i += 2;
        continue;
      }
      if (n === "(" || n === "{") {
        const end = closing(text, i + 1);
        if (end < 0) {
          taint.add(`unterminated reference in '${text.trim()}'`);
          break;
        }
        out += this.#reference(text.slice(i + 2, end), taint);
        i = end + 1;
        continue;
      }
      out += this.get(n, taint);
      i += 2;
    }
    return out;
  }

  #reference(body: string, taint: Set<string>): string {
    const fn = body.match(/^([a-z-]+)[ \t]/);
    if (fn && FUNCTIONS.has(fn[1]!)) {
      return this.#func(fn[1]!, body.slice(fn[0].length), taint);
    }
    // Substitution reference $(var:a=b): the colon at depth 0.
    let depth = 0;
    for (let i = 0; i < body.length; i++) {
      const c = body[i];
      if (c === "(" || c === "{") depth++;
      else if (c === ")" || c === "}") depth--;
      else if (c === ":" && depth === 0) {
        const eq = body.indexOf("=", i);
        if (eq < 0) break;
        const name = this.expand(body.slice(0, i), taint);
        const from = this.expand(body.slice(i + 1, eq), taint);
        const to = this.expand(body.slice(eq + 1), taint);
        const pat = from.includes("%") ? from : `%${from}`;
        const rep = from.includes("%") ? to : `%${to}`;
        return patsubst(pat, rep, this.get(name, taint));
      }
    }
    return this.get(this.expand(body, taint), taint);
  }

  #func(name: string, rest: string, taint: Set<string>): string {
    const x = (s: string | undefined) => this.expand(s ?? "", taint);
    switch (name) {
      case "if": {
        const [c, a, b] = splitArgs(rest, 3);
        return x(c).trim() ? x(a) : x(b);
      }
      case "or": {
        for (const a of splitArgs(rest, Infinity)) {
          const v = x(a).trim();
          if (v) return v;
        }
        return "";
      }
      case "and": {
        let v = "";
        for (const a of splitArgs(rest, Infinity)) {
          v = x(a).trim();
          if (!v) return "";
        }
        return v;
      }
      case "foreach": {
        const [vn, list, body] = splitArgs(rest, 3);
        const v = x(vn).trim();
        const saved = this.vars.get(v);
        const out: string[] = [];
        for (const w of words(x(list))) {
          this.vars.set(v, { flavor: "simple", value: w });
          out.push(x(body));
        }
        if (saved) this.vars.set(v, saved);
        else this.vars.delete(v);
        return out.join(" ");
      }
      case "call": {
        const args = splitArgs(rest, Infinity).map((a) => x(a));
        const fname = (args[0] ?? "").trim();
        const def = this.vars.get(fname);
        if (!def) {
          taint.add(`$(call ${fname}) of a function this model does not define`);
          return "";
        }
        const saved = new Map<string, MakeVar | undefined>();
        for (let k = 0; k < Math.max(args.length, 10); k++) {
          saved.set(String(k), this.vars.get(String(k)));
          this.vars.set(String(k), {
            flavor: "simple",
            value: k === 0 ? fname : (args[k] ?? ""),
          });
        }
        const out = def.flavor === "simple" ? def.value : x(def.value);
        for (const [k, v] of saved) v ? this.vars.set(k, v) : this.vars.delete(k);
        return out;
      }
      case "value":
        return this.vars.get(x(rest).trim())?.value ?? "";
      case "origin":
        return this.vars.has(x(rest).trim()) ? "file" : "undefined";
      case "flavor": {
        const v = this.vars.get(x(rest).trim());
        return v ? v.flavor : "undefined";
      }
      case "shell":
      case "eval":
      case "file":
      case "let":
        taint.add(`$(${name} …) is not run by this model`);
        return "";
      case "error":
        taint.add(`$(error ${x(rest).trim()})`);
        return "";
      case "warning":
      case "info":
        return "";
    }
    const a = splitArgs(rest, name === "wordlist" ? 3 : Infinity).map((s) => x(s));
    const a0 = a[0] ?? "";
    const a1 = a[1] ?? "";
    switch (name) {
      case "subst":
        return a1 === "" && a0 === "" ? a[2] ?? "" : (a[2] ?? "").split(a0).join(a1);
      case "patsubst":
        return patsubst(a0.trim(), a1.trim(), a.slice(2).join(","));
      case "strip":
        return words(a.join(",")).join(" ");
      case "findstring":
        return a1.includes(a0) ? a0 : "";
      case "filter":
      case "filter-out": {
        const pats = words(a0);
        const keep = name === "filter";
        return words(a.slice(1).join(",")).filter((w) =>
          pats.some((p) => matchPattern(p, w) !== undefined) === keep
        ).join(" ");
      }
      case "sort":
        return [...new Set(words(a.join(",")))].sort().join(" ");
      case "word":
        return words(a1)[Number(a0.trim()) - 1] ?? "";
      case "words":
        return String(words(a.join(",")).length);
      case "wordlist":
        return words(a[2] ?? "").slice(Number(a0.trim()) - 1, Number(a1.trim())).join(" ");
      case "firstword":
        return words(a.join(","))[0] ?? "";
      case "lastword":
        return words(a.join(",")).at(-1) ?? "";
      case "dir":
        return words(a.join(",")).map((w) => {
          const k = w.lastIndexOf("/");
          return k < 0 ? "./" : w.slice(0, k + 1);
        }).join(" ");
      case "notdir":
        return words(a.join(",")).map((w) => w.slice(w.lastIndexOf("/") + 1)).join(" ");
      case "suffix":
      case "basename":
        return words(a.join(",")).map((w) => {
          const dot = w.lastIndexOf(".");
          const has = dot > w.lastIndexOf("/");
          if (name === "suffix") return has ? w.slice(dot) : "";
          return has ? w.slice(0, dot) : w;
        }).filter((w) => w).join(" ");
      case "addsuffix":
        return words(a.slice(1).join(",")).map((w) => w + a0.trim()).join(" ");
      case "addprefix":
        return words(a.slice(1).join(",")).map((w) => a0.trim() + w).join(" ");
      case "join": {
        const l = words(a0);
        const r = words(a1);
        return Array.from(
          { length: Math.max(l.length, r.length) },
          (_, k) => (l[k] ?? "") + (r[k] ?? ""),
        ).join(" ");
      }
      case "wildcard":
        return words(a.join(",")).flatMap((p) => this.#glob(p)).join(" ");
      case "realpath":
      case "abspath":
        return words(a.join(",")).map((p) => p.startsWith("/") ? p : join(this.#host.cwd, p))
          .join(" ");
    }
    return "";
  }

  /** `$(wildcard)`: literal paths and `*`/`?` in the last component. */
  #glob(pattern: string): string[] {
    const abs = (p: string) => p.startsWith("/") ? p : join(this.#host.cwd, p);
    if (!/[*?[]/.test(pattern)) {
      const p = abs(pattern);
      if (!existsSync(p)) return [];
      if (pattern.endsWith("/") && !statSync(p).isDirectory()) return [];
      return [pattern];
    }
    const slash = pattern.lastIndexOf("/");
    const dir = slash < 0 ? "" : pattern.slice(0, slash + 1);
    const re = new RegExp(
      "^" + pattern.slice(slash + 1).replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, ".*")
        .replace(/\?/g, ".") +
        "$",
    );
    try {
      return readdirSync(abs(dir || ".")).filter((n) => re.test(n)).sort().map((n) => dir + n);
    } catch {
      return [];
    }
  }

  /**
   * Read a makefile's text into this scope.
   *
   * @param path The file's path (for includes and messages).
   * @param text The file's content.
   */
  evalFile(path: string, text: string): void {
    const lines = logicalLines(text);
    // Conditional stack: whether each level is taking lines, and whether a branch was taken.
    const stack: { taking: boolean; done: boolean; parent: boolean }[] = [];
    const taking = () => stack.length === 0 || stack[stack.length - 1]!.taking;
    let inRule = false;
    let define: { name: string; op: string; body: string[]; depth: number } | undefined;
    for (const { raw, line: lineNo } of lines) {
      if (define) {
        const t = raw.trim();
        if (/^define\b/.test(t)) define.depth++;
        if (/^endef\b/.test(t)) {
          if (define.depth === 0) {
            if (taking()) this.#assign(define.name, define.op, define.body.join("\n"), new Set());
            define = undefined;
            continue;
          }
          define.depth--;
        }
        define.body.push(raw);
        continue;
      }
      if (raw.startsWith("\t") && inRule) continue;
      const line = stripComment(raw).trim();
      if (!line) continue;
      const word = line.match(/^(ifeq|ifneq|ifdef|ifndef|else|endif)\b\s*(.*)$/);
      if (word) {
        const [, dir, arg] = word as unknown as [string, string, string];
        if (dir === "endif") {
          stack.pop();
          continue;
        }
        if (dir === "else") {
          const top = stack[stack.length - 1];
          if (!top) continue;
          if (top.done || !top.parent) {
            top.taking = false;
            continue;
          }
          if (arg) {
            const m = arg.match(/^(ifeq|ifneq|ifdef|ifndef)\b\s*(.*)$/);
            const v = m ? this.#condition(m[1]!, m[2]!) : true;
            top.taking = v;
            top.done = v;
          } else {
            top.taking = true;
            top.done = true;
          }
          continue;
        }
        const parent = taking();
        const v = parent ? this.#condition(dir, arg) : false;
        stack.push({ taking: parent && v, done: parent && v, parent });
        continue;
      }
      if (!taking()) {
        if (/^define\b/.test(line)) {
          define = { name: "", op: "=", body: [], depth: 0 };
          // Skipped define: read to endef without assigning.
          define.name = "";
        }
        continue;
      }
      const dm = line.match(/^(?:override\s+|export\s+)*define\s+(\S+)\s*(:?:?=|\+=|\?=)?\s*$/);
      if (dm) {
        define = { name: this.expand(dm[1]!), op: dm[2] ?? "=", body: [], depth: 0 };
        continue;
      }
      const inc = line.match(/^(-?include|sinclude)\s+(.*)$/);
      if (inc) {
        inRule = false;
        const taint = new Set<string>();
        const names = words(this.expand(inc[2]!, taint));
        for (const name of names) {
          const file = this.#host.resolveInclude(name, path);
          if (file === undefined) continue;
          if (!existsSync(file)) {
            if (inc[1] === "include") {
              this.fileTaint.push(`${path}:${lineNo}: missing include ${name}`);
            }
            continue;
          }
          this.evalFile(file, Deno.readTextFileSync(file));
        }
        continue;
      }
      if (/^(vpath|unexport)\b/.test(line)) continue;
      const body = line.replace(/^((override|export|private)\s+)+/, "");
      if (/^export$|^export\s/.test(line) && !/[=:]/.test(body.replace(/\$\([^)]*\)/g, ""))) {
        continue;
      }
      const split = splitStatement(body);
      if (split.kind === "assign") {
        inRule = false;
        const taint = new Set<string>();
        const name = this.expand(split.name, taint).trim();
        if (!name) continue;
        this.#assign(name, split.op, split.value, taint);
      } else if (split.kind === "rule") {
        inRule = true;
      } else {
        // A bare line: usually $(eval …) or $(foreach …,$(eval …)). Expand it for its taint.
        const taint = new Set<string>();
        this.expand(body, taint);
        for (const t of taint) this.fileTaint.push(`${path}:${lineNo}: ${t}`);
      }
    }
  }

  #assign(name: string, op: string, value: string, taint: Set<string>): void {
    const old = this.vars.get(name);
    const v = value.replace(/^\s+/, "");
    switch (op) {
      case "=":
        this.vars.set(name, { flavor: "recursive", value: v, taint: [...taint] });
        return;
      case ":=":
      case "::=":
      case ":::=": {
        const val = this.expand(v, taint);
        this.vars.set(name, { flavor: "simple", value: val, taint: [...taint] });
        return;
      }
      case "?=":
        if (!old) this.vars.set(name, { flavor: "recursive", value: v, taint: [...taint] });
        return;
      case "!=":
        this.vars.set(name, {
          flavor: "simple",
          value: "",
          taint: [...taint, `'${name} != …' runs the shell`],
        });
        return;
      case "+=": {
        if (!old) {
          this.vars.set(name, { flavor: "recursive", value: v, taint: [...taint] });
        } else if (old.flavor === "simple") {
          const val = this.expand(v, taint);
          old.value = old.value ? (val ? `${old.value} ${val}` : old.value) : val;
          old.taint = [...(old.taint ?? []), ...taint];
        } else {
          old.value = old.value ? (v ? `${old.value} ${v}` : old.value) : v;
          old.taint = [...(old.taint ?? []), ...taint];
        }
        return;
      }
    }
  }

  #condition(dir: string, arg: string): boolean {
    if (dir === "ifdef" || dir === "ifndef") {
      const name = this.expand(arg).trim();
      const v = this.vars.get(name);
      const defined = v !== undefined && v.value !== "";
      return dir === "ifdef" ? defined : !defined;
    }
    const pair = parseIfeqArgs(arg);
    const a = this.expand(pair[0]);
    const b = this.expand(pair[1]);
    return dir === "ifeq" ? a === b : a !== b;
  }
}

/** `ifeq` arguments: `(a,b)` (each stripped) or `"a" "b"` / `'a' 'b'`. */
function parseIfeqArgs(arg: string): [string, string] {
  const t = arg.trim();
  if (t.startsWith("(")) {
    const inner = t.slice(1, t.lastIndexOf(")"));
    const [a, b] = splitArgs(inner, 2);
    return [(a ?? "").trim(), (b ?? "").trim()];
  }
  const m = t.match(/^(["'])(.*?)\1\s+(["'])(.*?)\3$/);
  return m ? [m[2]!, m[4]!] : ["", ""];
}

/** Join backslash-newline continuations (each becomes one space) and keep line numbers. */
function logicalLines(text: string): { raw: string; line: number }[] {
  const out: { raw: string; line: number }[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let cur = lines[i]!;
    while (/(^|[^\\])(\\\\)*\\$/.test(cur) && i + 1 < lines.length) {
      cur = cur.slice(0, -1).replace(/\s+$/, "") + " " + lines[++i]!.replace(/^\s+/, "");
    }
    out.push({ raw: cur, line: start + 1 });
  }
  return out;
}

/** Drop a `#` comment (an escaped `\#` stays). */
function stripComment(line: string): string {
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "#" && line[i - 1] !== "\\") return line.slice(0, i);
  }
  return line;
}

type Statement =
  | { kind: "assign"; name: string; op: string; value: string }
  | { kind: "rule" }
  | { kind: "other" };

/** Whether a line is an assignment (and its parts) or a rule, scanning outside `$(…)`. */
function splitStatement(line: string): Statement {
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "$" && (line[i + 1] === "(" || line[i + 1] === "{")) {
      depth++;
      i++;
      continue;
    }
    if (depth > 0) {
      if (c === "(" || c === "{") depth++;
      else if (c === ")" || c === "}") depth--;
      continue;
    }
    if (c === ":") {
      const op = line.slice(i).match(/^:{1,3}=/);
      if (op) {
        return {
          kind: "assign",
          name: line.slice(0, i),
          op: op[0],
          value: line.slice(i + op[0].length),
        };
      }
      return { kind: "rule" };
    }
    if (c === "=") {
      const prev = line[i - 1];
      if (prev === "+" || prev === "?" || prev === "!") {
        return {
          kind: "assign",
          name: line.slice(0, i - 1),
          op: prev + "=",
          value: line.slice(i + 1),
        };
      }
      return { kind: "assign", name: line.slice(0, i), op: "=", value: line.slice(i + 1) };
    }
  }
  return { kind: "other" };
}
