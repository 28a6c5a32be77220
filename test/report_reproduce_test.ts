/**
 * A record's reproducer redoes its build by hand. The run engine builds one real record — the
 * default matrix's v6+v7 XEN cell on the 2012 variant, one object (drivers/xen/grant-table.o,
 * the object whose 16-bit cmpxchg is the founding case's), without prediction — or takes it
 * from the result cache of an earlier run in the test cache; then its `reproduce.sh` is run into
 * a fresh directory and must get the same outcome: the same exit status, the same error and
 * warning signatures, the same `.config`, the object built. A reproducer refuses a tree that is
 * not at the record's commit.
 *
 * The fresh directory is made beside the run's own build directories, so the relative paths
 * ccache hashes are the same and the rebuild is warm; it is removed at the end.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTreeRecord } from "./_tree.ts";
import { loadMatrix } from "../lib/matrix/load_matrix.ts";
import { runMatrix } from "../lib/run/run_matrix.ts";
import { parseLog } from "../lib/diagnose/parse_log.ts";
import { configBody } from "../lib/kconfig/config_file.ts";

const V6V7 = "arm/gcc-12/v6+v7/xen-on";
const OBJECT = "drivers/xen/grant-table.o";

Deno.test({
  name: "reproducer: reproduce.sh of a real record rebuilds it the same way",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await kernelTreeRecord();
    const matrix = await loadMatrix(join(import.meta.dirname!, "..", "matrix.yaml"));
    matrix.targets = [OBJECT];
    const out = await Deno.makeTempDir({ prefix: "kmatrix-repro-" });
    const results = await runMatrix(matrix, {
      outDir: out,
      cells: matrix.cells.filter((c) => c.id === V6V7),
      variants: matrix.variants.filter((v) => v.name === "2012"),
      predict: false,
    });
    const r = results.results[0]!;
    assertEquals(r.status, "pass", r.log);
    const signatures = (ds: typeof r.diagnostics) =>
      ds.filter((d) => d.severity !== "note").map((d) => `${d.severity} ${d.signature}`).sort();
    const want = signatures(r.diagnostics);
    const script = await Deno.readTextFile(r.reproducer!);
    const src = script.match(/^src=(.*)$/m)![1]!.replace(/^'(.*)'$/, "$1");
    const obj = await Deno.makeTempDir({ dir: join(src, "..", "build"), prefix: "reproduce-" });
    try {
      const run = await new Deno.Command("sh", {
        args: [r.reproducer!, obj],
        stdout: "piped",
        stderr: "piped",
        env: { LC_ALL: "C" },
      }).output();
      const log = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
      assertEquals(run.code, 0, log);
      assert.match(log, /reproduce\.sh: building in /);
      const got = signatures(parseLog(log, { buildDir: obj, srcDir: src }));
      assertEquals(got, want);
      assert.ok((await Deno.stat(join(obj, OBJECT))).size > 0, `${OBJECT} rebuilt`);
      assertEquals(
        configBody(await Deno.readTextFile(join(obj, ".config"))),
        configBody(await Deno.readTextFile(r.config)),
      );
      // A reproducer refuses a tree that is not at the record's commit.
      const moved = script.replace(/^want=.*$/m, "want=0000000000000000000000000000000000000000");
      const bad = join(out, "moved.sh");
      await Deno.writeTextFile(bad, moved);
      const refused = await new Deno.Command("sh", { args: [bad, obj], stderr: "piped" })
        .output();
      assertEquals(refused.code, 2);
      assert.match(new TextDecoder().decode(refused.stderr), /is at [0-9a-f]{40}, not 0{40}/);
    } finally {
      await Deno.remove(obj, { recursive: true });
      await Deno.remove(out, { recursive: true });
    }
  },
});
