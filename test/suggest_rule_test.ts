/**
 * Rule suggestion on the founding case with the seed rule removed, from real builds of default
 * matrix cells: 2012 v6+v7 (test/fixtures/logs/seed_link.log), fix v6+v7
 * (test/fixtures/logs/fixed_variant.log), and the v7 cell of 2012, fix and review
 * (test/fixtures/suggest/signatures.json, extracted from a real runMatrix run's
 * results.json: see the README there). Each record's real `.config` is made again here by real
 * `make allnoconfig` with the cell's fragment on the variant's tree. With no rule, every real
 * signature is unpredicted, and the suggested condition must hold exactly where
 * `CPU_V6 && XEN` holds over those records — ranked by the tree into exactly that text.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadMatrix } from "../lib/matrix/load_matrix.ts";
import { prepareVariant } from "../lib/patch/variant_tree.ts";
import { predictCell } from "../lib/predict/predict_cell.ts";
import {
  configValues,
  formatSuggestion,
  type SuggestRecord,
  suggestRule,
  suggestRules,
  treeRank,
} from "../lib/predict/suggest_rule.ts";
import { parseLog } from "../lib/diagnose/parse_log.ts";
import { kernelTreeRecord } from "./_tree.ts";

const FIXTURE = join(import.meta.dirname!, "fixtures", "suggest");

interface Real {
  variant: string;
  cell: string;
  status: string;
  signatures: string[];
}

async function realConfig(src: string, kconfig: string[], cross: string): Promise<string> {
  const tmp = await Deno.makeTempDir({ prefix: "kmatrix-suggest-" });
  try {
    await Deno.writeTextFile(join(tmp, "fragment"), kconfig.map((l) => `${l}\n`).join(""));
    const r = await new Deno.Command("make", {
      args: ["-s", "-C", src, `O=${tmp}/o`, "ARCH=arm", `CROSS_COMPILE=${cross}`, "allnoconfig"],
      env: { KCONFIG_ALLCONFIG: join(tmp, "fragment"), LC_ALL: "C" },
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    return await Deno.readTextFile(join(tmp, "o/.config"));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

Deno.test("seed rule removed: the real results suggest CPU_V6 && XEN for both signatures", async () => {
  const matrix = await loadMatrix(join(FIXTURE, "matrix.yaml"));
  const causes = async (log: string) =>
    parseLog(await Deno.readTextFile(join(import.meta.dirname!, "fixtures", "logs", log)))
      .filter((d) => d.severity === "error" && d.kind !== "make").map((d) => d.signature);
  const real: Real[] = [
    ...JSON.parse(await Deno.readTextFile(join(FIXTURE, "signatures.json"))),
    {
      variant: "2012",
      cell: "arm/gcc-12/v6+v7/xen-on",
      status: "fail",
      signatures: await causes("seed_link.log"),
    },
    {
      variant: "fix",
      cell: "arm/gcc-12/v6+v7/xen-on",
      status: "pass",
      signatures: await causes("fixed_variant.log"),
    },
  ];
  const tree = await kernelTreeRecord();
  const records: SuggestRecord[] = [];
  for (const r of real) {
    const cell = matrix.cells.find((c) => c.id === r.cell)!;
    const vt = await prepareVariant(tree, matrix.variants.find((v) => v.name === r.variant)!);
    const predicted = await predictCell(cell, vt.src, { rules: [] });
    assert.equal(predicted.status, "pass");
    records.push({
      id: `${r.cell} (${r.variant})`,
      config: await realConfig(vt.src, cell.kconfig, cell.crossCompile),
      signatures: r.signatures,
      predicted: predicted.signatures,
    });
  }
  assert.ok(
    records.some((r) => r.signatures.length > 0) && records.some((r) => !r.signatures.length),
  );
  const suggestions = suggestRules(records, { rank: (s) => treeRank(tree.dir, s) });
  assert.deepEqual([...suggestions.keys()], [
    "ld:undefined:__bad_cmpxchg@drivers/xen/grant-table.o",
    "ld:undefined:__bad_xchg@drivers/xen/events/events_base.o",
  ]);
  for (const [signature, s] of suggestions) {
    assert.ok(typeof s !== "string", `${signature}: ${s}`);
    // Equivalent to CPU_V6 && XEN over these records…
    for (const r of records) {
      const v = configValues(r.config);
      const holds: boolean = s.literals.every((l) => (v.get(l.symbol) ?? "n") === l.value);
      assert.equal(holds, v.get("CPU_V6") === "y" && v.get("XEN") === "y", `${r.id}: ${s.when}`);
      assert.equal(holds, r.signatures.includes(signature), r.id);
    }
    // …and, ranked by the tree, that very text, with the equivalents listed.
    assert.equal(s.when, "CPU_V6 && XEN");
    const text = formatSuggestion(s);
    assert.match(text, /^when: CPU_V6 && XEN$/m);
    assert.match(text, /^# CPU_V6: equivalent over these cells to .*ARCH_OMAP2/m);
  }
});

Deno.test("no separating conjunction: said in one line, not guessed", () => {
  const values = new Map([["A", "y"]]);
  const s = suggestRule("ld:undefined:x@a.o", [
    { id: "one", values, present: true },
    { id: "two", values, present: false },
  ]);
  assert.equal(
    s,
    "no symbol value separates 'ld:undefined:x@a.o': two have the values of the failing cells",
  );
});
