/**
 * The Kconfig data model: tristate values, expressions, symbols, properties and menu nodes,
 * as described in `Documentation/kbuild/kconfig-language.rst`.
 *
 * @module
 */

/**
 * A tristate value: 0 = n, 1 = m, 2 = y.
 *
 * "An expression can have a value of 'n', 'm' or 'y' (or 0, 1, 2 respectively for
 * calculations)." (kconfig-language.rst, "Menu dependencies"): the same numbering, so that
 * AND is `min` and OR is `max` as in conf's `EXPR_AND`/`EXPR_OR` (expr.h).
 */
export type Tri = 0 | 1 | 2;

/**
 * Symbol types of the Kconfig language (`unknown` for referenced but undefined symbols).
 *
 * "Every config option must have a type. There are only two basic types: tristate and
 * string; the other types are based on these two." (kconfig-language.rst, "Menu
 * attributes"): `bool` is a tristate without m, `int`/`hex` are validated strings. A name
 * used but never given a type stays `unknown` (conf's S_UNKNOWN): its value is its own name
 * and, as a tristate, n (sym_calc_value).
 */
export type SymType = "unknown" | "bool" | "tristate" | "int" | "hex" | "string";

/**
 * Comparison operators allowed between two symbols: "<symbol> '=' <symbol>",
 * "<symbol> '!=' <symbol>", "<symbol1> '<' <symbol2>" and '>', '<=', '>='
 * (kconfig-language.rst, "Menu dependencies", forms (2) to (4)).
 */
export type CmpOp = "=" | "!=" | "<" | "<=" | ">" | ">=";

/** Evaluation cache of a compound expression: generation and value (engine-owned). */
export interface ExprCache {
  /** Generation the cached value belongs to. */
  g?: number;
  /** Cached value. */
  v?: Tri;
}

/**
 * A dependency expression, one variant per form of the grammar in kconfig-language.rst,
 * "Menu dependencies": `sym` is "<symbol> (1)", `cmp` the comparisons (2) to (4), `not` is
 * "'!' <expr> (6)", `and` "<expr> '&&' <expr> (7)", `or` "<expr> '||' <expr> (8)";
 * parentheses (5) leave no node. `null` where an expression is optional means y, as
 * `expr_calc_value(NULL)` does.
 */
export type Expr =
  | { k: "sym"; s: Sym }
  | ({ k: "and"; a: Expr; b: Expr } & ExprCache)
  | ({ k: "or"; a: Expr; b: Expr } & ExprCache)
  | ({ k: "not"; a: Expr } & ExprCache)
  | ({ k: "cmp"; op: CmpOp; a: Sym; b: Sym } & ExprCache);

/** Kinds of properties a symbol can carry. */
export type PropKind = "prompt" | "default" | "select" | "imply" | "range";

/**
 * One property (`prompt`, `default`, `select`, `imply`, `range`) at one definition.
 *
 * "Dependencies are applied to all other options within this menu entry (which also accept
 * an "if" expression)" (kconfig-language.rst, "Menu attributes"): `cond` starts as the
 * property's own `if` and the parser ANDs the entry's dependencies into it, as conf's
 * menu_finalize does with `prop->visible.expr`.
 */
export interface Prop {
  /** What the property is. */
  kind: PropKind;
  /** Default value expression; for select/imply the target symbol as an expression. */
  expr: Expr | null;
  /** Range bounds (`range` only). */
  range?: [Sym, Sym];
  /** Prompt text (`prompt` only). */
  text?: string;
  /** Condition: its own `if`, and after finalisation all inherited dependencies. */
  cond: Expr | null;
  /** The menu node (definition) this property belongs to. */
  node: MenuNode;
  /** File the property was written in, relative to the tree. */
  file: string;
  /** Line number in `file`. */
  line: number;
}

