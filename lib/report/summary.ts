/**
 * The report stage: render results for a terminal.
 *
 * @module
 */
import Table from "cli-table3";
import pc from "picocolors";
import type { CellResult, PredictionRecord, Results } from "../results/model.ts";
import { reuseNote } from "./_grid.ts";

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

/** The prediction column: predicted status and whether the build confirmed it. */
export function formatVerdict(p: PredictionRecord, color: boolean): string {
  const text = `${p.status}, ${p.verdict}`;
  if (!color) return text;
  return p.verdict === "confirmed"
    ? pc.green(text)
    : p.verdict === "missed"
    ? pc.red(text)
    : pc.yellow(text);
}

/** One row per cell x variant: variant, cell, status, time, dropped lines, first errors. */
export function formatSummary(results: Results, options: FormatSummaryOptions = {}): string {
  const color = options.color ?? pc.isColorSupported;
  const max = options.maxDiagnostics ?? 3;
  const table = new Table({
    head: ["variant", "cell", "status", "predicted", "time", "dropped", "first errors"],
    style: { head: [], border: [], compact: true },
  });
  for (const r of results.results) {
    const errors = r.diagnostics.filter((d) => d.severity === "error");
    const shown = errors.slice(0, max).map((d) => d.signature);
    if (errors.length > max) shown.push(`… ${errors.length - max} more`);
    table.push([
      r.variant,
      r.cell,
      formatStatus(r.status, color) +
      (reuseNote(r) ? `\n(${reuseNote(r)})` : ""),
      r.prediction ? formatVerdict(r.prediction, color) : "-",
      `${r.duration_s.toFixed(0)} s`,
      r.dropped.join("\n"),
      shown.join("\n"),
    ]);
  }
  const counts = { pass: 0, fail: 0, infra: 0, interrupted: 0 };
  const verdicts = { confirmed: 0, missed: 0, unjudged: 0 };
  for (const r of results.results) {
    counts[r.status]++;
    if (r.prediction) verdicts[r.prediction.verdict]++;
  }
  const predicted = verdicts.confirmed + verdicts.missed + verdicts.unjudged;
  const built =
    results.results.filter((r) => !r.shared && !r.cached && r.status !== "interrupted").length;
  const shared = results.results.filter((r) => r.shared).length;
  const cached = results.results.filter((r) => r.cached).length;
  return `${table.toString()}\n${results.results.length} records (${built} built, ${shared} shared, ${cached} from the cache): ${counts.pass} pass, ${counts.fail} fail, ${counts.infra} infra${
    counts.interrupted ? `, ${counts.interrupted} interrupted` : ""
  }` +
    (predicted
      ? `; predictions: ${verdicts.confirmed} confirmed, ${verdicts.missed} missed, ${verdicts.unjudged} unjudged`
      : "");
}
