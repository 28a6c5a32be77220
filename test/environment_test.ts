/**
 * Environment independence (issue 7): the same cell predicted and built in two runtimes whose
 * toolchain packages differ — the host (what setup.sh installs: no ARM C library) and
 * `bwrap-userspace` (the same list plus libc6-dev-armel-cross). Each prediction uses the profile
 * recorded inside its own runtime, and each is confirmed by its real build, .config included
 * (CC_CAN_LINK follows the C library).
 */
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTreeRecord } from "./_tree.ts";
import { loadMatrix, selectCells, selectVariants } from "../lib/matrix/load_matrix.ts";
import { prepareVariant } from "../lib/patch/variant_tree.ts";
import { buildCell } from "../lib/execute/build_cell.ts";
import { loadRuntime, runSync } from "../lib/environment/runtime.ts";
import { predictCell } from "../lib/predict/predict_cell.ts";
import { checkPrediction } from "../lib/predict/check_prediction.ts";

const ROOT = join(import.meta.dirname!, "..");

/** Whether the runtime's cross gcc finds a C library to link against, asked inside it. */
function canLink(runtime: ReturnType<typeof loadRuntime>): boolean {
  const r = runSync(runtime, {
    argv: ["arm-linux-gnueabi-gcc", "-print-file-name=libc.so"],
    cwd: "/",
    env: {},
    mounts: [],
  });
  return r.stdout.trim().startsWith("/");
}

Deno.test({
  name: "environment: one cell predicted and built in host and bwrap-userspace, both confirmed",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const tree = await kernelTreeRecord();
    const matrix = await loadMatrix(join(ROOT, "matrix.yaml"));
    const [cell] = selectCells(matrix.cells, "arm/gcc-12/v7/xen-on");
    const [variant] = selectVariants(matrix.variants, "2012");
    const vt = await prepareVariant(tree, variant!);
    const seen: Record<string, { canLink: boolean; config: string; profile: string }> = {};
    for (const name of ["host", "bwrap-userspace"]) {
      const runtime = loadRuntime(name);
      await runtime.prepare((line) => console.error(line));
      const prediction = await predictCell(cell!, vt.src, { runtime });
      const out = await Deno.makeTempDir({ prefix: `kmatrix-env-${name}-` });
      const result = await buildCell(cell!, vt, { runtime, outDir: out, targets: ["vmlinux"] });
      const check = await checkPrediction(prediction, result);
      assertEquals(check.differences, [], `${name}: ${check.differences.join("; ")}`);
      assertEquals(check.verdict, "confirmed");
      assertEquals(result.runtime, name);
      assert.match(result.toolchain_version, /^arm-linux-gnueabi-gcc \(Debian 12\.[\d.-]+\) 12\./);
      // The profile was taken in this runtime (cached after the first run).
      assert.ok(prediction.profile, "the prediction says which profile it used");
      assert.match(prediction.profile.path, new RegExp(`-6\\.1-${name}-[0-9a-f]{12}\\.json$`));
      seen[name] = {
        canLink: canLink(runtime),
        config: await Deno.readTextFile(result.config),
        profile: prediction.profile.path,
      };
      await Deno.remove(out, { recursive: true });
    }
    // The two environments really differ, and each config says so the way its libc says.
    assert.notEqual(seen.host!.profile, seen["bwrap-userspace"]!.profile);
    assertEquals(seen["bwrap-userspace"]!.canLink, true);
    for (const [name, s] of Object.entries(seen)) {
      assertEquals(
        /^CONFIG_CC_CAN_LINK=y$/m.test(s.config),
        s.canLink,
        `${name}: CC_CAN_LINK follows the C library`,
      );
    }
  },
});
