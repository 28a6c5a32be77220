/**
 * The founding case, built for real: the two default cells on the `2012` variant. The v6+v7
 * cell must fail to link with `__bad_cmpxchg` from drivers/xen/grant-table.o, the v7-only cell
 * must pass. About 2 minutes a cell cold on 2 cores; ccache makes a rerun quicker.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTreeRecord } from "./_tree.ts";
import { loadMatrix, selectVariants } from "../lib/matrix/load_matrix.ts";
import { runMatrix } from "../lib/run/run_matrix.ts";
import type { Results } from "../lib/results/model.ts";
import { formatSummary } from "../lib/report/summary.ts";

Deno.test({
  name:
    "matrix build: 2012 variant, v6+v7 fails on __bad_cmpxchg, v7 passes, as predicted (real builds)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await kernelTreeRecord();
    const out = await Deno.makeTempDir({ prefix: "kmatrix-e2e-" });
    // An earlier run's results are kept, named by their start time, not replaced.
    const earlier = '{"version":1,"matrix":"m","started":"2026-01-02T03:04:05.678Z","results":[]}';
    await Deno.writeTextFile(join(out, "results.json"), earlier);
    const matrix = await loadMatrix(join(import.meta.dirname!, "..", "matrix.yaml"));
    const returned = await runMatrix(matrix, {
      outDir: out,
      variants: selectVariants(matrix.variants, "2012"),
      onEvent: (e) =>
        e.kind === "done" &&
        console.error(
          `${e.result.variant} ${e.result.cell}: ${e.result.status} ${e.result.duration_s} s`,
        ),
    });
    const written = JSON.parse(await Deno.readTextFile(join(out, "results.json"))) as Results;
    assertEquals(written, returned);
    assertEquals(
      await Deno.readTextFile(join(out, "results-2026-01-02T03-04-05-678Z.json")),
      earlier,
    );
    assertEquals(written.results.length, 2);
    const byCell = Object.fromEntries(written.results.map((r) => [r.cell, r]));
    const v7 = byCell["arm/gcc-12/v7/xen-on"]!;
    const v6v7 = byCell["arm/gcc-12/v6+v7/xen-on"]!;

    assertEquals(v7.status, "pass", `v7 cell log: ${v7.log}`);
    assertEquals(v7.dropped, []);
    assertEquals(v7.diagnostics.filter((d) => d.severity === "error"), []);

    assertEquals(v6v7.status, "fail", `v6+v7 cell log: ${v6v7.log}`);
    assertEquals(v6v7.dropped, [], "every fragment line, XEN included, must reach .config");
    const cmpxchg = v6v7.diagnostics.find((d) => d.symbol === "__bad_cmpxchg");
    assert.ok(cmpxchg, `no __bad_cmpxchg diagnostic in ${JSON.stringify(v6v7.diagnostics)}`);
    assertEquals(cmpxchg.kind, "linker-undefined");
    assertEquals(cmpxchg.severity, "error");
    assertEquals(cmpxchg.object, "drivers/xen/grant-table.o");
    assert.match(cmpxchg.function ?? "", /^gnttab_/);
    const xchg = v6v7.diagnostics.find((d) => d.symbol === "__bad_xchg");
    assertEquals(xchg?.object, "drivers/xen/events/events_base.o");

    // Predicted before the build by the pure-TypeScript predictor, confirmed after it.
    assert.ok(v6v7.prediction && v7.prediction, "both builds were predicted");
    assertEquals(v6v7.prediction.status, "fail");
    assert.ok(
      v6v7.prediction.signatures.includes("ld:undefined:__bad_cmpxchg@drivers/xen/grant-table.o"),
    );
    assertEquals(v6v7.prediction.verdict, "confirmed", v6v7.prediction.differences.join("; "));
    assertEquals(v7.prediction.status, "pass");
    assertEquals(v7.prediction.verdict, "confirmed", v7.prediction.differences.join("; "));

    const table = formatSummary(written, { color: false });
    assert.match(table, /│ 2012 +│ arm\/gcc-12\/v6\+v7\/xen-on │ fail +│ fail, confirmed │/);
    assert.match(table, /│ ld:undefined:__bad_cmpxchg@drivers\/xen\/grant-table\.o +│/);
    assert.match(
      table,
      /\n2 builds: 1 pass, 1 fail, 0 infra; predictions: 2 confirmed, 0 missed, 0 unjudged$/,
    );

    for (const r of written.results) {
      assertEquals(r.variant, "2012");
      assertEquals(r.arch, "arm");
      assertEquals(r.toolchain, "gcc-12");
      assert.ok(r.duration_s > 0);
      assertEquals(r.commands, r.steps.map((s) => s.command));
      assert.match(
        r.commands[0]!,
        /KCONFIG_ALLCONFIG=\S+fragment\.config'? make .*ARCH=arm .*CROSS_COMPILE=arm-linux-gnueabi- .*allnoconfig$/,
      );
      assert.match(r.commands.at(-1)!, /make .* -k -j\d+ vmlinux$/);
      const config = await Deno.readTextFile(r.config);
      assert.match(config, /^CONFIG_XEN=y$/m);
      if (r.cell.includes("v6")) assert.match(config, /^CONFIG_CPU_V6=y$/m);
      else assert.doesNotMatch(config, /^CONFIG_CPU_V6=y$/m);
      assert.match(await Deno.readTextFile(r.log), /^\+ .*make /m);
    }
    await Deno.remove(out, { recursive: true });
  },
});
