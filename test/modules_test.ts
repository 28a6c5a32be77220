/**
 * The hazard in a module (examples/modules.yaml): a one-byte xchg() added to the tristate
 * dummy-irq driver, built `=m` (cross/patches/dummy-irq-xchg-u8.patch). On the ARMv6 cell
 * modpost refuses the module with `"__bad_xchg" [drivers/misc/dummy-irq.ko] undefined!`,
 * which the predictor must say before the build: the Kbuild model puts the object in a module,
 * the hazard rule gives the module's signature and modpost's consequence. Built for real: the
 * ARMv6 cell, unpatched (pass) and patched (fail); the ARMv7 cell is predicted only. Which
 * stages a build's targets reach is checked on the same tree: without `modules`, modpost
 * never runs and the prediction is a pass.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTreeRecord } from "./_tree.ts";
import { loadMatrix, selectCells } from "../lib/matrix/load_matrix.ts";
import { runMatrix } from "../lib/run/run_matrix.ts";
import { verdictLines } from "./_verdicts.ts";
import { prepareVariant } from "../lib/patch/variant_tree.ts";
import { predictCell } from "../lib/predict/predict_cell.ts";
import { targetStages } from "../lib/kbuild/target_stages.ts";

const MATRIX = join(import.meta.dirname!, "..", "examples/modules.yaml");
const MODPOST = "modpost:undefined:__bad_xchg@drivers/misc/dummy-irq.ko";

Deno.test("target stages: vmlinux links, modules runs modpost, objects reach neither", () => {
  assertEquals(targetStages([]), { link: true, modpost: true });
  assertEquals(targetStages(["all"]), { link: true, modpost: true });
  assertEquals(targetStages(["vmlinux"]), { link: true, modpost: false });
  assertEquals(targetStages(["modules"]), { link: false, modpost: true });
  assertEquals(targetStages(["zImage"], { image: "zImage" }), { link: true, modpost: false });
  assertEquals(targetStages(["zImage"]), { link: false, modpost: false });
  assertEquals(targetStages(["drivers/xen/grant-table.o", "drivers/xen/"]), {
    link: false,
    modpost: false,
  });
});

Deno.test({
  name: "modules: a one-byte xchg() in a =m driver, modpost's error predicted and confirmed",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const tree = await kernelTreeRecord();
    const matrix = await loadMatrix(MATRIX);
    const patched = matrix.variants.find((v) => v.name === "xchg-u8")!;
    const vt = await prepareVariant(tree, patched);
    const cell = (id: string) => matrix.cells.find((c) => c.id === id)!;

    // Predicted, no build: only ARMv6 fails, and only where modpost runs.
    const v6 = await predictCell(cell("arm/gcc-12/v6"), vt.src, { targets: matrix.targets });
    assertEquals([v6.status, v6.signatures, v6.consequences], [
      "fail",
      [MODPOST],
      ["make:1:Module.symvers"],
    ]);
    assert.ok(
      v6.reasons.some((r) => /xchg\(\) on a 1-byte u8 .*drivers\/misc\/dummy-irq\.c/.test(r)),
      v6.reasons.join("\n"),
    );
    const v7 = await predictCell(cell("arm/gcc-12/v7"), vt.src, { targets: matrix.targets });
    assertEquals([v7.status, v7.signatures], ["pass", []]);
    const noModpost = await predictCell(cell("arm/gcc-12/v6"), vt.src, { targets: ["vmlinux"] });
    assertEquals([noModpost.status, noModpost.signatures], ["pass", []]);

    // Built: the ARMv6 cell without and with the patch.
    const out = await Deno.makeTempDir({ prefix: "kmatrix-modules-" });
    try {
      const results = await runMatrix(matrix, {
        outDir: out,
        cells: selectCells(matrix.cells, "arm/*/v6"),
        onEvent: (e) =>
          e.kind === "done" &&
          console.error(`${e.result.variant} ${e.result.cell}: ${e.result.status}`),
      });
      const got = verdictLines(results);
      assertEquals(got, [
        "upstream arm/gcc-12/v6: pass confirmed",
        "xchg-u8 arm/gcc-12/v6: fail confirmed",
      ]);
      const fail = results.results.find((r) => r.status === "fail")!;
      const errors = fail.diagnostics.filter((d) => d.severity === "error");
      assertEquals(errors.map((d) => d.signature).sort(), [
        "make:1:Module.symvers",
        MODPOST,
      ]);
      const log = await Deno.readTextFile(fail.log!);
      assert.match(log, /ERROR: modpost: "__bad_xchg" \[drivers\/misc\/dummy-irq\.ko\] undefined!/);
      assertEquals(
        results.comparisons.map((c) => [c.base, c.head, c.cells.map((x) => x.verdict)]),
        [["upstream", "xchg-u8", ["regressed"]]],
      );
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
