/**
 * Kconfig parser: reads a whole tree from its top `Kconfig` (following `source`), expands
 * macros while lexing, builds the menu tree and symbol table, then propagates dependencies
 * the way `Documentation/kbuild/kconfig-language.rst` ("Menu dependencies", "choices")
 * describes.
 *
 * @module
 */
import {
  andExpr,
  binExpr,
  cmpExpr,
  type CmpOp,
  type Expr,
  exprMentions,
  type MenuNode,
  NONE,
  notExpr,
  orExpr,
  type Prop,
  type PropKind,
  Sym,
  symExpr,
  type SymType,
} from "./expr.ts";
import { KconfigError, MacroExpander } from "./macro.ts";
import { checkRecursiveDeps } from "./check_deps.ts";

/** The parsed tree: menu root, symbols, and the special symbols. */
export interface ParsedTree {
  /** Root menu node; its prompt is the `mainmenu` text. */
  root: MenuNode;
  /** Named, non-constant symbols by name. */
  symbols: Map<string, Sym>;
  /** Choices in definition order. */
  choices: Sym[];
  /** The constants y, m, n. */
  y: Sym;
  /** The constant m. */
  m: Sym;
  /** The constant n. */
  n: Sym;
  /** The symbol carrying the `modules` option (or the constant n). */
  modules: Sym;
  /** Files read, relative to the tree, in order. */
  files: string[];
}

/** Reads files for the parser (relative to the tree). */
export type FileReader = (path: string) => string | undefined;

interface Tok {
  t: string;
  v: string;
  line: number;
  file: string;
}

interface SrcFile {
  name: string;
  text: string;
  pos: number;
  line: number;
}

const KEYWORDS = new Set([
  "bool",
  "choice",
  "comment",
  "config",
  "def_bool",
  "def_tristate",
  "default",
  "depends",
  "endchoice",
  "endif",
  "endmenu",
  "help",
  "hex",
  "if",
  "imply",
  "int",
  "mainmenu",
  "menu",
  "menuconfig",
  "modules",
  "on",
  "optional",
  "prompt",
  "range",
  "select",
  "source",
  "string",
  "tristate",
  "visible",
]);

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 ||
    c === 45;
}

/** The operator token starting with the character codes `c`, `c2`, if any. */
function operator(c: number, c2: number): string | undefined {
  switch (c) {
    case 124: // |
      return c2 === 124 ? "||" : undefined;
    case 38: // &
      return c2 === 38 ? "&&" : undefined;
    case 33: // !
      return c2 === 61 ? "!=" : "!";
    case 60: // <
      return c2 === 61 ? "<=" : "<";
    case 62: // >
      return c2 === 61 ? ">=" : ">";
    case 58: // :
      return c2 === 61 ? ":=" : undefined;
    case 43: // +
      return c2 === 61 ? "+=" : undefined;
    case 61:
      return "=";
    case 40:
      return "(";
    case 41:
      return ")";
  }
  return undefined;
}

/**
 * Tokenizer over a stack of files, with macro expansion of `$(…)` in words and strings
 * (lexer.l). "The configuration file describes a series of menu entries, where every line
 * starts with a keyword (except help texts)." (kconfig-language.rst, "Kconfig syntax"):
 * tokens are per line, EOL ends a statement, and a backslash-newline joins lines (lexer.l;
 * the text does not mention it).
 */
class Lexer {
  #stack: SrcFile[] = [];
  #macro: MacroExpander;
  #read: FileReader;
  #prev = "EOL";
  #prevPrev = "EOL";
  #assign = false;
  #peeked: Tok | null = null;
  /** Files read so far. */
  files: string[] = [];
  /** Warnings met while lexing. */
  warnings: string[] = [];

  constructor(macro: MacroExpander, read: FileReader) {
    this.#macro = macro;
    this.#read = read;
  }

  get file(): string {
    return this.#stack[this.#stack.length - 1]?.name ?? "<none>";
  }

  /**
   * Start reading a file (zconf_nextfile). `"source" <prompt>`: "This reads the specified
   * configuration file. This file is always parsed." (kconfig-language.rst): read at once, in
   * place; a file that includes itself is an error, as conf's "Recursive inclusion
   * detected".
   */
  push(name: string, at?: { file: string; line: number }): void {
    for (const f of this.#stack) {
      if (f.name === name) {
        throw new KconfigError(at?.file ?? name, at?.line ?? 0, `recursive inclusion of '${name}'`);
      }
    }
    const text = this.#read(name);
    if (text === undefined) {
      if (at) throw new KconfigError(at.file, at.line, `can't open file "${name}"`);
      throw new Error(`Cannot open Kconfig file '${name}': not found`);
    }
    this.files.push(name);
    this.#stack.push({ name, text, pos: 0, line: 1 });
  }

  /** Lex what follows as the rest of a `depends on` line (so `X = y` is no assignment). */
  afterDependsOn(): void {
    this.#prevPrev = "depends";
    this.#prev = "on";
  }

