/**
 * The CLI as a user meets it: bad input is one located line on stderr, exit 2, and nothing
 * written.
 */
import { join } from "node:path";
import { existsSync } from "node:fs";
import { assert, assertEquals } from "./_assert.ts";
import { runCli } from "./_cli.ts";

function run(args: string[], cwd: string) {
  return runCli(args, { cwd });
}

Deno.test("cli: a broken matrix is one located line, exit 2, and out/ untouched", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "out"));
  await Deno.writeTextFile(join(dir, "out", "results.json"), "previous");
  await Deno.writeTextFile(
    join(dir, "m.yaml"),
    "arch: [arm]\ntoolchain: [gcc-12]\nvariants:\n  - name: a\n    patches: [gone.patch]\n",
  );
  const r = await run(["matrix", "m.yaml", "--out", "out"], dir);
  assertEquals(r.code, 2);
  assertEquals(
    r.err,
    "m.yaml:5:15: variants[0].patches[0]: patch file 'gone.patch' does not exist (paths are relative to the matrix file)\n",
  );
  assertEquals(await Deno.readTextFile(join(dir, "out", "results.json")), "previous");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli: unknown command, unknown option, missing matrix file, bad --cells", async () => {
  const dir = await Deno.makeTempDir();
  const cases: [string[], RegExp][] = [
    [["matrx"], /^Cannot run command 'matrx': unknown; commands are matrix/],
    [["matrix", "--jobz", "2"], /^Cannot parse arguments '--jobz 2': Unknown option '--jobz'/],
    [["diagnose", "--bogus"], /^Cannot parse arguments '--bogus': Unknown option '--bogus'/],
    [
      ["compare", "a.json", "--head-variant"],
      /^Cannot parse arguments 'a\.json --head-variant': Option '--head-variant <value>' argument missing/,
    ],
    [["matrix", "nope.yaml"], /^Cannot read matrix 'nope\.yaml': No such file/],
    [["matrix", "--jobs", "0"], /^Cannot use --jobs '0': give a whole number of at least 1/],
    [
      ["matrix", join(import.meta.dirname!, "..", "matrix.yaml"), "--cells", "x86/*"],
      /^Cannot select cells 'x86\/\*': no cell matches; cells are arm\/gcc-12\/v7\/xen-on/,
    ],
  ];
  for (const [args, re] of cases) {
    const r = await run(args, dir);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, re);
    assertEquals(r.err.trimEnd().split("\n").length, 1, r.err);
  }
  assertEquals(existsSync(join(dir, "out")), false);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli: --list shows the default matrix's builds without building", async () => {
  const r = await run(["matrix", "--list"], join(import.meta.dirname!, ".."));
  assertEquals(r.code, 0, r.err);
  assertEquals(
    r.out.split("\n").filter(Boolean).map((l) => l.split("\t").slice(0, 2).join(" ")),
    ["2012", "fix", "review", "upstream"].flatMap((v) =>
      ["v7/xen-on", "v6k+v7/xen-on", "v6+v7/xen-on", "v6+v7/xen-off", "v6/xen-on"].map((c) =>
        `${v} arm/gcc-12/${c}`
      )
    ),
  );
});

Deno.test("cli: setup.sh refuses to run as a non-root user and says what to install", async () => {
  // A copy nobody can read: the checkout may sit in root's 0700 home (a clone in /root). Without
  // mod.ts beside it, setup.sh names the command that lists the packages.
  const dir = await Deno.makeTempDir();
  await Deno.chmod(dir, 0o755);
  await Deno.copyFile(join(import.meta.dirname!, "..", "setup.sh"), join(dir, "setup.sh"));
  await Deno.chmod(join(dir, "setup.sh"), 0o644);
  try {
    const out = await new Deno.Command("setpriv", {
      args: ["--reuid=65534", "--regid=65534", "--clear-groups", "sh", join(dir, "setup.sh")],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 2);
    assert.match(
      stderr,
      /^setup: kmatrix installs itself on Debian 12 as root only; elsewhere install by hand: Node\.js with npm, then 'npm install -g deno@2\.9', then the Debian packages (listed by 'deno run -A mod\.ts env packages host'|[a-z0-9 .+-]*gcc-arm-linux-gnueabi[a-z0-9 .+-]*) \(or your distribution's equivalents\), then run 'deno task test'\n$/,
    );
    assertEquals(stderr.trimEnd().split("\n").length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: a second run on the same cache is refused while the first is alive", async () => {
  const cache = await Deno.makeTempDir();
  const lockPath = join(cache, "run.lock");
  // The first run: another process holding the run lock the way a run does (flock, pid inside).
  const holder = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `const f = await Deno.open(${
        JSON.stringify(lockPath)
      }, { read: true, write: true, create: true });
       await f.lock(true);
       await f.write(new TextEncoder().encode(Deno.pid + "\\n"));
       console.log("held");
       await new Promise((r) => setTimeout(r, 60_000));`,
    ],
    stdout: "piped",
  }).spawn();
  const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assertEquals((await reader.read()).value?.trim(), "held");
  const out = join(cache, "out");
  await Deno.mkdir(out);
  await Deno.writeTextFile(join(out, "results.json"), "previous");
  const second = await runCli(["matrix", "--out", out], { env: { KMATRIX_CACHE: cache } });
  holder.kill();
  await holder.status;
  await reader.cancel();
  assertEquals(second.code, 2, second.err);
  assertEquals(
    second.err,
    `Cannot start a run in cache '${cache}': another kmatrix process holds ${lockPath} (pid ${holder.pid}); wait for it or set KMATRIX_CACHE to another directory\n`,
  );
  assertEquals([...Deno.readDirSync(out)].map((e) => e.name), ["results.json"]);
  assertEquals(await Deno.readTextFile(join(out, "results.json")), "previous");
  // The holder is gone, its pid still in the file: the lock holds nothing and the next run
  // takes it (and is stopped by a runtime that cannot start here, before anything is built).
  assertEquals((await Deno.readTextFile(lockPath)).trim(), String(holder.pid));
  const after = await runCli(["matrix", "--runtime", "docker", "--out", out], {
    env: { KMATRIX_CACHE: cache },
  });
  assert.match(after.err, /^Cannot use runtime 'docker'/);
  assertEquals(await Deno.readTextFile(lockPath), "", "the lock is released");
  await Deno.remove(cache, { recursive: true });
});
