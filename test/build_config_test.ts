/**
 * The build stage's config steps for a `<name>_defconfig` base, for real but cheaply: the
 * target is `kernelrelease`, so only configuration runs. merge_config.sh lays the fragment over
 * the defconfig; lines Kconfig refuses are reported as dropped.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTreeRecord } from "./_tree.ts";
import { parseMatrix } from "../lib/matrix/load_matrix.ts";
import { prepareVariant } from "../lib/patch/variant_tree.ts";
import { buildCell } from "../lib/execute/build_cell.ts";
import { loadRuntime } from "../lib/environment/runtime.ts";
import { droppedLines } from "../lib/kconfig/config_file.ts";

Deno.test({
  name: "build: defconfig base + fragment goes through merge_config.sh and olddefconfig",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const tree = await kernelTreeRecord();
    const matrix = parseMatrix(
      [
        "base: multi_v7_defconfig",
        "arch: [arm]",
        "toolchain: [gcc-12]",
        "targets: [kernelrelease]",
        "axes:",
        "  cfg:",
        // XEN needs !CPU_V6 in pristine 6.1; OMAP2 brings CPU_V6, so XEN must be dropped.
        "    omap2-xen: [CONFIG_ARCH_MULTI_V6=y, CONFIG_ARCH_OMAP2=y, CONFIG_XEN=y, CONFIG_HZ_100=y]",
        "variants:",
        "  - name: pristine",
      ].join("\n"),
      { file: join(import.meta.dirname!, "..", "matrix.yaml") },
    );
    const cell = matrix.cells[0]!;
    const vt = await prepareVariant(tree, matrix.variants[0]!);
    const out = await Deno.makeTempDir({ prefix: "kmatrix-cfg-" });
    const r = await buildCell(cell, vt, {
      runtime: loadRuntime("host"),
      outDir: out,
      targets: matrix.targets,
      jobs: 2,
    });
    assertEquals(r.steps.map((s) => [s.name, s.exit_code]), [
      ["config", 0],
      ["merge", 0],
      ["olddefconfig", 0],
      ["build", 0],
    ]);
    assertEquals(r.status, "pass");
    assert.match(r.commands[0]!, / multi_v7_defconfig$/);
    assert.match(
      r.commands[1]!,
      /scripts\/kconfig\/merge_config\.sh -m -O \S+ \S+\/\.config \S+fragment\.config$/,
    );
    const config = await Deno.readTextFile(r.config);
    assert.match(config, /^CONFIG_ARCH_OMAP2=y$/m);
    assert.match(config, /^CONFIG_HZ_100=y$/m);
    assert.match(config, /^CONFIG_CPU_V6=y$/m);
    assertEquals(r.dropped, ["CONFIG_XEN=y"]);
    // make's own answer is the tree's Makefile version (kernelrelease adds the local version).
    assert.ok(
      (await Deno.readTextFile(r.log)).split("\n").some((l) => l.startsWith(`${tree.version}-`)),
    );
    await Deno.remove(out, { recursive: true });
  },
});

Deno.test("build: droppedLines reads y, n, strings and 'is not set' the way .config writes them", () => {
  const config = 'CONFIG_A=y\nCONFIG_S="x"\n# CONFIG_B is not set\nCONFIG_N=5\n';
  assertEquals(
    droppedLines(
      [
        "CONFIG_A=y",
        "CONFIG_B=y",
        "CONFIG_B=n",
        "# CONFIG_A is not set",
        'CONFIG_S="x"',
        "CONFIG_N=6",
        "# CONFIG_C is not set",
      ],
      config,
    ),
    ["CONFIG_B=y", "# CONFIG_A is not set", "CONFIG_N=6"],
  );
});