  peek(): Tok {
    if (!this.#peeked) this.#peeked = this.#next();
    return this.#peeked;
  }

  next(): Tok {
    const t = this.peek();
    this.#peeked = null;
    return t;
  }

  /**
   * Read a help block starting at the beginning of the next line: it ends at the first
   * non-blank line indented less than its first line (or not indented at all).
   *
   * "The end of the help text is determined by the indentation level, this means it ends at
   * the first line which has a smaller indentation than the first line of the help text."
   * (kconfig-language.rst, "help text"): indentation counted with tabs to the next multiple
   * of 8, as lexer.l's HELP state does; blank lines do not end it, and (lexer.l, not the
   * text) a line starting in column 0 always does.
   */
  readHelp(): string {
    const f = this.#stack[this.#stack.length - 1];
    if (!f) return "";
    const text = f.text;
    const start = f.pos;
    let end = start;
    let first = -1;
    while (f.pos < text.length) {
      let ts = 0;
      let i = f.pos;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 9) ts = (ts & ~7) + 8;
        else if (c === 32) ts++;
        else break;
      }
      const c = text.charCodeAt(i);
      const blank = i >= text.length || c === 10 || c === 13;
      if (!blank) {
        if (first < 0) first = ts;
        if (ts < first || ts === 0) break;
      }
      let nl = text.indexOf("\n", i);
      if (nl < 0) nl = text.length;
      f.pos = nl + 1;
      f.line++;
      if (!blank) end = f.pos;
    }
    if (f.pos > text.length) f.pos = text.length;
    this.#prev = "HELPTEXT";
    return text.slice(start, end);
  }

  #next(): Tok {
    for (;;) {
      const tok = this.#lex();
      if ((this.#prev === "EOL" || this.#prev === "HELPTEXT") && tok.t === "EOL") continue;
      if (
        this.#prevPrev === "EOL" && this.#prev === "WORD" &&
        (tok.t === "=" || tok.t === ":=" || tok.t === "+=")
      ) {
        this.#assign = true;
      }
      this.#prevPrev = this.#prev;
      this.#prev = tok.t;
      return tok;
    }
  }

  #lex(): Tok {
    for (;;) {
      const f = this.#stack[this.#stack.length - 1];
      if (!f) return { t: "EOF", v: "", line: 0, file: "<none>" };
      const text = f.text;
      this.#macro.file = f.name;
      this.#macro.line = f.line;
      if (this.#assign) {
        this.#assign = false;
        let nl = text.indexOf("\n", f.pos);
        if (nl < 0) nl = text.length;
        const v = text.slice(f.pos, nl).replace(/^[ \t]+/, "");
        f.pos = nl;
        if (v !== "") return { t: "ASSIGNVAL", v, line: f.line, file: f.name };
        continue;
      }
      if (f.pos >= text.length) {
        this.#stack.pop();
        return { t: "EOL", v: "", line: f.line, file: f.name };
      }
      let c = text.charCodeAt(f.pos);
      while (c === 32 || c === 9 || c === 13) c = text.charCodeAt(++f.pos);
      if (f.pos >= text.length) continue;
      const line = f.line;
      // "An unquoted '#' character anywhere in a source file line indicates the beginning of a
      // source file comment. The remainder of that line is a comment." (kconfig-language.rst)
      if (c === 35 /* # */) {
        const nl = text.indexOf("\n", f.pos);
        f.pos = nl < 0 ? text.length : nl;
        continue;
      }
      if (c === 10) {
        f.line++;
        f.pos++;
        return { t: "EOL", v: "", line, file: f.name };
      }
      const c2 = text.charCodeAt(f.pos + 1);
      if (c === 92 /* \ */ && c2 === 10) {
        f.pos += 2;
        f.line++;
        continue;
      }
      // "Constant symbols are always surrounded by single or double quotes." (kconfig-language
      // .rst, "Menu dependencies"); prompts and file names are quoted the same way.
      if (c === 34 || c === 39) return this.#string(f, c);
      if (isWordChar(c) || c === 36) {
        let e = f.pos;
        let dollar = false;
        while (e < text.length) {
          const d = text.charCodeAt(e);
          if (d === 36) dollar = true;
          else if (!isWordChar(d)) break;
          e++;
        }
        if (!dollar) {
          const w = text.slice(f.pos, e);
          f.pos = e;
          return { t: KEYWORDS.has(w) ? w : "WORD", v: w, line, file: f.name };
        }
        const r = this.#macro.expandToken(text, f.pos);
        f.pos = r.end;
        if (r.value === "") continue;
        return { t: "WORD", v: r.value, line, file: f.name };
      }
      const op = operator(c, c2);
      if (op) {
        f.pos += op.length;
        return { t: op, v: "", line, file: f.name };
      }
      const one = text[f.pos]!;
      this.warnings.push(`${f.name}:${line}:warning: ignoring unsupported character '${one}'`);
      f.pos++;
    }
  }

  /**
   * A quoted string. "Within the quote, any other character is allowed and the quotes can be
   * escaped using '\'." (kconfig-language.rst, "Menu dependencies"): a backslash escapes any
   * character; `$(…)` is expanded inside (kconfig-macro-language.rst); a string may not span
   * lines (lexer.l warns "multi-line strings not supported").
   */
  #string(f: SrcFile, quote: number): Tok {
    const text = f.text;
    const line = f.line;
    let out = "";
    let p = f.pos + 1;
    for (;;) {
      if (p >= text.length) break;
      const c = text.charCodeAt(p);
      if (c === quote) {
        p++;
        break;
      }
      if (c === 10) {
        this.warnings.push(`${f.name}:${line}:warning: multi-line strings not supported`);
        break;
      }
      if (c === 92) {
        if (p + 1 < text.length && text.charCodeAt(p + 1) !== 10) {
          out += text[p + 1];
          p += 2;
        } else p++;
        continue;
      }
      if (c === 36) {
        this.#macro.line = f.line;
        const r = this.#macro.expandDollar(text, p + 1);
        out += r.value;
        p = r.end;
        continue;
      }
      out += text[p];
      p++;
    }
    f.pos = p;
    return { t: "QUOTE", v: out, line, file: f.name };
  }
}

interface Block {
  kind: "menu" | "choice" | "if";
  node: MenuNode;
}

