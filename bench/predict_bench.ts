/**
 * Predicting against building: the time to predict every default matrix cell on every variant
 * (Kconfig resolution, Kbuild object model, hazard rules), set beside the wall time the real
 * builds of the same cells took. The real times are the `duration_s` of `out/results.json`
 * (a `deno task matrix` run; override with KMATRIX_RESULTS), else the seed build's wall time in
 * test/fixtures/logs/README.md for each cell.
 *
 * Run: `deno bench -A bench/predict_bench.ts` (prints the ratio, then Deno.bench's table).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadMatrix } from "../lib/matrix/load_matrix.ts";
import { prepareVariant } from "../lib/patch/variant_tree.ts";
import { predictCell } from "../lib/predict/predict_cell.ts";
import type { Results } from "../lib/results/model.ts";
import { kernelTreeRecord } from "../test/_tree.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const matrix = await loadMatrix(`${root}matrix.yaml`);
const tree = await kernelTreeRecord();
const jobs: { cell: (typeof matrix.cells)[number]; variant: string; src: string }[] = [];
for (const v of matrix.variants) {
  const vt = await prepareVariant(tree, v);
  for (const cell of matrix.cells) jobs.push({ cell, variant: v.name, src: vt.src });
}

// Real build times, per cell × variant.
const resultsPath = Deno.env.get("KMATRIX_RESULTS") ?? `${root}out/results.json`;
const real = new Map<string, number>();
if (existsSync(resultsPath)) {
  const doc = JSON.parse(Deno.readTextFileSync(resultsPath)) as Results;
  for (const r of doc.results) {
    if (r.status !== "infra") real.set(`${r.cell}@${r.variant}`, r.duration_s);
  }
}
const readme = Deno.readTextFileSync(`${root}test/fixtures/logs/README.md`);
const seedS = Number(/seed_link\.log build wall time: ([\d.]+) s/.exec(readme)?.[1] ?? NaN);

async function predictAll(): Promise<void> {
  for (const j of jobs) await predictCell(j.cell, j.src);
}

// Cold: the first run parses each variant's Kconfig tree; warm: the cache is reused.
let t0 = performance.now();
await predictAll();
const coldS = (performance.now() - t0) / 1000;
t0 = performance.now();
await predictAll();
const warmS = (performance.now() - t0) / 1000;
const known = jobs.filter((j) => real.has(`${j.cell.id}@${j.variant}`));
const buildS = known.length === jobs.length
  ? known.reduce((s, j) => s + real.get(`${j.cell.id}@${j.variant}`)!, 0)
  : seedS * jobs.length;
const source = known.length === jobs.length
  ? resultsPath
  : `seed build wall time × ${jobs.length} (${known.length}/${jobs.length} cells in ${resultsPath})`;
console.log(
  `${jobs.length} cells × variants: predict ${coldS.toFixed(1)} s cold, ${
    warmS.toFixed(1)
  } s warm; ` +
    `real builds ${buildS.toFixed(0)} s (${source}); ` +
    `ratio ${(coldS / buildS * 100).toFixed(2)} % cold, ${
      (warmS / buildS * 100).toFixed(2)
    } % warm`,
);

Deno.bench("predict every default cell × variant (Kconfig trees cached)", async () => {
  await predictAll();
});
