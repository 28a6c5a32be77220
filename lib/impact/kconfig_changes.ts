/**
 * Which Kconfig symbols can change value between two trees, whatever the configuration: the
 * symbols whose definition differs (type, prompts, defaults, selects, ranges, dependencies,
 * choice membership, menu visibility), and every symbol whose value is computed from one of
 * them, transitively (through `depends on`, `select`/`imply`, defaults, conditions, ranges and
 * choices), in either tree.
 *
 * A configuration's value of any other symbol is the same on both trees, and a dependent can
 * only change when what it is computed from changes: so comparing a configuration before and
 * after a patch starts at the redefined symbols and stops where values agree, instead of
 * computing two full `.config`s.
 *
 * @module
 */
import { type Expr, exprToString, type MenuNode, type Sym } from "../kconfig/expr.ts";
import type { Kconfig } from "../kconfig/kconfig.ts";

/** A symbol whose resolved value differs. */
export interface SymbolChange {
  /** Name without `CONFIG_`. */
  symbol: string;
  /** Value before (`n` when unset). */
  before: string;
  /** Value after. */
  after: string;
}

/**
 * The Kconfig difference of two trees, ready to compare configurations: the symbols whose
 * definition differs, and the dependents graph of both trees.
 */
export class KconfigChanges {
  /** Symbols whose definition differs (or that exist in one tree only), the primary ones first. */
  readonly redefined: string[];
  /** Those whose own entry differs, not only who selects or implies them. */
  readonly primary: string[];
  #dependents = new Map<string, Set<string>>();

