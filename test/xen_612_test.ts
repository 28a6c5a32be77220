/**
 * The founding story on a second kernel, built for real: examples/xen-6.12.yaml on Debian's
 * linux-source-6.12 (installed by the tree stage when missing), variants `2012` and `fix`,
 * cells v7 and v6+v7. Every record is predicted before its build and the prediction confirmed
 * after it (same status, same error signatures, byte-identical .config): the 2012 v6+v7 cell
 * fails to link with 6.12's own reasons — sync_try_cmpxchg() on the u16 grant flags
 * (`__bad_cmpxchg` in grant-table.o) and xchg_acquire() on the u8 is_active (`__bad_xchg` in
 * events_base.o) — which the predictor read from 6.12's headers, not from a list. Four records,
 * three builds (the v7 cell is shared).
 */
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { debianTreeRecord } from "./_tree.ts";
import { loadMatrix } from "../lib/matrix/load_matrix.ts";
import { runMatrix } from "../lib/run/run_matrix.ts";
import { verdictLines } from "./_verdicts.ts";

Deno.test({
  name: "6.12 example: 2012 and fix, v7 and v6+v7, predicted and confirmed by real builds",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await debianTreeRecord("linux-source-6.12");
    const out = await Deno.makeTempDir({ prefix: "kmatrix-xen612-" });
    try {
      const matrix = await loadMatrix(join(import.meta.dirname!, "..", "examples/xen-6.12.yaml"));
      const results = await runMatrix(matrix, {
        outDir: out,
        onEvent: (e) =>
          e.kind === "done" &&
          console.error(`${e.result.variant} ${e.result.cell}: ${e.result.status}`),
      });
      const got = verdictLines(results);
      assertEquals([...got].sort(), [
        "2012 arm/gcc-12/v6+v7/xen-on: fail confirmed",
        "2012 arm/gcc-12/v7/xen-on: pass confirmed",
        "fix arm/gcc-12/v6+v7/xen-on: pass confirmed",
        "fix arm/gcc-12/v7/xen-on: pass confirmed",
      ]);
      const fail = results.results.find((r) => r.status === "fail")!;
      const causes = fail.diagnostics.filter((d) => d.severity === "error" && d.kind !== "make")
        .map((d) => d.signature).sort();
      assertEquals(causes, [
        "ld:undefined:__bad_cmpxchg@drivers/xen/grant-table.o",
        "ld:undefined:__bad_xchg@drivers/xen/events/events_base.o",
      ]);
      assert.ok(
        fail.prediction!.reasons.some((r) => /sync_try_cmpxchg\(\) on a 2-byte u16/.test(r)),
        fail.prediction!.reasons.join("\n"),
      );
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
