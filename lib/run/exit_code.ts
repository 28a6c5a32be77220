/**
 * Exit codes CI can use: 0 when every record went as predicted and no candidate regressed
 * against the baseline; 1 when one did (which of the two counts is `--fail-on`'s choice);
 * bad input is 2 and is decided elsewhere (InputError).
 *
 * @module
 */
import { InputError } from "../errors.ts";
import type { Results } from "../results/model.ts";

/** What makes a run fail: a regression against the baseline, a prediction miss. */
export type FailOn = "regression" | "mismatch";

/** Parse `--fail-on regression,mismatch` (or `none`). */
export function parseFailOn(text: string): Set<FailOn> {
  if (text === "none") return new Set();
  const out = new Set<FailOn>();
  for (const word of text.split(",")) {
    if (word !== "regression" && word !== "mismatch") {
      throw new InputError(
        `Cannot use --fail-on '${text}': give regression, mismatch, both (comma-separated) or none`,
      );
    }
    out.add(word);
  }
  return out;
}

/** The reasons a run fails under `failOn`, in words (empty: exit 0). */
export function failures(results: Results, failOn: ReadonlySet<FailOn>): string[] {
  const out: string[] = [];
  if (failOn.has("regression")) {
    for (const c of results.comparisons) {
      for (const cell of c.cells) {
        if (cell.verdict === "regressed") out.push(`regression: ${c.head} breaks ${cell.cell}`);
      }
    }
  }
  if (failOn.has("mismatch")) {
    for (const r of results.results) {
      if (r.prediction?.verdict === "missed") {
        out.push(`prediction missed: ${r.variant} ${r.cell}: ${r.prediction.differences[0] ?? ""}`);
      }
    }
  }
  return out;
}

/** 0 or 1, as {@linkcode failures} says. */
export function exitCode(results: Results, failOn: ReadonlySet<FailOn>): 0 | 1 {
  return failures(results, failOn).length > 0 ? 1 : 0;
}
