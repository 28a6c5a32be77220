/**
 * Confront a prediction with the real build it predicted.
 *
 * A prediction is `confirmed` when the real status is the predicted one, the real error
 * signatures (causes) are exactly the predicted ones, and the real `.config` equals the
 * predicted one apart from its header comment. make's own `*** … Error N` records
 * (kind `make`) are consequences of the causes, not causes: they are compared with the
 * prediction's `consequences` and reported in `notes`, but do not decide the verdict.
 *
 * @module
 */
import type { CellResult } from "../results/model.ts";
import type { Prediction } from "./predict_cell.ts";
import { configBody, configValues } from "../kconfig/config_file.ts";

/** The verdict on one prediction. */
export interface PredictionCheck {
  /** Cell id. */
  cell: string;
  /** Variant name of the real result. */
  variant: string;
  /** `confirmed` when everything that decides matched; `missed` otherwise; `infra` builds are not judged. */
  verdict: "confirmed" | "missed" | "unjudged";
  /** What differed (empty when confirmed). */
  differences: string[];
  /** Differences that do not decide (make-level consequences). */
  notes: string[];
}

/** Options for {@linkcode checkPrediction}. */
export interface CheckOptions {
  /** The real `.config` text (default: read `real.config`). */
  realConfig?: string;
}

/** The `.config` without its leading comment block (`#`, generator, kernel version, `#`). */
function setDiff(a: readonly string[], b: readonly string[]): string[] {
  const s = new Set(b);
  return [...new Set(a)].filter((x) => !s.has(x)).sort();
}

/**
 * Compare a prediction with a real result of the same cell.
 *
 * @param prediction What {@linkcode predictCell} said.
 * @param real The build stage's record.
 * @param options The real `.config` text when it is not at `real.config`.
 */
export async function checkPrediction(
  prediction: Prediction,
  real: CellResult,
  options: CheckOptions = {},
): Promise<PredictionCheck> {
  const out: PredictionCheck = {
    cell: real.cell,
    variant: real.variant,
    verdict: "confirmed",
    differences: [],
    notes: [],
  };
  if (prediction.cell !== real.cell) {
    throw new Error(
      `Cannot check prediction for '${prediction.cell}': the result is for '${real.cell}'`,
    );
  }
  if (real.status === "infra" || real.status === "interrupted") {
    out.verdict = "unjudged";
    out.notes.push(`the real build could not be judged (${real.status})`);
    return out;
  }
  if (real.status !== prediction.status) {
    out.differences.push(`status: predicted ${prediction.status}, real ${real.status}`);
  }
  const errors = real.diagnostics.filter((d) => d.severity === "error");
  const causes = errors.filter((d) => d.kind !== "make").map((d) => d.signature);
  const makes = errors.filter((d) => d.kind === "make").map((d) => d.signature);
  for (const s of setDiff(prediction.signatures, causes)) {
    out.differences.push(`predicted, not in the log: ${s}`);
  }
  for (const s of setDiff(causes, prediction.signatures)) {
    out.differences.push(`in the log, not predicted: ${s}`);
  }
  for (const s of setDiff(prediction.consequences, makes)) {
    out.notes.push(`consequence not seen: ${s}`);
  }
  for (const s of setDiff(makes, prediction.consequences)) {
    out.notes.push(`make error not predicted: ${s}`);
  }
  let realConfig = options.realConfig;
  if (realConfig === undefined) {
    try {
      realConfig = await Deno.readTextFile(real.config);
    } catch (e) {
      out.differences.push(`.config: cannot read '${real.config}': ${(e as Error).message}`);
    }
  }
  if (realConfig !== undefined && configBody(realConfig) !== configBody(prediction.config)) {
    const want = configValues(prediction.config);
    const got = configValues(realConfig);
    const names = [...new Set([...want.keys(), ...got.keys()])].sort()
      .filter((n) => want.get(n) !== got.get(n));
    const shown = names.map((n) =>
      `${n}: predicted ${want.get(n) ?? "absent"}, real ${got.get(n) ?? "absent"}`
    );
    out.differences.push(
      `.config differs in ${names.length} symbols${names.length ? "" : " (order or comments)"}${
        shown.length ? `: ${shown.join("; ")}` : ""
      }`,
    );
  }
  if (out.differences.length > 0) out.verdict = "missed";
  return out;
}
