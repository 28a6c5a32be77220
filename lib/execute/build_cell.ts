/**
 * The execute stage: configure and build one cell of one variant for real, with the toolchain,
 * in a runtime, and keep every command line, the whole log and a script that redoes it.
 *
 * Steps, as a kernel developer would type them (tuxmake does the same), from the cell's
 * {@linkcode configPlan} — the same plan the predictor follows:
 * 1. `make O=… <base>` with `KCONFIG_ALLCONFIG=<fragment>` for the all*config bases; for
 *    `defconfig`/`<name>_defconfig`, `make <base>`, then `merge_config.sh -m` and
 *    `make olddefconfig` to lay the fragment over it;
 * 2. `make -k -jN <targets>` (in a run, every make joins the run's {@linkcode JobServer} instead
 *    of `-jN`: the budget is shared between builds as make shares it between sub-makes);
 * 3. the toolchain's `size` on vmlinux, when the build left one.
 *
 * Every process of a build runs in its own process group, so an abort (Ctrl-C, a timeout)
 * kills make and every compiler under it at once.
 *
 * @module
 */
import { $, quote } from "zx";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { constants as osConstants } from "node:os";
import type { Cell } from "../matrix/load_matrix.ts";
import type { VariantTree } from "../patch/variant_tree.ts";
import { cacheDir } from "../tree/cache_dir.ts";
import { classifyLog, parseLog } from "../diagnose/parse_log.ts";
import type { Diagnostic } from "../diagnose/diagnostic.ts";
import type { BuildStatus, BuildStep, CellResult } from "../results/model.ts";
import { type Invocation, runSync, type Runtime } from "../environment/runtime.ts";
import { toolchainIdentity } from "../environment/toolchain_profile.ts";
import { droppedLines } from "../kconfig/config_file.ts";
import { configPlan, toolchainProgram } from "../plan/config_plan.ts";
import { type JobServerJoin, joinJobServer } from "./job_server.ts";

/** What a running build reports. */
export interface BuildProgress {
  /** The step running: `config`, `merge`, `olddefconfig`, `build`, `size`. */
  step: string;
  /** Objects compiled so far (make's `CC`/`AS` lines). */
  objects: number;
}

/** Options for {@linkcode buildCell}. */
export interface BuildCellOptions {
  /** The runtime the commands run in. */
  runtime: Runtime;
  /** Directory for this cell's log, fragment, `.config` copy and reproducer. */
  outDir: string;
  /** make targets. */
  targets: string[];
  /** `make -j`; defaults to the number of CPUs (with `jobServer`, its budget). */
  jobs?: number;
  /**
   * A jobserver every make of the build joins (the caller holds a slot for it), instead of
   * its own `-j`.
   */
  jobServer?: JobServerJoin;
  /** Use ccache (default: when it is on PATH). */
  ccache?: boolean;
  /** The ccache directory (default `<cache>/ccache`, shared by every build). */
  ccacheDir?: string;
  /** Kill the build after this many seconds (default 3600); a killed build is `infra`. */
  timeoutS?: number;
  /** Run the config steps only (no build, no size). */
  configOnly?: boolean;
  /** Aborting kills the build's process group; the record is `interrupted`. */
  signal?: AbortSignal;
  /** Called when a step starts. */
  onStep?: (step: string, command: string) => void;
  /** Called as the build makes progress (at most once per output line). */
  onProgress?: (progress: BuildProgress) => void;
}

/** The directory name of a cell id: `arm/gcc-12/v6+v7/xen-on` → `arm_gcc-12_v6+v7_xen-on`. */
export function cellSlug(id: string): string {
  return id.replaceAll("/", "_");
}

/** The `O=` directory of a cell in a variant: beside the variant's worktree, in the cache. */
export function objDir(variant: VariantTree, cell: Cell): string {
  // Beside the variant's src so every relative path ccache sees is the same in every variant:
  // objects of an unchanged file are compiled once for all variants.
  return join(variant.root, "build", cellSlug(cell.id));
}

interface PlannedStep {
  name: string;
  argv: string[];
  env?: Record<string, string>;
}

