/**
 * The report stage, for a CI page: GitHub-flavoured Markdown for `$GITHUB_STEP_SUMMARY` — the
 * cells × variants grid, the new errors of each candidate against the baseline marked `>>`
 * (from the comparisons stored in the results), the prediction misses with both sides, and
 * where the run's inputs came from.
 *
 * @module
 */
import type { CellResult, Results, StoredComparison } from "../results/model.ts";
import type { Comparison } from "../compare/compare_results.ts";
import { formatComparison } from "../compare/compare_results.ts";
import { errorsOf, gridOf, plain, reproducerCommand, reuseNote } from "./_grid.ts";

/** Options for {@linkcode formatMarkdown}. */
export interface FormatMarkdownOptions {
  /** Show artifact paths relative to this directory (default: as they are). */
  relativeTo?: string;
}

const ICONS: Record<CellResult["status"], string> = {
  pass: "✅",
  fail: "❌",
  infra: "⚠️",
  interrupted: "⏹️",
};

/** A table cell's text: pipes escaped, newlines as `<br>`. */
function cellText(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("|", "\\|").replaceAll("\n", "<br>");
}

/** Inline code that survives any backticks in `text`. */
function code(text: string): string {
  const ticks = "`".repeat(Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  return ticks.length > 1 ? `${ticks} ${text} ${ticks}` : `\`${text}\``;
}

/** A fenced block that no line of `text` can close. */
function fenced(text: string, info = "text"): string {
  const longest = Math.max(2, ...[...text.matchAll(/^`{3,}/gm)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${info}\n${text}\n${fence}`;
}

/** One grid square: status, prediction and its verdict, sharing. */
export function markdownSquare(r: CellResult): string {
  const parts = [`${ICONS[r.status]} ${r.status}`];
  if (r.prediction) {
    const p = r.prediction;
    const mark = p.verdict === "confirmed" ? "✓" : p.verdict === "missed" ? "✗ missed" : "unjudged";
    parts.push(`predicted ${p.status} ${mark}`);
  }
  const reuse = reuseNote(r);
  return parts.join(", ") + (reuse ? `<br><sub>${reuse}</sub>` : "");
}

function summaryLine(results: Results): string {
  const counts = { pass: 0, fail: 0, infra: 0, interrupted: 0 };
  for (const r of results.results) counts[r.status]++;
  const shown = Object.entries(counts).filter(([k, n]) => n > 0 || k === "pass" || k === "fail")
    .map(([k, n]) => `${n} ${k}`);
  const p = results.predictions;
  return `${results.results.length} records: ${shown.join(", ")}` +
    (p
      ? `; predictions: ${p.confirmed} confirmed, ${p.missed} missed, ${p.unjudged} unjudged`
      : "");
}

function gridTable(results: Results): string[] {
  const grid = gridOf(results);
  const head = [
    "cell",
    ...grid.variants.map((v) => v === results.baseline ? `${v} (baseline)` : v),
  ];
  const lines = [
    `| ${head.map(cellText).join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
  ];
  for (const cell of grid.cells) {
    const squares = grid.variants.map((v) => {
      const r = grid.at(cell, v);
      return r ? markdownSquare(r) : "–";
    });
    lines.push(`| ${cellText(code(cell))} | ${squares.join(" | ")} |`);
  }
  return lines;
}

/** The stored comparison as the compare stage renders it, errors only, new ones `>>`. */
function comparisonSection(c: StoredComparison): string[] {
  const comparison: Comparison = {
    counts: c.counts,
    cells: c.cells.map((cell) => ({ ...cell, diagnostics: cell.diagnostics ?? [] })),
  };
  const fresh = comparison.cells.flatMap((cell) =>
    cell.diagnostics.filter((d) => d.change === "new" && d.diagnostic.severity === "error")
  );
  return [
    `#### ${c.head} against ${c.base}: ${fresh.length} new error${fresh.length === 1 ? "" : "s"}`,
    "",
    fenced(plain(formatComparison(comparison, { errorsOnly: true }))),
    "",
  ];
}

function missSection(r: CellResult, relativeTo?: string): string[] {
  const p = r.prediction!;
  const real = errorsOf(r).filter((d) => d.kind !== "make").map((d) => d.signature);
  const list = (xs: readonly string[]) => xs.length ? xs.map(code).join("<br>") : "none";
  const lines = [
    `#### ${r.variant} · ${code(r.cell)}`,
    "",
    "| | predicted | real |",
    "|---|---|---|",
    `| status | ${p.status} | ${r.status} |`,
    `| error signatures | ${cellText(list(p.signatures))} | ${cellText(list(real))} |`,
    `| dropped lines | ${cellText(list(p.dropped.map((d) => d.line)))} | ${
      cellText(list(r.dropped))
    } |`,
    "",
    "Decided by:",
    "",
    ...p.differences.map((d) => `- ${plain(d)}`),
  ];
  if (p.reasons.length) {
    lines.push("", "The predictor's reasons:", "", ...p.reasons.map((x) => `- ${plain(x)}`));
  }
  const repro = reproducerCommand(r, relativeTo);
  if (repro) lines.push("", `Reproduce: ${code(repro)}`);
  return [...lines, ""];
}

function provenanceSection(results: Results): string[] {
  const p = results.provenance;
  if (!p) return ["_No provenance recorded (a run of an older kmatrix)._", ""];
  const short = (commit: string) => code(commit.slice(0, 12));
  const lines = [
    `- **Tree**: Linux ${p.tree.version} from ${code(p.tree.source)} at ${short(p.tree.commit)}`,
  ];
  for (const v of p.variants) {
    const patches = v.patches.map((x) => code(x.file)).join(", ");
    lines.push(
      `- **Variant ${v.name}** at ${short(v.commit)}` +
        (v.description ? `: ${v.description}` : "") + (patches ? ` (patches: ${patches})` : ""),
    );
  }
  for (const t of p.toolchains) {
    lines.push(`- **Toolchain ${t.name}** (${t.arch}): ${code(t.cc)}; ${code(t.ld)}`);
  }
  lines.push(
    `- **Runtime**: ${p.runtime.name}, environment ${p.runtime.environment}, identity ${
      code(p.runtime.identity)
    }`,
    `- **Host**: ${p.host.hostname}, ${p.host.os}, Linux ${p.host.kernel}, ${p.host.cpus} CPUs`,
    `- **kmatrix** ${p.kmatrix.version}, matrix ${code(p.matrix.file)} (sha256 ${
      short(p.matrix.sha256)
    }), started ${results.started}${results.finished ? `, finished ${results.finished}` : ""}`,
  );
  return [...lines, ""];
}

/**
 * Render results as Markdown for `$GITHUB_STEP_SUMMARY`.
 *
 * @example Usage
 * ```ts ignore
 * const results = await readResults("out/results.json");
 * await Deno.writeTextFile(Deno.env.get("GITHUB_STEP_SUMMARY")!, formatMarkdown(results));
 * ```
 */
export function formatMarkdown(results: Results, options: FormatMarkdownOptions = {}): string {
  const lines = [
    `## kmatrix: ${results.matrix}`,
    "",
    summaryLine(results),
    "",
    ...gridTable(results),
    "",
  ];
  lines.push("### New errors against the baseline", "");
  if (results.comparisons.length === 0) {
    lines.push(
      results.baseline
        ? `_No comparison: only the baseline ${results.baseline} ran._`
        : "_No baseline, no comparison._",
      "",
    );
  }
  for (const c of results.comparisons) lines.push(...comparisonSection(c));
  const misses = results.results.filter((r) => r.prediction?.verdict === "missed");
  lines.push(`### Prediction misses: ${misses.length}`, "");
  for (const r of misses) lines.push(...missSection(r, options.relativeTo));
  lines.push("### Provenance", "", ...provenanceSection(results));
  return lines.join("\n");
}
