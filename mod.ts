/**
 * kmatrix: a build-matrix orchestrator for Linux kernel cross-builds.
 *
 * As a library, the stages in data-flow order: matrix → tree → patch → build (diagnose inside)
 * → compare → report. As a CLI (`deno run -A mod.ts <command>`), see {@linkcode main}.
 *
 * @example
 * ```ts
 * import { loadMatrix, runMatrix, formatSummary } from "./mod.ts";
 * const matrix = await loadMatrix("matrix.yaml");
 * console.log(formatSummary(await runMatrix(matrix)));
 * ```
 *
 * @module
 */
import process from "node:process";
import { exitCodeOf } from "./lib/errors.ts";

export { loadMatrix, parseMatrix, selectCells, selectVariants } from "./lib/matrix/load_matrix.ts";
export type { Cell, Matrix, Variant } from "./lib/matrix/load_matrix.ts";
export { LocatedError } from "./lib/matrix/located_error.ts";
export { exitCodeOf, InputError } from "./lib/errors.ts";
export { ensureTree } from "./lib/tree/kernel_tree.ts";
export type { KernelTree } from "./lib/tree/kernel_tree.ts";
export { prepareVariant } from "./lib/patch/variant_tree.ts";
export type { VariantTree } from "./lib/patch/variant_tree.ts";
export { buildCell } from "./lib/execute/build_cell.ts";
export type { JobServerJoin } from "./lib/execute/job_server.ts";
export { runMatrix } from "./lib/run/run_matrix.ts";
export type { CellResult, Results } from "./lib/results/model.ts";
export { loadRuntime } from "./lib/environment/runtime.ts";
export type { Invocation, Mount, Runtime } from "./lib/environment/runtime.ts";
export type { Diagnostic } from "./lib/diagnose/diagnostic.ts";
export { classifyLog, parseLog } from "./lib/diagnose/parse_log.ts";
export { compareResults, formatComparison } from "./lib/compare/compare_results.ts";
export type { Change, Comparison, DiagnosticChange } from "./lib/compare/compare_results.ts";
export { Kconfig, loadKconfig } from "./lib/kconfig/kconfig.ts";
export type { ExprValue } from "./lib/kconfig/kconfig.ts";
export { predictCell } from "./lib/predict/predict_cell.ts";
export type { Prediction } from "./lib/predict/predict_cell.ts";
export { checkPrediction } from "./lib/predict/check_prediction.ts";
export { formatSummary } from "./lib/report/summary.ts";

// Every type the API above names.
export type { NarrowAtomic } from "./lib/predict/narrow_atomics.ts";
export type { MacroHost } from "./lib/kconfig/macro.ts";
export type {
  CellComparison,
  CompareResultsOptions,
  FormatComparisonOptions,
  Verdict,
} from "./lib/compare/compare_results.ts";
export type { DiagnosticKind, InfraCause, Severity } from "./lib/diagnose/diagnostic.ts";
export type { ParseLogOptions } from "./lib/diagnose/parse_log.ts";
export type { ProfileUse, ToolchainIdentity } from "./lib/environment/toolchain_profile.ts";
export type { BuildCellOptions, BuildProgress } from "./lib/execute/build_cell.ts";
export type { Unmodelled } from "./lib/kbuild/kbuild_objects.ts";
export type {
  CmpOp,
  Expr,
  ExprCache,
  MenuNode,
  Prop,
  PropKind,
  Sym,
  SymType,
  Tri,
} from "./lib/kconfig/expr.ts";
export type { DroppedLine, FragmentOptions, LoadOptions } from "./lib/kconfig/kconfig.ts";
export type { ParsedTree } from "./lib/kconfig/parser.ts";
export type { ProfileEnvironment, ToolchainProfile } from "./lib/kconfig/profile.ts";
export type { Arch, Environment, RuntimeSpec, Toolchain } from "./lib/matrix/cross_data.ts";
export type { LoadMatrixOptions } from "./lib/matrix/load_matrix.ts";
export type { PrepareVariantOptions } from "./lib/patch/variant_tree.ts";
export type { CheckOptions, PredictionCheck } from "./lib/predict/check_prediction.ts";
export type { HazardHit, HazardRule, RuleOutcome } from "./lib/predict/hazard_rules.ts";
export type { PredictOptions } from "./lib/predict/predict_cell.ts";
export type { FormatSummaryOptions } from "./lib/report/summary.ts";
export type {
  BuildStatus,
  BuildStep,
  PredictionRecord,
  Provenance,
  StoredComparison,
} from "./lib/results/model.ts";
export type { RunEvent, RunMatrixOptions } from "./lib/run/run_matrix.ts";
export type { EnsureTreeOptions } from "./lib/tree/kernel_tree.ts";
export { RESULTS_VERSION } from "./lib/results/model.ts";

