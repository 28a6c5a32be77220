/**
 * The run engine beside the naive way, in one run (absolute times on shared machines are noise;
 * the ratios are the claim):
 *
 * 1. a cold run of 2 cells × 3 variants of the default matrix (v6+v7 with and without Xen; 2012,
 *    fix, review) through kmatrix (empty result cache, empty ccache: dedup, shared ccache and
 *    parallel builds are all it has) vs the naive sequential `make` of every record (config +
 *    build, no ccache), target ≤ 0.35;
 * 2. an unchanged re-run through kmatrix (result cache), target < 5 s;
 * 3. one record through kmatrix (prediction, config plan, log parsing, size) vs the same bare
 *    `make` of it, both without ccache, target overhead < 3 %.
 *
 * `deno task bench:matrix [--targets vmlinux] [--jobs N]`. Smaller targets (`--targets
 * drivers/xen/`) make a quicker, smaller version of the same comparison.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { $ } from "zx";
import { kernelTreeRecord } from "../test/_tree.ts";
import { loadMatrix, selectCells, selectVariants } from "../lib/matrix/load_matrix.ts";
import { prepareVariant, type VariantTree } from "../lib/patch/variant_tree.ts";
import { runMatrix } from "../lib/run/run_matrix.ts";
import { configPlan } from "../lib/plan/config_plan.ts";
import { type Results, sharedWith } from "../lib/results/model.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    targets: { type: "string", default: "vmlinux" },
    jobs: { type: "string", default: String(navigator.hardwareConcurrency) },
  },
});
const targets = values.targets.split(",");
const jobs = Number(values.jobs);
const ROOT = join(import.meta.dirname!, "..");

const tree = await kernelTreeRecord();
const matrix = await loadMatrix(join(ROOT, "matrix.yaml"));
matrix.targets = targets;
// The founding story's cell and its control: 2 builds for 6 records (2012 and review build
// XEN=y; fix's XEN=y is dropped and resolves the control's values), the default matrix's
// proportion (6 builds for 20 records).
const cells = selectCells(matrix.cells, "arm/gcc-12/v6+v7/xen-on,arm/gcc-12/v6+v7/xen-off");
const variants = selectVariants(matrix.variants, "2012,fix,review");
const scratch = await Deno.makeTempDir({ prefix: "kmatrix-bench-" });

/** Wall seconds of `f`. */
async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

/** The naive build of one record: fresh O=, make config, make -jN targets, no ccache. */
async function bareMake(src: string, cell: (typeof cells)[number], obj: string) {
  const plan = configPlan(cell);
  const vars = Object.entries(plan.makeVars).map(([k, v]) => `${k}=${v}`);
  const fragment = join(obj, "..", "fragment.config");
  await Deno.mkdir(obj, { recursive: true });
  await Deno.writeTextFile(fragment, plan.fragment.join("\n") + "\n");
  await $({
    quiet: true,
    env: { ...Deno.env.toObject(), KCONFIG_ALLCONFIG: fragment },
  })`make -C ${src} O=${obj} ${vars} ${plan.target}`;
  await $({ quiet: true, nothrow: true })`make -C ${src} O=${obj} ${vars} -k -j${jobs} ${targets}`;
}

const trees: VariantTree[] = [];
for (const v of variants) trees.push(await prepareVariant(tree, v));

console.log(
  `targets: ${
    targets.join(" ")
  }; job budget ${jobs}; ${cells.length} cells × ${variants.length} variants`,
);

// 1. Cold: naive sequential make of every record vs kmatrix with empty caches.
const naive = await timed(async () => {
  let i = 0;
  for (const vt of trees) {
    for (const cell of cells) await bareMake(vt.src, cell, join(scratch, `naive-${i++}`, "o"));
  }
});
const out = join(scratch, "out");
let coldResults: Results | undefined;
const cold = await timed(async () =>
  coldResults = await runMatrix(matrix, {
    outDir: out,
    cells,
    variants,
    jobs,
    cache: false,
    ccacheDir: join(scratch, "ccache"),
  })
);
// Fill the result cache, then time an unchanged re-run.
await runMatrix(matrix, { outDir: out, cells, variants, jobs, ccacheDir: join(scratch, "ccache") });
const rerun = await timed(() =>
  runMatrix(matrix, { outDir: out, cells, variants, jobs, ccacheDir: join(scratch, "ccache") })
);

// 3. One record: kmatrix without ccache vs the same bare make.
const one = selectCells(cells, "arm/gcc-12/v6+v7/xen-off");
const oneVariant = selectVariants(variants, "2012");
const bare = await timed(() => bareMake(trees[0]!.src, one[0]!, join(scratch, "bare", "o")));
const through = await timed(() =>
  runMatrix(matrix, {
    outDir: join(scratch, "one"),
    cells: one,
    variants: oneVariant,
    jobs,
    cache: false,
    ccache: false,
  })
);

const row = (what: string, a: string, b: string, ratio: string, target: string) =>
  console.log(
    `${what.padEnd(44)}${a.padStart(10)}${b.padStart(12)}${ratio.padStart(10)}  ${target}`,
  );
row("", "kmatrix", "reference", "ratio", "target");
row(
  `cold, ${cells.length * variants.length} records vs naive sequential make`,
  `${cold.toFixed(1)} s`,
  `${naive.toFixed(1)} s`,
  (cold / naive).toFixed(3),
  "<= 0.35",
);
row("unchanged re-run (result cache)", `${rerun.toFixed(1)} s`, "-", "-", "< 5 s");
row(
  "one record vs the same bare make",
  `${through.toFixed(1)} s`,
  `${bare.toFixed(1)} s`,
  `${(((through - bare) / bare) * 100).toFixed(1)} %`,
  "< 3 % overhead",
);
console.log("\ncold run, record by record:");
for (const r of coldResults?.results ?? []) {
  const how = r.shared ? `shared with ${sharedWith(r.shared)}` : `built ${r.duration_s} s`;
  const cc = r.ccache && !r.shared ? `ccache ${r.ccache.hits} hits, ${r.ccache.misses} misses` : "";
  console.log(`  ${r.variant.padEnd(8)} ${r.cell.padEnd(26)} ${r.status.padEnd(5)} ${how}  ${cc}`);
}
await Deno.remove(scratch, { recursive: true });
