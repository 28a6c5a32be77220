/**
 * The report stage: render results for a terminal.
 *
 * @module
 */
import Table from "cli-table3";
import pc from "picocolors";
import type { CellResult, Results } from "../build/result.ts";

/** Options for {@linkcode formatSummary}. */
export interface FormatSummaryOptions {
  /** Colour the status column (default: picocolors' detection of the terminal). */
  color?: boolean;
  /** How many diagnostics to show per cell (default 3). */
  maxDiagnostics?: number;
}

/** The status word, coloured when asked. */
export function formatStatus(status: CellResult["status"], color: boolean): string {
  if (!color) return status;
  return status === "pass"
    ? pc.green(status)
    : status === "fail"
    ? pc.red(status)
    : pc.yellow(status);
}

/** One row per cell x variant: variant, cell, status, time, dropped lines, first errors. */
export function formatSummary(results: Results, options: FormatSummaryOptions = {}): string {
  const color = options.color ?? pc.isColorSupported;
  const max = options.maxDiagnostics ?? 3;
  const table = new Table({
    head: ["variant", "cell", "status", "time", "dropped", "first errors"],
    style: { head: [], border: [], compact: true },
    wordWrap: true,
    colWidths: [null, null, null, null, 22, 60],
  });
  for (const r of results.results) {
    const errors = r.diagnostics.filter((d) => d.severity === "error");
    const shown = errors.slice(0, max).map((d) => d.signature);
    if (errors.length > max) shown.push(`… ${errors.length - max} more`);
    table.push([
      r.variant,
      r.cell,
      formatStatus(r.status, color),
      `${r.duration_s.toFixed(0)} s`,
      r.dropped.join("\n"),
      shown.join("\n"),
    ]);
  }
  const counts = { pass: 0, fail: 0, infra: 0 };
  for (const r of results.results) counts[r.status]++;
  return `${table.toString()}\n${results.results.length} builds: ${counts.pass} pass, ${counts.fail} fail, ${counts.infra} infra`;
}