/** Configure and build `cell` on `variant`; failures are results, not exceptions. */
export async function buildCell(
  cell: Cell,
  variant: VariantTree,
  options: BuildCellOptions,
): Promise<CellResult> {
  const obj = objDir(variant, cell);
  const out = options.outDir;
  await Deno.remove(obj, { recursive: true }).catch(() => {});
  await Deno.mkdir(obj, { recursive: true });
  await Deno.mkdir(out, { recursive: true });
  const fragment = join(out, "fragment.config");
  await Deno.writeTextFile(fragment, cell.kconfig.map((l) => `${l}\n`).join(""));
  const logPath = join(out, "build.log");
  const configPath = join(out, "config");
  const statsLog = join(obj, ".ccache-stats.log");

  const cache = cacheDir();
  const ccacheDir = options.ccacheDir ?? join(cache, "ccache");
  const ccache = options.ccache ??
    (await $({ quiet: true, nothrow: true })`command -v ccache`).exitCode === 0;
  const config = configPlan(cell);
  const makeVars = [
    ...Object.entries(config.makeVars).map(([k, v]) => `${k}=${v}`),
    ...(ccache
      ? [
        `CC=ccache ${toolchainProgram(cell.toolchain, cell.arch, "cc")}`,
        `HOSTCC=ccache ${cell.toolchain.hostcc}`,
      ]
      : []),
  ];
  const env: Record<string, string> = {
    LC_ALL: "C",
    KBUILD_BUILD_TIMESTAMP: "1970-01-01 00:00:00 UTC",
    KBUILD_BUILD_USER: "kmatrix",
    KBUILD_BUILD_HOST: "kmatrix",
    ...(ccache
      ? {
        CCACHE_DIR: ccacheDir,
        CCACHE_BASEDIR: cache,
        CCACHE_NOHASHDIR: "1",
        // The same compiler package in another runtime (a bwrap rootfs, an image) is the same
        // compiler: hash its content, not its path and mtime, so they share the cache.
        CCACHE_COMPILERCHECK: "content",
        // Depend mode: a miss compiles once and takes the headers from Kbuild's own -MMD file,
        // where the default mode runs the preprocessor first to hash its output — measured on
        // 6.1's kernel/ mm/ fs/ (v7, cold, -j2): 85 s without ccache, 110 s default, 89 s
        // depend. It gives up hits across configs whose preprocessed output is equal; every
        // object includes autoconf.h, and the matrix's dedup already shares equal configs.
        CCACHE_DEPEND: "1",
        CCACHE_MAXSIZE: Deno.env.get("CCACHE_MAXSIZE") ?? "8G",
        CCACHE_STATSLOG: statsLog,
      }
      : {}),
  };
  const mounts = [
    { path: variant.src, writable: false },
    { path: obj, writable: true },
    { path: out, writable: false },
    ...(ccache ? [{ path: ccacheDir, writable: true }] : []),
    ...(options.jobServer ? [{ path: options.jobServer.path, writable: true }] : []),
  ];
  if (ccache) await Deno.mkdir(ccacheDir, { recursive: true });
  const make = ["make", "-C", variant.src, `O=${obj}`, ...makeVars];
  const jobs = options.jobServer?.jobs ?? options.jobs ?? navigator.hardwareConcurrency;

  const plan: PlannedStep[] = [];
  if (config.method === "allconfig") {
    plan.push({
      name: "config",
      argv: [...make, config.target],
      env: { KCONFIG_ALLCONFIG: fragment },
    });
  } else {
    plan.push({ name: "config", argv: [...make, config.target] });
    if (config.merge) {
      plan.push({
        name: "merge",
        argv: [
          join(variant.src, "scripts/kconfig/merge_config.sh"),
          "-m",
          "-O",
          obj,
          join(obj, ".config"),
          fragment,
        ],
        env: { ...config.makeVars, SRCARCH: cell.arch.srcarch },
      });
      plan.push({ name: "olddefconfig", argv: [...make, "olddefconfig"] });
    }
  }
  // The reproducer redoes the whole build, even of a record that here only configures.
  const reproduced = [
    ...plan,
    { name: "build", argv: [...make, "-k", `-j${jobs}`, ...options.targets] },
  ];
  if (!options.configOnly) {
    plan.push({
      name: "build",
      argv: [...make, "-k", ...(options.jobServer ? [] : [`-j${jobs}`]), ...options.targets],
    });
  }
  if (options.jobServer) {
    for (const [i, step] of plan.entries()) {
      if (step.argv[0] !== "make") continue;
      const joined = joinJobServer(step.argv, options.jobServer);
      plan[i] = { ...step, argv: joined.argv, env: { ...step.env, ...joined.env } };
    }
  }

  const steps: BuildStep[] = [];
  const started = performance.now();
  const log = await Deno.open(logPath, { write: true, create: true, truncate: true });
  const write = (text: string) => log.writeSync(new TextEncoder().encode(text));
  let infraReason: string | undefined;
  let interrupted = false;
  let objects = 0;
  try {
    for (const step of plan) {
      const inv: Invocation = { argv: step.argv, cwd: obj, env: { ...env, ...step.env }, mounts };
      const wrapped = options.runtime.wrap(inv);
      const command = commandLine(wrapped);
      if (interrupted || infraReason || steps.some((s) => s.status !== "pass")) {
        steps.push({ name: step.name, status: "skip", command, exit_code: null, duration_s: 0 });
        continue;
      }
      options.onStep?.(step.name, command);
      options.onProgress?.({ step: step.name, objects });
      write(`+ ${command}\n`);
      const t0 = performance.now();
      const r = await runStep(wrapped, obj, {
        timeoutS: options.timeoutS ?? 3600,
        ...(options.signal ? { signal: options.signal } : {}),
        onLine: (line) => {
          write(`${line}\n`);
          if (/^\s+(CC|AS)(\s|\s\[M\]\s)/.test(line)) {
            objects++;
            options.onProgress?.({ step: step.name, objects });
          }
        },
      });
      if (r.interrupted) {
        interrupted = true;
        write(`kmatrix: step ${step.name} interrupted\n`);
      } else if (r.timedOut) {
        infraReason = `step ${step.name} timed out after ${options.timeoutS ?? 3600} s`;
        write(`kmatrix: ${infraReason}\n`);
      } else if (r.signal ?? signalOfStatus(r.code)) {
        // Killed from outside (an admin, the OOM killer on make itself, a dying runtime): the
        // shell around the step reports it as 128 + the signal, not as a signal of its own.
        write(`kmatrix: step ${step.name} killed by ${r.signal ?? signalOfStatus(r.code)}\n`);
      }
      const status = r.interrupted || r.timedOut ? "infra" : r.code === 0 ? "pass" : "fail";
      steps.push({
        name: step.name,
        status,
        command,
        exit_code: r.code,
        duration_s: round((performance.now() - t0) / 1000),
      });
    }
  } finally {
    log.close();
  }

  const text = await Deno.readTextFile(logPath);
  const diagnostics: Diagnostic[] = parseLog(text, { buildDir: obj, srcDir: variant.src });
  let dropped: string[] = [];
  if (existsSync(join(obj, ".config"))) {
    await Deno.copyFile(join(obj, ".config"), configPath);
    dropped = droppedLines(cell.kconfig, await Deno.readTextFile(configPath));
  }
  const ok = steps.every((s) => s.status === "pass");
  let status: BuildStatus;
  if (interrupted) status = "interrupted";
  else if (infraReason) status = "infra";
  else if (ok) status = "pass";
  else {
    status = steps.some((s) => s.exit_code === null) || classifyLog(text, diagnostics) === "infra"
      ? "infra"
      : "fail";
  }
  const size = !options.configOnly && existsSync(join(obj, "vmlinux"))
    ? vmlinuxSize(cell, options.runtime, obj)
    : undefined;
  const result: CellResult = {
    cell: cell.id,
    variant: variant.name,
    arch: cell.arch.name,
    toolchain: cell.toolchain.name,
    toolchain_version: toolchainIdentity({
      arch: cell.arch,
      toolchain: cell.toolchain,
      runtime: options.runtime,
    }).cc,
    runtime: options.runtime.name,
    status,
    duration_s: round((performance.now() - started) / 1000),
    steps,
    commands: steps.filter((s) => s.status !== "skip").map((s) => s.command),
    config: configPath,
    log: logPath,
    dropped,
    diagnostics,
    attempts: 1,
    ...(size ? { size } : {}),
    ...(ccache ? { ccache: ccacheCounts(statsLog) } : {}),
  };
  result.reproducer = await writeReproducer(result, reproduced, {
    runtime: options.runtime,
    env,
    mounts,
    obj,
    out,
    variant,
  });
  return result;
}

