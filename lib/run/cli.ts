/**
 * The `matrix` command: run the matrix for real, show progress, print the summary and the
 * comparisons, and exit with a code CI can use.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, relative, resolve } from "node:path";
import pc from "picocolors";
import { loadMatrix, selectRecords } from "../matrix/load_matrix.ts";
import { formatSummary } from "../report/summary.ts";
import { formatComparison } from "../compare/compare_results.ts";
import { InputError } from "../errors.ts";
import { runMatrix } from "./run_matrix.ts";
import { progressDisplay } from "./progress.ts";
import { exitCode, parseFailOn } from "./exit_code.ts";

/** A path as short as it can be said: relative below the cwd, else absolute. */
function shown(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel.startsWith("..") ? resolve(path) : rel;
}

const USAGE = `Usage: kmatrix matrix [MATRIX.yaml] [--out DIR] [--cells GLOB,…] [--variants NAME,…]
                      [--jobs N] [--runtime NAME] [--shard I/N] [--no-cache] [--no-dedup]
                      [--timeout SECONDS] [--fail-on regression,mismatch|none]
                      [--list] [--verbose] [--no-predict]

Build every cell x variant of MATRIX.yaml (default: matrix.yaml) for real and write
DIR/results.json (default DIR: out). Before each build the pure-TypeScript predictor says what it
will do; after it, the prediction is confirmed or missed (--no-predict skips this).

Unchanged records come from the result cache (--no-cache builds them); records with the same
compiler input are built once (--no-dedup builds each). --jobs is the job budget shared by all
builds (default: the CPU count). --shard I/N runs the I-th of N shards (see 'plan').

Exit codes: 0 every record as predicted and no regression against the baseline; 1 a regression
or a prediction miss (--fail-on says which count; none: never); 2 bad input; 130 interrupted.`;

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
      shard: { type: "string" },
      timeout: { type: "string" },
      "fail-on": { type: "string", default: "regression,mismatch" },
      "no-cache": { type: "boolean", default: false },
      "no-dedup": { type: "boolean", default: false },
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
  const jobs = values.jobs === undefined ? undefined : wholeNumber("--jobs", values.jobs);
  const timeoutS = values.timeout === undefined
    ? undefined
    : wholeNumber("--timeout", values.timeout);
  const failOn = parseFailOn(values["fail-on"]);
  let shard: { index: number; count: number } | undefined;
  if (values.shard !== undefined) {
    const m = values.shard.match(/^(\d+)\/(\d+)$/);
    const index = Number(m?.[1]), count = Number(m?.[2]);
    if (!m || index < 1 || count < 1 || index > count) {
      throw new InputError(
        `Cannot use --shard '${values.shard}': give I/N with 1 <= I <= N, such as 2/3`,
      );
    }
    shard = { index, count };
  }
  const matrix = await loadMatrix(file);
  const { cells, variants } = selectRecords(matrix, values);
  if (values.list) {
    for (const v of variants) {
      for (const c of cells) console.log(`${v.name}\t${c.id}\t${c.base}\t${c.kconfig.join(" ")}`);
    }
    return 0;
  }
  // SIGINT/SIGTERM: kill every build, keep what finished, mark the rest interrupted.
  const abort = new AbortController();
  const onSignal = () => {
    if (!abort.signal.aborted) console.error(pc.yellow("interrupted: stopping every build"));
    abort.abort();
  };
  const signals = ["SIGINT", "SIGTERM"] as const;
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  const display = progressDisplay({ verbose: values.verbose });
  let results;
  try {
    results = await runMatrix(matrix, {
      outDir: values.out,
      cells,
      variants,
      ...(jobs ? { jobs } : {}),
      ...(timeoutS ? { timeoutS } : {}),
      ...(values.runtime ? { runtime: values.runtime } : {}),
      ...(shard ? { shard } : {}),
      predict: !values["no-predict"],
      cache: !values["no-cache"],
      dedup: !values["no-dedup"],
      signal: abort.signal,
      onEvent: display.onEvent,
    });
  } finally {
    display.close();
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
  console.log(formatSummary(results));
  for (const c of results.comparisons) {
    console.log(
      `\n${pc.bold(`${c.head} vs ${c.base}`)}\n${formatComparison(c, { errorsOnly: true })}`,
    );
  }
  console.log(`results: ${shown(join(values.out, "results.json"))}`);
  if (abort.signal.aborted) return 130;
  return exitCode(results, failOn);
}

function wholeNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InputError(`Cannot use ${flag} '${value}': give a whole number of at least 1`);
  }
  return n;
}
