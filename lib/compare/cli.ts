/**
 * The `compare` command: compare two results.json files, or two variants of one.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { Results } from "../results/model.ts";
import { readResults } from "../results/results_file.ts";
import { compareResults, formatComparison } from "./compare_results.ts";
import { InputError } from "../errors.ts";

const USAGE = `Usage: kmatrix compare BASE.json HEAD.json [--json] [--all]
       kmatrix compare RESULTS.json --base-variant X --head-variant Y [--json] [--all]

Compare builds cell by cell: fixed, regressed, still failing, still passing, infra. New
diagnostics are prefixed by >>, gone ones by <<. Exit 0 when nothing regressed, 1 when a cell
regressed, 2 on bad input.`;

/** Run the `compare` command with `args`; returns the exit code. */
export async function compareCommand(args: string[]): Promise<number> {
  // Bad flags throw; mod.ts says them as bad input (exit 2) like every command's.
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      all: { type: "boolean", default: false },
      "base-variant": { type: "string" },
      "head-variant": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const baseVariant = values["base-variant"];
  const headVariant = values["head-variant"];
  const oneFile = positionals.length === 1;
  if (!(positionals.length === 2 || (oneFile && baseVariant && headVariant))) {
    throw new InputError(
      `Cannot compare '${positionals.join(" ")}': give BASE.json HEAD.json, ` +
        "or RESULTS.json with --base-variant and --head-variant",
    );
  }
  const loaded: Results[] = [];
  for (const file of positionals) loaded.push(await readResults(file));
  const base = loaded[0]!;
  const head = loaded[1] ?? base;
  const comparison = compareResults(base, head, {
    ...(baseVariant ? { baseVariant } : {}),
    ...(headVariant ? { headVariant } : {}),
  });
  const variants = [[baseVariant, base], [headVariant, head]] as const;
  for (const [v, r] of variants) {
    if (v && !r.results.some((x) => x.variant === v)) {
      throw new InputError(
        `Cannot compare variant '${v}': no record of it in '${positionals.at(-1)}'`,
      );
    }
  }
  console.log(
    values.json ? JSON.stringify(comparison, null, 2) : formatComparison(comparison, {
      all: values.all,
    }),
  );
  return comparison.counts.regressed > 0 ? 1 : 0;
}
