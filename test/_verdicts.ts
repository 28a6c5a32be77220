/**
 * Shared test helper: a run's records as one line each — `variant cell: status verdict
 * differences` — so a test states every record's outcome and its prediction's verdict at once.
 *
 * @module
 */
import type { Results } from "../lib/results/model.ts";

/** `"2012 arm/gcc-12/v6+v7/xen-on: fail confirmed"` for each record, in run order. */
export function verdictLines(results: Results): string[] {
  return results.results.map((r) =>
    `${r.variant} ${r.cell}: ${r.status} ${r.prediction?.verdict} ${
      r.prediction?.differences.join("; ") ?? ""
    }`.trim()
  );
}