/** Parse a whole Kconfig tree starting at `top` (usually `Kconfig`). */
export function parseKconfig(top: string, macro: MacroExpander, read: FileReader): ParsedTree {
  return new Parser(macro, read).parse(top);
}

/** A Kconfig expression parsed against a tree by {@linkcode parseExpr}. */
export interface ParsedExpr {
  /** The expression, with `m` rewritten to `m && MODULES` as in a `depends on`. */
  expr: Expr;
  /** The non-constant symbols it names, in order of first appearance (number literals left out). */
  symbols: Sym[];
}

/** Options for {@linkcode parseExpr}. */
export interface ParseExprOptions {
  /** Expander for `$(…)` references in the text (the tree's own, to see its variables). */
  macro?: MacroExpander;
}

/** Pseudo file name of the text given to {@linkcode parseExpr}. */
const EXPR_FILE = "<expression>";

/**
 * Parse one Kconfig expression, such as the text after `depends on`, with the grammar and
 * lexer of the tree parser, against the symbols of `tree`. Names the tree does not define
 * become fresh symbols of unknown type that are not added to the tree (their value is n).
 *
 * @param text The expression (`CPU_V6 && !CPU_32v5`, `X = m`, `N < 100`).
 * @param tree The parsed tree whose symbols the names refer to.
 * @param options The macro expander for `$(…)`.
 * @returns The expression and the symbols it names.
 * @throws {Error} With the problem (no location) when the text is not one expression.
 */
export function parseExpr(
  text: string,
  tree: ParsedTree,
  options: ParseExprOptions = {},
): ParsedExpr {
  const macro = options.macro ?? new MacroExpander({
    env: () => undefined,
    shell: (command) => {
      throw new Error(`no shell to run '${command}'`);
    },
  });
  const parser = new Parser(macro, (path) => path === EXPR_FILE ? text : undefined, tree);
  try {
    return parser.expression(EXPR_FILE);
  } catch (e) {
    if (!(e instanceof KconfigError)) throw e;
    // One line of text: the location says nothing, the problem is what matters.
    throw new Error(e.message.replace(/^[^:]*:\d+: /, ""), { cause: e });
  }
}

class Parser {
  #lx: Lexer;
  #macro: MacroExpander;
  #symbols = new Map<string, Sym>();
  #consts = new Map<string, Sym>();
  #namedChoices = new Map<string, Sym>();
  #choices: Sym[] = [];
  #y: Sym;
  #m: Sym;
  #n: Sym;
  #modules: Sym | null = null;
  #root: MenuNode;
  #blocks: Block[] = [];
  /** Expression mode: names the tree lacks, kept out of its symbol table. */
  #scratch: Map<string, Sym> | null = null;

  /** A parser for a whole tree, or, given `tree`, for expressions over its symbols. */
  constructor(macro: MacroExpander, read: FileReader, tree?: ParsedTree) {
    this.#macro = macro;
    this.#lx = new Lexer(macro, read);
    const c = (name: string, tri: 0 | 1 | 2): Sym => {
      const s = new Sym(name);
      s.type = "tristate";
      s.isConst = true;
      s.tri = tri;
      s.str = name;
      return s;
    };
    this.#y = c("y", 2);
    this.#m = c("m", 1);
    this.#n = c("n", 0);
    this.#root = this.#node("root", null, "", 0, null);
    if (tree) {
      this.#symbols = tree.symbols;
      this.#scratch = new Map();
      this.#y = tree.y;
      this.#m = tree.m;
      this.#n = tree.n;
      this.#modules = tree.modules;
    }
  }

  /** Parse the file `name` as exactly one expression (expression mode). */
  expression(name: string): ParsedExpr {
    this.#lx.push(name);
    this.#lx.afterDependsOn();
    let expr: Expr | undefined;
    let error: unknown;
    try {
      expr = this.#expr();
      let t = this.#lx.next();
      if (t.t === "EOL") t = this.#lx.next();
      if (t.t !== "EOF") this.#fail(t, `syntax error: unexpected ${describe(t)}`);
    } catch (e) {
      error = e;
    }
    // A character the lexer skipped is the real problem, whatever the parser said after it.
    const warning = this.#lx.warnings[0];
    if (warning) {
      throw new KconfigError(name, 1, warning.replace(/^.*?:\d+:warning: (ignoring )?/, ""));
    }
    if (error || !expr) throw error;
    const symbols = new Set<Sym>();
    const collect = (e: Expr): void => {
      if (e.k === "sym") symbols.add(e.s);
      else if (e.k === "cmp") symbols.add(e.a).add(e.b);
      else {
        collect(e.a);
        if (e.k !== "not") collect(e.b);
      }
    };
    collect(expr);
    const modules = this.#modules ?? this.#n;
    return {
      expr: rewriteM(expr, this.#m, () => symExpr(modules))!,
      symbols: [...symbols].filter((s) =>
        !s.isConst && !(s.type === "unknown" && /^-?(\d+|0x[0-9a-f]+)$/i.test(s.name ?? ""))
      ),
    };
  }

  /**
   * Parse the tree, then finalize it (menu_finalize) and refuse recursive dependencies
   * (sym_check_deps, `checkRecursiveDeps`), as conf_parse does. "mainmenu … sets the config
   * program's title bar" (kconfig-language.rst); without one conf's root menu is titled
   * "Main menu". A block left open is "missing end statement for this entry" (parser.y).
   */
  parse(top: string): ParsedTree {
    this.#lx.push(top);
    this.#statements();
    if (this.#blocks.length) {
      const b = this.#blocks[this.#blocks.length - 1]!;
      throw new KconfigError(b.node.file, b.node.line, "missing end statement for this entry");
    }
    if (!this.#root.prompt) {
      this.#root.prompt = this.#prop("prompt", this.#root, "", 0, { text: "Main menu" });
    }
    finalize(this.#root, { y: this.#y, m: this.#m, modules: this.#modules ?? this.#n });
    checkRecursiveDeps([...this.#symbols.values(), ...this.#choices]);
    return {
      root: this.#root,
      symbols: this.#symbols,
      choices: this.#choices,
      y: this.#y,
      m: this.#m,
      n: this.#n,
      modules: this.#modules ?? this.#n,
      files: this.#lx.files,
    };
  }

  get #current(): MenuNode {
    return this.#blocks[this.#blocks.length - 1]?.node ?? this.#root;
  }

  #node(
    kind: MenuNode["kind"],
    sym: Sym | null,
    file: string,
    line: number,
    parent: MenuNode | null,
  ): MenuNode {
    const n: MenuNode = {
      kind,
      sym,
      prompt: null,
      dep: null,
      visibility: null,
      parent,
      children: [],
      help: null,
      file,
      line,
    };
    parent?.children.push(n);
    if (sym) sym.nodes.push(n);
    return n;
  }

  #prop(
    kind: PropKind,
    node: MenuNode,
    file: string,
    line: number,
    extra: Partial<Prop> = {},
  ): Prop {
    const p: Prop = { kind, expr: null, cond: null, node, file, line, ...extra };
    node.sym?.props.push(p);
    return p;
  }

  #fail(tok: Tok, message: string): never {
    throw new KconfigError(tok.file, tok.line, message);
  }

