/**
 * The `predict` and `suggest` commands.
 *
 * `predict`: every cell × variant of a matrix predicted, nothing built. Writes
 * `<out>/predictions.json` (one record per cell × variant, its `prediction` shaped like
 * results.json's, verdict `unjudged`) and each predicted `.config` beside it, at the path a run
 * puts it (`<out>/<variant>/<cell>/predicted.config`).
 *
 * `suggest`: for a results.json, a `when:` for each real error signature no rule predicted
 * (see suggest_rule.ts).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join, resolve } from "node:path";
import { loadMatrix, selectRecords } from "../matrix/load_matrix.ts";
import { ensureTree } from "../tree/kernel_tree.ts";
import { prepareVariant } from "../patch/variant_tree.ts";
import { cellSlug } from "../execute/build_cell.ts";
import type { PredictionRecord } from "../results/model.ts";

export type { PredictionRecord };
import { predictCell } from "./predict_cell.ts";
import { formatSuggestion, suggestRules, treeRank } from "./suggest_rule.ts";

const USAGE = `Usage: kmatrix predict [MATRIX] [--out DIR] [--cells GLOB] [--variants A,B]

Predict every cell × variant of MATRIX (default matrix.yaml) with the pure-TypeScript predictor
(Kconfig engine, Kbuild object model, hazard rules): no build runs. Writes DIR/predictions.json
(default DIR: out) with one record per cell × variant — cell, variant, and a prediction shaped
like results.json's (verdict 'unjudged') — and prints one line per record.`;

/** One record of predictions.json. */
export interface PredictionEntry {
  /** Cell id. */
  cell: string;
  /** Variant name. */
  variant: string;
  /** What the predictor said, in results.json's shape. */
  prediction: PredictionRecord;
}

/** The file `predict` writes. */
export interface Predictions {
  /** The matrix file. */
  matrix: string;
  /** The tree source and its commit. */
  tree: { source: string; commit: string; version: string };
  /** When the predictions were made (ISO 8601). */
  started: string;
  /** Seconds the whole prediction took. */
  duration_s: number;
  /** One record per cell × variant. */
  records: PredictionEntry[];
}

/** Run the `predict` command with `args`; returns the exit code. */
export async function predictCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string", default: "out" },
      cells: { type: "string" },
      variants: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 1) {
    console.error(`Cannot predict '${positionals.join(" ")}': give at most one matrix file`);
    return 2;
  }
  const t0 = performance.now();
  const file = resolve(positionals[0] ?? "matrix.yaml");
  const matrix = await loadMatrix(file);
  const { cells, variants } = selectRecords(matrix, values);
  const tree = await ensureTree(matrix.tree, { onProgress: (l) => console.error(l) });
  const out = resolve(values.out);
  const started = new Date().toISOString();
  const records: PredictionEntry[] = [];
  for (const variant of variants) {
    const vt = await prepareVariant(tree, variant);
    for (const cell of cells) {
      const p = await predictCell(cell, vt.src, { targets: matrix.targets });
      const dir = join(out, variant.name, cellSlug(cell.id));
      await Deno.mkdir(dir, { recursive: true });
      const config = join(dir, "predicted.config");
      await Deno.writeTextFile(config, p.config);
      records.push({
        cell: cell.id,
        variant: variant.name,
        prediction: {
          status: p.status,
          signatures: p.signatures,
          consequences: p.consequences,
          dropped: p.dropped,
          reasons: p.reasons,
          config,
          objects: p.objects,
          unmodelled: p.unmodelled,
          verdict: "unjudged",
          differences: [],
          notes: ["predicted only: no build ran"],
        } as PredictionRecord,
      });
      const what = p.status === "fail" ? `fail (${p.signatures.join(", ")})` : "pass";
      const dropped = p.dropped.length ? `; dropped ${p.dropped.map((d) => d.line).join(" ")}` : "";
      console.log(`${variant.name}\t${cell.id}\t${what}${dropped}`);
    }
  }
  const result: Predictions = {
    matrix: file,
    tree: { source: tree.source, commit: tree.commit, version: tree.version },
    started,
    duration_s: Math.round((performance.now() - t0) / 100) / 10,
    records,
  };
  await Deno.writeTextFile(join(out, "predictions.json"), JSON.stringify(result, null, 2) + "\n");
  console.error(
    `predict: ${records.length} records in ${result.duration_s} s → ${
      join(out, "predictions.json")
    }`,
  );
  return 0;
}

const SUGGEST_USAGE = `Usage: kmatrix suggest RESULTS.json [--tree DIR]

For every real error signature of RESULTS.json that no rule predicted, print the smallest
conjunction of symbol values that holds in every record where it appeared and in none where it
did not, as a 'when:' ready to paste into a rule under cross/hazards/. Equivalent literals are
ranked by the kernel tree DIR when given: symbols named where the undefined symbol is, then on
the object's Makefile path; otherwise by name.`;

/** Run the `suggest` command with `args`; returns the exit code. */
export async function suggestCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      tree: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(SUGGEST_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`Cannot suggest rules '${positionals.join(" ")}': give one results.json`);
    return 2;
  }
  const file = positionals[0]!;
  let doc: { results?: SuggestInput[] };
  try {
    doc = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    console.error(`Cannot read results '${file}': ${(e as Error).message}`);
    return 2;
  }
  const records = [];
  for (const r of doc.results ?? []) {
    if (r.status === "infra") continue;
    records.push({
      id: `${r.cell} (${r.variant})`,
      config: await Deno.readTextFile(resolve(dirname(file), r.config)),
      signatures: r.diagnostics.filter((d) => d.severity === "error" && d.kind !== "make")
        .map((d) => d.signature),
      predicted: r.prediction?.signatures ?? [],
    });
  }
  const tree = values.tree;
  const suggestions = suggestRules(records, tree ? { rank: (s) => treeRank(tree, s) } : {});
  if (suggestions.size === 0) {
    console.log("every real error signature was predicted");
    return 0;
  }
  for (const [signature, s] of suggestions) {
    console.log(typeof s === "string" ? `# ${signature}: ${s}` : formatSuggestion(s));
    console.log();
  }
  return 0;
}

/** The fields of a results.json record the suggestion reads. */
interface SuggestInput {
  cell: string;
  variant: string;
  status: string;
  config: string;
  diagnostics: { severity: string; kind: string; signature: string }[];
  prediction?: { signatures: string[] };
}