/** A menu node: one definition of a config/choice, or a menu, comment or if block. */
export interface MenuNode {
  /** What kind of statement created the node. */
  kind: "root" | "config" | "menuconfig" | "choice" | "menu" | "comment" | "if";
  /** The symbol defined here (config, menuconfig, choice). */
  sym: Sym | null;
  /** Prompt of this node (menu and comment text, or the symbol's prompt at this definition). */
  prompt: Prop | null;
  /** `depends on` (and, for `if`, the condition); after finalisation includes parents' deps. */
  dep: Expr | null;
  /** `visible if` of a menu. */
  visibility: Expr | null;
  /** Enclosing node. */
  parent: MenuNode | null;
  /** Child nodes in file order. */
  children: MenuNode[];
  /** Help text. */
  help: string | null;
  /** File of the statement, relative to the tree. */
  file: string;
  /** Line of the statement. */
  line: number;
}

/** The shared empty list most symbols have (frozen: code that appends must copy first). */
export const NONE: never[] = Object.freeze([]) as unknown as never[];

/** A Kconfig symbol with its static definition and the engine's cached evaluation state. */
export class Sym {
  /** Name (`null` for choices without a name). */
  name: string | null;
  /** Declared type. */
  type: SymType = "unknown";
  /** True for `y`, `m`, `n` and quoted literals. */
  isConst = false;
  /** True for a `choice` symbol. */
  isChoice = false;
  /**
   * Set for `optional` choices (all configs are optional). "A choice accepts another option
   * "optional", which allows to set the choice to 'n' and no entry needs to be selected."
   * (kconfig-language.rst, "choices"); conf's SYMBOL_OPTIONAL, which its parser.y also sets
   * on every config (menu_finalize gives only symbols without it, that is non-optional
   * choices, the lower bound `<visibility> && m`).
   */
  optional = false;
  /** The choice this symbol is a value of. */
  choice: Sym | null = null;
  /** For choices: the choice values in order. */
  values: Sym[] = NONE;
  /** All properties, in definition order. */
  props: Prop[] = [];
  /** Definitions (menu nodes). */
  nodes: MenuNode[] = [];
  /**
   * OR of the dependencies of each definition: "A config option can be defined multiple
   * times with the same name" (kconfig-language.rst, "Menu entries"), and conf's
   * menu_finalize ORs each definition's `depends on` (menus and ifs included) into dir_dep.
   */
  dirDep: Expr | null = null;
  /**
   * OR of `selector && condition` over all selects of this symbol: "If <symbol> is selected
   * multiple times, the limit is set to the largest selection." (kconfig-language.rst,
   * "reverse dependencies"); the OR of tristates is their maximum (conf's rev_dep).
   */
  revDep: Expr | null = null;
  /**
   * OR of `implier && condition` over all implies of this symbol ("weak reverse
   * dependencies" in kconfig-language.rst; conf's `implied`).
   */
  implied: Expr | null = null;
  /** The shared expression referring to this symbol. */
  ref: Expr | undefined = undefined;
  /** Prompt properties (filled by the engine). */
  prompts: Prop[] = NONE;
  /** Default properties in order (filled by the engine). */
  defaults: Prop[] = NONE;
  /** Range properties in order (filled by the engine). */
  ranges: Prop[] = NONE;
  /** True while the engine computes the value (a reference now sees a partial value). */
  busy = false;
  /** Symbols that select this symbol (for explanations). */
  selectors: Prop[] = NONE;
  /** Symbols that imply this symbol. */
  impliers: Prop[] = NONE;

  // --- evaluation state, owned by the engine ---
  /** Generation at which the cached value was computed. */
  gen: number = -1;
  /** Current tristate value. */
  tri: Tri = 0;
  /** Current string value (int/hex/string, or name for unknown symbols). */
  str = "";
  /** Visibility computed from the prompts. */
  visible: Tri = 0;
  /** Value of the direct dependencies. */
  dirTri: Tri = 2;
  /** Value of the reverse dependencies (selects). */
  revTri: Tri = 0;
  /** Value of the implies. */
  impTri: Tri = 0;
  /** Whether the symbol is written to .config. */
  write = false;
  /** Which rule decided the value (for explanations). */
  why: string = "";
  /** The default property that applied, if any. */
  usedDefault: Prop | null = null;
  /** Choice: the selected value. */
  selected: Sym | null = null;

