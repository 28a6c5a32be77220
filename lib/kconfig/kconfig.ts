/**
 * A pure-TypeScript Kconfig engine producing the same `.config` as the kernel's
 * `scripts/kconfig/conf` (Linux 6.1), with explanations of every value.
 *
 * ```ts
 * import { loadKconfig } from "./kconfig.ts";
 * const kc = await loadKconfig("/src/linux", { arch: "arm", crossCompile: "arm-linux-gnueabi-" });
 * kc.allnoconfig({ fragment: ["CONFIG_ARCH_MULTI_V7=y", "CONFIG_XEN=y"] });
 * console.log(kc.value("XEN"), kc.dropped(["CONFIG_XEN=y"]));
 * Deno.writeTextFileSync(".config", kc.write());
 * ```
 *
 * Semantics follow `Documentation/kbuild/kconfig-language.rst`; where it is silent, the
 * observed behaviour of `conf` is the reference (see the tests). In the style of kconfiglib,
 * each method that implements a rule quotes it from the Linux 6.1 text, says how the code
 * follows it, and names the function of `scripts/kconfig/*.c` whose behaviour it copies where
 * that behaviour goes beyond (or against) the text.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import {
  type Expr,
  exprToString,
  type MenuNode,
  NONE,
  type Prop,
  type Sym,
  type Tri,
  triAnd,
  triName,
  triOr,
} from "./expr.ts";
import { KconfigError, MacroExpander, type MacroHost } from "./macro.ts";
import { type ParsedTree, parseExpr, parseKconfig } from "./parser.ts";
import {
  profileHost,
  readProfile,
  srcArch,
  type ToolchainProfile,
  writeProfile,
} from "./profile.ts";
import { crossNames, loadArch, loadToolchain, type Toolchain } from "../matrix/cross_data.ts";
import { loadRuntime, type Runtime } from "../environment/runtime.ts";
import { type ProfileUse, useProfile } from "../environment/toolchain_profile.ts";
import { InputError } from "../errors.ts";

export type { ToolchainProfile } from "./profile.ts";
export type { MenuNode, Prop, Sym, SymType, Tri } from "./expr.ts";

/** Options for {@linkcode loadKconfig}. */
export interface LoadOptions {
  /** Kernel ARCH (`arm`, `x86_64`, …); SRCARCH is derived like make does. */
  arch: string;
  /**
   * Replay exactly this profile (an object, or the path of a profile JSON file) and nothing
   * else: no toolchain is asked.
   */
  profile?: string | ToolchainProfile;
  /** The toolchain (`cross/toolchains/<name>.yaml`, or its description). */
  toolchain?: string | Toolchain;
  /**
   * CROSS_COMPILE, as make takes it, when no toolchain is named: the toolchain of
   * `cross/toolchains/` with that prefix for the arch, else a GCC with that prefix. Without
   * either, the arch's `default_toolchain`.
   */
  crossCompile?: string;
  /** The runtime whose toolchain answers the probes (default `host`). */
  runtime?: string | Runtime;
  /** Record the profile afresh instead of using the cached one. */
  record?: boolean;
  /** Also write the profile used to this file. */
  recordTo?: string;
  /** Called with a line of progress (profile recorded, fallbacks, differing probes). */
  onProgress?: (line: string) => void;
}

/** Options of the operations that take a KCONFIG_ALLCONFIG-style fragment. */
export interface FragmentOptions {
  /** Fragment lines (`CONFIG_X=y`, `# CONFIG_X is not set`) applied as the user's answers. */
  fragment?: string[];
}

/** A requested fragment line that did not stick, with the reason. */
export interface DroppedLine {
  /** The fragment line as given. */
  line: string;
  /** Why the resolved value differs, naming the failing term. */
  why: string;
}

/**
 * Load and parse the Kconfig tree for an ARCH, answering toolchain macros from the profile of
 * the environment (toolchain in runtime) the build runs in: cached, recorded on first use, or
 * the committed fallback when the toolchain is not installed (see lib/environment/).
 *
 * @param tree Kernel source tree (containing the top `Kconfig`).
 * @param options ARCH, toolchain and runtime selection.
 */
