/**
 * The `matrix` command: run the matrix for real and print the summary.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, relative, resolve } from "node:path";
import pc from "picocolors";
import { loadMatrix, selectCells, selectVariants } from "../matrix/load_matrix.ts";

/** A path as short as it can be said: relative below the cwd, else absolute. */
function shown(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel.startsWith("..") ? resolve(path) : rel;
}
import { formatSummary } from "../report/summary.ts";
import { compareResults, formatComparison } from "../compare/compare_results.ts";
import { runMatrix } from "./run_matrix.ts";
import { preflight } from "./preflight.ts";
import { acquireRunLock } from "./run_lock.ts";
import { cacheDir } from "../tree/cache_dir.ts";
import { loadRuntime } from "../environment/runtime.ts";
import { InputError } from "../errors.ts";

const USAGE = `Usage: kmatrix matrix [MATRIX.yaml] [--out DIR] [--cells GLOB,…] [--variants NAME,…]
                      [--jobs N] [--runtime NAME] [--list] [--verbose] [--no-predict]

Build every cell x variant of MATRIX.yaml (default: matrix.yaml) for real and write
DIR/results.json (default DIR: out). Exit 0 when every build ran, whatever its outcome.
Before each build the pure-TypeScript predictor says what it will do; after it, the prediction
is confirmed or missed (--no-predict skips this). --verbose prints each step's exact command
(they are always in results.json and the logs).`;

/** Run the `matrix` command with `args`; returns the exit code. */
export async function matrixCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string", default: "out" },
      cells: { type: "string" },
      variants: { type: "string" },
      jobs: { type: "string" },
      runtime: { type: "string" },
      list: { type: "boolean", default: false },
      verbose: { type: "boolean", short: "v", default: false },
      "no-predict": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 1) {
    throw new InputError(`Cannot run matrix '${positionals[1]}': give one matrix file`);
  }
  const file = positionals[0] ?? "matrix.yaml";
  let jobs: number | undefined;
  if (values.jobs !== undefined) {
    jobs = Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) {
      throw new InputError(`Cannot use --jobs '${values.jobs}': give a whole number of at least 1`);
    }
  }
  const matrix = await loadMatrix(file);
  const cells = values.cells ? selectCells(matrix.cells, values.cells) : matrix.cells;
  const variants = values.variants
    ? selectVariants(matrix.variants, values.variants)
    : matrix.variants;
  if (values.list) {
    for (const v of variants) {
      for (const c of cells) console.log(`${v.name}\t${c.id}\t${c.base}\t${c.kconfig.join(" ")}`);
    }
    return 0;
  }
  // Bad input stops here, in seconds, before any result is written or moved; a second run
  // in the same cache is refused before that.
  const lock = await acquireRunLock(cacheDir());
  try {
    await preflight(matrix, {
      cells,
      variants,
      outDir: values.out,
      runtime: loadRuntime(values.runtime ?? matrix.runtime),
      onProgress: (line) => console.error(pc.dim(line)),
    });
  } finally {
    await lock.release();
  }
  const results = await runMatrix(matrix, {
    outDir: values.out,
    cells,
    variants,
    ...(jobs ? { jobs } : {}),
    ...(values.runtime ? { runtime: values.runtime } : {}),
    predict: !values["no-predict"],
    onEvent: (e) => {
      switch (e.kind) {
        case "progress":
          console.error(pc.dim(e.line));
          break;
        case "start":
          console.error(pc.bold(`[${e.index}/${e.total}] ${e.variant} ${e.cell}`));
          break;
        case "predict": {
          const p = e.prediction;
          console.error(
            `  predicted: ${p.status}${p.signatures.length ? ` (${p.signatures.join(", ")})` : ""}`,
          );
          for (const d of p.dropped) {
            console.error(pc.yellow(`  predicted dropped: ${d.line}: ${d.why}`));
          }
          break;
        }
        case "step":
          console.error(pc.dim(`  ${e.step}${values.verbose ? `: ${e.command}` : ""}`));
          break;
        case "done": {
          const r = e.result;
          const first = r.diagnostics.find((d) => d.severity === "error");
          console.error(
            `  ${r.status} in ${r.duration_s} s${first ? `: ${first.signature}` : ""} (log: ${
              shown(r.log)
            })`,
          );
          for (const line of r.dropped) console.error(pc.yellow(`  dropped by Kconfig: ${line}`));
          if (r.prediction) {
            const p = r.prediction;
            const word = p.verdict === "confirmed" ? pc.green(p.verdict) : pc.red(p.verdict);
            console.error(
              `  prediction ${word}${p.differences.length ? `: ${p.differences.join("; ")}` : ""}`,
            );
          }
        }
      }
    },
  });
  console.log(formatSummary(results));
  // Each candidate variant against the baseline: which cells the patch fixes or breaks.
  const ran = new Set(results.results.map((r) => r.variant));
  for (const v of variants) {
    if (v.name === matrix.baseline || !ran.has(matrix.baseline)) continue;
    const c = compareResults(results, results, {
      baseVariant: matrix.baseline,
      headVariant: v.name,
    });
    console.log(
      `\n${pc.bold(`${v.name} vs ${matrix.baseline}`)}\n${
        formatComparison(c, { errorsOnly: true })
      }`,
    );
  }
  console.log(`results: ${shown(join(values.out, "results.json"))}`);
  return 0;
}
