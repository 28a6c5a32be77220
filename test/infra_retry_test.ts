/**
 * Infra is never the patch's fault (issue 13): a build over its time limit is killed, recorded
 * `infra` with the reason, retried once, and its prediction is not judged against it.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTreeRecord } from "./_tree.ts";
import { loadMatrix, selectCells, selectVariants } from "../lib/matrix/load_matrix.ts";
import { runMatrix } from "../lib/run/run_matrix.ts";

Deno.test({
  name: "infra: a build over its timeout is killed, recorded infra with the reason, retried once",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await kernelTreeRecord();
    const matrix = await loadMatrix(join(import.meta.dirname!, "..", "matrix.yaml"));
    const out = await Deno.makeTempDir({ prefix: "kmatrix-timeout-" });
    const lines: string[] = [];
    const results = await runMatrix(matrix, {
      outDir: out,
      cells: selectCells(matrix.cells, "arm/gcc-12/v7/xen-on"),
      variants: selectVariants(matrix.variants, "2012"),
      cache: false,
      timeoutS: 1,
      onEvent: (e) => e.kind === "progress" && lines.push(e.line),
    });
    const [r] = results.results;
    assertEquals(r?.status, "infra");
    assertEquals(r?.attempts, 2, "retried once");
    assert.ok(lines.some((l) => /could not be judged; retrying once/.test(l)), lines.join("\n"));
    assert.match(await Deno.readTextFile(r!.log), /kmatrix: step config timed out after 1 s/);
    assertEquals(r?.steps[0]?.status, "infra");
    assertEquals(r?.prediction?.verdict, "unjudged");
    assertEquals(results.predictions, { confirmed: 0, missed: 0, unjudged: 1 });
    await Deno.remove(out, { recursive: true });
  },
});