  #expect(t: string, what?: string): Tok {
    const tok = this.#lx.next();
    if (tok.t !== t) {
      this.#fail(tok, `syntax error: expected ${what ?? `'${t}'`}, got ${describe(tok)}`);
    }
    return tok;
  }

  /**
   * The symbol a name refers to (sym_lookup). "Non-constant symbols are the most common ones
   * and are defined with the 'config' statement." (kconfig-language.rst, "Menu dependencies"):
   * a name is that symbol wherever it is used, created on first use with type unknown until
   * a definition gives it one (its value is n if none does); `y`, `m`, `n` are the constants.
   */
  #lookup(name: string): Sym {
    if (name === "y") return this.#y;
    if (name === "m") return this.#m;
    if (name === "n") return this.#n;
    let s = this.#symbols.get(name) ?? this.#scratch?.get(name);
    if (!s) {
      s = new Sym(name);
      s.str = name;
      (this.#scratch ?? this.#symbols).set(name, s);
    }
    return s;
  }

  /**
   * A quoted constant. "Constant symbols are only part of expressions. Constant symbols are
   * always surrounded by single or double quotes." (kconfig-language.rst): one constant
   * symbol per text, its value the text; "y", "m", "n" are the tristate constants.
   */
  #constant(text: string): Sym {
    if (text === "y") return this.#y;
    if (text === "m") return this.#m;
    if (text === "n") return this.#n;
    let s = this.#consts.get(text);
    if (!s) {
      s = new Sym(text);
      s.isConst = true;
      s.str = text;
      this.#consts.set(text, s);
    }
    return s;
  }

  /**
   * The statements of a file, until its end. "The following keywords end a menu entry:"
   * config, menuconfig, choice/endchoice, comment, menu/endmenu, if/endif, source; "The first
   * five also start the definition of a menu entry." (kconfig-language.rst, "Kconfig
   * syntax"); a line `NAME = value` (or `:=`, `+=`) assigns a macro variable
   * (kconfig-macro-language.rst).
   */
  #statements(): void {
    for (;;) {
      const tok = this.#lx.next();
      switch (tok.t) {
        case "EOF":
          return;
        case "EOL":
          continue;
        case "mainmenu": {
          const q = this.#expect("QUOTE", "a quoted prompt");
          this.#expect("EOL", "end of line");
          this.#root.prompt = this.#prop("prompt", this.#root, tok.file, tok.line, {
            text: q.v,
          });
          continue;
        }
        case "config":
        case "menuconfig":
          this.#config(tok);
          continue;
        case "choice":
          this.#choice(tok);
          continue;
        case "endchoice":
        case "endmenu":
        case "endif":
          this.#end(tok);
          continue;
        // "This defines a comment which is displayed to the user during the configuration
        // process and is also echoed to the output files. The only possible options are
        // dependencies." (kconfig-language.rst, "comment")
        case "comment": {
          const q = this.#expect("QUOTE", "a quoted comment text");
          this.#expect("EOL", "end of line");
          const node = this.#node("comment", null, tok.file, tok.line, this.#current);
          node.prompt = this.#prop("prompt", node, tok.file, tok.line, { text: q.v });
          while (this.#lx.peek().t === "depends") this.#depends(node);
          continue;
        }
        // "This defines a menu block, see "Menu structure" above for more information. The
        // only possible options are dependencies and "visible" attributes." (kconfig-language
        // .rst, "menu"); several `visible if` lines are ANDed, like `depends on`.
        case "menu": {
          const q = this.#expect("QUOTE", "a quoted menu title");
          this.#expect("EOL", "end of line");
          const node = this.#node("menu", null, tok.file, tok.line, this.#current);
          node.prompt = this.#prop("prompt", node, tok.file, tok.line, { text: q.v });
          for (;;) {
            const p = this.#lx.peek();
            if (p.t === "depends") this.#depends(node);
            else if (p.t === "visible") {
              this.#lx.next();
              const e = this.#ifExpr();
              this.#expect("EOL", "end of line");
              node.visibility = andExpr(node.visibility, e);
            } else break;
          }
          this.#blocks.push({ kind: "menu", node });
          continue;
        }
        // "This defines an if block. The dependency expression <expr> is appended to all
        // enclosed menu entries." (kconfig-language.rst, "if"): the node's `dep`, which
        // `finalize` ANDs into every entry inside.
        case "if": {
          const e = this.#expr();
          this.#expect("EOL", "end of line");
          const node = this.#node("if", null, tok.file, tok.line, this.#current);
          node.dep = e;
          this.#blocks.push({ kind: "if", node });
          continue;
        }
        // "This reads the specified configuration file. This file is always parsed."
        // (kconfig-language.rst, "source"): even inside a false `if`, since an `if` only adds
        // dependencies.
        case "source": {
          const q = this.#expect("QUOTE", "a quoted file name");
          this.#expect("EOL", "end of line");
          this.#lx.push(q.v, { file: tok.file, line: tok.line });
          continue;
        }
        case "WORD": {
          const op = this.#lx.peek();
          if (op.t === "=" || op.t === ":=" || op.t === "+=") {
            this.#lx.next();
            let value = "";
            if (this.#lx.peek().t === "ASSIGNVAL") value = this.#lx.next().v;
            const eol = this.#expect("EOL", "end of line");
            // The kernel expands the value after the newline: errors name the next line.
            this.#macro.file = eol.file;
            this.#macro.line = eol.line + 1;
            this.#macro.assign(tok.v, value, op.t);
            continue;
          }
          this.#fail(tok, `unknown statement "${tok.v}"`);
          break;
        }
        default:
          this.#fail(tok, `invalid statement (unexpected ${describe(tok)})`);
      }
    }
  }

  /**
   * `endmenu`, `endchoice`, `endif` (zconf_endtoken): it must close the innermost open block,
   * and, which the language text does not say, in the file that opened it ("'…' in different
   * file than '…'").
   */
  #end(tok: Tok): void {
    this.#expect("EOL", "end of line");
    const want = tok.t.slice(3);
    const top = this.#blocks[this.#blocks.length - 1];
    if (!top) this.#fail(tok, `unexpected '${tok.t}' statement`);
    if (top.kind !== want) this.#fail(tok, `unexpected '${tok.t}' within ${top.kind} block`);
    if (top.node.file !== tok.file) {
      this.#fail(tok, `'${tok.t}' in different file than '${top.kind}'`);
    }
    this.#blocks.pop();
  }

  /**
   * `depends on`. "This defines a dependency for this menu entry. If multiple dependencies
   * are defined, they are connected with '&&'." (kconfig-language.rst, "dependencies")
   */
  #depends(node: MenuNode): void {
    this.#lx.next();
    this.#expect("on", "'on'");
    const e = this.#expr();
    this.#expect("EOL", "end of line");
    node.dep = andExpr(node.dep, e);
  }

  #ifExpr(): Expr | null {
    if (this.#lx.peek().t !== "if") return null;
    this.#lx.next();
    return this.#expr();
  }

  /**
   * Give the symbol its type (menu_set_type). "A config option can be defined multiple times
   * with the same name, but every definition can have only a single input prompt and the type
   * must not conflict." (kconfig-language.rst, "Menu entries"): the first type stays; conf
   * warns "ignoring type redefinition" and so does this.
   */
  #setType(node: MenuNode, type: SymType, tok: Tok): void {
    const s = node.sym!;
    if (s.type === type) return;
    if (s.type === "unknown") s.type = type;
    else {
      this.#lx.warnings.push(
        `${tok.file}:${tok.line}:warning: ignoring type redefinition of '${
          s.name ?? "<choice>"
        }' from '${s.type}' to '${type}'`,
      );
    }
  }

  /**
   * A prompt (menu_add_prompt). "Every menu entry can have at most one prompt, which is used
   * to display to the user. Optionally dependencies only for this prompt can be added with
   * "if"." (kconfig-language.rst, "input prompt"). conf warns "prompt redefined" on a second
   * one and keeps both in the symbol's properties; this keeps both without the warning.
   * Leading whitespace is dropped (conf warns "leading whitespace ignored").
   */
  #prompt(node: MenuNode, tok: Tok, text: string, cond: Expr | null): void {
    // Prompts inherit the `visible if` of every enclosing menu: "It is similar to a
    // conditional "prompt" attribute for individual menu entries." (kconfig-language.rst,
    // "limiting menu display"); menu_add_prompt ANDs each enclosing menu's visibility.
    let vis = cond;
    for (let m = node.parent; m; m = m.parent) {
      if (m.visibility) vis = andExpr(vis, m.visibility);
    }
    const p = this.#prop("prompt", node, tok.file, tok.line, { text: text.trimStart() });
    p.cond = vis;
    node.prompt = p;
  }

  #symbolName(): Sym {
    const t = this.#lx.next();
    if (t.t !== "WORD") this.#fail(t, `syntax error: expected a symbol name, got ${describe(t)}`);
    return this.#lookup(t.v);
  }

  /**
   * `bool|tristate|int|hex|string ["prompt" [if expr]]`, shared by config and choice. "The
   * type definition optionally accepts an input prompt" (kconfig-language.rst, "type
   * definition"): `bool "x"` is `bool` plus `prompt "x"`.
   */
  #typeLine(node: MenuNode, t: Tok): void {
    this.#lx.next();
    this.#setType(node, t.t as SymType, t);
    if (this.#lx.peek().t === "QUOTE") {
      const q = this.#lx.next();
      this.#prompt(node, t, q.v, this.#ifExpr());
    }
    this.#expect("EOL", "end of line");
  }

  /** `prompt "text" [if expr]`, shared by config and choice. */
  #promptLine(node: MenuNode, t: Tok): void {
    this.#lx.next();
    const q = this.#expect("QUOTE", "a quoted prompt");
    this.#prompt(node, t, q.v, this.#ifExpr());
    this.#expect("EOL", "end of line");
  }

  /**
   * `config` and `menuconfig`. ""config" starts a new config entry. The following lines
   * define attributes for this config option." and for menuconfig "This is similar to the
   * simple config entry above, but it also gives a hint to front ends" (kconfig-language.rst):
   * both define a symbol the same way; the hint does not change any value. Every definition
   * is a menu node of its own, with its own properties.
   */
  #config(tok: Tok): void {
    const sym = this.#symbolName();
    this.#expect("EOL", "end of line");
    const node = this.#node(tok.t as "config", sym, tok.file, tok.line, this.#current);
    // parser.y sets SYMBOL_OPTIONAL on every config; only choices can lack it.
    sym.optional = true;
    for (;;) {
      const t = this.#lx.peek();
      switch (t.t) {
        case "bool":
        case "tristate":
        case "int":
        case "hex":
        case "string": {
          this.#typeLine(node, t);
          continue;
        }
        case "prompt": {
          this.#promptLine(node, t);
          continue;
        }
        // ""default" <expr> ["if" <expr>]" and ""def_bool"/"def_tristate" <expr> ["if"
        // <expr>] This is a shorthand notation for a type definition plus a value."
        // (kconfig-language.rst): every default is kept, in order; `#defaultProp` of the
        // engine picks the first active one.
        case "default":
        case "def_bool":
        case "def_tristate": {
          this.#lx.next();
          const e = this.#expr();
          const cond = this.#ifExpr();
          this.#expect("EOL", "end of line");
          this.#prop("default", node, t.file, t.line, { expr: e, cond });
          if (t.t !== "default") this.#setType(node, t.t === "def_bool" ? "bool" : "tristate", t);
          continue;
        }
        // ""select" <symbol> ["if" <expr>]" and ""imply" <symbol> ["if" <expr>]"
        // (kconfig-language.rst): kept on the selecting symbol here; `finalize` turns them
        // into the target's reverse dependencies.
        case "select":
        case "imply": {
          this.#lx.next();
          const target = this.#symbolName();
          const cond = this.#ifExpr();
          this.#expect("EOL", "end of line");
          this.#prop(t.t, node, t.file, t.line, { expr: symExpr(target), cond });
          continue;
        }
        // ""range" <symbol> <symbol> ["if" <expr>]" (kconfig-language.rst, "numerical
        // ranges"): the bounds are symbols, numbers being symbols named by their digits.
        case "range": {
          this.#lx.next();
          const a = this.#symbol();
          const b = this.#symbol();
          const cond = this.#ifExpr();
          this.#expect("EOL", "end of line");
          this.#prop("range", node, t.file, t.line, { range: [a, b], cond });
          continue;
        }
        // "This declares the symbol to be used as the MODULES symbol, which enables the third
        // modular state for all config symbols. At most one symbol may have the "modules"
        // option set." (kconfig-language.rst, "module attribute"); a second one is parser.y's
        // error.
        case "modules": {
          this.#lx.next();
          this.#expect("EOL", "end of line");
          if (this.#modules && this.#modules !== sym) {
            this.#fail(
              t,
              `symbol '${sym.name}' redefines option 'modules' already defined by symbol '${this.#modules.name}'`,
            );
          }
          this.#modules = sym;
          continue;
        }
        case "depends":
          this.#depends(node);
          continue;
        case "help":
          this.#help(node);
          continue;
        default:
          return;
      }
    }
  }

  #help(node: MenuNode): void {
    this.#lx.next();
    this.#expect("EOL", "end of line after 'help'");
    node.help = this.#lx.readHelp();
  }

  /**
   * `choice [symbol]` … `endchoice`. "If no [symbol] is associated with a choice, then you
   * can not have multiple definitions of that choice. If a [symbol] is associated to the
   * choice, then you may define the same choice (i.e. with the same entries) in another
   * place." (kconfig-language.rst, "choices"): a named choice is looked up, an unnamed one is
   * always new. "A choice accepts another option "optional", which allows to set the choice
   * to 'n' and no entry needs to be selected." A choice's `default` names the value selected
   * by default. The entries up to `endchoice` are read as the block's children.
   */
  #choice(tok: Tok): void {
    let name: string | null = null;
    if (this.#lx.peek().t === "WORD") name = this.#lx.next().v;
    this.#expect("EOL", "end of line");
    let sym = name ? this.#namedChoices.get(name) : undefined;
    if (!sym) {
      sym = new Sym(name);
      sym.isChoice = true;
      if (name) this.#namedChoices.set(name, sym);
      this.#choices.push(sym);
    }
    const node = this.#node("choice", sym, tok.file, tok.line, this.#current);
    for (;;) {
      const t = this.#lx.peek();
      switch (t.t) {
        case "prompt": {
          this.#promptLine(node, t);
          continue;
        }
        case "bool":
        case "tristate": {
          this.#typeLine(node, t);
          continue;
        }
        case "optional":
          this.#lx.next();
          this.#expect("EOL", "end of line");
          sym.optional = true;
          continue;
        case "default": {
          this.#lx.next();
          const target = this.#symbolName();
          const cond = this.#ifExpr();
          this.#expect("EOL", "end of line");
          this.#prop("default", node, t.file, t.line, { expr: symExpr(target), cond });
          continue;
        }
        case "depends":
          this.#depends(node);
          continue;
        case "help":
          this.#help(node);
          continue;
        default:
          this.#blocks.push({ kind: "choice", node });
          return;
      }
    }
  }

  #symbol(): Sym {
    const t = this.#lx.next();
    if (t.t === "WORD") return this.#lookup(t.v);
    if (t.t === "QUOTE") return this.#constant(t.v);
    this.#fail(t, `syntax error: expected a symbol, got ${describe(t)}`);
  }

  /**
   * An expression, by recursive descent over the grammar of kconfig-language.rst, "Menu
   * dependencies": "Expressions are listed in decreasing order of precedence.", so `||` (8)
   * binds loosest, then `&&` (7), then `!` (6) and parentheses (5), then the comparisons
   * (2)-(4) between two symbols; `&&` and `||` associate to the left.
   */
  #expr(): Expr {
    let a = this.#and();
    while (this.#lx.peek().t === "||") {
      this.#lx.next();
      a = binExpr("or", a, this.#and());
    }
    return a;
  }

  #and(): Expr {
    let a = this.#unary();
    while (this.#lx.peek().t === "&&") {
      this.#lx.next();
      a = binExpr("and", a, this.#unary());
    }
    return a;
  }

  #unary(): Expr {
    const t = this.#lx.peek();
    if (t.t === "!") {
      this.#lx.next();
      return notExpr(this.#unary());
    }
    if (t.t === "(") {
      this.#lx.next();
      const e = this.#expr();
      this.#expect(")", "')'");
      return e;
    }
    const a = this.#symbol();
    const op = this.#lx.peek().t;
    if (op === "=" || op === "!=" || op === "<" || op === "<=" || op === ">" || op === ">=") {
      this.#lx.next();
      return cmpExpr(op as CmpOp, a, this.#symbol());
    }
    return symExpr(a);
  }

  /** Warnings from lexing and parsing. */
  get warnings(): string[] {
    return this.#lx.warnings;
  }
}

