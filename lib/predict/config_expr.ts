/**
 * Kconfig expressions over a resolved config, for the `when` of hazard rules: `CPU_V6`,
 * `!CPU_32v5`, `A && (B || C)`, `X = m`, `X != n`, with Kconfig's tristate logic
 * (Documentation/kbuild/kconfig-language.rst, "Menu dependencies": `!` is 2-x, `&&` is min,
 * `||` is max; a comparison is y when it holds, else n).
 *
 * @module
 */

/** A tristate: 0 = n, 1 = m, 2 = y. */
export type Tristate = 0 | 1 | 2;

function tri(v: string): Tristate {
  return v === "y" ? 2 : v === "m" ? 1 : 0;
}

/** The symbols an expression names, in order of appearance. */
export function exprSymbols(expr: string): string[] {
  const out = new Set<string>();
  for (const m of expr.matchAll(/[A-Za-z0-9_]+/g)) {
    if (!/^(y|m|n|\d+)$/.test(m[0])) out.add(m[0]);
  }
  return [...out];
}

/**
 * Evaluate a Kconfig expression.
 *
 * @example Usage
 * ```ts
 * import { evalConfigExpr } from "./config_expr.ts";
 * const values: Record<string, string> = { CPU_V6: "y", CPU_32v5: "n" };
 * evalConfigExpr("CPU_V6 && !CPU_32v5", (n) => values[n] ?? "n"); // 2
 * ```
 *
 * @param expr The expression.
 * @param value The resolved value of a symbol (`y`, `m`, `n`, a number or a string).
 * @returns The tristate value of the expression.
 */
export function evalConfigExpr(expr: string, value: (name: string) => string): Tristate {
  const tokens =
    expr.match(/\s*(&&|\|\||!=|[!()=]|"[^"]*"|[A-Za-z0-9_]+)\s*/g)?.map((t) => t.trim()) ?? [];
  if (tokens.join("").replace(/\s/g, "") !== expr.replace(/\s/g, "")) {
    throw new Error(`Cannot parse Kconfig expression '${expr}': unexpected character`);
  }
  let i = 0;
  const peek = () => tokens[i];
  const fail = (what: string): never => {
    throw new Error(`Cannot parse Kconfig expression '${expr}': ${what}`);
  };
  const atomValue = (t: string) =>
    /^(y|m|n)$/.test(t) ? t : t.startsWith('"') ? t.slice(1, -1) : /^\d+$/.test(t) ? t : value(t);
  const primary = (): Tristate => {
    const t = tokens[i++];
    if (t === undefined) return fail("unexpected end");
    if (t === "!") return (2 - primary()) as Tristate;
    if (t === "(") {
      const v = or();
      if (tokens[i++] !== ")") fail("missing ')'");
      return v;
    }
    if (/^[()&|!=]/.test(t)) return fail(`unexpected '${t}'`);
    if (peek() === "=" || peek() === "!=") {
      const op = tokens[i++];
      const r = tokens[i++];
      if (r === undefined) return fail("missing operand");
      const eq = atomValue(t) === atomValue(r);
      return (op === "=") === eq ? 2 : 0;
    }
    return tri(atomValue(t));
  };
  const and = (): Tristate => {
    let v = primary();
    while (peek() === "&&") {
      i++;
      v = Math.min(v, primary()) as Tristate;
    }
    return v;
  };
  const or = (): Tristate => {
    let v = and();
    while (peek() === "||") {
      i++;
      v = Math.max(v, and()) as Tristate;
    }
    return v;
  };
  const v = or();
  if (i !== tokens.length) fail(`unexpected '${tokens[i]}'`);
  return v;
}
