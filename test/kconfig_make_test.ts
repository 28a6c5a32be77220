/**
 * The engine against the real kernel tool: for every arch/arm/configs/*_defconfig of the 6.1
 * tree, for the all*config targets and for allnoconfig + KCONFIG_ALLCONFIG fragments, run the
 * real `make ARCH=arm CROSS_COMPILE=arm-linux-gnueabi- O=… <target>` and require the engine's
 * .config to be byte-identical apart from the header comment. savedefconfig and olddefconfig
 * are checked the same way on a subset.
 *
 * Two reused O= directories (conf is built once in each) let two makes run side by side.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { kernelTree } from "./_tree.ts";
import { cacheDir } from "../lib/tree/cache_dir.ts";
import { type Kconfig, loadKconfig } from "../lib/kconfig/kconfig.ts";

const MAKE_ARGS = ["ARCH=arm", "CROSS_COMPILE=arm-linux-gnueabi-"];
const SEED_1 = [
  "CONFIG_ARCH_MULTI_V7=y",
  "CONFIG_ARCH_VIRT=y",
  "CONFIG_AEABI=y",
  "CONFIG_OF=y",
  "CONFIG_XEN=y",
];
const SEED_2 = [...SEED_1, "CONFIG_ARCH_MULTI_V6=y", "CONFIG_ARCH_OMAP2=y"];
/** The seeds leave MMU unset, which allnoconfig answers n; this one turns it on. */
const SEED_2_MMU = ["CONFIG_MMU=y", ...SEED_2];