function describe(t: Tok): string {
  if (t.t === "EOL") return "end of line";
  if (t.t === "EOF") return "end of file";
  if (t.t === "WORD" || t.t === "QUOTE") return `'${t.v}'`;
  return `'${t.t}'`;
}

/**
 * `m` in a dependency means `m && MODULES`, so it is n without module support.
 *
 * "To restrict a component build to module-only, qualify its config symbol with "depends on
 * m"." (kconfig-language.rst, "Build as module only"): without MODULES such a symbol must be
 * off, not y. conf's rewrite_m ("change 'm' into 'm' && MODULES") does this to every
 * dependency and property condition when it finalizes the menus; default values and selects'
 * targets are left alone.
 */
function rewriteM(e: Expr | null, m: Sym, modules: () => Expr): Expr | null {
  if (!e || !exprMentions(e, m)) return e;
  switch (e.k) {
    case "not":
      return notExpr(rewriteM(e.a, m, modules)!);
    case "and":
    case "or":
      return binExpr(e.k, rewriteM(e.a, m, modules)!, rewriteM(e.b, m, modules)!);
    case "sym":
      return e.s === m ? binExpr("and", e, modules()) : e;
    default:
      return e;
  }
}

/** The constants and the MODULES symbol `finalize` needs. */
interface Specials {
  y: Sym;
  m: Sym;
  modules: Sym;
}

