/**
 * Shared test helper: a real run's results (test/fixtures/report/, see its README), copied to a temporary directory so a test may write next to the records.
 *
 * @module
 */
import "./_cache.ts";
import { join } from "node:path";
import { readResults } from "../lib/results/results_file.ts";
import type { CellResult, Results } from "../lib/results/model.ts";
import { compareResults } from "../lib/compare/compare_results.ts";
import { checkPrediction } from "../lib/predict/check_prediction.ts";
import type { Prediction } from "../lib/predict/predict_cell.ts";

const V6V7 = "arm/gcc-12/v6+v7/xen-on";
const rec = (results: Results, variant: string, cell: string): CellResult =>
  results.results.find((r) => r.variant === variant && r.cell === cell)!;

/** The committed fixture directory. */
export const REPORT_FIXTURE: string = join(import.meta.dirname!, "fixtures/report/xen-6.12");

/** The matrix file the fixture's run built. */
export const REPORT_MATRIX: string = join(import.meta.dirname!, "..", "examples/xen-6.12.yaml");

/**
 * A fresh copy of a fixture (default: the xen-6.12 run): its directory and its results, read and
 * validated.
 */
export async function reportFixture(
  name = "xen-6.12",
): Promise<{ dir: string; results: Results }> {
  const dir = await Deno.makeTempDir({ prefix: "kmatrix-report-" });
  const copy = async (from: string, to: string) => {
    for await (const e of Deno.readDir(from)) {
      if (e.isDirectory) {
        await Deno.mkdir(join(to, e.name));
        await copy(join(from, e.name), join(to, e.name));
      } else if (e.name !== "README.md") {
        await Deno.copyFile(join(from, e.name), join(to, e.name));
      }
    }
  };
  await copy(join(REPORT_FIXTURE, "..", name), dir);
  return { dir, results: await readResults(join(dir, "results.json")) };
}

/**
 * The results with a real prediction miss and a real regression, made by the real stages from the
 * real records: the 2012 prediction of the v6+v7 cell checked against the fix build (the
 * predictor run on a tree without the fix), and 2012 compared against fix as the baseline.
 */
export async function withMissAndRegression(results: Results): Promise<Results> {
  const base = rec(results, "2012", V6V7);
  const real = rec(results, "fix", V6V7);
  const p = base.prediction!;
  const prediction: Prediction = {
    cell: base.cell,
    status: p.status,
    signatures: p.signatures,
    consequences: p.consequences,
    dropped: p.dropped,
    config: await Deno.readTextFile(p.config),
    reasons: p.reasons,
    rules: [],
    objects: p.objects!,
    unmodelled: [],
  };
  const check = await checkPrediction(prediction, real);
  if (check.verdict !== "missed") throw new Error(`expected a miss: ${check.differences}`);
  const changed = structuredClone(results);
  const target = rec(changed, "fix", V6V7);
  target.prediction = { ...p, verdict: check.verdict, differences: check.differences };
  const was = rec(results, "fix", V6V7).prediction?.verdict;
  if (changed.predictions && was) {
    changed.predictions[was]--;
    changed.predictions.missed++;
  }
  changed.comparisons = [{
    base: "fix",
    head: "2012",
    ...compareResults(results, results, { baseVariant: "fix", headVariant: "2012" }),
  }];
  return changed;
}
