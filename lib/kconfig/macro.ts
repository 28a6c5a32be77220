/**
 * The Kconfig macro language (`Documentation/kbuild/kconfig-macro-language.rst`): variables
 * (`=`, `:=`, `+=`), `$(var)` references, user functions with `$(1)`…, the built-in functions
 * `shell`, `info`, `warning-if`, `error-if`, `filename`, `lineno`, and the environment fallback.
 *
 * The macro layer is pure: `$(shell,…)` and environment look-ups go to a {@linkcode MacroHost},
 * which answers them from a toolchain profile (or runs them, when recording one).
 *
 * @module
 */

import { InputError } from "../errors.ts";

/** Where the macro layer gets the outside world from. */
export interface MacroHost {
  /** Value of an environment variable, or undefined when unset. May throw. */
  env(name: string): string | undefined;
  /** Output of a `$(shell,…)` command, post-processed like the kernel does. May throw. */
  shell(command: string): string;
}

/** A parse or expansion error located at `file:line`. */
export class KconfigError extends InputError {
  /** Build an error whose message starts with `file:line: `. */
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = "KconfigError";
  }
}

type Flavor = "recursive" | "simple";

interface Variable {
  value: string;
  flavor: Flavor;
  depth: number;
}

/** Upper bound on the arguments of one function call, as in the kernel. */
const MAX_ARGS = 16;

/** Characters that may continue an unquoted token. */
function isTokenChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 ||
    c === 45;
}

/** Variables and function expansion for one parse. */
export class MacroExpander {
  #vars = new Map<string, Variable>();
  #host: MacroHost;
  /** File being parsed (for `$(filename)` and error locations). */
  file = "";
  /** Current physical line (for `$(lineno)` and error locations). */
  line = 0;
  /** Output of `$(info,…)` and `$(warning-if,…)`, in order. */
  messages: string[] = [];

  /** Create an expander that asks `host` for the environment and shell output. */
  constructor(host: MacroHost) {
    this.#host = host;
  }

  /** Define or extend a variable (`=`, `:=`, `+=`). */
  assign(name: string, value: string, op: "=" | ":=" | "+="): void {
    const old = this.#vars.get(name);
    if (op === "+=") {
      if (old) {
        const add = old.flavor === "simple" ? this.expand(value) : value;
        old.value = `${old.value} ${add}`;
        return;
      }
      this.#vars.set(name, { value, flavor: "recursive", depth: 0 });
      return;
    }
    const flavor: Flavor = op === ":=" ? "simple" : "recursive";
    const v = flavor === "simple" ? this.expand(value) : value;
    if (old) {
      old.value = v;
      old.flavor = flavor;
    } else {
      this.#vars.set(name, { value: v, flavor, depth: 0 });
    }
  }

  /** Expand every reference in a whole string. */
  expand(text: string, args: string[] = []): string {
    return this.#expandUntil(text, 0, false, args).value;
  }

  /**
   * Expand one unquoted token starting at `start`: stops at the first character outside
   * `[A-Za-z0-9_-]` that is not inside a reference.
   */
  expandToken(text: string, start: number): { value: string; end: number } {
    return this.#expandUntil(text, start, true, []);
  }

  /** Expand the reference whose `$` is just before `pos`. */
  expandDollar(text: string, pos: number, args: string[] = []): { value: string; end: number } {
    if (text.charCodeAt(pos) !== 40 /* ( */) return { value: "$", end: pos };
    let depth = 0;
    let q = pos + 1;
    for (; q < text.length; q++) {
      const c = text.charCodeAt(q);
      if (c === 40) depth++;
      else if (c === 41 /* ) */) {
        if (depth === 0) break;
        depth--;
      }
    }
    if (q >= text.length) {
      this.#fail(`unterminated reference to '${text.slice(pos + 1)}': missing ')'`);
    }
    return { value: this.#evalClause(text.slice(pos + 1, q), args), end: q + 1 };
  }

  #expandUntil(
    text: string,
    start: number,
    token: boolean,
    args: string[],
  ): { value: string; end: number } {
    let out = "";
    let from = start;
    let p = start;
    while (p < text.length) {
      const c = text.charCodeAt(p);
      if (c === 36 /* $ */) {
        out += text.slice(from, p);
        const r = this.expandDollar(text, p + 1, args);
        out += r.value;
        p = from = r.end;
        continue;
      }
      if (token && !isTokenChar(c)) break;
      p++;
    }
    return { value: out + text.slice(from, p), end: p };
  }

