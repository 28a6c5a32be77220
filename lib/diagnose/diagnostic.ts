/**
 * The typed diagnostic record shared by the diagnose, compare and report stages.
 *
 * @module
 */

/** What produced a diagnostic. */
export type DiagnosticKind =
  | "compiler"
  | "assembler"
  | "linker-undefined"
  | "linker"
  | "modpost"
  | "kconfig"
  | "make"
  | "infra";

/** How bad a diagnostic is. */
export type Severity = "error" | "warning" | "note";

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
  /** The object file involved, relative to the build directory (`drivers/xen/grant-table.o`). */
  object?: string;
  /** The function the tool named (`In function '…'`, `in function '…'`). */
  function?: string;
  /** The warning option, such as `-Wimplicit-function-declaration`. */
  option?: string;
  /** The message, without location prefix. */
  message: string;
  /** Stable identity across runs, directories and -j (see issue 4). */
  signature: string;
}
