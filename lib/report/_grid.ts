/**
 * What every report of a results file shares: the cells × variants grid, the text of a
 * diagnostic without terminal colours, paths as a reader of the report sees them.
 *
 * @module
 */
import { isAbsolute, relative } from "node:path";
import { type CellResult, type Results, sharedWith } from "../results/model.ts";

/** The records laid out as rows (cells) and columns (variants). */
export interface Grid {
  /** Cell ids, in the order the run recorded them. */
  cells: string[];
  /** Variant names: the provenance's order (the matrix's), then any other in record order. */
  variants: string[];
  /** The record of `cell` on `variant`, if the run has one. */
  at(cell: string, variant: string): CellResult | undefined;
}

/** Lay the records of `results` out as cells × variants. */
export function gridOf(results: Results): Grid {
  const cells: string[] = [];
  const variants: string[] = (results.provenance?.variants ?? []).map((v) => v.name)
    .filter((v) => results.results.some((r) => r.variant === v));
  const records = new Map<string, CellResult>();
  for (const r of results.results) {
    if (!cells.includes(r.cell)) cells.push(r.cell);
    if (!variants.includes(r.variant)) variants.push(r.variant);
    records.set(`${r.cell}\0${r.variant}`, r);
  }
  return { cells, variants, at: (cell, variant) => records.get(`${cell}\0${variant}`) };
}

// CSI sequences (colours, erase line) and the characters XML 1.0 cannot carry.
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]/g;

/** `text` without terminal escape sequences and control characters (tabs and newlines kept). */
export function plain(text: string): string {
  return text.replace(ANSI, "").replace(CONTROL, "");
}

/** The error diagnostics of a record. */
export function errorsOf(r: CellResult): CellResult["diagnostics"] {
  return r.diagnostics.filter((d) => d.severity === "error");
}

/** The text of a diagnostic as the log had it (its message when the log text is empty). */
export function diagnosticText(d: CellResult["diagnostics"][number]): string {
  return plain(d.text || d.message);
}

/** `path` relative to `base` when given and `path` is absolute, else as it is. */
export function shownPath(path: string, base?: string): string {
  return base !== undefined && isAbsolute(path) ? relative(base, path) || "." : path;
}

/** What a square says about sharing: `shared with 2012`, `cached`, or nothing. */
export function reuseNote(r: CellResult): string | undefined {
  if (r.shared) return `shared with ${sharedWith(r.shared)}`;
  if (r.cached) return "cached";
  return undefined;
}

/** The command a reader types to redo a record (`sh <reproducer> [BUILD_DIR]`). */
export function reproducerCommand(r: CellResult, base?: string): string | undefined {
  return r.reproducer ? `sh ${shownPath(r.reproducer, base)}` : undefined;
}
