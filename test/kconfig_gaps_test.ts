/**
 * Kconfig engine gaps found on real material (issue 8), each checked against the real tools:
 * - recursive dependencies: the real `scripts/kconfig/conf` (built from the 6.1 tree) refuses
 *   `config A / depends on A` and a depends-on/default cycle with `recursive dependency
 *   detected!` at the same `file:line`, and accepts a select/depends-on pair and references
 *   between the values of one choice; the engine does exactly the same;
 * - defconfigs in subdirectories: `--defconfig 44x/akebono_defconfig` on powerpc (56 of its
 *   defconfigs are in subdirectories) writes the `.config` real `make 44x/akebono_defconfig`
 *   writes;
 * - `ARCH=um`: the variables arch/um/Makefile exports to conf (SUBARCH, HEADER_ARCH) reach the
 *   engine: `--defconfig x86_64_defconfig` writes real make's `.config` instead of failing.
 * The powerpc and um runs use the host gcc (`--cross-compile ""`), as real make does here.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { kernelTree } from "./_tree.ts";
import { confBinary } from "./_conf.ts";
import { runCli } from "./_cli.ts";
import { Kconfig } from "../lib/kconfig/kconfig.ts";

const tree = await kernelTree();

/** Real conf and the engine on one Kconfig snippet: conf's exit and stderr, the engine's error. */
async function both(kconfig: string) {
  const conf = await confBinary();
  const dir = await Deno.makeTempDir({ prefix: "kmatrix-kconfig-gap-" });
  try {
    await Deno.writeTextFile(join(dir, "Kconfig"), kconfig);
    const r = await new Deno.Command(conf, {
      args: ["--allnoconfig", "Kconfig"],
      cwd: dir,
      env: { PATH: "/usr/bin:/bin", srctree: dir, KCONFIG_CONFIG: join(dir, "out.config") },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    let engine: string | undefined;
    try {
      new Kconfig(dir, "arm", { env: () => undefined, shell: () => "" });
    } catch (e) {
      engine = (e as Error).message;
    }
    return { ok: r.success, stderr: new TextDecoder().decode(r.stderr), engine };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("recursive dependency: conf and the engine refuse 'depends on A' in A, at Kconfig:1", async () => {
  const r = await both(`config A\n\tbool "A"\n\tdepends on A\n`);
  assert.equal(r.ok, false);
  assert.match(r.stderr, /^Kconfig:1:error: recursive dependency detected!$/m);
  assert.match(r.stderr, /^Kconfig:1:\tsymbol A depends on A$/m);
  assert.equal(r.engine, "Kconfig:1: recursive dependency detected!: symbol A depends on A");
});

Deno.test("recursive dependency through a default: same location and first step as conf", async () => {
  const r = await both(
    `config A\n\tbool "A"\n\tselect B\nconfig B\n\tbool "B"\n\tdefault A\n\tdepends on C\n` +
      `config C\n\tbool "C"\n\tdefault B\n`,
  );
  assert.equal(r.ok, false);
  const at = r.stderr.match(/^(Kconfig:\d+):error: recursive dependency detected!$/m)?.[1];
  assert.ok(at, r.stderr);
  assert.match(r.stderr, /^Kconfig:4:\tsymbol B depends on C$/m);
  assert.ok(r.engine?.startsWith(`${at}: recursive dependency detected!: symbol B depends on C`));
});

Deno.test("no recursion: select + depends on, and choice values naming each other", async () => {
  for (
    const k of [
      `config D\n\tbool "D"\n\tselect E\nconfig E\n\tbool "E"\n\tdepends on D\n`,
      `choice\n\tprompt "C"\nconfig A\n\tbool "A"\nconfig B\n\tbool "B"\n\tdepends on !A\nendchoice\n`,
    ]
  ) {
    const r = await both(k);
    assert.equal(r.ok, true, r.stderr);
    assert.equal(r.engine, undefined);
  }
});

/** The `.config` real make writes for a config target, in a fresh O= directory. */
async function realMake(arch: string, target: string): Promise<string> {
  const out = await Deno.makeTempDir({ prefix: "kmatrix-kconfig-gap-O-" });
  try {
    const r = await new Deno.Command("make", {
      args: ["-s", "-C", tree, `O=${out}`, `ARCH=${arch}`, target],
      env: { LC_ALL: "C" },
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    return await Deno.readTextFile(join(out, ".config"));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

async function engine(arch: string, defconfig: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kmatrix-kconfig-gap-" });
  try {
    const out = join(dir, ".config");
    const r = await runCli([
      "config",
      "--tree",
      tree,
      "--arch",
      arch,
      "--cross-compile",
      "",
      "--defconfig",
      defconfig,
      "--output",
      out,
    ]);
    assert.equal(r.code, 0, r.err);
    return await Deno.readTextFile(out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("--defconfig 44x/akebono_defconfig: a defconfig in a subdirectory, as real make", async () => {
  const sub = [...Deno.readDirSync(join(tree, "arch/powerpc/configs"))].filter((e) => e.isDirectory)
    .flatMap((d) =>
      [...Deno.readDirSync(join(tree, "arch/powerpc/configs", d.name))].map((f) => f.name)
    ).filter((name) => name.endsWith("_defconfig"));
  assert.ok(sub.includes("akebono_defconfig") && sub.length > 50, `${sub.length}`);
  assert.equal(
    await engine("powerpc", "44x/akebono_defconfig"),
    await realMake("powerpc", "44x/akebono_defconfig"),
  );
});

Deno.test("ARCH=um: the arch Makefile's exports reach Kconfig; x86_64_defconfig as real make", async () => {
  assert.equal(await engine("um", "x86_64_defconfig"), await realMake("um", "x86_64_defconfig"));
});
