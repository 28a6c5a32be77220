import { assertEquals, assertMatch, assertThrows } from "./_assert.ts";
import { parseMatrix, selectCells, selectVariants } from "../lib/matrix/load_matrix.ts";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const FILE = `${ROOT}matrix.yaml`;

/** A valid matrix with the given lines swapped in, so each error case changes one thing. */
function matrix(overrides: Record<string, string> = {}): string {
  const parts: Record<string, string> = {
    tree: "tree: debian:linux-source-6.1",
    base: "base: allnoconfig",
    arch: "arch: [arm]",
    toolchain: "toolchain: [gcc-12]",
    axes: [
      "axes:",
      "  cpu:",
      "    v7: [CONFIG_ARCH_MULTI_V7=y]",
      "    v6+v7: [CONFIG_ARCH_MULTI_V6=y, CONFIG_ARCH_MULTI_V7=y]",
      "  xen:",
      "    xen-on: [CONFIG_XEN=y]",
      "    xen-off: ['# CONFIG_XEN is not set']",
    ].join("\n"),
    variants: [
      "variants:",
      "  - name: 2012",
      "    patches: [cross/patches/xen-2012-state.patch]",
      "  - name: fix",
      "    extends: 2012",
      "    patches: [cross/patches/xen-fix-not-cpu-v6.patch]",
    ].join("\n"),
    ...overrides,
  };
  return Object.values(parts).filter(Boolean).join("\n") + "\n";
}

function errorOf(text: string): string {
  const e = assertThrows(() => parseMatrix(text, { file: FILE, displayName: "matrix.yaml" }));
  return (e as Error).message;
}

Deno.test("matrix: axes expand by cartesian product with stable ids", () => {
  const m = parseMatrix(matrix(), { file: FILE, displayName: "matrix.yaml" });
  assertEquals(m.cells.map((c) => c.id), [
    "arm/gcc-12/v7/xen-on",
    "arm/gcc-12/v7/xen-off",
    "arm/gcc-12/v6+v7/xen-on",
    "arm/gcc-12/v6+v7/xen-off",
  ]);
  assertEquals(m.cells[2]!.kconfig, [
    "CONFIG_ARCH_MULTI_V6=y",
    "CONFIG_ARCH_MULTI_V7=y",
    "CONFIG_XEN=y",
  ]);
  assertEquals(m.cells[0]!.crossCompile, "arm-linux-gnueabi-");
  // A bare 2012 is a YAML number; it is the variant's name all the same.
  assertEquals(m.variants.map((v) => v.name), ["2012", "fix"]);
  assertEquals(m.variants[1]!.patches.map((p) => p.slice(ROOT.length)), [
    "cross/patches/xen-2012-state.patch",
    "cross/patches/xen-fix-not-cpu-v6.patch",
  ]);
  assertEquals(m.baseline, "2012");
});

Deno.test("matrix: include adds a cell with extra lines, exclude removes cells", () => {
  const m = parseMatrix(
    matrix({
      extra: [
        "exclude:",
        "  - {xen: xen-off}",
        "include:",
        "  - {arch: arm, toolchain: gcc-12, cpu: v7, xen: xen-off, kconfig: [CONFIG_SMP=y]}",
      ].join("\n"),
    }),
    { file: FILE },
  );
  assertEquals(m.cells.map((c) => c.id), [
    "arm/gcc-12/v7/xen-on",
    "arm/gcc-12/v6+v7/xen-on",
    "arm/gcc-12/v7/xen-off",
  ]);
  assertEquals(m.cells[2]!.kconfig, [
    "CONFIG_ARCH_MULTI_V7=y",
    "# CONFIG_XEN is not set",
    "CONFIG_SMP=y",
  ]);
});

Deno.test("matrix: the default matrix.yaml tells the seed's story", async () => {
  const { loadMatrix } = await import("../lib/matrix/load_matrix.ts");
  const m = await loadMatrix(FILE);
  assertEquals(m.cells.map((c) => c.id), [
    "arm/gcc-12/v7/xen-on",
    "arm/gcc-12/v6k+v7/xen-on",
    "arm/gcc-12/v6+v7/xen-on",
    "arm/gcc-12/v6+v7/xen-off",
    "arm/gcc-12/v6/xen-on",
  ]);
  assertEquals(m.variants.map((v) => v.name), ["2012", "fix", "review", "upstream"]);
  assertEquals(m.variants[3]!.patches, []);
  const v6v7 = m.cells[2]!.kconfig;
  for (
    const line of [
      "CONFIG_ARCH_OMAP2=y",
      "CONFIG_ARCH_MULTI_V6=y",
      "CONFIG_XEN=y",
      "CONFIG_AEABI=y",
      "CONFIG_OF=y",
    ]
  ) {
    assertEquals(v6v7.includes(line), true, line);
  }
});

Deno.test("matrix: bad YAML is located", () => {
  assertMatch(errorOf(matrix({ arch: "arch: [arm" })), /^matrix\.yaml:\d+:\d+: invalid YAML: /);
  assertEquals(
    errorOf("arch: [arm]\narch: [arm]\n").startsWith("matrix.yaml:2:1: invalid YAML"),
    true,
  );
});