  /**
   * @param before The engine of the tree before the patch.
   * @param after The engine of the tree after it.
   */
  constructor(before: Kconfig, after: Kconfig, options: { files?: readonly string[] } = {}) {
    // Only a symbol defined, selected or implied under a changed file can have another
    // definition: the others need no signature (a definition's inherited dependencies come from
    // its enclosing nodes, which are in changed files if they changed).
    const near = options.files
      ? new Set([...nearFiles(before, options.files), ...nearFiles(after, options.files)])
      : undefined;
    const a = signatures(before, near), b = signatures(after, near);
    const redefined: string[] = [];
    const primary: string[] = [];
    const own = (sig?: string) => sig?.split("\n").filter((l) => !/^(rev|imp) /.test(l)).join("\n");
    for (const name of new Set([...a.keys(), ...b.keys()])) {
      if (a.get(name) === b.get(name)) continue;
      redefined.push(name);
      if (own(a.get(name)) !== own(b.get(name))) primary.push(name);
    }
    this.primary = primary.sort();
    this.redefined = [...this.primary, ...redefined.filter((n) => !primary.includes(n)).sort()];
    for (const kc of [before, after]) addDependents(kc, this.#dependents);
  }

  /**
   * The symbols whose values differ between the two engines' current configurations (both
   * resolved from the same request). A symbol's value is a function of its definition and of
   * the values it is computed from; so the comparison starts at the redefined symbols and
   * follows dependents only from a value that differs. Anonymous choices always propagate.
   * Returns undefined when MODULES differs (every tristate would follow): compare in full then.
   */
  compare(before: Kconfig, after: Kconfig): SymbolChange[] | undefined {
    const out: SymbolChange[] = [];
    const seen = new Set(this.redefined);
    const queue = [...this.redefined];
    while (queue.length > 0) {
      const s = queue.pop()!;
      if (!s.startsWith("<")) {
        const x = before.value(s) || "n", y = after.value(s) || "n";
        if (x === y) continue;
        if (s === "MODULES") return undefined;
        out.push({ symbol: s, before: x, after: y });
      }
      for (const d of this.#dependents.get(s) ?? []) {
        if (!seen.has(d)) {
          seen.add(d);
          queue.push(d);
        }
      }
    }
    return out.sort((p, q) => p.symbol.localeCompare(q.symbol));
  }
}

/** A stable name: the symbol's, or `<choice NAME>` after its first value for anonymous choices. */
function keyOf(s: Sym): string {
  if (s.name) return s.name;
  return `<choice ${s.values[0]?.name ?? "?"}>`;
}

function exprSyms(e: Expr | null, out: Set<Sym>): void {
  if (!e) return;
  switch (e.k) {
    case "sym":
      out.add(e.s);
      return;
    case "not":
      exprSyms(e.a, out);
      return;
    case "cmp":
      out.add(e.a);
      out.add(e.b);
      return;
    default:
      exprSyms(e.a, out);
      exprSyms(e.b, out);
  }
}

/** The `visible if` conditions of the menus around a definition. */
function visibility(node: MenuNode): string {
  const out: string[] = [];
  for (let p = node.parent; p; p = p.parent) if (p.visibility) out.push(exprToString(p.visibility));
  return out.join(" & ");
}

/** Names of the symbols with a definition, or a select/imply of them, under the files. */
function nearFiles(kc: Kconfig, files: readonly string[]): Set<string> {
  const changed = new Set(files);
  const memo = new Map<MenuNode, boolean>();
  const under = (n: MenuNode | null): boolean => {
    if (!n) return false;
    let v = memo.get(n);
    if (v === undefined) {
      v = changed.has(n.file) || under(n.parent);
      memo.set(n, v);
    }
    return v;
  };
  const out = new Set<string>();
  const all = new Set<Sym>([...kc.tree.symbols.values(), ...kc.tree.choices]);
  for (const s of all) {
    if (s.isConst) continue;
    if (
      s.nodes.some(under) || s.props.some((p) => under(p.node)) ||
      s.selectors.some((p) => under(p.node)) || s.impliers.some((p) => under(p.node)) ||
      (s.choice !== null && s.choice.nodes.some(under))
    ) {
      out.add(keyOf(s));
    }
  }
  return out;
}

function signatures(kc: Kconfig, only?: Set<string>): Map<string, string> {
  const out = new Map<string, string>();
  const all = new Set<Sym>([...kc.tree.symbols.values(), ...kc.tree.choices]);
  for (const s of all) {
    if (s.isConst) continue;
    // A symbol only one tree has is redefined whatever its file: keep it as "defined".
    if (only && !only.has(keyOf(s))) {
      out.set(keyOf(s), "unchanged");
      continue;
    }
    const parts = [
      s.type,
      s.optional ? "optional" : "",
      `dep ${exprToString(s.dirDep)}`,
      `rev ${exprToString(s.revDep)}`,
      `imp ${exprToString(s.implied)}`,
      `choice ${s.choice ? keyOf(s.choice) : ""}`,
      `values ${s.values.map(keyOf).join(",")}`,
      ...s.props.map((p) =>
        `${p.kind} ${exprToString(p.expr)} if ${exprToString(p.cond)}${
          p.range ? ` range ${keyOf(p.range[0])} ${keyOf(p.range[1])}` : ""
        }`
      ),
      ...s.nodes.map((n) => `node ${n.kind} ${exprToString(n.dep)} vis ${visibility(n)}`),
    ];
    out.set(keyOf(s), parts.join("\n"));
  }
  return out;
}

/** Edges `x → s` for every symbol `x` that `s`'s value is computed from. */
function addDependents(kc: Kconfig, dependents: Map<string, Set<string>>): void {
  const edge = (from: Sym, to: Sym) => {
    if (from.isConst) return;
    const k = keyOf(from);
    let set = dependents.get(k);
    if (!set) dependents.set(k, set = new Set());
    set.add(keyOf(to));
  };
  const all = new Set<Sym>([...kc.tree.symbols.values(), ...kc.tree.choices]);
  for (const s of all) {
    if (s.isConst) continue;
    const from = new Set<Sym>();
    exprSyms(s.dirDep, from);
    exprSyms(s.revDep, from);
    exprSyms(s.implied, from);
    for (const p of s.props) {
      // A select/imply's expression is its target, which depends on this symbol, not the
      // other way round (the target's revDep/implied carry that edge).
      if (p.kind !== "select" && p.kind !== "imply") exprSyms(p.expr, from);
      exprSyms(p.cond, from);
      if (p.range) from.add(p.range[0]).add(p.range[1]);
    }
    for (const n of s.nodes) {
      exprSyms(n.dep, from);
      for (let p = n.parent; p; p = p.parent) exprSyms(p.visibility, from);
    }
    // A choice and its values decide each other.
    if (s.choice) from.add(s.choice);
    for (const v of s.values) from.add(v);
    for (const f of from) edge(f, s);
  }
}
