/**
 * Infra is never the patch's fault (issue 13): a build over its time limit is killed, recorded
 * `infra` with the reason, retried once, and its prediction is not judged against it.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTreeRecord } from "./_tree.ts";
import { loadMatrix, selectCells, selectVariants } from "../lib/matrix/load_matrix.ts";
import { runMatrix } from "../lib/run/run_matrix.ts";
import { signalOfStatus } from "../lib/execute/build_cell.ts";

Deno.test("infra: a shell's exit status 128 + N names signal N; make's own statuses name none", () => {
  assertEquals(signalOfStatus(143), "SIGTERM");
  assertEquals(signalOfStatus(137), "SIGKILL");
  assertEquals(signalOfStatus(130), "SIGINT");
  for (const code of [null, 0, 1, 2, 128, 255]) assertEquals(signalOfStatus(code), undefined);
});

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

Deno.test({
  name:
    "infra: a build whose runtime is killed from outside is infra (SIGTERM), retried, then judged",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await kernelTreeRecord();
    const matrix = await loadMatrix(join(import.meta.dirname!, "..", "matrix.yaml"));
    matrix.targets = ["drivers/xen/grant-table.o"];
    matrix.runtime = "bwrap";
    const out = await Deno.makeTempDir({ prefix: "kmatrix-killed-" });
    let killed = false;
    const lines: string[] = [];
    const results = await runMatrix(matrix, {
      outDir: out,
      cells: selectCells(matrix.cells, "arm/gcc-12/v7/xen-on"),
      variants: selectVariants(matrix.variants, "2012"),
      cache: false,
      predict: false,
      onEvent: (e) => {
        if (e.kind === "progress") lines.push(e.line);
        // The first build step's runtime (bwrap, whose children die with it), found by its own
        // command line (its O= is in this test's cache, so nothing else is touched), is killed
        // the way an admin would: make is gone without a word, only the exit status says why.
        if (e.kind !== "step" || e.step !== "build" || killed) return;
        killed = true;
        const obj = e.command.match(/\bO=(\S+)/)?.[1];
        assert.ok(obj, e.command);
        setTimeout(() => {
          new Deno.Command("pkill", { args: ["-TERM", "-f", `^bwrap .*O=${obj}`] }).outputSync();
        }, 1500);
      },
    });
    const [r] = results.results;
    assert.ok(killed, "the build step ran");
    assert.ok(
      lines.some((l) => /infra: 2012 arm\/gcc-12\/v7\/xen-on could not be judged/.test(l)),
      lines.join("\n"),
    );
    assertEquals(r?.attempts, 2, "the killed attempt was retried");
    assertEquals(r?.status, "pass", "the second attempt was judged");
    await Deno.remove(out, { recursive: true });
  },
});