  // --- user values (from a .config, fragment or an all*config mode) ---
  /** True when the symbol has a user value. */
  hasUser = false;
  /** User tristate. */
  userTri: Tri = 0;
  /** User string. */
  userStr: string | null = null;
  /** Choice: the user-selected value. */
  userSel: Sym | null = null;

  /** A symbol named `name` (null for a choice without a name). */
  constructor(name: string | null) {
    this.name = name;
  }
}

// Every expression node gets the same object shape (k, s, a, b, op, g, v): this keeps the
// engine's evaluator monomorphic, and so fast.

/** The shared expression referring to a symbol. */
export function symExpr(s: Sym): Expr {
  return s.ref ??= { k: "sym", s, a: null, b: null, op: null, g: -1, v: 0 } as unknown as Expr;
}

/** `a && b` or `a || b`. */
export function binExpr(k: "and" | "or", a: Expr, b: Expr): Expr {
  return { k, s: null, a, b, op: null, g: -1, v: 0 } as unknown as Expr;
}

/** `!a`. */
export function notExpr(a: Expr): Expr {
  return { k: "not", s: null, a, b: null, op: null, g: -1, v: 0 } as unknown as Expr;
}

/** A comparison between two symbols. */
export function cmpExpr(op: CmpOp, a: Sym, b: Sym): Expr {
  return { k: "cmp", s: null, a, b, op, g: -1, v: 0 } as unknown as Expr;
}

/**
 * Tristate AND: "(7) Returns the result of min(/expr/, /expr/)." (kconfig-language.rst,
 * "Menu dependencies"); conf's EXPR_AND.
 */
export function triAnd(a: Tri, b: Tri): Tri {
  return a < b ? a : b;
}

/**
 * Tristate OR: "(8) Returns the result of max(/expr/, /expr/)." (kconfig-language.rst,
 * "Menu dependencies"); conf's EXPR_OR.
 */
export function triOr(a: Tri, b: Tri): Tri {
  return a > b ? a : b;
}

/** AND two optional expressions (`null` means yes). */
export function andExpr(a: Expr | null, b: Expr | null): Expr | null {
  if (!a) return b;
  if (!b) return a;
  return binExpr("and", a, b);
}

/** OR two optional expressions (`null` on the left means nothing yet). */
export function orExpr(a: Expr | null, b: Expr): Expr {
  return a ? binExpr("or", a, b) : b;
}

/** True when the expression mentions the symbol anywhere. */
export function exprMentions(e: Expr | null, s: Sym): boolean {
  if (!e) return false;
  switch (e.k) {
    case "sym":
      return e.s === s;
    case "and":
    case "or":
      return exprMentions(e.a, s) || exprMentions(e.b, s);
    case "not":
      return exprMentions(e.a, s);
    case "cmp":
      return e.a === s || e.b === s;
  }
}

/** Display name of a symbol inside an expression. */
export function symLabel(s: Sym): string {
  if (s.isConst && s.name !== "y" && s.name !== "m" && s.name !== "n") {
    return `"${s.name}"`;
  }
  return s.name ?? "<choice>";
}

/** Render an expression the way the kernel's tools print it. */
export function exprToString(e: Expr | null): string {
  if (!e) return "y";
  return render(e, 0);
}

function render(e: Expr, parent: number): string {
  switch (e.k) {
    case "sym":
      return symLabel(e.s);
    case "cmp":
      return `${symLabel(e.a)}${e.op}${symLabel(e.b)}`;
    case "not":
      return `!${render(e.a, 3)}`;
    case "and": {
      const s = `${render(e.a, 2)} && ${render(e.b, 2)}`;
      return parent > 2 ? `(${s})` : s;
    }
    case "or": {
      const s = `${render(e.a, 1)} || ${render(e.b, 1)}`;
      return parent > 1 ? `(${s})` : s;
    }
  }
}

/** Format a tristate. */
export function triName(t: Tri): "n" | "m" | "y" {
  return t === 2 ? "y" : t === 1 ? "m" : "n";
}
