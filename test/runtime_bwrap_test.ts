/**
 * The bwrap runtime for real: a debootstrapped Debian 12 (made once into the cache), the
 * variant's tree read-only, the network unshared, the toolchain from inside the rootfs.
 * One object of the seed's Xen code is compiled, the fewest that proves the runtime builds.
 */
import { $ } from "zx";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTreeRecord } from "./_tree.ts";
import { loadMatrix, selectCells, selectVariants } from "../lib/matrix/load_matrix.ts";
import { prepareVariant } from "../lib/patch/variant_tree.ts";
import { buildCell } from "../lib/execute/build_cell.ts";
import { loadRuntime } from "../lib/environment/runtime.ts";
import { rootfsDir } from "../lib/environment/rootfs.ts";

Deno.test({
  name: "runtime bwrap: compiles drivers/xen/grant-table.o inside, tree read-only, no network",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const runtime = loadRuntime("bwrap");
    await runtime.prepare((line) => console.error(line));
    const rootfs = rootfsDir(runtime.environment);
    const tree = await kernelTreeRecord();
    const matrix = await loadMatrix(join(import.meta.dirname!, "..", "matrix.yaml"));
    const [cell] = selectCells(matrix.cells, "arm/gcc-12/v7/xen-on");
    const [variant] = selectVariants(matrix.variants, "2012");
    const vt = await prepareVariant(tree, variant!);

    // What the sandbox allows, asked from inside it.
    const probe = runtime.wrap({
      argv: [
        "sh",
        "-c",
        `touch ${vt.src}/kmatrix-probe; cat /proc/net/dev; cat /etc/debian_version`,
      ],
      cwd: "/",
      env: {},
      mounts: [{ path: vt.src, writable: false }],
    });
    const r = await $({ quiet: true, nothrow: true })`${probe.argv}`;
    assert.match(
      r.stderr,
      new RegExp(`touch: cannot touch '${vt.src}/kmatrix-probe': Read-only file system`),
    );
    assertEquals(existsSync(join(vt.src, "kmatrix-probe")), false);
    const interfaces = r.stdout.split("\n").filter((l) => /^\s*\w+:/.test(l)).map((l) =>
      l.trim().split(":")[0]
    );
    assertEquals(interfaces, ["lo"]);
    assert.match(r.stdout, /^12\.\d+$/m);

    const out = await Deno.makeTempDir({ prefix: "kmatrix-bwrap-" });
    const result = await buildCell(cell!, vt, {
      runtime,
      outDir: out,
      targets: ["drivers/xen/grant-table.o"],
      jobs: 2,
    });
    assertEquals(result.status, "pass", await Deno.readTextFile(result.log));
    for (const command of result.commands) {
      assert.ok(command.startsWith(`bwrap --ro-bind ${rootfs}/usr /usr `), command);
      assert.match(command, / --unshare-net /);
      assert.match(command, new RegExp(` --ro-bind ${vt.src} ${vt.src} `));
    }
    assert.ok(
      existsSync(join(vt.root, "build", "arm_gcc-12_v7_xen-on", "drivers/xen/grant-table.o")),
    );
    assert.match(await Deno.readTextFile(result.config), /^CONFIG_XEN=y$/m);
    await Deno.remove(out, { recursive: true });
  },
});
