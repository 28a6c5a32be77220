/**
 * The founding case, built for real by the run engine: the default matrix's v7 and v6+v7 cells
 * (XEN on) and the v6+v7 control (XEN off) on the variants 2012, fix and review (9 records). The
 * v6+v7 cell fails to link with `__bad_cmpxchg` on `2012` and `review`, passes on `fix` (XEN
 * dropped); v7 and the control pass everywhere. Records with the same compiler input are built
 * once and recorded `shared` (3 builds, 6 config steps), across cells too: fix's v6+v7 with XEN
 * dropped resolves the control's values (its .config lacks the control's `# CONFIG_XEN is not
 * set`). Every prediction is confirmed; an unchanged re-run takes every record from the cache.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTreeRecord } from "./_tree.ts";
import { loadMatrix, selectCells, selectVariants } from "../lib/matrix/load_matrix.ts";
import { runMatrix } from "../lib/run/run_matrix.ts";
import { readResults } from "../lib/results/results_file.ts";
import { formatSummary } from "../lib/report/summary.ts";

const V7 = "arm/gcc-12/v7/xen-on", V6V7 = "arm/gcc-12/v6+v7/xen-on";
const OFF = "arm/gcc-12/v6+v7/xen-off";

Deno.test({
  name: "matrix build: the founding story, shared records, confirmed predictions, cache hits",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await kernelTreeRecord();
    const out = await Deno.makeTempDir({ prefix: "kmatrix-e2e-" });
    // An earlier run's results are kept, named by their start time, not replaced.
    const earlier = '{"version":2,"matrix":"m","started":"2026-01-02T03:04:05.678Z","results":[]}';
    await Deno.writeTextFile(join(out, "results.json"), earlier);
    const matrix = await loadMatrix(join(import.meta.dirname!, "..", "matrix.yaml"));
    const cells = selectCells(matrix.cells, `${V7},${V6V7},${OFF}`);
    const variants = selectVariants(matrix.variants, "2012,fix,review");
    const returned = await runMatrix(matrix, {
      outDir: out,
      cells,
      variants,
      cache: false,
      onEvent: (e) =>
        e.kind === "done" &&
        console.error(`${e.result.variant} ${e.result.cell}: ${e.result.status}`),
    });
    assertEquals(await readResults(join(out, "results.json")), returned);
    assertEquals(
      await Deno.readTextFile(join(out, "results-2026-01-02T03-04-05-678Z.json")),
      earlier,
    );
    const rec = (variant: string, cell: string) =>
      returned.results.find((r) => r.variant === variant && r.cell === cell)!;
    assertEquals(returned.results.length, 9);

    // The story.
    for (const v of ["2012", "fix", "review"]) {
      assertEquals(rec(v, V7).status, "pass");
      assertEquals(rec(v, OFF).status, "pass");
    }
    for (const v of ["2012", "review"]) {
      const r = rec(v, V6V7);
      assertEquals(r.status, "fail", r.log);
      const cmpxchg = r.diagnostics.find((d) => d.symbol === "__bad_cmpxchg");
      assertEquals(cmpxchg?.object, "drivers/xen/grant-table.o");
      assertEquals(
        r.diagnostics.find((d) => d.symbol === "__bad_xchg")?.object,
        "drivers/xen/events/events_base.o",
      );
    }
    assertEquals(rec("fix", V6V7).status, "pass");
    assertEquals(rec("fix", V6V7).dropped, ["CONFIG_XEN=y"]);

    // Dedup: built once per compiler input, the rest shared, with the reason.
    const shared = returned.results.filter((r) => r.shared).map((r) => `${r.variant} ${r.cell}`);
    assertEquals(shared.sort(), [
      `fix ${OFF}`,
      `fix ${V6V7}`,
      `fix ${V7}`,
      `review ${OFF}`,
      `review ${V6V7}`,
      `review ${V7}`,
    ]);
    assertEquals(rec("review", V6V7).shared?.variant, "2012");
    // Across cells: the real .configs differ in one comment line, the values are the same.
    assertEquals(rec("fix", V6V7).shared, {
      ...rec("fix", V6V7).shared!,
      variant: "2012",
      cell: OFF,
    });
    assertEquals(rec("fix", V6V7).diagnostics, rec("2012", OFF).diagnostics);
    const text = (v: string, c: string) => Deno.readTextFileSync(rec(v, c).config);
    assert.notEqual(text("fix", V6V7), text("2012", OFF));
    assertEquals(
      text("2012", OFF).replace("# CONFIG_XEN is not set\n", ""),
      text("fix", V6V7),
    );
    assert.match(rec("review", V6V7).shared!.reason, /same resolved config/);
    // A shared record ran its own config step, and only that.
    assertEquals(rec("review", V6V7).steps.map((s) => s.name), ["config", "build"]);
    assert.match(rec("review", V6V7).commands.join("\n"), /allnoconfig/);
    assertEquals(rec("review", V6V7).commands.length, 1);

    // Every prediction checked and confirmed.
    for (const r of returned.results) {
      assert.ok(r.prediction, `${r.variant} ${r.cell} predicted`);
      assertEquals(r.prediction.verdict, "confirmed", r.prediction.differences.join("; "));
      assertEquals(r.toolchain_version.startsWith("arm-linux-gnueabi-gcc (Debian 12."), true);
      assertEquals(r.steps.every((s) => ["pass", "fail", "skip"].includes(s.status)), true);
    }
    assertEquals(returned.predictions, { confirmed: 9, missed: 0, unjudged: 0 });
    // A built record has its size, its ccache counts and its reproducer.
    const built = rec("2012", V7);
    assert.ok(built.size && built.size.text > 1_000_000, JSON.stringify(built.size));
    assert.ok(built.ccache && built.ccache.hits + built.ccache.misses > 400);
    assert.ok(built.reproducer?.endsWith("reproduce.sh"));

    // The comparisons are stored: fix fixes v6+v7, review fixes nothing.
    const fix = returned.comparisons.find((c) => c.head === "fix")!;
    assertEquals(fix.base, "2012");
    assertEquals(fix.cells.find((c) => c.cell === V6V7)?.verdict, "fixed");
    const review = returned.comparisons.find((c) => c.head === "review")!;
    assertEquals(review.cells.find((c) => c.cell === V6V7)?.verdict, "still-failing");
    // Provenance: enough to trust and redo the run.
    const p = returned.provenance!;
    assertEquals(p.tree.version.startsWith("6.1."), true);
    assertEquals(p.variants.map((v) => v.name), ["2012", "fix", "review"]);
    assertEquals(p.variants[1]!.patches.length, 2);
    assert.match(p.matrix.sha256, /^[0-9a-f]{64}$/);

    const table = formatSummary(returned, { color: false });
    assert.match(table, /│ 2012 +│ arm\/gcc-12\/v6\+v7\/xen-on +│ fail +│ fail, confirmed │/);
    assert.match(table, /\(shared with 2012 arm\/gcc-12\/v6\+v7\/xen-off\)/);
    assert.match(
      table,
      /\n9 records \(3 built, 6 shared, 0 from the cache\): 7 pass, 2 fail, 0 infra; predictions: 9 confirmed, 0 missed, 0 unjudged$/,
    );

    // Unchanged re-run: every record from the result cache, same outcome.
    const again = await runMatrix(matrix, { outDir: out, cells, variants });
    assertEquals(again.results.filter((r) => r.cached).length, 9);
    assertEquals(
      again.results.map((r) => [r.variant, r.cell, r.status, r.prediction?.verdict]),
      returned.results.map((r) => [r.variant, r.cell, r.status, r.prediction?.verdict]),
    );
    await Deno.remove(out, { recursive: true });
  },
});
