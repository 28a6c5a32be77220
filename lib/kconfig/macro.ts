/**
 * The Kconfig macro language (`Documentation/kbuild/kconfig-macro-language.rst`): variables
 * (`=`, `:=`, `+=`), `$(var)` references, user functions with `$(1)`…, the built-in functions
 * `shell`, `info`, `warning-if`, `error-if`, `filename`, `lineno`, and the environment fallback.
 *
 * The macro layer is pure: `$(shell,…)` and environment look-ups go to a {@linkcode MacroHost},
 * which answers them from a toolchain profile (or runs them, when recording one).
 *
 * "The macro language in Kconfig processes the source file into the following intermediate
 * … Then, Kconfig moves onto the evaluation stage to resolve inter-symbol dependency as
 * explained in kconfig-language.rst." (kconfig-macro-language.rst, "Concept"): expansion
 * happens while lexing, before any symbol has a value, so "You cannot pass symbols to the
 * 'shell' function." ("Caveats"). The methods below quote the rules they follow and name the
 * function of `scripts/kconfig/preprocess.c` they match.
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

/** Upper bound on the arguments of one function call, as in the kernel (FUNCTION_MAX_ARGS). */
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

  /**
   * Define or extend a variable (`=`, `:=`, `+=`), as variable_add does.
   *
   * "A simply expanded variable is defined using the := assignment operator. Its righthand
   * side is expanded immediately upon reading the line from the Kconfig file." "A recursively
   * expanded variable is defined using the = assignment operator. Its righthand side is
   * simply stored as the value of the variable without expanding it in any way." "The
   * righthand side of += is expanded immediately if the lefthand side was originally defined
   * as a simple variable. Otherwise, its evaluation is deferred." (kconfig-macro-language.rst,
   * "Variables"). `+=` on an undefined variable makes a recursive one (variable_add); `=` or
   * `:=` on a defined one replaces value and flavor.
   */
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

  /**
   * Expand the reference whose `$` is just before `pos` (expand_dollar_with_args).
   *
   * "To get the value of a variable, enclose the variable name in $( ). The parentheses are
   * required even for single-letter variable names; $X is a syntax error. The curly brace
   * form as in ${CC} is not supported either." (kconfig-macro-language.rst, "Variables"). conf
   * does not raise that error: preprocess.c says "'$' not followed by '(' loses its special
   * meaning", and so it does here. Nested parentheses are matched; a missing `)` is an error.
   */
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

  /**
   * The text between `$(` and `)` (eval_clause). "Kconfig uses only commas for delimiters,
   * and keeps all whitespaces in the function call." and "commas that appear in the $( )
   * context are always delimiters" (kconfig-macro-language.rst, "Make vs Kconfig"), outside
   * nested parentheses. The name and the arguments are expanded first, then looked up in
   * order: a variable or user function, a built-in function, and, with no arguments, an
   * environment variable (preprocess.c's "Last, try environment variable"; the text does not
   * mention the environment); anything else is empty.
   */
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

    // "In fact, recursively expanded variables and user-defined functions are the same
    // internally. (In other words, "variable" is "function with zero argument".)" and "The
    // parameters are referenced within the body definition with $(1), $(2), etc."
    // (kconfig-macro-language.rst, "Variables"); a variable that refers to itself without
    // arguments would never end, which variable_expand reports.
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

  /**
   * The built-in functions (function_expand). "Every function takes a particular number of
   * arguments." (kconfig-macro-language.rst, "Built-in functions"): the counts of `BUILTINS`,
   * checked as function_expand does. Each case quotes its definition.
   */
  #builtin(name: string, a: string[]): string | undefined {
    const arity = BUILTINS[name];
    if (!arity) return undefined;
    if (a.length < arity[0]) this.#fail(`too few function arguments passed to '${name}'`);
    if (a.length > arity[1]) this.#fail(`too many function arguments passed to '${name}'`);
    switch (name) {
      // "The "error-if" function is similar to "warning-if", but it terminates the parsing
      // immediately if the condition part is "y"."
      case "error-if":
        if (a[0] === "y") this.#fail(a[1]!);
        return "";
      // "If the condition part is "y", the text part is sent to stderr. The text is prefixed
      // with the name of the current Kconfig file and the current line number." Kept in
      // `messages` instead of printed.
      case "warning-if":
        if (a[0] === "y") this.messages.push(`${this.file}:${this.line}: ${a[1]}`);
        return "";
      // "The "info" function takes a single argument and prints it to stdout. It evaluates to
      // an empty string." Kept in `messages` instead of printed.
      case "info":
        this.messages.push(a[0]!);
        return "";
      // "$(filename) is expanded to the file name being parsed."
      case "filename":
        return this.file;
      // "$(lineno) is expanded to the line number being parsed."
      case "lineno":
        return String(this.line);
      // "The "shell" function accepts a single argument that is expanded and passed to a
      // subshell for execution. The standard output of the command is then read and returned
      // as the value of the function." The host answers (from the profile), post-processed
      // by `shellOutput`.
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
 *
 * "Every newline in the output is replaced with a space. Any trailing newlines are deleted.
 * The standard error is not returned, nor is any program exit status."
 * (kconfig-macro-language.rst, "$(shell,command)"); the 4095-byte cap is do_shell's buffer,
 * which the text does not mention.
 */
export function shellOutput(raw: string): string {
  let s = raw.length >= 4096 ? raw.slice(0, 4095) : raw;
  s = s.replace(/\n+$/, "");
  return s.replaceAll("\n", " ");
}