/**
 * Propagate dependencies through the menu tree: every entry inherits the dependencies of the
 * menus, ifs and choices around it; properties inherit their entry's; selects and implies
 * become reverse dependencies of their targets; choice values get collected. This is conf's
 * menu_finalize, without its expression simplification (which does not change values).
 *
 * "All entries within the "menu" ... "endmenu" block become a submenu of "Network device
 * support". All subentries inherit the dependencies from the menu entry" (kconfig-language
 * .rst, "Menu structure") and "Dependencies are applied to all other options within this menu
 * entry (which also accept an "if" expression)" ("dependencies"): each child's `dep` is the
 * parent's ANDed with its own, each property's `cond` its entry's ANDed with its own `if`.
 */
function finalize(root: MenuNode, sp: Specials): void {
  const m = sp.m;
  const modules = (): Expr => (symExpr(sp.modules));
  walk(root);

  function walk(parent: MenuNode): void {
    const sym = parent.sym;
    if (parent.children.length) {
      let pdep: Expr | null;
      if (sym?.isChoice) {
        // "If no type is specified for a choice, its type will be determined by the type of
        // the first choice element in the group or remain unknown if none of the choice
        // elements have a type specified, as well." (kconfig-language.rst, "choices"); the
        // untyped elements then take the choice's type (menu_finalize).
        if (sym.type === "unknown") {
          for (const c of parent.children) {
            if (c.sym && c.sym.type !== "unknown") {
              sym.type = c.sym.type;
              break;
            }
          }
        }
        for (const c of parent.children) {
          if (c.sym && c.sym.type === "unknown") c.sym.type = sym.type;
        }
        // menu_finalize: "Use the choice itself as the parent dependency of the contained
        // items. This turns the mode of the choice into an upper bound on the visibility of
        // the choice value symbols." (an m choice allows values up to m only).
        pdep = symExpr(sym);
      } else {
        pdep = parent.dep;
      }
      for (const child of parent.children) {
        child.dep = andExpr(pdep, rewriteM(child.dep, m, modules));
        const props = child.sym ? child.sym.props : child.prompt ? [child.prompt] : [];
        for (const p of props) {
          if (p.node !== child) continue;
          p.cond = andExpr(child.dep, rewriteM(p.cond, m, modules));
          // "The value of the current menu symbol is used as the minimal value <symbol> can be
          // set to. If <symbol> is selected multiple times, the limit is set to the largest
          // selection." (kconfig-language.rst, "reverse dependencies"): the target's revDep
          // (or, for imply, `implied`) ORs `selector && condition`, the condition including the
          // selecting definition's dependencies, as menu_finalize builds rev_dep.
          if (p.kind === "select" || p.kind === "imply") {
            const target = (p.expr as { s: Sym }).s;
            const term = andExpr(symExpr(child.sym!), p.cond)!;
            if (p.kind === "select") {
              target.revDep = orExpr(target.revDep, term);
              if (target.selectors === NONE) target.selectors = [];
              target.selectors.push(p);
            } else {
              target.implied = orExpr(target.implied, term);
              if (target.impliers === NONE) target.impliers = [];
              target.impliers.push(p);
            }
          }
        }
      }
      for (const child of parent.children) walk(child);
    } else if (sym && !sym.isChoice) {
      // "A config option can be defined multiple times with the same name" (kconfig-language
      // .rst): the direct dependency is the OR of the definitions' dependencies
      // (menu_finalize's dir_dep), so a symbol is available where any definition is.
      // As in the kernel, a definition without dependencies adds nothing to the OR.
      sym.dirDep = sym.dirDep && parent.dep
        ? binExpr("or", sym.dirDep, parent.dep)
        : (sym.dirDep ?? parent.dep);
    }
    if (sym?.isChoice) collectChoiceValues(parent, sym, sp.y);
    // "A choice accepts another option "optional", which allows to set the choice to 'n'":
    // so a choice without it cannot be n while visible. menu_finalize adds to non-optional
    // choices the reverse dependency "'<visibility> && m'. This prevents the user from
    // setting the choice mode to 'n' when the choice is visible."
    if (sym && !sym.optional && parent.prompt) {
      sym.revDep = orExpr(sym.revDep, andExpr(parent.prompt.cond, symExpr(m))!);
    }
  }
}

