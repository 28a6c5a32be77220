/**
 * The `config` command end to end on the real 6.1 tree: it writes the engine's .config, reports
 * fragment lines that did not stick with the failing term, explains symbols, writes a
 * savedefconfig, and rejects bad input with a one-line error and exit code 2.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { kernelTree } from "./_tree.ts";
import { configCommand } from "../lib/kconfig/cli.ts";
import { loadKconfig } from "../lib/kconfig/kconfig.ts";

const BASE = ["--arch", "arm", "--cross-compile", "arm-linux-gnueabi-"];
const FRAGMENT = [
  "CONFIG_MMU=y",
  "CONFIG_ARCH_MULTI_V7=y",
  "CONFIG_ARCH_VIRT=y",
  "CONFIG_AEABI=y",
  "CONFIG_OF=y",
  "CONFIG_XEN=y",
  "CONFIG_ARCH_MULTI_V6=y",
  "CONFIG_ARCH_OMAP2=y",
];

/** Capture console output while running the command. */
async function capture(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const log = console.log, error = console.error;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    const code = await configCommand(args);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** Line of `select <target>` inside `config <sym>` of a Kconfig file of the tree. */
function selectLine(tree: string, file: string, sym: string, target: string): number {
  const lines = Deno.readTextFileSync(join(tree, file)).split("\n");
  const start = lines.findIndex((l) => l === `config ${sym}`);
  const i = lines.findIndex((l, n) => n > start && l.trim() === `select ${target}`);
  return i + 1;
}

Deno.test("config command writes the .config and names the term that dropped XEN", async () => {
  const tree = await kernelTree();
  const dir = Deno.makeTempDirSync({ prefix: "kconfig-cli-" });
  try {
    const frag = join(dir, "seed.config");
    Deno.writeTextFileSync(frag, FRAGMENT.join("\n") + "\n");
    const output = join(dir, ".config");
    const saved = join(dir, "defconfig");
    const r = await capture([
      "--tree",
      tree,
      ...BASE,
      "--allnoconfig",
      "--add",
      frag,
      "--add",
      "CONFIG_HIGHMEM=y",
      "--output",
      output,
      "--savedefconfig",
      saved,
      "explain",
      "XEN",
      "CONFIG_CPU_V6",
    ]);
    assert.equal(r.code, 0, r.err);

    // The file is what the library computes for the same request (checked against make in
    // kconfig_make_test.ts).
    const kc = await loadKconfig(tree, { arch: "arm", crossCompile: "arm-linux-gnueabi-" });
    kc.allnoconfig({ fragment: [...FRAGMENT, "CONFIG_HIGHMEM=y"] });
    assert.equal(Deno.readTextFileSync(output), kc.write());
    assert.equal(Deno.readTextFileSync(saved), kc.savedefconfig());

    // XEN needs !CPU_V6, and ARCH_OMAP2 selects CPU_V6: the warning says exactly that.
    assert.equal(kc.value("XEN"), "n");
    assert.equal(kc.value("CPU_V6"), "y");
    const line = selectLine(tree, "arch/arm/mach-omap2/Kconfig", "ARCH_OMAP2", "CPU_V6");
    const expected =
      `XEN=n: depends on !CPU_V6, and CPU_V6=y is selected by ARCH_OMAP2 (arch/arm/mach-omap2/Kconfig:${line})`;
    const xenWarning = r.err.split("\n").find((l) => l.includes("'CONFIG_XEN=y' did not stick"));
    assert.ok(xenWarning?.includes(expected), `warning was: ${xenWarning}`);
    assert.ok(
      kc.dropped(FRAGMENT).some((d) => d.line === "CONFIG_XEN=y" && d.why.startsWith(expected)),
    );
    // Lines that stuck are not reported.
    assert.ok(!kc.dropped(FRAGMENT).some((d) => d.line === "CONFIG_ARCH_MULTI_V7=y"));

    // explain prints both symbols, with the selector of CPU_V6.
    assert.match(r.out, /^XEN=n \(bool, defined at arch\/arm\/Kconfig:\d+\)/m);
    assert.match(r.out, /^CPU_V6=y /m);
    assert.ok(r.out.includes(`selected by ARCH_OMAP2 [y] (arch/arm/mach-omap2/Kconfig:${line})`));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("config command rejects bad input with one line and exit code 2", async () => {
  const tree = await kernelTree();
  const cases: [string[], RegExp][] = [
    [["--arch", "arm", "--allnoconfig"], /^Cannot configure '.*': --tree DIR is required$/],
    [["--tree", tree, ...BASE], /^Cannot configure '.*': give exactly one base/],
    [["--tree", tree, ...BASE, "--allnoconfig", "--allyesconfig"], /exactly one base/],
    [["--tree", tree, ...BASE, "--allnoconfig", "oops"], /^Cannot parse arguments 'oops'/],
    [["--tree", tree, ...BASE, "--allnoconfig", "--bogus"], /^Cannot parse arguments/],
    [["--tree", "/nonexistent", ...BASE, "--allnoconfig"], /^Cannot read Kconfig tree/],
    [
      ["--tree", tree, "--arch", "arm", "--cross-compile", "nosuch-", "--allnoconfig"],
      /^Cannot resolve Kconfig for 'arm' with 'nosuch-gcc': toolchain 'nosuch-gcc' is not installed in runtime 'host' and there is no committed profile .*; install it/,
    ],
    [
      ["--tree", tree, ...BASE, "--defconfig", "nosuch_defconfig"],
      /^Cannot read defconfig 'nosuch_defconfig'/,
    ],
    [
      ["--tree", tree, ...BASE, "--allnoconfig", "--add", "/nonexistent.frag"],
      /^Cannot read fragment/,
    ],
  ];
  for (const [args, pattern] of cases) {
    const r = await capture(args);
    assert.equal(r.code, 2, `exit code for ${args.join(" ")}`);
    assert.equal(r.err.split("\n").length, 1, `one line for ${args.join(" ")}: ${r.err}`);
    assert.match(r.err, pattern);
  }
});

Deno.test("a $(shell,…) call missing from the profile is an error naming the call", async () => {
  const tree = await kernelTree();
  const kc = await loadKconfig(tree, { arch: "arm", crossCompile: "arm-linux-gnueabi-" });
  const profile = structuredClone(kc.profile!);
  const key = Object.keys(profile.shell).find((k) => k.includes("cc-version.sh"))!;
  delete profile.shell[key];
  await assert.rejects(
    () => loadKconfig(tree, { arch: "arm", profile }),
    (e: Error) =>
      /^scripts\/Kconfig\.include:\d+: Cannot run '\$\(shell,.*cc-version\.sh arm-linux-gnueabi-gcc\)': the call is not recorded/
        .test(e.message),
  );
});