export async function loadKconfig(tree: string, options: LoadOptions): Promise<Kconfig> {
  // Async by contract (the predictor awaits it); parsing itself is synchronous.
  await Promise.resolve();
  if (options.profile !== undefined) {
    const profile = typeof options.profile === "object"
      ? options.profile
      : readProfile(options.profile);
    const kc = new Kconfig(tree, options.arch, profileHost(profile, tree, options.arch));
    kc.profile = profile;
    return kc;
  }
  if (!existsSync(join(tree, "Kconfig"))) {
    throw new InputError(`Cannot read Kconfig tree '${tree}': it has no top-level Kconfig file`);
  }
  const arch = loadArch(options.arch) ?? {
    name: options.arch,
    kernel_arch: options.arch,
    srcarch: srcArch(options.arch),
    image: "",
    default_toolchain: "",
  };
  const toolchain = resolveToolchain(options, arch.kernel_arch, arch.default_toolchain);
  const runtime = typeof options.runtime === "object"
    ? options.runtime
    : loadRuntime(options.runtime ?? "host");
  const use = useProfile(tree, { arch, toolchain, runtime }, {
    ...(options.record ? { record: true } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const kc = new Kconfig(tree, options.arch, use.host);
  use.save();
  kc.profile = use.profile;
  kc.profileUse = use;
  if (options.recordTo) writeProfile(options.recordTo, use.profile);
  return kc;
}

function resolveToolchain(options: LoadOptions, arch: string, fallback: string): Toolchain {
  const named = (name: string) => {
    const tc = loadToolchain(name);
    if (!tc) {
      throw new InputError(`Cannot load toolchain '${name}': no cross/toolchains/${name}.yaml`);
    }
    return tc;
  };
  if (typeof options.toolchain === "object") return options.toolchain;
  if (options.toolchain !== undefined) return named(options.toolchain);
  const cross = options.crossCompile;
  if (cross === undefined) {
    if (fallback) return named(fallback);
    throw new InputError(
      `Cannot choose a toolchain for ARCH '${arch}': no cross/arches/${arch}.yaml names a default_toolchain; set CROSS_COMPILE`,
    );
  }
  const known = crossNames("toolchains").map((n) => loadToolchain(n)!).find((t) =>
    t.cross_compile[arch] === cross && t.cc.startsWith("${CROSS_COMPILE}")
  );
  return known ?? {
    name: `${cross}gcc`,
    cross_compile: { [arch]: cross },
    cc: "${CROSS_COMPILE}gcc",
    ld: "${CROSS_COMPILE}ld",
    hostcc: "gcc",
    size: "${CROSS_COMPILE}size",
    make_vars: {},
    packages: {},
  };
}

/** The value of an expression under the current configuration, see {@linkcode Kconfig.evalExpr}. */
export interface ExprValue {
  /** The tristate value of the expression. */
  value: "n" | "m" | "y";
  /** The non-constant symbols it names, in order of first appearance (no number literals). */
  symbols: string[];
}

type Mode = "no" | "yes" | "mod" | "def";

/** A parsed Kconfig tree with a current configuration. See {@linkcode loadKconfig}. */
export class Kconfig {
  /** The parsed tree. */
  readonly tree: ParsedTree;
  /** The profile the tree was parsed with. */
  profile: ToolchainProfile | undefined;
  /** Where that profile came from, when it was chosen by environment (see {@linkcode loadKconfig}). */
  profileUse: ProfileUse | undefined;
  /** Kernel ARCH the tree was parsed for. */
  readonly arch: string;
  /** Messages from `$(info,…)`, `$(warning-if,…)` and the parser. */
  readonly messages: string[];
  /** Warnings from the last evaluation (unmet direct dependencies), like conf's stderr. */
  warnings: string[] = [];
  #dir: string;
  #gen = 0;
  #modulesTri: Tri = 0;
  #all: Sym[];
  #requested = new Map<Sym, string>();
  #partial = false;
  #base = "configuration";
  #macro: MacroExpander;

  /** Parse `tree` for `arch`, answering the environment and shell calls from `host`. */
  constructor(dir: string, arch: string, host: MacroHost) {
    this.#dir = dir;
    const macro = new MacroExpander(host);
    this.#macro = macro;
    const read = (path: string): string | undefined => {
      try {
        return Deno.readTextFileSync(isAbsolute(path) ? path : join(dir, path));
      } catch {
        return undefined;
      }
    };
    this.arch = arch;
    if (read("Kconfig") === undefined) {
      throw new InputError(`Cannot read Kconfig tree '${dir}': it has no top-level Kconfig file`);
    }
    this.tree = parseKconfig("Kconfig", macro, read);
    this.messages = macro.messages;
    this.#all = [...this.tree.symbols.values(), ...this.tree.choices];
    for (const sym of this.#all) {
      for (const p of sym.props) {
        const kind = p.kind;
        if (kind !== "prompt" && kind !== "default" && kind !== "range") continue;
        const key = kind === "prompt" ? "prompts" : kind === "default" ? "defaults" : "ranges";
        if (sym[key] === NONE) sym[key] = [];
        sym[key].push(p);
      }
    }
    this.#invalidate();
  }

  /** Directory of the kernel tree. */
  get dir(): string {
    return this.#dir;
  }

  // ---------------------------------------------------------------------------------------
  // Operations (each mirrors the make target of the same name)

  /**
   * `make allnoconfig` (with KCONFIG_ALLCONFIG=fragment): every bool/tristate the fragment
   * does not set gets the user value n, see `#allConfig`.
   */
  allnoconfig(options: FragmentOptions = {}): this {
    return this.#allConfig("no", options.fragment);
  }

  /**
   * `make allyesconfig` (with KCONFIG_ALLCONFIG=fragment): every bool/tristate the fragment
   * does not set gets the user value y, see `#allConfig`.
   */
  allyesconfig(options: FragmentOptions = {}): this {
    return this.#allConfig("yes", options.fragment);
  }

  /**
   * `make allmodconfig` (with KCONFIG_ALLCONFIG=fragment): every bool/tristate the fragment
   * does not set gets the user value m (a bool then resolves to y), see `#allConfig`.
   */
  allmodconfig(options: FragmentOptions = {}): this {
    return this.#allConfig("mod", options.fragment);
  }

  /**
   * `make alldefconfig` (with KCONFIG_ALLCONFIG=fragment): no user values beyond the
   * fragment, so every symbol takes its default, see `#allConfig`.
   */
  alldefconfig(options: FragmentOptions = {}): this {
    return this.#allConfig("def", options.fragment);
  }

  /**
   * `make X_defconfig`: `nameOrPath` is a file path, or a name looked up in
   * `arch/$SRCARCH/configs/`. Fragment lines are appended to the defconfig.
   */
  defconfig(nameOrPath: string, options: FragmentOptions = {}): this {
    const text = this.#readConfigFile(nameOrPath);
    return this.defconfigText(text, options);
  }

  /**
   * `conf --defconfig` on defconfig text: conf.c's main does `conf_read()` then
   * `conf_set_all_new_symbols(def_default)`, so lines read are user values, every other
   * symbol takes its default ("The default value is only assigned to the config symbol if no
   * other value was set by the user", kconfig-language.rst, "Menu attributes"), and each
   * choice without a (consistent) user value gets its unset values set to n
   * (set_all_choice_values), which makes the choice's default the selection.
   */
  defconfigText(text: string, options: FragmentOptions = {}): this {
    this.#readLines([...splitLines(text), ...(options.fragment ?? [])]);
    this.#base = "defconfig";
    this.#afterRead(true);
    // Choices that lost their user value while being read get all unset values set to n.
    for (const c of this.tree.choices) {
      if (!c.hasUser) this.#setChoiceValues(c);
    }
    this.#invalidate();
    return this;
  }

  /**
   * `make olddefconfig` from the text of an existing .config (plus fragment lines): conf's
   * usage says "Same as oldconfig but sets new symbols to their default value". `conf_read()`
   * then write, nothing asked: symbols the text does not set keep no user value and so take
   * their default.
   */
  olddefconfig(configText: string, options: FragmentOptions = {}): this {
    this.#readLines([...splitLines(configText), ...(options.fragment ?? [])]);
    this.#base = "olddefconfig";
    this.#afterRead();
    return this;
  }

  /**
   * `make savedefconfig`: the minimal defconfig for the current configuration. conf.c's main
   * reads the .config (`conf_read(NULL)`, here olddefconfig of our own output) and
   * conf_write_defconfig walks the menu tree writing each symbol `#savedLine` keeps. The
   * language documentation does not describe savedefconfig; conf is the reference.
   */
  savedefconfig(): string {
    const base = this.#base;
    const requested = new Map(this.#requested);
    this.olddefconfig(this.write());
    this.#base = base;
    this.#requested = requested;
    this.#invalidate();
    const out: string[] = [];
    const done = new Set<Sym>();
    const visit = (node: MenuNode): void => {
      const s = node.sym;
      if (s && !s.isChoice && !done.has(s)) {
        this.#calc(s);
        if (s.write) {
          done.add(s);
          if (this.#savedLine(s)) out.push(printSym(s));
        }
      }
      for (const c of node.children) visit(c);
    };
    for (const c of this.tree.root.children) visit(c);
    return out.join("");
  }

  // ---------------------------------------------------------------------------------------
  // Queries

  /** Value of a symbol: "y"/"m"/"n" for bool/tristate, the string otherwise ("" if unknown). */
  value(name: string): string {
    const s = this.tree.symbols.get(name);
    if (!s) return "";
    this.#calc(s);
    return strValue(s);
  }

  /**
   * Evaluate a Kconfig expression given as text under the current configuration, exactly as
   * the engine evaluates a `depends on` with the same text: tristate logic (`!` is 2-x, `&&`
   * min, `||` max), comparisons (`=`, `!=`, `<`, `<=`, `>`, `>=`) give y or n, a bare `m` is
   * `m && MODULES`, and a name the tree does not define is n (it is not added to the tree).
   *
   * @example Usage
   * ```ts ignore
   * kc.evalExpr("CPU_V6 && !CPU_32v5"); // { value: "y", symbols: ["CPU_V6", "CPU_32v5"] }
   * ```
   *
   * @param text The expression, in the syntax of `depends on`.
   * @returns Its value and the symbols it names.
   * @throws {Error} `Cannot evaluate Kconfig expression '<text>': <problem>` on a syntax error.
   */
  evalExpr(text: string): ExprValue {
    let parsed;
    try {
      parsed = parseExpr(text, this.tree, { macro: this.#macro });
    } catch (e) {
      throw new InputError(
        `Cannot evaluate Kconfig expression '${text}': ${e instanceof Error ? e.message : e}`,
        { cause: e },
      );
    }
    return {
      value: triName(this.#eval(parsed.expr)),
      symbols: parsed.symbols.map((s) => s.name ?? "<choice>"),
    };
  }

  /** Symbol object (undefined when the tree does not define the name). */
  symbol(name: string): Sym | undefined {
    return this.tree.symbols.get(name);
  }

  /**
   * The .config text `conf` would write, header included. "comment … is displayed to the user
   * during the configuration process and is also echoed to the output files"
   * (kconfig-language.rst, "comment"): as conf_write does, every visible menu and comment
   * gets a `# title` block and every menu a `# end of title` line; a symbol is written once,
   * at its first definition in menu order, when its value computation marked it for writing
   * (conf's SYMBOL_WRITE, see `#compute`).
   */
  write(): string {
    let out = `#\n# Automatically generated file; DO NOT EDIT.\n# ${
      this.tree.root.prompt?.text ?? "Main menu"
    }\n#\n`;
    let needNewline = false;
    const written = new Set<Sym>();
    const visit = (node: MenuNode): void => {
      const s = node.sym;
      if (!s) {
        if (this.#menuVisible(node)) {
          out += `\n#\n# ${node.prompt!.text}\n#\n`;
          needNewline = false;
        }
      } else if (!s.isChoice && !written.has(s)) {
        this.#calc(s);
        if (s.write && s.type !== "unknown") {
          if (needNewline) {
            out += "\n";
            needNewline = false;
          }
          written.add(s);
          out += printSym(s);
        }
      }
      for (const c of node.children) visit(c);
      if (!s && node.kind === "menu" && this.#menuVisible(node)) {
        out += `# end of ${node.prompt!.text}\n`;
        needNewline = true;
      }
    };
    for (const c of this.tree.root.children) visit(c);
    return out;
  }

  // ---------------------------------------------------------------------------------------
  // Reading configurations

  #readConfigFile(nameOrPath: string): string {
    const candidates = [nameOrPath];
    // `make 44x/akebono_defconfig` reads arch/$(SRCARCH)/configs/44x/akebono_defconfig: a
    // relative name is first looked up there, subdirectories included.
    if (!isAbsolute(nameOrPath)) {
      const arch = this.#srcarch();
      candidates.unshift(join(this.#dir, "arch", arch, "configs", nameOrPath));
    }
    for (const c of candidates) {
      try {
        return Deno.readTextFileSync(c);
      } catch {
        // try the next candidate
      }
    }
    throw new InputError(`Cannot read defconfig '${nameOrPath}': no such file`);
  }

  #srcarch(): string {
    return srcArch(this.arch);
  }

  #reset(): void {
    for (const s of this.#all) {
      s.hasUser = false;
      s.userTri = 0;
      s.userStr = null;
      s.userSel = null;
    }
    this.#requested.clear();
  }

  /**
   * Read .config-style lines as user values (conf_read_simple). Values read are what
   * kconfig-language.rst calls the value "set by the user (via the input prompt above)".
   * Every choice starts with a user value of n and no selection (conf_read_simple sets the
   * choices' SYMBOL_DEF_USER); a `=y` value becomes its choice's selection, and an `=m`
   * value in a choice whose user value is already y drops the choice's user value ("creates
   * inconsistent choice state"), because "a tristate choice also allows any number of config
   * entries to be set to 'm'" but only when the choice itself is m (kconfig-language.rst,
   * "choices").
   */
  #readLines(lines: string[]): void {
    this.#reset();
    this.warnings = [];
    for (const c of this.tree.choices) {
      c.hasUser = true;
      c.userTri = 0;
      c.userSel = null;
    }
    for (const raw of lines) {
      const parsed = parseConfigLine(raw);
      if (!parsed) continue;
      const s = this.tree.symbols.get(parsed.name);
      if (!s) continue;
      this.#requested.set(s, parsed.value);
      if (!this.#setUser(s, parsed.value)) continue;
      const cs = s.choice;
      if (cs) {
        if (s.userTri === 1 && cs.userTri === 2) cs.hasUser = false;
        if (s.userTri === 2) cs.userSel = s;
        cs.userTri = triOr(cs.userTri, s.userTri);
      }
    }
  }

  /**
   * One user value (conf_set_sym_val): "Every config option must have a type"
   * (kconfig-language.rst, "Menu attributes") and the value must fit it: `m` only for a
   * tristate (a bool accepts y/n), a string must be quoted (backslash escapes removed), an
   * int/hex must parse (sym_string_valid); anything else is warned about and ignored.
   */
  #setUser(s: Sym, v: string): boolean {
    switch (s.type) {
      case "tristate":
      case "bool": {
        const c = v[0];
        if (c === "m" && s.type === "tristate") s.userTri = 1;
        else if (c === "y") s.userTri = 2;
        else if (c === "n") s.userTri = 0;
        else {
          this.warnings.push(`symbol value '${v}' invalid for ${s.name}`);
          return false;
        }
        s.hasUser = true;
        return true;
      }
      case "string": {
        if (v[0] !== '"') return true;
        let out = "";
        let closed = false;
        for (let i = 1; i < v.length; i++) {
          const ch = v[i];
          if (ch === '"') {
            closed = true;
            break;
          }
          if (ch === "\\") i++;
          out += v[i] ?? "";
        }
        if (!closed) {
          this.warnings.push("invalid string found");
          return false;
        }
        s.userStr = out;
        s.hasUser = true;
        return true;
      }
      case "int":
      case "hex":
        if (!validNumber(s.type, v)) {
          this.warnings.push(`symbol value '${v}' invalid for ${s.name}`);
          return false;
        }
        s.userStr = v;
        s.hasUser = true;
        return true;
      default:
        return true;
    }
  }

  /**
   * What conf_read does after reading: evaluate all symbols, then drop out-of-range numbers.
   * "The user can only input a value which is larger than or equal to the first symbol and
   * smaller than or equal to the second symbol." (kconfig-language.rst, "numerical ranges"):
   * conf_read applies this to values read from a file too, forgetting an int/hex user value
   * outside the active range (sym_string_within_range) so that the default applies instead.
   * With `lazy`, only what has lasting effects is evaluated (the choices, which may lose their
   * user value, and the ranges): right for defconfig, which recomputes everything afterwards.
   */
  #afterRead(lazy = false): void {
    this.#invalidate();
    if (lazy) {
      for (const c of this.tree.choices) this.#calc(c);
    } else {
      for (const s of this.#all) this.#calc(s);
    }
    for (const s of this.#all) {
      if (!s.hasUser || s.choice) continue;
      if (s.type === "int" || s.type === "hex" || s.type === "string") {
        if (!this.#withinRange(s, s.userStr ?? "")) {
          s.hasUser = false;
          s.gen = -1;
        }
      }
    }
  }

  /**
   * The all*config modes. kconfig.rst ("KCONFIG_ALLCONFIG"):
   * "The allyesconfig/allmodconfig/allnoconfig/randconfig variants can also use the
   * environment variable KCONFIG_ALLCONFIG as a flag or a filename that contains config
   * symbols that the user requires to be set to a specific value. … These variable settings
   * are still subject to normal dependency checks." The fragment is read as user values
   * first (conf_read_simple); then, as conf_set_all_new_symbols does, every bool/tristate
   * without a user value gets y, m or n as its user value (none for alldefconfig), so that it
   * still cannot exceed its visibility nor go below its selects (see `#compute`). Each choice
   * without a user value is then computed and its unset values set to n
   * (set_all_choice_values): "If curr.tri equals yes then only one symbol can be selected in
   * a choice block and we set it to yes, and the rest to no." (conf.c).
   */
  #allConfig(mode: Mode, fragment: string[] | undefined): this {
    this.#base = `all${mode}config`;
    if (fragment) this.#readLines(fragment);
    else {
      this.#reset();
      this.warnings = [];
    }
    if (mode !== "def") {
      const tri: Tri = mode === "yes" ? 2 : mode === "mod" ? 1 : 0;
      for (const s of this.#all) {
        if (s.hasUser || (s.type !== "bool" && s.type !== "tristate")) continue;
        s.hasUser = true;
        s.userTri = tri;
      }
    }
    this.#invalidate();
    for (const c of this.tree.choices) {
      if (c.hasUser) continue;
      this.#calc(c);
      this.#setChoiceValues(c);
      c.gen = -1;
    }
    this.#invalidate();
    return this;
  }

  /**
   * set_all_choice_values (confdata.c): "Set all non-assinged choice values to no" and mark
   * the choice as having a user value, so that its selection is its default.
   */
  #setChoiceValues(c: Sym): void {
    for (const v of c.values) {
      if (!v.hasUser) {
        v.hasUser = true;
        v.userTri = 0;
      }
    }
    c.hasUser = true;
  }

  /**
   * Start a new evaluation generation: every cached value is stale (conf's
   * sym_clear_all_valid), and MODULES is computed first, since "modules" "enables the third
   * modular state for all config symbols" (kconfig-language.rst, "module attribute").
   */
  #invalidate(): void {
    this.#gen++;
    const m = this.tree.modules;
    this.#calc(m);
    this.#modulesTri = m.tri;
  }

  // ---------------------------------------------------------------------------------------
  // Evaluation

  /**
   * The effective type (sym_get_type). "module attribute: "modules" This declares the symbol
   * to be used as the MODULES symbol, which enables the third modular state for all config
   * symbols." (kconfig-language.rst): with MODULES=n a tristate is a bool. And "While a
   * boolean choice only allows a single config entry to be selected, a tristate choice also
   * allows any number of config entries to be set to 'm'." ("choices"): a tristate choice
   * value visible as y (its choice is y) is a bool too.
   */
  #type(s: Sym): Sym["type"] {
    if (s.type === "tristate") {
      if ((s.choice && s.visible === 2) || this.#modulesTri === 0) return "bool";
    }
    return s.type;
  }

  /**
   * The value of an expression (expr_calc_value). "An expression can have a value of 'n',
   * 'm' or 'y' (or 0, 1, 2 respectively for calculations)." and "(1) Convert the symbol into
   * an expression. Boolean and tristate symbols are simply converted into the respective
   * expression values. All other symbol types result in 'n'." (kconfig-language.rst, "Menu
   * dependencies"): a symbol's `tri`, which `#compute` leaves at n for int/hex/string and
   * unknown symbols. A missing expression is y, as `expr_calc_value(NULL)` returns yes.
   */
  #eval(e: Expr | null): Tri {
    if (!e) return 2;
    if (e.k === "sym") {
      const s = e.s;
      if (s.gen !== this.#gen) this.#calc(s);
      else if (s.busy) this.#partial = true;
      return s.tri;
    }
    // Shared sub-expressions (inherited menu dependencies) are evaluated once per generation,
    // unless they saw a symbol still being computed.
    if (e.g === this.#gen) return e.v!;
    const outer = this.#partial;
    this.#partial = false;
    const v = this.#evalCompound(e);
    if (!this.#partial) {
      e.g = this.#gen;
      e.v = v;
    }
    this.#partial ||= outer;
    return v;
  }

  /** Make sure a symbol's value is computed, noting partial values. */
  #touch(s: Sym): void {
    if (s.gen !== this.#gen) this.#calc(s);
    else if (s.busy) this.#partial = true;
  }

  /**
   * Forms (2) to (8) of kconfig-language.rst, "Menu dependencies", as expr_calc_value
   * computes them; the cases quote the rule they implement.
   */
  #evalCompound(e: Exclude<Expr, { k: "sym" }>): Tri {
    switch (e.k) {
      // "(7) Returns the result of min(/expr/, /expr/)."
      case "and": {
        const a = this.#eval(e.a);
        const b = this.#eval(e.b);
        return a < b ? a : b;
      }
      // "(8) Returns the result of max(/expr/, /expr/)."
      case "or": {
        const a = this.#eval(e.a);
        const b = this.#eval(e.b);
        return a > b ? a : b;
      }
      // "(6) Returns the result of (2-/expr/)."
      case "not":
        return (2 - this.#eval(e.a)) as Tri;
      // "(2) If the values of both symbols are equal, it returns 'y', otherwise 'n'." "(3) …
      // equal, it returns 'n', otherwise 'y'." "(4) If value of <symbol1> is respectively
      // lower, greater, lower-or-equal, or greater-or-equal than value of <symbol2>, it returns
      // 'y', otherwise 'n'." What "value" and "lower" mean is conf's: see `compareSyms`.
      case "cmp": {
        this.#touch(e.a);
        this.#touch(e.b);
        const r = compareSyms(e.a, e.b);
        switch (e.op) {
          case "=":
            return r === 0 ? 2 : 0;
          case "!=":
            return r !== 0 ? 2 : 0;
          case "<":
            return r < 0 ? 2 : 0;
          case "<=":
            return r <= 0 ? 2 : 0;
          case ">":
            return r > 0 ? 2 : 0;
          case ">=":
            return r >= 0 ? 2 : 0;
        }
      }
    }
  }

  /**
   * Visibility and the three dependency values of a symbol (sym_calc_visibility).
   *
   * "Every entry has its own dependencies. These dependencies are used to determine the
   * visibility of an entry." and "A menu entry becomes visible when its expression evaluates
   * to 'm' or 'y'." (kconfig-language.rst): the visibility is the OR of the conditions of the
   * symbol's prompts (each prompt's own `if`, its definition's `depends on`, enclosing menus,
   * ifs and `visible if`s, ANDed in by the parser). A symbol without a prompt is invisible.
   * An m visibility becomes y unless the symbol is a tristate and MODULES is on. Then, as
   * conf does (the text does not spell it out), the direct dependencies (y when there is no
   * `depends on`), the selects and the implies are each evaluated, with m made y for a
   * symbol whose effective type is bool.
   */
  #visibility(s: Sym): void {
    let vis: Tri = 0;
    for (const p of s.prompts) {
      let t = this.#eval(p.cond);
      // A tristate choice value visible as m is hidden when its choice is y: "a tristate
      // choice also allows any number of config entries to be set to 'm'", only in m mode.
      // The text is silent on the prompt; sym_calc_visibility hides it.
      if (s.choice && s.type === "tristate" && t === 1 && s.choice.tri === 2) t = 0;
      if (t > vis) vis = t;
    }
    if (vis === 1 && (s.type !== "tristate" || this.#modulesTri === 0)) vis = 2;
    s.visible = vis;
    if (s.choice) return;
    let t = s.dirDep ? this.#eval(s.dirDep) : 2;
    if (t === 1 && this.#type(s) === "bool") t = 2;
    s.dirTri = t;
    t = s.revDep ? this.#eval(s.revDep) : 0;
    if (t === 1 && this.#type(s) === "bool") t = 2;
    s.revTri = t;
    t = s.implied ? this.#eval(s.implied) : 0;
    if (t === 1 && this.#type(s) === "bool") t = 2;
    s.impTri = t;
  }

  /**
   * The active default (sym_get_default_prop). "A config option can have any number of
   * default values. If multiple default values are visible, only the first defined one is
   * active. Default values are not limited to the menu entry where they are defined. This
   * means the default can be defined somewhere else or be overridden by an earlier
   * definition." (kconfig-language.rst, "default value"): the first default, over all
   * definitions in parse order, whose condition (own `if` plus its definition's
   * dependencies) is not n; that condition is returned too, since it limits the value.
   */
  #defaultProp(s: Sym): { p: Prop; cond: Tri } | null {
    for (const p of s.defaults) {
      const cond = this.#eval(p.cond);
      if (cond !== 0) return { p, cond };
    }
    return null;
  }

  /**
   * Compute a symbol's value once per generation (conf's SYMBOL_VALID; computed lazily and
   * cached like kconfiglib). Constants keep their value; a symbol without a type ("Every
   * config option must have a type", kconfig-language.rst) has its name as its string value
   * and n as its tristate, as in sym_calc_value. `busy` marks a symbol whose computation is
   * under way: a reference to it meanwhile sees the partial value, as conf's recursive
   * sym_calc_value does ("set default if recursively called").
   */
  #calc(s: Sym): void {
    if (s.gen === this.#gen) return;
    s.gen = this.#gen;
    if (s.isConst) return;
    const type = s.type;
    if (type === "unknown") {
      s.tri = 0;
      s.str = s.name ?? "";
      return;
    }
    s.busy = true;
    try {
      this.#compute(s, type);
    } finally {
      s.busy = false;
    }
  }

  /**
   * The value of one symbol, in the order of conf's sym_calc_value; each branch below quotes
   * the rule it follows. `write` is conf's SYMBOL_WRITE (whether .config lists the symbol):
   * set when the symbol is visible, selected, implied or given a non-n default (any default,
   * for int/hex/string), a rule of conf's that the language text does not state.
   */
  #compute(s: Sym, type: Sym["type"]): void {
    const isBool = type === "bool" || type === "tristate";
    s.tri = 0;
    s.str = isBool ? "n" : "";
    s.write = false;
    s.usedDefault = null;
    s.why = "";
    this.#visibility(s);
    if (s.visible !== 0) s.write = true;
    if (isBool) {
      let v: Tri = 0;
      // "While a boolean choice only allows a single config entry to be selected, a tristate
      // choice also allows any number of config entries to be set to 'm'." (kconfig-language
      // .rst, "choices"): a value visible as y (its choice is y) is y exactly when it is the
      // choice's selection.
      if (s.choice && s.visible === 2) {
        this.#calc(s.choice);
        v = s.choice.selected === s ? 2 : 0;
        s.why = "choice";
      } else {
        // "The default value is only assigned to the config symbol if no other value was set
        // by the user (via the input prompt above). If an input prompt is visible the default
        // value is presented to the user and can be overridden by him." and "Dependencies
        // define the visibility of a menu entry and can also reduce the input range of
        // tristate symbols." (kconfig-language.rst): a user value counts only while a prompt
        // is visible, and is capped by that visibility (y asked, prompt at m: m).
        if (s.visible !== 0 && s.hasUser) {
          v = triAnd(s.userTri, s.visible);
          s.why = "user";
        } else {
          if (s.revTri !== 0) s.write = true;
          // A choice's `default` names its selection (see `#choiceDefault`), not its mode.
          if (!s.isChoice) {
            // "Optionally, dependencies only for this default value can be added with "if"."
            // (kconfig-language.rst, "default value"): the default's value ANDed with its
            // condition, so `default y if FOO` gives m when FOO=m (sym_calc_value).
            const d = this.#defaultProp(s);
            if (d) {
              v = triAnd(this.#eval(d.p.expr), d.cond);
              s.usedDefault = d.p;
              if (v !== 0) s.write = true;
            }
            // "This is similar to "select" as it enforces a lower limit on another symbol
            // except that the "implied" symbol's value may still be set to n from a direct
            // dependency or with a visible prompt." (kconfig-language.rst, "weak reverse
            // dependencies"): the implies raise the default and the direct dependencies cap
            // the result (FOO=y, BAR=m gives BAZ m, as the text's table says); a user value
            // at a visible prompt took the branch above and is not raised.
            if (s.impTri !== 0) {
              s.write = true;
              v = triAnd(triOr(v, s.impTri), s.dirTri);
            }
          }
          s.why = "default";
        }
        // "reverse dependencies can be used to force a lower limit of another symbol. The
        // value of the current menu symbol is used as the minimal value <symbol> can be set
        // to." and "select will force a symbol to a value without visiting the dependencies."
        // (kconfig-language.rst, "reverse dependencies"): the selects raise whatever value the
        // user or the defaults gave, past the direct dependencies, which conf only warns about
        // (sym_warn_unmet_dep). For a non-optional choice the parser added a select-like
        // `<visibility> && m`, so a visible choice is never n.
        if (s.dirTri < s.revTri) this.#unmet(s);
        v = triOr(v, s.revTri);
      }
      // A bool has no m: sym_calc_value turns an m result into y for an effective bool.
      if (v === 1 && this.#type(s) === "bool") v = 2;
      s.tri = v;
      // A choice in y mode selects one value (sym_calc_choice); in m mode none is selected.
      if (s.isChoice) {
        s.selected = null;
        if (v === 2) s.selected = this.#calcChoice(s);
      }
    } else {
      // int/hex/string: the user's value while a prompt is visible, else the first active
      // default ("The default value is only assigned to the config symbol if no other value
      // was set by the user", kconfig-language.rst), else empty.
      if (s.visible !== 0 && s.hasUser) {
        s.str = s.userStr ?? "";
        s.why = "user";
      } else {
        s.why = "default";
        const d = this.#defaultProp(s);
        if (d) {
          s.usedDefault = d.p;
          if (d.p.expr?.k === "sym") {
            s.write = true;
            const ds = d.p.expr.s;
            this.#calc(ds);
            // As in sym_calc_value, the default is the named symbol's string value: a bool or
            // tristate symbol's string value stays "n" in conf, a constant's is its text.
            s.str = ds.type === "bool" || ds.type === "tristate"
              ? (ds.isConst ? ds.str : "n")
              : ds.str;
          }
        }
      }
      this.#validateRange(s);
    }
    // "modules … enables the third modular state for all config symbols": conf updates
    // modules_val whenever the MODULES symbol changes.
    if (s === this.tree.modules) this.#modulesTri = s.tri;
  }

  /**
   * sym_warn_unmet_dep: "By abusing select you are able to select a symbol FOO even if FOO
   * depends on BAR that is not set." (kconfig-language.rst, "reverse dependencies"); conf
   * allows it and warns on stderr, with this text.
   */
  #unmet(s: Sym): void {
    const w = `WARNING: unmet direct dependencies detected for ${s.name}\n  Depends on [${
      triName(s.dirTri)
    }]: ${exprToString(s.dirDep)}`;
    // Each evaluation pass meets it again; report it once per operation.
    if (!this.warnings.includes(w)) this.warnings.push(w);
  }

  /**
   * The selection of a choice in y mode (sym_calc_choice). kconfig-language.rst says what a
   * choice allows ("a boolean choice only allows a single config entry to be selected"), not
   * which entry wins; conf's rule: the user's selection if it is visible, else the default
   * (`#choiceDefault`). The choice keeps its user value only while every visible value has
   * one; with no visible value at all the choice drops to n ("no choice? reset tristate
   * value").
   */
  #calcChoice(c: Sym): Sym | null {
    let allUser = true;
    for (const v of c.values) {
      this.#visibility(v);
      if (v.visible !== 0 && !v.hasUser) allUser = false;
    }
    if (!allUser) c.hasUser = false;
    const u = c.userSel;
    if (u && u.visible !== 0) return u;
    const d = this.#choiceDefault(c);
    if (!d) c.tri = 0;
    return d;
  }

  /**
   * The default selection of a choice (sym_choice_default). "If multiple default values are
   * visible, only the first defined one is active." (kconfig-language.rst, "default value"):
   * the first `default` whose condition is not n, but conf also skips a default naming an
   * invisible value, which the text does not say; without one, the first visible value.
   */
  #choiceDefault(c: Sym): Sym | null {
    for (const p of c.defaults) {
      if (this.#eval(p.cond) === 0) continue;
      const d = (p.expr as { s: Sym }).s;
      if (d.visible !== 0) return d;
    }
    for (const v of c.values) if (v.visible !== 0) return v;
    return null;
  }

  /**
   * The active range (sym_get_range_prop). "numerical ranges: "range" <symbol> <symbol> ["if"
   * <expr>] This allows to limit the range of possible input values for int and hex
   * symbols." (kconfig-language.rst): like defaults, the first range whose condition is not n.
   */
  #activeRange(s: Sym): Prop | null {
    for (const p of s.ranges) {
      if (this.#eval(p.cond) !== 0) return p;
    }
    return null;
  }

  /**
   * A range bound (sym_get_range_val): the bound symbol's value, parsed in its own base when
   * it is an int or hex symbol, else in the base of the symbol being limited.
   */
  #rangeVal(r: Sym, base: number): bigint {
    this.#calc(r);
    const b = r.type === "int" ? 10 : r.type === "hex" ? 16 : base;
    return strtoll(r.str, b).value;
  }

  /**
   * sym_validate_range. "The user can only input a value which is larger than or equal to
   * the first symbol and smaller than or equal to the second symbol." (kconfig-language.rst,
   * "numerical ranges"): conf applies it to every computed value, defaults included, which
   * the text does not say, clamping to the bound passed (the bound's text is copied); values
   * are read with strtoll, as in C.
   */
  #validateRange(s: Sym): void {
    if (s.type !== "int" && s.type !== "hex") return;
    const p = this.#activeRange(s);
    if (!p) return;
    const base = s.type === "int" ? 10 : 16;
    const val = strtoll(s.str, base).value;
    const [lo, hi] = p.range!;
    let bound = lo;
    if (val >= this.#rangeVal(lo, base)) {
      bound = hi;
      if (val <= this.#rangeVal(hi, base)) return;
    }
    s.str = bound.str;
  }

  /**
   * sym_string_within_range: whether a user value is valid for the type and, for int/hex,
   * inside the active range ("The user can only input a value which is larger than or equal
   * to the first symbol and smaller than or equal to the second symbol."). Strings have no
   * range.
   */
  #withinRange(s: Sym, v: string): boolean {
    if (s.type === "string") return true;
    if (!validNumber(s.type, v)) return false;
    const p = this.#activeRange(s);
    if (!p) return true;
    const base = s.type === "int" ? 10 : 16;
    const val = strtoll(v, base).value;
    return val >= this.#rangeVal(p.range![0], base) && val <= this.#rangeVal(p.range![1], base);
  }

  /**
   * Whether a menu or comment is shown (menu_is_visible, for nodes without a symbol).
   * "limiting menu display: "visible if" <expr> This attribute is only applicable to menu
   * blocks, if the condition is false, the menu block is not displayed to the user (the
   * symbols contained there can still be selected by other symbols, though)." and "A menu
   * entry becomes visible when its expression evaluates to 'm' or 'y'." (kconfig-language
   * .rst): `visible if` not n, and the prompt's condition (the menu's or comment's
   * dependencies with those of the enclosing menus and ifs) not n.
   */
  #menuVisible(node: MenuNode): boolean {
    if (!node.prompt) return false;
    if (node.visibility && this.#eval(node.visibility) === 0) return false;
    return this.#eval(node.prompt.cond) !== 0;
  }

  /**
   * Whether savedefconfig writes the symbol (conf_write_defconfig; the language text is
   * silent): only a symbol the user can change (sym_is_changeable: visibility above its
   * selects), whose value differs from what it would be without a user value
   * (sym_get_string_default, `#stringDefault`), and that is not the y default selection of a
   * non-optional bool choice ("If choice is "optional" then all values can be "n"").
   */
  #savedLine(s: Sym): boolean {
    if (!(s.visible > s.revTri)) return false;
    if (strValue(s) === this.#stringDefault(s)) return false;
    const cs = s.choice;
    if (cs) {
      const ds = this.#choiceDefault(cs);
      if (!cs.optional && s === ds && s.type === "bool" && s.tri === 2) return false;
    }
    return true;
  }

  /**
   * The value a symbol would have without a user value, as text (sym_get_string_default):
   * the active default limited by its condition ("default" … ["if" <expr>]), raised by the
   * selects, m made y when MODULES is n (except in a choice) or for a bool, then raised to
   * the implies. conf notes it "fails to handle the situation where a default value is
   * further limited by the valid range"; so does this, to write the same defconfig.
   */
  #stringDefault(s: Sym): string {
    this.#visibility(s);
    this.#calc(this.tree.modules);
    let val: Tri = 0;
    let str = "";
    const d = this.#defaultProp(s);
    if (d) {
      if (s.type === "bool" || s.type === "tristate") {
        val = triAnd(this.#eval(d.p.expr), d.cond);
      } else if (d.p.expr?.k === "sym") {
        this.#calc(d.p.expr.s);
        str = d.p.expr.s.str;
      }
    }
    val = triOr(val, s.revTri);
    if (val === 1 && !s.choice && this.tree.modules.tri === 0) val = 2;
    if (s.type === "bool" && val === 1) val = 2;
    if (val < s.impTri) val = s.impTri;
    if (s.type === "bool" || s.type === "tristate") return triName(val);
    return str;
  }

  // ---------------------------------------------------------------------------------------
  // Explanations

  /**
   * Explain a symbol's value: type, location, visibility, which dependency is unmet, which
   * selectors and implies are active, which default applied, and the user's request.
   */
  explain(name: string): string {
    const s = this.tree.symbols.get(name);
    if (!s || s.nodes.length === 0) return `${name}: not defined in this tree`;
    this.#calc(s);
    const lines: string[] = [];
    const loc = s.nodes.map((n) => `${n.file}:${n.line}`).join(", ");
    lines.push(`${name}=${strValue(s)} (${s.type}, defined at ${loc})`);
    const prompts = s.props.filter((p) => p.kind === "prompt");
    if (prompts.length === 0) {
      lines.push("  no prompt: only defaults and selects can set it");
    } else {
      for (const p of prompts) {
        const t = this.#eval(p.cond);
        lines.push(
          `  prompt "${p.text}" (${p.file}:${p.line}) visible=${triName(t)}: ${
            exprToString(p.cond)
          }`,
        );
        if (t < 2 && p.cond && (s.choice || s.dirTri === 2)) {
          for (const f of this.#failing(p.cond, 2)) lines.push(`    unmet: ${f.term}: ${f.why}`);
        }
      }
    }
    if (!s.choice) {
      lines.push(`  depends on [${triName(s.dirTri)}]: ${exprToString(s.dirDep)}`);
      if (s.dirTri < 2 && s.dirDep) {
        for (const f of this.#failing(s.dirDep, 2)) lines.push(`    unmet: ${f.term}: ${f.why}`);
      }
    } else {
      const c = s.choice;
      this.#calc(c);
      const sel = c.selected?.name ?? "none";
      lines.push(
        `  value of choice "${c.nodes[0]?.prompt?.text ?? "<choice>"}" (${c.nodes[0]?.file}:${
          c.nodes[0]?.line
        }) = ${triName(c.tri)}, selected: ${sel}`,
      );
    }
    for (const p of s.selectors) {
      const v = this.#eval(p.cond);
      const sel = p.node.sym!;
      lines.push(
        `  selected by ${sel.name} [${triName(triAnd(sel.tri, v))}] (${p.file}:${p.line})${
          p.cond ? ` if ${exprToString(p.cond)}` : ""
        }`,
      );
    }
    for (const p of s.impliers) {
      const v = this.#eval(p.cond);
      const imp = p.node.sym!;
      lines.push(
        `  implied by ${imp.name} [${triName(triAnd(imp.tri, v))}] (${p.file}:${p.line})`,
      );
    }
    const defaults = s.props.filter((p) => p.kind === "default");
    for (const p of defaults) {
      const used = s.usedDefault === p ? " <- applies" : "";
      lines.push(
        `  default ${exprToString(p.expr)} if ${exprToString(p.cond)} [${
          triName(this.#eval(p.cond))
        }] (${p.file}:${p.line})${used}`,
      );
    }
    const req = this.#requested.get(s);
    if (req !== undefined) lines.push(`  requested: ${req}`);
    lines.push(`  decided by: ${this.#decidedBy(s)}`);
    return lines.join("\n");
  }

  #decidedBy(s: Sym): string {
    if (s.why === "choice") return `selection of its choice`;
    if (s.why === "user") {
      if ((s.type === "bool" || s.type === "tristate") && s.revTri > s.userTri) {
        return `select (raised the user value ${triName(s.userTri)})`;
      }
      return `user value`;
    }
    if ((s.type === "bool" || s.type === "tristate") && s.revTri !== 0 && s.revTri >= s.tri) {
      return `select (${this.#activeSelectors(s).join(", ")})`;
    }
    if (s.usedDefault) return `default at ${s.usedDefault.file}:${s.usedDefault.line}`;
    return s.visible ? "no value given; type default" : "not visible and no default applies";
  }

  #activeSelectors(s: Sym): string[] {
    const out: string[] = [];
    for (const p of s.selectors) {
      const sel = p.node.sym!;
      this.#calc(sel);
      if (triAnd(sel.tri, this.#eval(p.cond)) !== 0) {
        out.push(`${sel.name} (${p.file}:${p.line})`);
      }
    }
    return out;
  }

  /** The leaf terms that keep `e` below `want`, each with why it has its value. */
  #failing(e: Expr, want: Tri, depth = 0): Failing[] {
    if (this.#eval(e) >= want) return [];
    switch (e.k) {
      case "and": {
        const out = [...this.#failing(e.a, want, depth)];
        for (const f of this.#failing(e.b, want, depth)) {
          if (!out.some((o) => o.term === f.term)) out.push(f);
        }
        return out;
      }
      case "or": {
        const parts = [...this.#failing(e.a, want, depth), ...this.#failing(e.b, want, depth)];
        return [{ term: `(${exprToString(e)})`, why: parts.map((f) => f.why).join(" and ") }];
      }
      case "not":
        return [{ term: exprToString(e), why: this.#termWhy(e.a, depth) }];
      case "sym":
      case "cmp":
        return [{ term: exprToString(e), why: this.#termWhy(e, depth) }];
    }
  }

  /** `SYM=val` with the reason for the value, for a failing term. */
  #termWhy(e: Expr, depth: number): string {
    if (e.k === "cmp") {
      const vals = [e.a, e.b].filter((x) => !x.isConst && x.type !== "unknown")
        .map((x) => `${x.name}=${strValue(x)}`);
      return vals.length ? vals.join(", ") : exprToString(e);
    }
    if (e.k !== "sym") return exprToString(e);
    const s = e.s;
    if (s.isConst) return `${s.name} is constant`;
    this.#calc(s);
    const v = `${s.name}=${strValue(s)}`;
    if (s.type === "unknown") return `${s.name} is not defined for this ARCH`;
    const isBool = s.type === "bool" || s.type === "tristate";
    const sels = isBool && s.revTri !== 0 && s.revTri >= s.tri ? this.#activeSelectors(s) : [];
    if (sels.length) return `${v} is selected by ${sels.join(", ")}`;
    if (s.tri === 0 && isBool && s.why !== "user") {
      const dep = s.choice ? null : s.dirDep;
      if (dep && s.dirTri === 0 && depth < 3) {
        const inner = this.#failing(dep, 1, depth + 1);
        return `${v} because it depends on ${
          inner.map((f) => `${f.term}, and ${f.why}`).join("; ")
        }`;
      }
      if (!s.props.some((q) => q.kind === "prompt")) {
        return `${v}: it has no prompt and nothing selects it`;
      }
    }
    if (s.why === "user") {
      return this.#requested.has(s)
        ? `${v} as requested`
        : `${v} (not requested; the ${this.#base} answer)`;
    }
    if (s.why === "choice") return `${v} by the choice selection`;
    if (s.usedDefault) return `${v} by default (${s.usedDefault.file}:${s.usedDefault.line})`;
    return v;
  }

  /**
   * The requested fragment lines that did not stick, each with the failing term, e.g.
   * `XEN=n: depends on !CPU_V6, and CPU_V6=y is selected by ARCH_OMAP2 (…Kconfig:12)`.
   */
  dropped(fragmentLines: string[]): DroppedLine[] {
    const out: DroppedLine[] = [];
    for (const line of fragmentLines) {
      const parsed = parseConfigLine(line);
      if (!parsed) continue;
      const s = this.tree.symbols.get(parsed.name);
      if (!s || s.nodes.length === 0) {
        out.push({ line, why: `${parsed.name} is not defined in this tree for this ARCH` });
        continue;
      }
      this.#calc(s);
      const want = normalizeRequest(s, parsed.value);
      const got = strValue(s);
      if (want === got) continue;
      out.push({ line, why: this.#whyNot(s, want) });
    }
    return out;
  }

  #whyNot(s: Sym, want: string): string {
    const got = `${s.name}=${strValue(s)}`;
    const isBool = s.type === "bool" || s.type === "tristate";
    if (!isBool) {
      if (s.visible === 0) return `${got}: not visible, ${this.#promptWhy(s)}`;
      if (want !== "" && !this.#withinRange(s, want)) return `${got}: '${want}' is out of range`;
      return `${got}: ${this.#decidedBy(s)}`;
    }
    const wantTri: Tri = want === "y" ? 2 : want === "m" ? 1 : 0;
    if (wantTri > s.tri) {
      if (s.choice && s.visible === 2) {
        const sel = s.choice.selected;
        return `${got}: choice selects ${sel?.name ?? "nothing"} instead`;
      }
      if (s.dirTri < wantTri && s.dirDep) {
        return `${got}: ${describeFailing(this.#failing(s.dirDep, wantTri))}`;
      }
      if (s.visible < wantTri) return `${got}: ${this.#promptWhy(s, wantTri)}`;
      if (wantTri === 1 && s.type === "bool") return `${got}: bool symbols cannot be m`;
      return `${got}: ${this.#decidedBy(s)}`;
    }
    // Requested lower than resolved: something forces it up.
    if (s.revTri > wantTri) {
      return `${got}: selected by ${this.#activeSelectors(s).join(", ")}`;
    }
    if (s.choice && s.visible === 2) return `${got}: it is the selected value of its choice`;
    if (s.visible === 0) {
      return `${got}: not visible (${this.#promptWhy(s)}), so ${this.#decidedBy(s)}`;
    }
    if (s.impTri > wantTri) return `${got}: implied`;
    if (wantTri === 1 && s.tri === 2) {
      return `${got}: m is not possible (${this.#modulesTri === 0 ? "MODULES=n" : "bool"})`;
    }
    return `${got}: ${this.#decidedBy(s)}`;
  }

  #promptWhy(s: Sym, want: Tri = 2): string {
    const prompts = s.props.filter((p) => p.kind === "prompt");
    if (prompts.length === 0) return "it has no prompt (only select/default can set it)";
    const parts: string[] = [];
    for (const p of prompts) {
      if (p.cond) parts.push(describeFailing(this.#failing(p.cond, want)));
    }
    return parts.length ? `its prompt ${parts.join("; ")}` : "its prompt is not visible";
  }
}

// -------------------------------------------------------------------------------------------
// Helpers

/** A failing term of a dependency and why it has its value. */
interface Failing {
  term: string;
  why: string;
}

function describeFailing(fs: Failing[]): string {
  return fs.map((f) => `depends on ${f.term}, and ${f.why}`).join("; ");
}

/** Split text into lines (without newlines). */
function splitLines(text: string): string[] {
  return text.split("\n");
}

/**
 * Parse `CONFIG_X=v` or `# CONFIG_X is not set`, the two line forms conf_read_simple accepts
 * (other lines are ignored; a trailing CR is dropped as conf does).
 */
export function parseConfigLine(raw: string): { name: string; value: string } | null {
  const line = raw.replace(/\r$/, "");
  if (line.startsWith("# CONFIG_")) {
    const rest = line.slice(9);
    const sp = rest.indexOf(" ");
    if (sp < 0 || !rest.startsWith("is not set", sp + 1)) return null;
    return { name: rest.slice(0, sp), value: "n" };
  }
  if (!line.startsWith("CONFIG_")) return null;
  const eq = line.indexOf("=");
  if (eq < 0) return null;
  return { name: line.slice(7, eq), value: line.slice(eq + 1) };
}

function normalizeRequest(s: Sym, v: string): string {
  if (s.type === "string" && v.startsWith('"')) {
    return v.slice(1, v.lastIndexOf('"') > 0 ? v.lastIndexOf('"') : undefined).replace(
      /\\(.)/g,
      "$1",
    );
  }
  if (s.type === "bool" || s.type === "tristate") return v[0] ?? "";
  return v;
}

function strValue(s: Sym): string {
  if (s.type === "bool" || s.type === "tristate") return triName(s.tri);
  return s.str;
}

/**
 * One .config line (print_symbol_for_dotconfig): `# CONFIG_X is not set` for n, strings
 * quoted with `"` and `\` escaped (escape_string_value).
 */
function printSym(s: Sym): string {
  const v = strValue(s);
  if ((s.type === "bool" || s.type === "tristate") && v === "n") {
    return `# CONFIG_${s.name} is not set\n`;
  }
  if (s.type === "string") return `CONFIG_${s.name}="${v.replace(/["\\]/g, "\\$&")}"\n`;
  return `CONFIG_${s.name}=${v}\n`;
}

/** sym_string_valid for int (optional `-`, no leading zero) and hex (optional `0x`). */
function validNumber(type: string, v: string): boolean {
  if (type === "int") return /^-?(0|[1-9][0-9]*)$/.test(v);
  if (type === "hex") return /^(0[xX])?[0-9a-fA-F]+$/.test(v);
  return true;
}

const LLONG_MAX = (1n << 63n) - 1n;
const LLONG_MIN = -(1n << 63n);
const ULLONG_MAX = (1n << 64n) - 1n;

/** C strtoll/strtoull: value, whether the whole string was a valid number, and overflow. */
function strtoll(
  str: string,
  base: number,
  unsigned = false,
): { value: bigint; ok: boolean } {
  let i = 0;
  while (i < str.length && " \t\n\v\f\r".includes(str[i]!)) i++;
  let neg = false;
  if (str[i] === "+" || str[i] === "-") {
    neg = str[i] === "-";
    i++;
  }
  let b = base;
  if (
    (b === 0 || b === 16) && str[i] === "0" && (str[i + 1] === "x" || str[i + 1] === "X") &&
    /[0-9a-fA-F]/.test(str[i + 2] ?? "")
  ) {
    i += 2;
    b = 16;
  } else if (b === 0) b = str[i] === "0" ? 8 : 10;
  const start = i;
  let v = 0n;
  const bb = BigInt(b);
  for (; i < str.length; i++) {
    const d = parseInt(str[i]!, 36);
    if (Number.isNaN(d) || d >= b) break;
    v = v * bb + BigInt(d);
  }
  if (i === start) return { value: 0n, ok: false };
  let overflow = false;
  if (unsigned) {
    if (v > ULLONG_MAX) {
      v = ULLONG_MAX;
      overflow = true;
    } else if (neg) v = BigInt.asUintN(64, -v);
  } else {
    if (neg) v = -v;
    if (v > LLONG_MAX) {
      v = LLONG_MAX;
      overflow = true;
    } else if (v < LLONG_MIN) {
      v = LLONG_MIN;
      overflow = true;
    }
  }
  const ok = !overflow && i === str.length && /[0-9a-fA-F]/.test(str[i - 1]!);
  return { value: v, ok };
}

type Num = { kind: "string" } | { kind: "signed" | "unsigned"; v: bigint };

/**
 * expr_parse_string: a value as a comparison operand. bool/tristate values n, m, y are 0, 1,
 * 2; int is read in base 10, hex in base 16 (unsigned), any other type (unknown symbols and
 * quoted constants) with C's base detection; what does not read wholly is a string.
 */
function parseNum(str: string, type: string): Num {
  if (type === "bool" || type === "tristate") {
    return { kind: "signed", v: str === "n" ? 0n : str === "m" ? 1n : str === "y" ? 2n : -1n };
  }
  if (type === "int") {
    const r = strtoll(str, 10);
    return r.ok ? { kind: "signed", v: r.value } : { kind: "string" };
  }
  if (type === "hex") {
    const r = strtoll(str, 16, true);
    return r.ok ? { kind: "unsigned", v: r.value } : { kind: "string" };
  }
  const r = strtoll(str, 0);
  return r.ok ? { kind: "signed", v: r.value } : { kind: "string" };
}

function symType(s: Sym): string {
  // Constants y/m/n behave as tristates; quoted literals and undefined symbols as unknown.
  return s.type;
}

/**
 * Compare two symbols' values as Kconfig comparisons do (numbers when both parse).
 *
 * "(2) If the values of both symbols are equal, it returns 'y', otherwise 'n'." and "(4) If
 * value of <symbol1> is respectively lower, greater, lower-or-equal, or greater-or-equal than
 * value of <symbol2>, it returns 'y', otherwise 'n'." (kconfig-language.rst, "Menu
 * dependencies"). The text does not define "lower"; conf's expr_calc_value compares as
 * numbers when both values parse (`parseNum`), unless both sides are string symbols,
 * unsigned if either is hex, and otherwise compares the texts with strcmp.
 */
function compareSyms(a: Sym, b: Sym): number {
  const s1 = strValue(a);
  const s2 = strValue(b);
  if (symType(a) !== "string" || symType(b) !== "string") {
    const n1 = parseNum(s1, symType(a));
    const n2 = parseNum(s2, symType(b));
    if (n1.kind !== "string" && n2.kind !== "string") {
      if (n1.kind === "unsigned" || n2.kind === "unsigned") {
        const u1 = BigInt.asUintN(64, n1.v), u2 = BigInt.asUintN(64, n2.v);
        return u1 > u2 ? 1 : u1 < u2 ? -1 : 0;
      }
      return n1.v > n2.v ? 1 : n1.v < n2.v ? -1 : 0;
    }
  }
  return s1 < s2 ? -1 : s1 > s2 ? 1 : 0;
}

export { KconfigError };