/**
 * Dependency of a node as the automatic-submenu rule sees it: its prompt's condition, or its
 * `dep` when it has no prompt (menu_finalize).
 */
function nodeDep(n: MenuNode): Expr | null {
  return n.prompt ? n.prompt.cond : n.dep;
}

/**
 * True when `e` requires `s` (s, s=y, s=m, s!=n as an AND term): conf's expr_depends_symbol,
 * the first of the "Menu structure" conditions, "the child entry must become invisible, if
 * the parent is set to 'n'".
 */
function dependsOn(e: Expr | null, s: Sym): boolean {
  if (!e) return false;
  switch (e.k) {
    case "sym":
      return e.s === s;
    case "and":
      return dependsOn(e.a, s) || dependsOn(e.b, s);
    case "cmp":
      if (e.a !== s) return false;
      if (e.op === "=") return e.b.name === "y" || e.b.name === "m";
      if (e.op === "!=") return e.b.name === "n";
      return false;
    default:
      return false;
  }
}

/**
 * Index after the entries that nest below `list[i]` (entries right after it that need it).
 *
 * "If a menu entry somehow depends on the previous entry, it can be made a submenu of it.
 * First, the previous (parent) symbol must be part of the dependency list and then one of
 * these two conditions must be true" (kconfig-language.rst, "Menu structure"): menu_finalize's
 * automatic submenus, used here only to tell choice values from entries nested below them.
 * Only the `dependsOn` condition is checked, not conf's second ("superset" of the parent's
 * dependencies) test.
 */