  #evalClause(clause: string, args: string[]): string {
    // `$(1)`, `$(2)`…: arguments of the enclosing user-function call.
    if (/^[0-9]+$/.test(clause)) {
      const n = Number(clause);
      if (n > 0 && n <= args.length) return args[n - 1]!;
    }
    const parts: string[] = [];
    let depth = 0;
    let from = 0;
    for (let i = 0; i < clause.length; i++) {
      const c = clause[i];
      if (c === "," && depth === 0) {
        parts.push(clause.slice(from, i));
        from = i + 1;
        if (parts.length >= MAX_ARGS) this.#fail("too many function arguments");
      } else if (c === "(") depth++;
      else if (c === ")") depth--;
    }
    parts.push(clause.slice(from));
    if (parts.length > MAX_ARGS) this.#fail("too many function arguments");
    const name = this.expand(parts[0]!, args);
    const callArgs = parts.slice(1).map((a) => this.expand(a, args));

    const v = this.#vars.get(name);
    if (v) {
      if (callArgs.length === 0 && v.depth > 0) {
        this.#fail(`Recursive variable '${name}' references itself (eventually)`);
      }
      if (v.depth > 1000) this.#fail("Too deep recursive expansion");
      v.depth++;
      try {
        return v.flavor === "recursive" ? this.expand(v.value, callArgs) : v.value;
      } finally {
        v.depth--;
      }
    }
    const builtin = this.#builtin(name, callArgs);
    if (builtin !== undefined) return builtin;
    if (callArgs.length === 0 && name !== "") {
      return this.#ask(() => this.#host.env(name)) ?? "";
    }
    return "";
  }

  #builtin(name: string, a: string[]): string | undefined {
    const arity = BUILTINS[name];
    if (!arity) return undefined;
    if (a.length < arity[0]) this.#fail(`too few function arguments passed to '${name}'`);
    if (a.length > arity[1]) this.#fail(`too many function arguments passed to '${name}'`);
    switch (name) {
      case "error-if":
        if (a[0] === "y") this.#fail(a[1]!);
        return "";
      case "warning-if":
        if (a[0] === "y") this.messages.push(`${this.file}:${this.line}: ${a[1]}`);
        return "";
      case "info":
        this.messages.push(a[0]!);
        return "";
      case "filename":
        return this.file;
      case "lineno":
        return String(this.line);
      case "shell":
        return this.#ask(() => this.#host.shell(a[0]!));
    }
    return undefined;
  }

  /** Call the host, locating its errors (such as a call missing from a profile). */
  #ask<T>(call: () => T): T {
    try {
      return call();
    } catch (e) {
      if (e instanceof KconfigError) throw e;
      this.#fail((e as Error).message);
    }
  }

  #fail(message: string): never {
    throw new KconfigError(this.file, this.line, message);
  }
}

const BUILTINS: Record<string, [number, number]> = {
  "error-if": [2, 2],
  "filename": [0, 0],
  "info": [1, 1],
  "lineno": [0, 0],
  "shell": [1, 1],
  "warning-if": [2, 2],
};

/**
 * Post-process raw shell output the way Kconfig does: keep at most 4095 bytes, drop trailing
 * newlines, turn the remaining newlines into spaces.
 */
export function shellOutput(raw: string): string {
  let s = raw.length >= 4096 ? raw.slice(0, 4095) : raw;
  s = s.replace(/\n+$/, "");
  return s.replaceAll("\n", " ");
}
