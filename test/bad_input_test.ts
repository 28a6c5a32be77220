/**
 * Bad input, as a user meets it through the CLI (`deno run -A mod.ts matrix …`): each case is
 * one line on stderr naming the place (file:line:col where there is a file) and what to do,
 * exit 2, and the previous results in --out left byte for byte as they were.
 *
 * Each case runs in a cache of its own that shares the test cache's trees and worktrees
 * (test/_cache.ts); the variants use the scenario patch of cross/patches, so the worktree of
 * the cases that need the tree (an unknown fragment symbol, a patch that does not apply) is
 * the one other tests made.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { type CliRun, runCli } from "./_cli.ts";
import { sharedCache } from "./_cache.ts";
import { kernelTree } from "./_tree.ts";
import { checkToolchains } from "../lib/run/preflight.ts";
import { toolchainIdentity } from "../lib/environment/toolchain_profile.ts";
import { loadArch } from "../lib/matrix/cross_data.ts";
import { loadRuntime } from "../lib/environment/runtime.ts";
import { parseMatrix } from "../lib/matrix/load_matrix.ts";
import { InputError } from "../lib/errors.ts";

const REPO = join(import.meta.dirname!, "..");
const SCENARIO = await Deno.readTextFile(join(REPO, "cross", "patches", "xen-2012-state.patch"));

/** A small matrix; `edit` changes its text. */
function matrix(edit: (text: string) => string = (t) => t): string {
  return edit(`arch: [arm]
toolchain: [gcc-12]
kconfig: [CONFIG_MMU=y, CONFIG_AEABI=y, CONFIG_OF=y]
axes:
  cpu:
    v7: [CONFIG_ARCH_MULTI_V7=y, CONFIG_ARCH_VIRT=y]
variants:
  - name: a
    patches: [p.patch]
`);
}

interface Case {
  /** Files of the matrix directory (m.yaml, patches). */
  files: Record<string, string>;
  /** Arguments after `matrix`. */
  args?: string[];
  /** The one line expected on stderr. */
  err: RegExp;
  /** Run with out/ bind-mounted read-only (in a mount namespace of its own). */
  readOnlyOut?: boolean;
}

/** The names and bytes of every file below `dir`. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) {
      for (const [k, v] of Object.entries(await snapshot(p))) out[`${e.name}/${k}`] = v;
    } else out[e.name] = await Deno.readTextFile(p);
  }
  return out;
}

/** Run the case and check: exit 2, one line, out/ unchanged. */
async function refused(c: Case): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kmatrix-bad-" });
  // A cache of its own: a run of another test holding the test cache's run lock must not
  // turn these cases into "Cannot start a run".
  const cache = await sharedCache();
  try {
    for (const [name, text] of Object.entries({ "p.patch": SCENARIO, ...c.files })) {
      await Deno.writeTextFile(join(dir, name), text);
    }
    await Deno.mkdir(join(dir, "out"));
    const previous = `{"version":1,"results":[],"started":"${crypto.randomUUID()}"}\n`;
    await Deno.writeTextFile(join(dir, "out", "results.json"), previous);
    const before = await snapshot(join(dir, "out"));
    const args = ["matrix", "m.yaml", "--out", "out", ...(c.args ?? [])];
    const r = c.readOnlyOut
      ? await readOnlyRun(join(dir, "out"), args, { cwd: dir, env: { KMATRIX_CACHE: cache } })
      : await runCli(args, { cwd: dir, env: { KMATRIX_CACHE: cache } });
    assertEquals(r.code, 2, r.err);
    // The error is the last line; before it, only the run's progress (`stage: …`) lines.
    const lines = r.err.trimEnd().split("\n");
    for (const l of lines.slice(0, -1)) {
      assert.match(l, /^(\d\d:\d\d:\d\d )?(tree|patch|runtime|profile): /, r.err);
    }
    assert.match(lines.at(-1)!, c.err);
    assertEquals(await snapshot(join(dir, "out")), before, "out/ is untouched");
    return lines.at(-1)!;
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(cache, { recursive: true });
  }
}