/** Run make for one target in an O= dir and return the .config it wrote. */
async function make(
  tree: string,
  out: string,
  target: string,
  env: Record<string, string> = {},
  file = ".config",
): Promise<string> {
  const r = await new Deno.Command("make", {
    args: ["-s", "-C", tree, ...MAKE_ARGS, `O=${out}`, target],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!r.success) {
    throw new Error(
      `Cannot run 'make ${target}': ${new TextDecoder().decode(r.stderr).slice(-2000)}`,
    );
  }
  return Deno.readTextFileSync(join(out, file));
}

/** The .config without its 4-line header comment. */
function body(config: string): string {
  return config.split("\n").slice(4).join("\n");
}

/** Empty when equal, else the first differing lines with their line number. */
function firstDiff(name: string, got: string, want: string): string {
  if (got === want) return "";
  const a = got.split("\n"), b = want.split("\n");
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `${name}: first difference at body line ${i + 1}\n  engine: ${
    JSON.stringify(a.slice(i, i + 3))
  }\n  conf:   ${JSON.stringify(b.slice(i, i + 3))}`;
}

/** Run jobs on `n` workers, each owning one O= directory. */
async function onWorkers<T>(
  items: T[],
  outs: string[],
  job: (item: T, out: string) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(outs.map(async (out) => {
    while (next < items.length) await job(items[next++]!, out);
  }));
}

Deno.test("kconfig engine writes the same .config as make on the arm tree", async (t) => {
  const tree = await kernelTree();
  const outs = [0, 1].map((i) => join(cacheDir(), `kconfig-test-O${i}`));
  for (const o of outs) Deno.mkdirSync(o, { recursive: true });
  const kc: Kconfig = await loadKconfig(tree, { arch: "arm", crossCompile: "arm-linux-gnueabi-" });

  await t.step("allnoconfig, allyesconfig, allmodconfig, alldefconfig", async () => {
    const problems: string[] = [];
    const targets = ["allnoconfig", "allyesconfig", "allmodconfig", "alldefconfig"] as const;
    const refs = new Map<string, string>();
    await onWorkers([...targets], outs, async (target, out) => {
      refs.set(target, await make(tree, out, target));
    });
    for (const target of targets) {
      kc[target]();
      problems.push(firstDiff(target, body(kc.write()), body(refs.get(target)!)));
    }
    assert.deepEqual(problems.filter(Boolean), []);
  });

  await t.step("allnoconfig with KCONFIG_ALLCONFIG fragments", async () => {
    const problems: string[] = [];
    const seeds = [["seed-1", SEED_1], ["seed-2", SEED_2], ["seed-2-mmu", SEED_2_MMU]] as const;
    await onWorkers([...seeds], outs, async ([name, lines], out) => {
      const frag = join(out, `${name}.config`);
      Deno.writeTextFileSync(frag, lines.join("\n") + "\n");
      const want = await make(tree, out, "allnoconfig", { KCONFIG_ALLCONFIG: frag });
      kc.allnoconfig({ fragment: [...lines] });
      problems.push(firstDiff(`allnoconfig+${name}`, body(kc.write()), body(want)));
    });
    assert.deepEqual(problems.filter(Boolean), []);
  });

  await t.step("every arch/arm/configs/*_defconfig", async () => {
    const names = [...Deno.readDirSync(join(tree, "arch/arm/configs"))]
      .map((e) => e.name).filter((n) => n.endsWith("_defconfig")).sort();
    assert.ok(names.length >= 100, `expected the 6.1 tree's defconfigs, got ${names.length}`);
    const refs = new Map<string, string>();
    await onWorkers(names, outs, async (name, out) => {
      refs.set(name, await make(tree, out, name));
    });
    const problems: string[] = [];
    for (const name of names) {
      kc.defconfig(name);
      problems.push(firstDiff(name, body(kc.write()), body(refs.get(name)!)));
    }
    const bad = problems.filter(Boolean);
    assert.deepEqual(bad, [], `${bad.length}/${names.length} defconfigs differ`);
  });

  await t.step("savedefconfig and olddefconfig", async () => {
    const problems: string[] = [];
    const saves = [
      "multi_v7_defconfig",
      "omap2plus_defconfig",
      "imx_v6_v7_defconfig",
      "vexpress_defconfig",
    ];
    await onWorkers(saves, outs, async (name, out) => {
      await make(tree, out, name);
      const want = await make(tree, out, "savedefconfig", {}, "defconfig");
      kc.defconfig(name);
      problems.push(firstDiff(`savedefconfig after ${name}`, kc.savedefconfig(), want));
    });
    // olddefconfig of an existing .config with lines appended, as a user edit would do.
    const edits = [
      ["multi_v7_defconfig", ["CONFIG_XEN=y", "CONFIG_ARCH_MULTI_V6=y", "# CONFIG_SMP is not set"]],
      ["allnoconfig", ["CONFIG_MMU=y", ...SEED_2]],
    ] as const;
    await onWorkers([...edits], outs, async ([base, lines], out) => {
      const start = await make(tree, out, base);
      const edited = start + lines.join("\n") + "\n";
      Deno.writeTextFileSync(join(out, ".config"), edited);
      const want = await make(tree, out, "olddefconfig");
      kc.olddefconfig(edited);
      problems.push(firstDiff(`olddefconfig ${base}+edit`, body(kc.write()), body(want)));
    });
    assert.deepEqual(problems.filter(Boolean), []);
  });
});

Deno.test("kconfig engine records a profile for another arch and matches make (x86_64)", async () => {
  const tree = await kernelTree();
  const out = join(cacheDir(), "kconfig-test-O-x86_64");
  Deno.mkdirSync(out, { recursive: true });
  const dir = Deno.makeTempDirSync({ prefix: "kconfig-profile-" });
  try {
    // No committed profile for the host gcc: one is recorded with the real compiler, in the
    // host runtime, and also written to a file given.
    const recordTo = join(dir, "gcc.json");
    const kc = await loadKconfig(tree, {
      arch: "x86_64",
      crossCompile: "",
      record: true,
      recordTo,
    });
    assert.equal(kc.profileUse?.origin, "recorded");
    assert.equal(kc.profile?.environment?.runtime, "host");
    assert.match(kc.profileUse!.path, /\/profiles\/gcc-x86_64-6\.1-host-[0-9a-f]{12}\.json$/);
    assert.ok(
      Object.keys(kc.profile!.shell).length > 10,
      "the recorded profile holds the shell calls",
    );
    // The recorded profile replays: a second engine from the file alone gives the same results.
    const replay = await loadKconfig(tree, { arch: "x86_64", profile: recordTo });
    const problems: string[] = [];
    for (const target of ["x86_64_defconfig", "allnoconfig", "allmodconfig"]) {
      const r = await new Deno.Command("make", {
        args: ["-s", "-C", tree, "ARCH=x86_64", `O=${out}`, target],
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.ok(r.success, new TextDecoder().decode(r.stderr));
      const want = body(Deno.readTextFileSync(join(out, ".config")));
      for (const [name, engine] of [["recorded", kc], ["replayed", replay]] as const) {
        if (target.endsWith("_defconfig")) engine.defconfig(target);
        else if (target === "allnoconfig") engine.allnoconfig();
        else engine.allmodconfig();
        problems.push(firstDiff(`${name} ${target}`, body(engine.write()), want));
      }
    }
    assert.deepEqual(problems.filter(Boolean), []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