const COMMANDS: Record<
  string,
  { about: string; load: () => Promise<(args: string[]) => Promise<number>> }
> = {
  matrix: {
    about: "build the matrix for real and write results.json",
    load: async () => (await import("./lib/run/cli.ts")).matrixCommand,
  },
  predict: {
    about: "predict every cell × variant without building; write predictions.json",
    load: async () => (await import("./lib/predict/cli.ts")).predictCommand,
  },
  suggest: {
    about: "suggest a rule condition for each real error no rule predicted (results.json)",
    load: async () => (await import("./lib/predict/cli.ts")).suggestCommand,
  },
  config: {
    about: "compute a .config with the pure-TypeScript Kconfig engine; explain symbols",
    load: async () => (await import("./lib/kconfig/cli.ts")).configCommand,
  },
  diagnose: {
    about: "parse a build log into typed diagnostics",
    load: async () => (await import("./lib/diagnose/cli.ts")).diagnoseCommand,
  },
  env: {
    about: "the build environments: packages to install, image build command, identity",
    load: async () => (await import("./lib/environment/cli.ts")).envCommand,
  },
  compare: {
    about: "compare two results (or two variants of one): fixed, regressed, …",
    load: async () => (await import("./lib/compare/cli.ts")).compareCommand,
  },
  impact: {
    about: "which configurations a patch changes (format-patch, mbox or mailing-list page)",
    load: async () => (await import("./lib/impact/cli.ts")).impactCommand,
  },
  plan: {
    about: "cut the matrix into shards (GitHub Actions job matrix) or a TuxSuite plan",
    load: async () => (await import("./lib/distribute/cli.ts")).planCommand,
  },
  merge: {
    about: "merge the outputs of 'matrix --shard I/N' runs into one results.json and report",
    load: async () => (await import("./lib/distribute/cli.ts")).mergeCommand,
  },
  report: {
    about: "render a results.json again: terminal, markdown, junit, html, tuxmake metadata",
    load: async () => (await import("./lib/report/cli.ts")).reportCommand,
  },
};

const USAGE = `Usage: deno run -A mod.ts <command> [options]

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)}${c.about}`).join("\n")}

Run a command with --help for its options.`;

/**
 * Run the CLI with `args` and return the exit code: 0 done, 1 failure of the tool, 2 bad
 * input (one line on stderr saying where and what to do).
 */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(
      `Cannot run command '${name}': unknown; commands are ${Object.keys(COMMANDS).join(", ")}`,
    );
    return 2;
  }
  try {
    return await (await command.load())(rest);
  } catch (e) {
    const first = (e as Error).message.split("\n")[0];
    // parseArgs' own errors (unknown option, missing value) are bad input, said as the
    // handlers that catch them themselves say them.
    const parseArgs = (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    console.error(parseArgs ? `Cannot parse arguments '${rest.join(" ")}': ${first}` : first);
    return exitCodeOf(e);
  }
}

if (import.meta.main) {
  // zx runs commands through a shell on purpose; Node's warning about it is noise here.
  (process as { noDeprecation?: boolean }).noDeprecation = true;
  Deno.exit(await main(Deno.args));
}