function nestedEnd(list: MenuNode[], i: number): number {
  const n = list[i]!;
  let j = i + 1;
  if (!n.sym || n.sym.isChoice || n.children.length) return j;
  while (j < list.length) {
    const d = nodeDep(list[j]!);
    if (!exprMentions(d, n.sym) || !dependsOn(d, n.sym)) break;
    j = nestedEnd(list, j);
  }
  return j;
}

/**
 * The values of a choice: the symbols directly in its block (through `if` blocks), but not
 * those nested below a value with a prompt by the automatic-submenu rule, as menu_finalize
 * marks SYMBOL_CHOICEVAL. "While a boolean choice only allows a single config
 * entry to be selected, a tristate choice also allows any number of config entries to be set
 * to 'm'." (kconfig-language.rst, "choices")
 */
function collectChoiceValues(node: MenuNode, choice: Sym, y: Sym): void {
  const visit = (list: MenuNode[]): void => {
    let i = 0;
    while (i < list.length) {
      const n = list[i]!;
      const end = nestedEnd(list, i);
      if (n.sym && !n.sym.isChoice) {
        markValue(n, choice, y);
      } else if (!n.sym && !n.prompt && n.children.length) {
        visit(n.children);
      }
      // Entries nested below a value with a prompt form its submenu; they are not values.
      i = n.prompt ? end : i + 1;
    }
  };
  visit(node.children);
}

function markValue(n: MenuNode, choice: Sym, y: Sym): void {
  const s = n.sym!;
  if (s.choice) return;
  s.choice = choice;
  if (choice.values === NONE) choice.values = [];
  choice.values.push(s);
  // Non-tristate values of a tristate choice need the choice to be y (menu_finalize:
  // "Non-tristate choice values of tristate choices must depend on the choice being set to
  // Y"): a bool cannot take the m of an m-mode choice.
  if (choice.type === "tristate" && s.type !== "tristate") {
    const base: Expr = cmpExpr("=", choice, y);
    n.dep = andExpr(base, n.dep);
    for (const p of s.props) {
      if (p.node === n) p.cond = andExpr(base, p.cond);
    }
  }
}
