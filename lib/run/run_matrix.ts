/**
 * Drive a whole matrix: tree → variant worktrees → one real build per cell x variant →
 * `results.json`. Failures of a build are results; only bad input or a broken machine throws.
 *
 * @module
 */
import { join, resolve } from "node:path";
import type { Cell, Matrix, Variant } from "../matrix/load_matrix.ts";
import { ensureTree, type KernelTree } from "../tree/kernel_tree.ts";
import { prepareVariant, type VariantTree } from "../patch/variant_tree.ts";
import { buildCell, cellSlug } from "../execute/build_cell.ts";
import type { CellResult, Results } from "../results/model.ts";
import { loadRuntime, type Runtime } from "../environment/runtime.ts";
import { acquireRunLock } from "./run_lock.ts";
import { cacheDir } from "../tree/cache_dir.ts";
import { predictCell, type Prediction } from "../predict/predict_cell.ts";
import { checkPrediction } from "../predict/check_prediction.ts";

/** Progress events of a run, for the terminal or a test. */
export type RunEvent =
  | { kind: "progress"; line: string }
  | { kind: "start"; index: number; total: number; cell: string; variant: string }
  | { kind: "step"; cell: string; variant: string; step: string; command: string }
  | { kind: "predict"; cell: string; variant: string; prediction: Prediction }
  | { kind: "done"; index: number; total: number; result: CellResult };

/** Options for {@linkcode runMatrix}. */
export interface RunMatrixOptions {
  /** Output directory for results.json, logs and configs (default `out`). */
  outDir?: string;
  /** Cells to build (default: all of the matrix). */
  cells?: Cell[];
  /** Variants to build (default: all of the matrix). */
  variants?: Variant[];
  /** `make -j` (default: the matrix's `jobs`, else the number of CPUs). */
  jobs?: number;
  /** Runtime name, overriding the matrix's. */
  runtime?: string;
  /** Predict each build before running it and check the prediction after (default true). */
  predict?: boolean;
  /** Called for each event. */
  onEvent?: (event: RunEvent) => void;
}

/**
 * Build every selected cell x variant for real and write `<outDir>/results.json` after each
 * build, so an interrupted run keeps what it finished.
 */
export async function runMatrix(matrix: Matrix, options: RunMatrixOptions = {}): Promise<Results> {
  const emit = options.onEvent ?? (() => {});
  const progress = (line: string) => emit({ kind: "progress", line });
  const outDir = resolve(options.outDir ?? "out");
  const cells = options.cells ?? matrix.cells;
  const variants = options.variants ?? matrix.variants;
  const runtime = loadRuntime(options.runtime ?? matrix.runtime);

  const lock = await acquireRunLock(cacheDir());
  try {
    return await buildAll(matrix, options, { outDir, cells, variants, runtime, emit, progress });
  } finally {
    await lock.release();
  }
}

/** What {@linkcode runMatrix} resolved from its options. */
interface Run {
  outDir: string;
  cells: Cell[];
  variants: Variant[];
  runtime: Runtime;
  emit: (event: RunEvent) => void;
  progress: (line: string) => void;
}

async function buildAll(matrix: Matrix, options: RunMatrixOptions, run: Run): Promise<Results> {
  const { outDir, cells, variants, runtime, emit, progress } = run;
  await runtime.prepare(progress);
  const tree: KernelTree = await ensureTree(matrix.tree, { onProgress: progress });
  progress(`tree: ${tree.source} = Linux ${tree.version} at ${tree.commit.slice(0, 12)}`);
  // Prepare every variant before the first build: a patch that does not apply is bad input
  // and stops the run before hours of building.
  const trees: VariantTree[] = [];
  for (const v of variants) {
    trees.push(
      await prepareVariant(tree, v, { onProgress: progress, displayBase: join(matrix.file, "..") }),
    );
  }

  const results: Results = {
    version: 1,
    matrix: matrix.file,
    started: new Date().toISOString(),
    results: [],
  };
  await Deno.mkdir(outDir, { recursive: true });
  await keepPrevious(join(outDir, "results.json"));
  const total = cells.length * trees.length;
  const profilesSaid = new Set<string>();
  let index = 0;
  for (const vt of trees) {
    for (const cell of cells) {
      index++;
      emit({ kind: "start", index, total, cell: cell.id, variant: vt.name });
      const cellOut = join(outDir, vt.name, cellSlug(cell.id));
      let prediction: Prediction | undefined;
      if (options.predict ?? true) {
        prediction = await predictCell(cell, vt.src, { runtime, onProgress: progress });
        const said = `${cell.toolchain.name}\0${cell.arch.name}`;
        if (prediction.profile && !profilesSaid.has(said)) {
          profilesSaid.add(said);
          for (const d of prediction.profile.differences) {
            progress(
              `profile: ${cell.toolchain.name} in '${runtime.name}' differs from the committed profile: ${d}`,
            );
          }
        }
        emit({ kind: "predict", cell: cell.id, variant: vt.name, prediction });
      }
      const result = await buildCell(cell, vt, {
        runtime,
        outDir: cellOut,
        targets: matrix.targets,
        jobs: options.jobs ?? matrix.jobs ?? navigator.hardwareConcurrency,
        onStep: (step, command) =>
          emit({ kind: "step", cell: cell.id, variant: vt.name, step, command }),
      });
      if (prediction) {
        const predictedConfig = join(cellOut, "predicted.config");
        await Deno.writeTextFile(predictedConfig, prediction.config);
        const check = await checkPrediction(prediction, result);
        result.prediction = {
          status: prediction.status,
          signatures: prediction.signatures,
          dropped: prediction.dropped,
          reasons: prediction.reasons,
          config: predictedConfig,
          verdict: check.verdict,
          differences: check.differences,
          ...(prediction.profile ? { profile: prediction.profile } : {}),
        };
      }
      results.results.push(result);
      await writeResults(join(outDir, "results.json"), results);
      emit({ kind: "done", index, total, result });
    }
  }
  return results;
}

/** Keep an earlier run's results as `results-<its start time>.json` instead of replacing them. */
async function keepPrevious(path: string): Promise<void> {
  let started: string;
  try {
    started = (JSON.parse(await Deno.readTextFile(path)) as Partial<Results>).started ?? "";
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    started = "";
  }
  const stamp = (started || new Date().toISOString()).replace(/[:.]/g, "-");
  await Deno.rename(path, path.replace(/\.json$/, `-${stamp}.json`));
}

/** Write results atomically: a reader never sees half a file. */
export async function writeResults(path: string, results: Results): Promise<void> {
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(results, null, 2) + "\n");
  await Deno.rename(tmp, path);
}
