/**
 * The typed diagnostic record shared by the diagnose, compare and report stages.
 *
 * @module
 */

/**
 * What produced a diagnostic.
 *
 * `kernel-doc` is scripts/kernel-doc run by W=1 builds (`file:line: warning: …`, no column).
 * `infra` is a failure of the machine, not of the kernel (see {@linkcode InfraCause}).
 */
export type DiagnosticKind =
  | "compiler"
  | "assembler"
  | "linker-undefined"
  | "linker"
  | "modpost"
  | "kconfig"
  | "make"
  | "kernel-doc"
  | "infra";

/** How bad a diagnostic is. */
export type Severity = "error" | "warning" | "note";

/** Why a build could not be judged: never counted as a build failure. */
export type InfraCause = "toolchain" | "killed" | "no-space" | "out-of-memory";

/** One diagnostic parsed from a build log. */
export interface Diagnostic {
  /** What produced it. */
  kind: DiagnosticKind;
  /** Error, warning or note. */
  severity: Severity;
  /** Source file relative to the kernel tree, when the tool named one. */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  /** 1-based column in `file`. */
  column?: number;
  /** The symbol involved (undefined reference, modpost, Kconfig symbol). */
  symbol?: string;
  /**
   * The object file involved, relative to the build directory (`drivers/xen/grant-table.o`).
   * Never a compiler temporary (`/tmp/ccOQ2UU5.o`): for a program gcc compiled and linked in
   * one step, the program make was building (`scripts/basic/fixdep`).
   */
  object?: string;
  /** The function the tool named (`In function '…'`, `in function '…'`). */
  function?: string;
  /** The warning option, such as `-Wimplicit-function-declaration`. */
  option?: string;
  /** The message, without location prefix. */
  message: string;
  /** Stable identity across runs, directories and -j (see issue 4). */
  signature: string;
  /**
   * `signature` without line and column, for matching across source versions (a patch that
   * moves code changes `signature` but not `key`). Equal to `signature` for located-free kinds.
   */
  key: string;
  /**
   * The log lines of the record, verbatim but for CI timestamp prefixes, joined with `\n`
   * (caret lines, notes, …).
   */
  text: string;
  /** How many times the record appeared in the log (parallel make repeats some); not part of the signature. */
  count: number;
  /** The program that printed it, as named in the log (`arm-linux-gnueabi-ld`, `cc1`, `make[3]`). */
  tool?: string;
  /**
   * Linker: the object that defines `symbol`, when ld names it (the first definition of a
   * multiple definition, the target of a truncated relocation).
   */
  definedIn?: string;
  /** Linker: the section of the reference (`.text`). */
  section?: string;
  /** Linker: the offset in `section` (`0x4f8`); changes from build to build of other code. */
  offset?: string;
  /** Compiler: the `In file included from` chain, outermost last, relative paths with lines. */
  included?: string[];
  /**
   * Compiler: the translation unit (the outermost file of `included`) when the record is in a
   * header, so that a header's error names the source file that was being compiled.
   */
  source?: string;
  /** Compiler: the notes gcc printed after the record, as `file:line:col: message`. */
  notes?: string[];
  /** Kconfig unmet dependency: the dependency expression with its values (`DEBUG_KERNEL [=n]`). */
  depends?: string;
  /** Kconfig unmet dependency: the symbols that select `symbol`, sorted. */
  selectors?: string[];
  /** Make: the target that failed (`drivers/xen/features.o`, `vmlinux`). */
  target?: string;
  /** Make: the `Error N` exit status of the recipe. */
  status?: number;
  /** Infra: why the build could not be judged. */
  cause?: InfraCause;
}
