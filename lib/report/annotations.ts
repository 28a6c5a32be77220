/**
 * GitHub Actions annotations (`::error file=…,line=…::message` workflow commands) for what
 * makes a run fail: a regression against the baseline and a prediction miss. Each points at
 * the variant's entry in the matrix file, the line a reviewer of the workflow run can open.
 *
 * @module
 */
import { LineCounter, parseDocument } from "yaml";
import type { Results } from "../results/model.ts";

/** Options for {@linkcode formatAnnotations}. */
export interface FormatAnnotationsOptions {
  /** The matrix file as the workflow's checkout names it (default: `results.matrix`). */
  file?: string;
  /** The matrix file's text, to find each variant's line (default: none, line 1). */
  matrixText?: string;
}

/** Escape a workflow command's message (`%`, CR, LF). */
function escapeData(s: string): string {
  return s.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

/** Escape a workflow command's property value (also `:` and `,`). */
function escapeProperty(s: string): string {
  return escapeData(s).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

/** The 1-based line of each variant's entry (`- name: …`) in a matrix file's text. */
export function variantLines(matrixText: string): Map<string, number> {
  const counter = new LineCounter();
  const doc = parseDocument(matrixText, { lineCounter: counter });
  const out = new Map<string, number>();
  const variants = doc.get("variants", true) as { items?: unknown[] } | undefined;
  for (const item of variants?.items ?? []) {
    const node = item as { get?: (k: string) => unknown; range?: [number, number, number] };
    const name = node.get?.("name");
    if (name !== undefined && node.range) {
      out.set(String(name), counter.linePos(node.range[0]).line);
    }
  }
  return out;
}

/**
 * One `::error` line per regression (head variant breaks a cell the baseline built) and per
 * missed prediction, empty when there is neither.
 */
export function formatAnnotations(
  results: Results,
  options: FormatAnnotationsOptions = {},
): string[] {
  const file = options.file ?? results.matrix;
  const lines = options.matrixText ? variantLines(options.matrixText) : new Map<string, number>();
  const at = (variant: string) => `file=${escapeProperty(file)},line=${lines.get(variant) ?? 1}`;
  const out: string[] = [];
  for (const c of results.comparisons) {
    for (const cell of c.cells) {
      if (cell.verdict !== "regressed") continue;
      const fresh = cell.diagnostics
        .filter((d) => d.change === "new" && d.diagnostic.severity === "error")
        .map((d) => d.diagnostic.signature);
      out.push(
        `::error ${at(c.head)},title=${escapeProperty(`regression: ${c.head} vs ${c.base}`)}::${
          escapeData(
            `${c.head} breaks ${cell.cell} (${cell.base} -> ${cell.head})${
              fresh.length ? `: ${fresh.join(", ")}` : ""
            }`,
          )
        }`,
      );
    }
  }
  for (const r of results.results) {
    const p = r.prediction;
    if (p?.verdict !== "missed") continue;
    out.push(
      `::error ${at(r.variant)},title=${
        escapeProperty(`prediction missed: ${r.variant} ${r.cell}`)
      }::${
        escapeData(
          `predicted ${p.status}, built ${r.status}: ${p.differences.join("; ") || "see results"}`,
        )
      }`,
    );
  }
  return out;
}