/** Run the CLI with `ro` bind-mounted read-only over itself, in a mount namespace of its own. */
async function readOnlyRun(
  ro: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<CliRun> {
  const o = await new Deno.Command("unshare", {
    args: [
      "-m",
      "sh",
      "-c",
      'mount --bind -o ro "$0" "$0" && exec "$@"',
      ro,
      Deno.execPath(),
      "run",
      "-A",
      join(REPO, "mod.ts"),
      ...args,
    ],
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
}

Deno.test("bad input: malformed YAML", async () => {
  await refused({
    files: { "m.yaml": matrix((t) => t.replace("arch: [arm]", "arch: [arm")) },
    err: /^m\.yaml:\d+:\d+: invalid YAML: /,
  });
});

Deno.test("bad input: an alias without its anchor", async () => {
  await refused({
    files: { "m.yaml": matrix((t) => t.replace("name: a", "name: *a")) },
    err:
      /^m\.yaml:8:11: invalid YAML: Unresolved alias .*; define the anchor \(&name\) before its alias$/,
  });
});

Deno.test("bad input: unknown key", async () => {
  await refused({
    files: { "m.yaml": matrix((t) => `${t}colour: blue\n`) },
    err: /^m\.yaml:10:1: colour: unknown key 'colour'; allowed keys are tree, runtime, /,
  });
});

Deno.test("bad input: wrong type", async () => {
  await refused({
    files: { "m.yaml": matrix((t) => `jobs: many\n${t}`) },
    err: /^m\.yaml:1:7: jobs: must be a whole number$/,
  });
});

Deno.test("bad input: empty axis", async () => {
  await refused({
    files: {
      "m.yaml": matrix((t) => t.replace(/cpu:\n.*\n/, "cpu: {}\n")),
    },
    err: /^m\.yaml:5:8: axes\.cpu: axis has no values; give at least one value or remove the axis$/,
  });
});

Deno.test("bad input: duplicate cell id", async () => {
  await refused({
    files: {
      "m.yaml": matrix((t) => `${t}include:\n  - {arch: arm, toolchain: gcc-12, cpu: v7}\n`),
    },
    err:
      /^m\.yaml:11:5: include\[0\]: cell 'arm\/gcc-12\/v7' is listed twice \(include repeats a product cell\)$/,
  });
});

Deno.test("bad input: unknown arch, toolchain, runtime, base", async () => {
  await refused({
    files: { "m.yaml": matrix((t) => t.replace("arch: [arm]", "arch: [mips]")) },
    err: /^m\.yaml:1:8: arch\[0\]: unknown arch 'mips'; known: arm \(cross\/arches\/\)$/,
  });
  await refused({
    files: { "m.yaml": matrix((t) => t.replace("[gcc-12]", "[gcc-99]")) },
    err: /^m\.yaml:2:13: toolchain\[0\]: unknown toolchain 'gcc-99'; known: .*gcc-12.*$/,
  });
  await refused({
    files: { "m.yaml": matrix((t) => `runtime: dokker\n${t}`) },
    err: /^m\.yaml:1:10: runtime: unknown runtime 'dokker'; known: .*docker.*host.*$/,
  });
  await refused({
    files: { "m.yaml": matrix((t) => `base: allfooconfig\n${t}`) },
    err: /^m\.yaml:1:7: base: unknown base config; use one of allnoconfig, /,
  });
});

Deno.test("bad input: a fragment line that is not CONFIG_X=… or '# CONFIG_X is not set'", async () => {
  await refused({
    files: { "m.yaml": matrix((t) => t.replace("CONFIG_OF=y", "XEN=y")) },
    err: /^m\.yaml:3:41: kconfig\[2\]: must be CONFIG_<NAME>=<y\|m\|n\|number\|"string"> or/,
  });
});

Deno.test("bad input: a fragment symbol the tree does not define, with a did-you-mean", async () => {
  await kernelTree();
  await refused({
    files: { "m.yaml": matrix((t) => t.replace("CONFIG_ARCH_VIRT=y", "CONFIG_ARCH_VRIT=y")) },
    err:
      /^m\.yaml:6:34: CONFIG_ARCH_VRIT: no such Kconfig symbol in the tree of variant 'a' \(arm\); did you mean CONFIG_ARCH_VIRT\?$/,
  });
});

Deno.test("bad input: patch missing, empty, not a patch, outside the tree", async () => {
  await refused({
    files: { "m.yaml": matrix((t) => t.replace("[p.patch]", "[gone.patch]")) },
    err:
      /^m\.yaml:9:15: variants\[0\]\.patches\[0\]: patch file 'gone\.patch' does not exist \(paths are relative to the matrix file\)$/,
  });
  await refused({
    files: { "m.yaml": matrix(), "p.patch": "\n" },
    err:
      /^m\.yaml:9:15: variants\[0\]\.patches\[0\]: p\.patch:1: the patch is empty; give a patch made by 'git format-patch' or 'diff -u'$/,
  });
  await refused({
    files: { "m.yaml": matrix(), "p.patch": "Hello,\nplease apply my fix.\n" },
    err: /^m\.yaml:9:15: variants\[0\]\.patches\[0\]: p\.patch:1: no diff in it /,
  });
  await refused({
    files: {
      "m.yaml": matrix(),
      "p.patch": SCENARIO.replaceAll("a/arch/arm/Kconfig", "a/../../etc/passwd"),
    },
    err:
      /^m\.yaml:9:15: variants\[0\]\.patches\[0\]: p\.patch:\d+: path '(a\/)?\.\.\/\.\.\/etc\/passwd' is outside the tree; a patch may only change files inside the kernel tree$/,
  });
});

Deno.test("bad input: a patch that does not apply", async () => {
  await kernelTree();
  await refused({
    files: {
      "m.yaml": matrix(),
      "p.patch": SCENARIO.replace(/^-(\s*depends on .*)$/m, "-$1 && NOT_IN_THE_TREE"),
    },
    err:
      /^Cannot apply patch 'p\.patch' to variant 'a': arch\/arm\/Kconfig:\d+: patch does not apply; rebase the patch onto this tree$/,
  });
});

Deno.test("bad input: tree path missing or not a kernel tree, said by --list too", async () => {
  for (const args of [[], ["--list"]]) {
    await refused({
      files: { "m.yaml": matrix((t) => `tree: /nonexistent/linux\n${t}`) },
      args,
      err:
        /^m\.yaml:1:7: tree: '\/nonexistent\/linux' does not exist; give a kernel checkout or debian:linux-source-6\.1$/,
    });
    await refused({
      files: { "m.yaml": matrix((t) => `tree: /etc\n${t}`) },
      args,
      err:
        /^m\.yaml:1:7: tree: '\/etc' is not a kernel tree \(no Makefile and Kconfig there\); give a kernel checkout or debian:linux-source-6\.1$/,
    });
  }
});

Deno.test("bad input: output directory not writable", async () => {
  // As root every directory is writable: a file where the directory should be.
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "file"), "a file\n");
  await refused({
    files: { "m.yaml": matrix() },
    args: ["--out", join(dir, "file", "out")],
    err: new RegExp(
      `^Cannot write results to '${join(dir, "file", "out")}': '${
        join(dir, "file")
      }' is not a directory; give --out a directory you can write$`,
    ),
  });
  assertEquals(await Deno.readTextFile(join(dir, "file")), "a file\n");
  await Deno.remove(dir, { recursive: true });
  // A read-only file system under out/ (results.json there stays as it was).
  await refused({
    files: { "m.yaml": matrix() },
    readOnlyOut: true,
    err:
      /^Cannot write results to 'out': '\/.*\/out' is not writable: Read-only file system; give --out a directory you can write$/,
  });
});

Deno.test("bad input: a toolchain that is not installed in the runtime", () => {
  const arch = loadArch("arm")!;
  const runtime = loadRuntime("host");
  const toolchain = {
    name: "gcc-99",
    cross_compile: { arm: "arm-linux-gnueabi-" },
    cc: "${CROSS_COMPILE}gcc-99",
    ld: "${CROSS_COMPILE}ld",
    hostcc: "gcc",
    size: "size",
    make_vars: {},
    packages: {},
  };
  assertEquals(toolchainIdentity({ arch, toolchain, runtime }).present, false);
  assertEquals(
    toolchainIdentity({ arch, toolchain: parseCell().toolchain, runtime }).present,
    true,
  );
  const cell = { ...parseCell(), toolchain };
  assert.throws(() => checkToolchains([cell], runtime), (e) => {
    assert(e instanceof InputError);
    assertEquals(
      e.message,
      "Cannot build with toolchain 'gcc-99' for 'arm': it is not installed in runtime 'host'; run ./setup.sh (it installs every toolchain of cross/environments/bookworm.yaml) or choose another runtime",
    );
    return true;
  });
});

function parseCell() {
  return parseMatrix(matrix((t) => t.replace("[p.patch]", "[]")), {
    file: join(REPO, "m.yaml"),
  }).cells[0]!;
}

Deno.test("bad input: a Kconfig parse error in a patched tree", async () => {
  const tree = await kernelTree();
  const lines = (await Deno.readTextFile(join(tree, "drivers/xen/Kconfig"))).split("\n");
  // A patch that puts a statement Kconfig does not know after the first line.
  const broken = [
    "diff --git a/drivers/xen/Kconfig b/drivers/xen/Kconfig",
    "--- a/drivers/xen/Kconfig",
    "+++ b/drivers/xen/Kconfig",
    "@@ -1,3 +1,4 @@",
    ` ${lines[0]}`,
    "+frobnicate XEN",
    ` ${lines[1]}`,
    ` ${lines[2]}`,
    "",
  ].join("\n");
  await refused({
    files: { "m.yaml": matrix(), "p.patch": broken },
    err:
      /^drivers\/xen\/Kconfig:2: unknown statement "frobnicate" \(in the tree of variant 'a'\); fix the patch that breaks this Kconfig file$/,
  });
});