Deno.test("matrix: unknown key names the key and what is allowed", () => {
  const msg = errorOf(matrix({ base: "base: allnoconfig\ntargetz: [vmlinux]" }));
  assertEquals(msg.split(":").slice(0, 3).join(":"), "matrix.yaml:3:1");
  assertMatch(msg, /targetz: unknown key 'targetz'; allowed keys are tree, runtime, jobs, targets/);
  const inVariant = errorOf(matrix({ variants: "variants:\n  - name: a\n    patchez: []" }));
  assertMatch(inVariant, /^matrix\.yaml:14:5: variants\[0\]\.patchez: unknown key 'patchez'/);
});

Deno.test("matrix: wrong type is located at the value", () => {
  assertEquals(
    errorOf(matrix({ arch: "arch: arm" })),
    "matrix.yaml:3:7: arch: must be a list of arch names",
  );
  assertEquals(
    errorOf(matrix({ base: "base: allnoconfig\njobs: two" })),
    "matrix.yaml:3:7: jobs: must be a whole number",
  );
});

Deno.test("matrix: a Kconfig line of the wrong shape is located at the line", () => {
  const msg = errorOf(matrix({ base: "base: allnoconfig\nkconfig:\n  - CONFIG_OF=y\n  - XEN=y" }));
  assertMatch(msg, /^matrix\.yaml:5:5: kconfig\[1\]: must be CONFIG_<NAME>=/);
});

Deno.test("matrix: empty axis", () => {
  const msg = errorOf(matrix({ axes: "axes:\n  cpu: {}" }));
  assertEquals(
    msg,
    "matrix.yaml:6:8: axes.cpu: axis has no values; give at least one value or remove the axis",
  );
});

Deno.test("matrix: unknown base config", () => {
  const msg = errorOf(matrix({ base: "base: allnoconfg" }));
  assertMatch(msg, /^matrix\.yaml:2:7: base: unknown base config; use one of allnoconfig, /);
  const inAxis = errorOf(matrix({ axes: "axes:\n  cfg:\n    multi: {base: multi_v7_defconfg}" }));
  assertMatch(inAxis, /^matrix\.yaml:7:19: axes\.cfg\.multi\.base: unknown base config/);
});

Deno.test("matrix: missing patch file", () => {
  const msg = errorOf(matrix({
    variants:
      "variants:\n  - name: x\n    patches:\n      - cross/patches/xen-2012-state.patch\n      - cross/patches/nope.patch",
  }));
  assertEquals(
    msg,
    "matrix.yaml:16:9: variants[0].patches[1]: patch file 'cross/patches/nope.patch' does not exist (paths are relative to the matrix file)",
  );
});

Deno.test("matrix: unknown arch, toolchain, runtime, axis value and variant names", () => {
  assertMatch(
    errorOf(matrix({ arch: "arch: [arm, mips]" })),
    /^matrix\.yaml:3:13: arch\[1\]: unknown arch 'mips'; known: arm/,
  );
  assertMatch(
    errorOf(matrix({ toolchain: "toolchain: [clang-99]" })),
    /^matrix\.yaml:4:13: toolchain\[0\]: unknown toolchain 'clang-99'/,
  );
  assertMatch(
    errorOf(matrix({ tree: "runtime: dokker" })),
    /^matrix\.yaml:1:10: runtime: unknown runtime 'dokker'; known: bwrap, bwrap-userspace, docker, host, podman/,
  );
  assertMatch(
    errorOf(matrix({ extra: "exclude:\n  - {cpu: v5}" })),
    /^matrix\.yaml:\d+:\d+: exclude\[0\]\.cpu: axis 'cpu' has no value 'v5'; values are v7, v6\+v7/,
  );
  assertMatch(
    errorOf(matrix({ extra: "exclude:\n  - {cpux: v7}" })),
    /exclude\[0\]\.cpux: unknown axis 'cpux'/,
  );
  assertMatch(
    errorOf(matrix({ variants: "variants:\n  - name: fix\n    extends: nope" })),
    /^matrix\.yaml:14:14: variants\[0\]\.extends: no earlier variant is named 'nope'/,
  );
  assertMatch(
    errorOf(matrix({ variants: "variants: []" })),
    /^matrix\.yaml:12:\d+: variants: must list at least one variant/,
  );
});

Deno.test("matrix: --cells globs and --variants select, and say what exists when nothing matches", () => {
  const m = parseMatrix(matrix(), { file: FILE });
  assertEquals(selectCells(m.cells, "arm/*/v6+v7/*").map((c) => c.id), [
    "arm/gcc-12/v6+v7/xen-on",
    "arm/gcc-12/v6+v7/xen-off",
  ]);
  assertEquals(selectCells(m.cells, "*/*/v7/xen-on,*/*/*/xen-off").length, 3);
  assertThrows(
    () => selectCells(m.cells, "x86/*"),
    Error,
    "Cannot select cells 'x86/*': no cell matches; cells are arm/gcc-12/v7/xen-on",
  );
  assertEquals(selectVariants(m.variants, "fix").map((v) => v.name), ["fix"]);
  assertThrows(
    () => selectVariants(m.variants, "fox"),
    Error,
    "Cannot select variant 'fox': no such variant; variants are 2012, fix",
  );
});
