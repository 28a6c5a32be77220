/**
 * The report stage, for a browser: one self-contained HTML page (inline style, no script, no
 * external resource) with a colour grid of cells × variants. Each square shows the real status
 * beside the predicted one and opens (`<details>`) to the record: its error diagnostics, the
 * fragment lines that did not reach `.config` with the predictor's reason for each, what decided
 * a prediction miss, the steps with their status and command, and the reproducer command.
 * Below the grid: each candidate against the baseline with new errors marked `>>`, and the run's
 * provenance.
 *
 * @module
 */
import { type CellResult, type Results, sharedWith } from "../results/model.ts";
import type { Comparison } from "../compare/compare_results.ts";
import { formatComparison } from "../compare/compare_results.ts";
import {
  diagnosticText,
  errorsOf,
  gridOf,
  plain,
  reproducerCommand,
  reuseNote,
  shownPath,
} from "./_grid.ts";

/** Options for {@linkcode formatHtml}. */
export interface FormatHtmlOptions {
  /** Link and show artifact paths relative to this directory (the page's; default: as they are). */
  relativeTo?: string;
}

/** `text` escaped for HTML text and double-quoted attributes. */
export function htmlEscape(text: string): string {
  return plain(text).replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1b1f24; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
code, pre { font: 12px/1.35 ui-monospace, monospace; }
pre { background: #f4f5f7; padding: .5em; overflow-x: auto; max-width: 60em; white-space: pre-wrap; }
table.grid { border-collapse: separate; border-spacing: 4px; }
table.grid th { text-align: left; font-weight: 600; padding: 4px 8px; }
td.square { vertical-align: top; border-radius: 6px; padding: 6px 10px; min-width: 12em; border: 2px solid transparent; }
td.s-pass { background: #d7f5dd; } td.s-fail { background: #ffd8d6; }
td.s-infra { background: #ffecb3; } td.s-interrupted { background: #e2e4e8; }
td.s-missing { background: #fafafa; color: #888; }
td.v-missed { border: 2px dashed #b3261e; }
summary { cursor: pointer; } .status { font-weight: 700; text-transform: uppercase; }
.pred, .reuse { display: block; font-size: 12px; color: #444; }
.v-missed .pred { color: #b3261e; font-weight: 600; }
.record h4 { margin: .8em 0 .2em; font-size: 13px; }
.record table { border-collapse: collapse; font-size: 12px; }
.record td, .record th { border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }
mark { background: #ffd8d6; }
.diag pre { margin: .2em 0 .6em; } .sig { font-weight: 600; }
.legend span { display: inline-block; padding: 2px 8px; border-radius: 4px; margin-right: 6px; }
`;

function square(r: CellResult, relativeTo?: string): string {
  const p = r.prediction;
  const classes = ["square", `s-${r.status}`, ...(p ? [`v-${p.verdict}`] : [])];
  const data = {
    "data-cell": r.cell,
    "data-variant": r.variant,
    "data-status": r.status,
    ...(p ? { "data-predicted": p.status, "data-verdict": p.verdict } : {}),
  };
  const attrs = Object.entries(data).map(([k, v]) => ` ${k}="${htmlEscape(v)}"`).join("");
  const mark = p
    ? p.verdict === "confirmed" ? "✓ confirmed" : p.verdict === "missed" ? "✗ missed" : "unjudged"
    : "";
  const reuse = reuseNote(r);
  return [
    `<td class="${classes.join(" ")}"${attrs}><details><summary>`,
    `<span class="status">${htmlEscape(r.status)}</span>`,
    p ? `<span class="pred">predicted ${htmlEscape(p.status)} ${mark}</span>` : "",
    reuse ? `<span class="reuse">${htmlEscape(reuse)}</span>` : "",
    `</summary><div class="record">${recordBody(r, relativeTo)}</div></details></td>`,
  ].join("");
}

function list(items: string[], empty: string): string {
  return items.length
    ? `<ul>${items.map((x) => `<li>${x}</li>`).join("")}</ul>`
    : `<p>${empty}</p>`;
}

function link(path: string, relativeTo?: string): string {
  const shown = shownPath(path, relativeTo);
  return `<a href="${htmlEscape(encodeURI(shown))}"><code>${htmlEscape(shown)}</code></a>`;
}

function recordBody(r: CellResult, relativeTo?: string): string {
  const parts: string[] = [];
  const errors = errorsOf(r);
  const warnings = r.diagnostics.filter((d) => d.severity === "warning").length;
  parts.push(`<h4>Errors: ${errors.length}${warnings ? `, warnings: ${warnings}` : ""}</h4>`);
  for (const d of errors) {
    parts.push(
      `<div class="diag"><code class="sig">${htmlEscape(d.signature)}</code>` +
        `<pre>${htmlEscape(diagnosticText(d))}</pre></div>`,
    );
  }
  // Dropped lines: what the real build dropped, with the predictor's reason for each.
  const why = new Map((r.prediction?.dropped ?? []).map((d) => [d.line, d.why]));
  const dropped = [...new Set([...r.dropped, ...why.keys()])].map((line) => {
    const real = r.dropped.includes(line);
    const reason = why.get(line);
    return `<code>${htmlEscape(line)}</code>: ${
      reason ? htmlEscape(reason) : "no reason predicted"
    }${real ? "" : " (predicted only: the real .config kept it)"}`;
  });
  parts.push("<h4>Dropped fragment lines</h4>", list(dropped, "None."));
  const p = r.prediction;
  if (p) {
    parts.push(
      `<h4>Prediction: ${htmlEscape(p.status)}, ${htmlEscape(p.verdict)}</h4>`,
      `<table><tr><th></th><th>predicted</th><th>real</th></tr>` +
        `<tr><td>status</td><td>${htmlEscape(p.status)}</td><td>${htmlEscape(r.status)}</td></tr>` +
        `<tr><td>error signatures</td><td>${
          p.signatures.map((s) => `<code>${htmlEscape(s)}</code>`).join("<br>") || "none"
        }</td><td>${
          errors.filter((d) => d.kind !== "make").map((d) =>
            `<code>${htmlEscape(d.signature)}</code>`
          )
            .join("<br>") || "none"
        }</td></tr></table>`,
    );
    if (p.differences.length) {
      parts.push("<p>Decided by:</p>", list(p.differences.map(htmlEscape), ""));
    }
    if (p.reasons.length) parts.push("<p>Reasons:</p>", list(p.reasons.map(htmlEscape), ""));
  }
  if (r.shared) {
    parts.push(
      `<p>Shared with ${htmlEscape(sharedWith(r.shared))}: ${htmlEscape(r.shared.reason)}</p>`,
    );
  }
  if (r.cached) {
    parts.push(`<p>From the result cache: the run of ${htmlEscape(r.cached.started)}</p>`);
  }
  parts.push(
    "<h4>Steps</h4><table><tr><th>step</th><th>status</th><th>s</th><th>command</th></tr>" +
      r.steps.map((s) =>
        `<tr><td>${htmlEscape(s.name)}</td><td>${
          htmlEscape(s.status)
        }</td><td>${s.duration_s}</td>` +
        `<td><code>${htmlEscape(s.command)}</code></td></tr>`
      ).join("") + "</table>",
  );
  const repro = reproducerCommand(r, relativeTo);
  parts.push(
    "<h4>Reproduce</h4>",
    repro
      ? `<pre class="repro">${htmlEscape(repro)} [BUILD_DIR]</pre>`
      : "<p>No reproducer recorded.</p>",
    `<p>Log: ${link(r.log, relativeTo)} · .config: ${link(r.config, relativeTo)}${
      r.size ? ` · vmlinux text ${r.size.text}, data ${r.size.data}, bss ${r.size.bss}` : ""
    }${r.ccache ? ` · ccache ${r.ccache.hits} hits, ${r.ccache.misses} misses` : ""}</p>`,
  );
  return parts.join("\n");
}

function comparisons(results: Results): string {
  if (results.comparisons.length === 0) return "<p>No comparison with a baseline.</p>";
  return results.comparisons.map((c) => {
    const comparison: Comparison = {
      counts: c.counts,
      cells: c.cells.map((cell) => ({ ...cell, diagnostics: cell.diagnostics ?? [] })),
    };
    const text = plain(formatComparison(comparison, { errorsOnly: true }));
    const lines = text.split("\n").map((l) =>
      l.startsWith(">> ") ? `<mark>${htmlEscape(l)}</mark>` : htmlEscape(l)
    );
    return `<h3>${htmlEscape(c.head)} against ${htmlEscape(c.base)}</h3><pre>${
      lines.join("\n")
    }</pre>`;
  }).join("\n");
}

function provenance(results: Results): string {
  const p = results.provenance;
  if (!p) return "<p>No provenance recorded.</p>";
  const items = [
    `Tree: Linux ${htmlEscape(p.tree.version)} from <code>${
      htmlEscape(p.tree.source)
    }</code> at <code>${htmlEscape(p.tree.commit)}</code>`,
    ...p.variants.map((v) =>
      `Variant ${htmlEscape(v.name)} at <code>${htmlEscape(v.commit)}</code>${
        v.description ? `: ${htmlEscape(v.description)}` : ""
      }${
        v.patches.length
          ? ` (patches: ${v.patches.map((x) => `<code>${htmlEscape(x.file)}</code>`).join(", ")})`
          : ""
      }`
    ),
    ...p.toolchains.map((t) =>
      `Toolchain ${htmlEscape(t.name)} (${htmlEscape(t.arch)}): <code>${
        htmlEscape(t.cc)
      }</code>; <code>${htmlEscape(t.ld)}</code>`
    ),
    `Runtime: ${htmlEscape(p.runtime.name)}, environment ${
      htmlEscape(p.runtime.environment)
    }, identity <code>${htmlEscape(p.runtime.identity)}</code>`,
    `Host: ${htmlEscape(p.host.hostname)}, ${htmlEscape(p.host.os)}, Linux ${
      htmlEscape(p.host.kernel)
    }, ${p.host.cpus} CPUs`,
    `kmatrix ${htmlEscape(p.kmatrix.version)}, matrix <code>${
      htmlEscape(p.matrix.file)
    }</code> (sha256 <code>${htmlEscape(p.matrix.sha256)}</code>)`,
  ];
  return list(items, "");
}

/**
 * Render results as one self-contained HTML page.
 *
 * @example Usage
 * ```ts ignore
 * await Deno.writeTextFile("out/report.html", formatHtml(await readResults("out/results.json"), { relativeTo: "out" }));
 * ```
 */
export function formatHtml(results: Results, options: FormatHtmlOptions = {}): string {
  const grid = gridOf(results);
  const counts = { pass: 0, fail: 0, infra: 0, interrupted: 0 };
  for (const r of results.results) counts[r.status]++;
  const pr = results.predictions;
  const head = grid.variants.map((v) =>
    `<th scope="col">${htmlEscape(v)}${v === results.baseline ? " (baseline)" : ""}</th>`
  ).join("");
  const rows = grid.cells.map((cell) =>
    `<tr><th scope="row"><code>${htmlEscape(cell)}</code></th>${
      grid.variants.map((v) => {
        const r = grid.at(cell, v);
        return r
          ? square(r, options.relativeTo)
          : `<td class="square s-missing" data-cell="${htmlEscape(cell)}" data-variant="${
            htmlEscape(v)
          }" data-status="missing">not run</td>`;
      }).join("")
    }</tr>`
  ).join("\n");
  const title = `kmatrix: ${results.matrix}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${htmlEscape(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${htmlEscape(title)}</h1>
<p>${results.results.length} records: ${
    Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(", ")
  }${
    pr
      ? `; predictions: ${pr.confirmed} confirmed, ${pr.missed} missed, ${pr.unjudged} unjudged`
      : ""
  }. Started ${htmlEscape(results.started)}${
    results.finished ? `, finished ${htmlEscape(results.finished)}` : ""
  }.</p>
<p class="legend"><span class="s-pass" style="background:#d7f5dd">pass</span><span style="background:#ffd8d6">fail</span><span style="background:#ffecb3">infra</span><span style="background:#e2e4e8">interrupted</span><span style="border:2px dashed #b3261e">prediction missed</span> Open a square for its diagnostics, dropped lines and reproducer.</p>
<table class="grid">
<thead><tr><th scope="col">cell</th>${head}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
<h2>New errors against the baseline</h2>
${comparisons(results)}
<h2>Provenance</h2>
${provenance(results)}
</body>
</html>
`;
}