/** A command line as a person types it: `VAR=value … argv`, shell-quoted. */
function commandLine(wrapped: { argv: string[]; env: Record<string, string> }): string {
  return [
    ...Object.entries(wrapped.env).map(([k, v]) => `${k}=${quote(v)}`),
    ...wrapped.argv.map((a) => quote(a)),
  ].join(" ");
}

interface StepRun {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  interrupted: boolean;
}

/**
 * The signal a shell's exit status 128 + N says killed its command (`SIGTERM` for 143), or
 * `undefined` for an ordinary status: make exits 1 or 2, never above 128 on its own.
 */
export function signalOfStatus(code: number | null): string | undefined {
  if (code === null || code <= 128 || code >= 128 + 65) return undefined;
  const n = code - 128;
  return Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0];
}

/**
 * Run one step in a process group of its own, its output line by line to `onLine`. A timeout
 * or an abort kills the whole group (make, the compilers, bwrap): TERM, then KILL after 1 s.
 */
async function runStep(
  wrapped: { argv: string[]; env: Record<string, string> },
  cwd: string,
  options: { timeoutS: number; signal?: AbortSignal; onLine: (line: string) => void },
): Promise<StepRun> {
  const p = $({
    cwd,
    env: { ...Deno.env.toObject(), ...wrapped.env },
    stdio: ["ignore", "pipe", "pipe"],
    nothrow: true,
    quiet: true,
    detached: true,
  })`${wrapped.argv} 2>&1`;
  let timedOut = false, interrupted = false;
  const killGroup = () => {
    const pid = p.child?.pid;
    if (pid === undefined) return;
    try {
      Deno.kill(-pid, "SIGTERM");
    } catch { /* gone */ }
    setTimeout(() => {
      try {
        Deno.kill(-pid, "SIGKILL");
      } catch { /* gone */ }
    }, 1000);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, options.timeoutS * 1000);
  const onAbort = () => {
    interrupted = true;
    killGroup();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  try {
    for await (const line of p) options.onLine(line);
    const r = await p;
    return { code: r.exitCode, signal: r.signal, timedOut, interrupted };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/** vmlinux's text, data and bss from the toolchain's `size`, run where the build ran. */
function vmlinuxSize(
  cell: Cell,
  runtime: Runtime,
  obj: string,
): { text: number; data: number; bss: number } | undefined {
  const r = runSync(runtime, {
    argv: [toolchainProgram(cell.toolchain, cell.arch, "size"), join(obj, "vmlinux")],
    cwd: obj,
    env: { LC_ALL: "C" },
    mounts: [{ path: obj, writable: false }],
  });
  // Berkeley format: "   text    data     bss     dec     hex filename", then the numbers.
  const m = r.stdout.split("\n")[1]?.trim().match(/^(\d+)\s+(\d+)\s+(\d+)\s/);
  return m ? { text: Number(m[1]), data: Number(m[2]), bss: Number(m[3]) } : undefined;
}

/** Hits and misses from ccache's per-build stats log. */
function ccacheCounts(statsLog: string): { hits: number; misses: number } {
  let text = "";
  try {
    text = Deno.readTextFileSync(statsLog);
  } catch { /* no compilation went through ccache */ }
  let hits = 0, misses = 0;
  for (const line of text.split("\n")) {
    if (line === "direct_cache_hit" || line === "preprocessed_cache_hit") hits++;
    else if (line === "cache_miss") misses++;
  }
  return { hits, misses };
}

/**
 * Write `reproduce.sh` beside the log: the same tree commit (checked), fragment, make variables,
 * toolchain and runtime, building into a directory of the caller's choice (default: a new
 * temporary one) so it never touches kmatrix's own build directories.
 */
async function writeReproducer(
  result: CellResult,
  plan: PlannedStep[],
  ctx: {
    runtime: Runtime;
    env: Record<string, string>;
    mounts: { path: string; writable: boolean }[];
    obj: string;
    out: string;
    variant: VariantTree;
  },
): Promise<string> {
  // Say a path argument with the build and output directories as shell variables.
  const word = (arg: string): string => {
    for (const [path, name] of [[ctx.obj, "obj"], [ctx.out, "here"]] as const) {
      const i = arg.indexOf(path);
      if (i >= 0) {
        const rest = arg.slice(i + path.length);
        return `${i > 0 ? quote(arg.slice(0, i)) : ""}"$${name}"${rest ? word(rest) : ""}`;
      }
    }
    return quote(arg);
  };
  const lines = [
    "#!/bin/sh",
    `# Redo kmatrix record ${result.cell} / ${result.variant} by hand: ${result.toolchain}`,
    `# (${result.toolchain_version}) in runtime ${result.runtime}.`,
    "# Usage: reproduce.sh [BUILD_DIR]   (default: a new temporary directory)",
    "set -eu",
    'here=$(cd "$(dirname "$0")" && pwd)',
    `src=${quote(ctx.variant.src)}`,
    `want=${ctx.variant.commit}`,
    'got=$(git -C "$src" rev-parse HEAD)',
    '[ "$got" = "$want" ] || { echo "reproduce.sh: $src is at $got, not $want" >&2; exit 2; }',
    "obj=${1:-$(mktemp -d)}",
    'mkdir -p "$obj"',
    'echo "reproduce.sh: building in $obj" >&2',
  ];
  const build = plan.filter((s) => s.name !== "size");
  for (const step of build) {
    const inv: Invocation = {
      argv: step.argv,
      cwd: ctx.obj,
      env: { ...ctx.env, ...step.env },
      mounts: ctx.mounts,
    };
    const wrapped = ctx.runtime.wrap(inv);
    const envWords = Object.entries(wrapped.env).filter(([k]) => k !== "CCACHE_STATSLOG")
      .map(([k, v]) => `${k}=${word(v)}`);
    const last = step === build.at(-1);
    // make -k keeps going after an error; the last step's status is the build's.
    lines.push(`# ${step.name}`);
    lines.push(
      `(cd "$obj" && ${[...envWords, ...wrapped.argv.map(word)].join(" ")})${
        last ? "" : " || exit $?"
      }`,
    );
  }
  const path = join(ctx.out, "reproduce.sh");
  await Deno.writeTextFile(path, lines.join("\n") + "\n", { mode: 0o755 });
  return path;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
