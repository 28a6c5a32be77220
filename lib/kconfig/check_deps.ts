/**
 * Recursive dependency detection, as `scripts/kconfig/symbol.c`'s `sym_check_deps()` does it
 * after parsing (conf then refuses the tree with `recursive dependency detected!`). A symbol
 * depends on the symbols of:
 * - its `depends on` (all definitions, with the enclosing menus' and `if`s' dependencies);
 * - its reverse dependencies: the symbols selecting it (`select`) and implying it (`imply`),
 *   with their conditions;
 * - the conditions of its properties (prompt, default, range: their own `if` plus the inherited
 *   dependencies), and the value expressions of its `default`s (not for choices).
 * `select`/`imply` properties are not followed forward: the target's reverse dependency carries
 * them. The values of a choice are checked as one group with the choice, so that references
 * between members of the same choice are not cycles (see Documentation/kbuild/
 * kconfig-language.rst, "Kconfig recursive dependency limitations").
 *
 * "In order to do that kconfig must determine the values that are possible for all Kconfig
 * symbols, this is currently not possible if there is a circular relation between two or
 * more Kconfig symbols." and "Kconfig does not do recursive dependency resolution"
 * (kconfig-language.rst, "Kconfig recursive dependency limitations"): the engine computes
 * each value from the values it depends on, so a cycle is refused when the tree is parsed,
 * before any value is computed, as conf_parse does.
 *
 * @module
 */
import type { Expr, Sym } from "./expr.ts";
import { KconfigError } from "./macro.ts";

/** The symbols an expression names (non-constant). */
function exprSyms(e: Expr | null, out: Sym[]): void {
  if (!e) return;
  switch (e.k) {
    case "sym":
      if (!e.s.isConst) out.push(e.s);
      return;
    case "not":
      exprSyms(e.a, out);
      return;
    case "cmp":
      if (!e.a.isConst) out.push(e.a);
      if (!e.b.isConst) out.push(e.b);
      return;
    default:
      exprSyms(e.a, out);
      exprSyms(e.b, out);
  }
}

interface Edge {
  to: Sym;
  how: string;
}

/**
 * The dependencies of one symbol, each with how conf would name it: the expressions
 * sym_check_sym_deps follows, in its order (dir_dep, rev_dep, implied, then each property's
 * condition and, except for choices, each default's value), and the words
 * sym_check_print_recursive uses for each.
 */
function edges(s: Sym): Edge[] {
  const out: Edge[] = [];
  const add = (e: Expr | null, how: string) => {
    const syms: Sym[] = [];
    exprSyms(e, syms);
    for (const to of syms) out.push({ to, how });
  };
  add(s.dirDep, "depends on");
  add(s.revDep, "is selected by");
  add(s.implied, "is implied by");
  for (const p of s.props) {
    if (p.kind === "select" || p.kind === "imply") continue;
    add(p.cond, `${p.kind} is visible depending on`);
    if (p.kind === "default" && !s.isChoice) add(p.expr, "default value contains");
  }
  return out;
}

/**
 * Throw a located error when a symbol depends on itself.
 *
 * A depth-first walk like sym_check_deps: a symbol met again while it is still being checked
 * closes a cycle. A choice value is checked through its choice (sym_check_choice_deps), so a
 * reference inside one choice group does not count, but a group reached again from outside
 * does. The message is conf's: the location of the first symbol of the cycle, then each step
 * ("symbol A depends on B", "symbol B is selected by A", …).
 *
 * @param symbols Every symbol and choice of the parsed tree.
 * @throws {KconfigError} `file:line: recursive dependency detected!: symbol A depends on A`.
 */
export function checkRecursiveDeps(symbols: Iterable<Sym>): void {
  // The unit of the check: a choice with its values, or a symbol.
  const unit = (s: Sym): Sym => s.choice ?? s;
  const members = new Map<Sym, Sym[]>();
  for (const s of symbols) {
    const u = unit(s);
    const list = members.get(u) ?? [];
    if (!list.includes(s)) list.push(s);
    if (u !== s && !list.includes(u)) list.push(u);
    members.set(u, list);
  }
  const state = new Map<Sym, "checking" | "done">();
  const stack: { sym: Sym; how?: string }[] = [];
  const visit = (u: Sym): void => {
    state.set(u, "checking");
    for (const m of members.get(u) ?? [u]) {
      for (const e of edges(m)) {
        const t = unit(e.to);
        if (t === u) {
          if (e.to !== m || m.isChoice) continue; // within one choice group
        }
        const st = state.get(t);
        if (st === "done") continue;
        stack.push({ sym: m, how: e.how });
        if (st === "checking") {
          const from = stack.findIndex((f) => unit(f.sym) === t);
          const chain = stack.slice(from).map((f, i, all) =>
            `symbol ${f.sym.name} ${f.how} ${(all[i + 1]?.sym ?? e.to).name}`
          );
          const first = stack[from]!.sym;
          const node = first.nodes[0];
          throw new KconfigError(
            node?.file ?? "Kconfig",
            node?.line ?? 0,
            `recursive dependency detected!: ${chain.join(", ")}`,
          );
        }
        visit(t);
        stack.pop();
      }
    }
    state.set(u, "done");
  };
  for (const u of members.keys()) if (!state.has(u)) visit(u);
}
