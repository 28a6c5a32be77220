/**
 * Toolchain profiles keyed by the environment they were taken in.
 *
 * The Kconfig tree asks the toolchain questions (`$(shell,…)` probes such as
 * `scripts/cc-can-link.sh`, and the variables make exports to `conf`). Their answers depend on
 * the toolchain *and* on what else the build environment holds: the same cross gcc links
 * user-space programs only where the target's C library is installed. So a profile is recorded
 * inside the runtime the build runs in, the first time a toolchain is used there, and stored in
 * the cache under a key made of the runtime's identity (its packages), the toolchain's identity
 * (`--version` of its compiler and linker), the arch, the make variables and the kernel version.
 *
 * A committed profile (`cross/profiles/<toolchain>-<arch>-<kernel>.json`) is only the fallback
 * for a machine where the toolchain is missing (pure prediction on a laptop); where the toolchain
 * is present, the live answers win and the probes that differ from the committed ones are said.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Arch, Toolchain } from "../matrix/cross_data.ts";
import { cacheDir } from "../tree/cache_dir.ts";
import {
  emptyProfile,
  kernelVersion,
  liveHost,
  type LiveSource,
  PROFILE_DIR,
  profileDifferences,
  type ProfileEnvironment,
  profileHost,
  readProfile,
  type ToolchainProfile,
  writeProfile,
} from "../kconfig/profile.ts";
import type { MacroHost } from "../kconfig/macro.ts";
import { toolchainMakeVars, toolchainProgram } from "../plan/config_plan.ts";
import { runSync, type Runtime } from "./runtime.ts";
import { shortHash } from "./short_hash.ts";
import { InputError } from "../errors.ts";

/** The environment a Kconfig tree is resolved for: arch, toolchain, and where it runs. */
export interface KconfigEnvironment {
  /** The arch. */
  arch: Arch;
  /** The toolchain. */
  toolchain: Toolchain;
  /** The runtime the build runs in (the profile is taken there). */
  runtime: Runtime;
}

/** What a toolchain says of itself in a runtime. */
export interface ToolchainIdentity {
  /** Whether its compiler runs there. */
  present: boolean;
  /** First line of the compiler's `--version` (empty when absent). */
  cc: string;
  /** First line of the linker's `--version` (empty when absent). */
  ld: string;
}

/** A profile ready for the engine. */
export interface ProfileUse {
  /** The profile (live ones grow as new probes are answered). */
  profile: ToolchainProfile;
  /** The macro host the engine asks. */
  host: MacroHost;
  /** `cached`: taken earlier in this environment; `recorded`: now; `committed`: the fallback. */
  origin: "cached" | "recorded" | "committed";
  /** Where the profile is stored. */
  path: string;
  /** The toolchain's identity in the runtime. */
  identity: ToolchainIdentity;
  /** Probes whose live answer differs from the committed profile's (live profiles only). */
  differences: string[];
  /** Store the answers recorded since the profile was loaded (live profiles only). */
  save(): void;
}

/** Options for {@linkcode useProfile}. */
export interface UseProfileOptions {
  /** Record afresh even when the cache has a profile for this environment. */
  record?: boolean;
  /** Called with a line of progress (recording, fallbacks, differences). */
  onProgress?: (line: string) => void;
}

const identities = new Map<string, ToolchainIdentity>();

/** The toolchain's `--version` lines in the runtime, asked once per process. */
export function toolchainIdentity(env: KconfigEnvironment): ToolchainIdentity {
  const key = [
    env.runtime.name,
    env.runtime.identity(),
    env.toolchain.name,
    env.toolchain.cc,
    env.toolchain.ld,
    env.arch.name,
  ].join("\0");
  let id = identities.get(key);
  if (!id) {
    const first = (which: "cc" | "ld") => {
      const program = toolchainProgram(env.toolchain, env.arch, which);
      const r = runSync(env.runtime, {
        argv: ["sh", "-c", 'command -v "$0" >/dev/null || exit 127; exec "$0" --version', program],
        cwd: "/",
        env: { LC_ALL: "C" },
        mounts: [],
      });
      return r.code === 0 ? (r.stdout.split("\n")[0] ?? "").trim() : undefined;
    };
    const cc = first("cc"), ld = first("ld");
    id = { present: cc !== undefined && ld !== undefined, cc: cc ?? "", ld: ld ?? "" };
    identities.set(key, id);
  }
  return id;
}

/** `VERSION.PATCHLEVEL` of a tree: profiles are per kernel series. */
function kernelSeries(tree: string): string {
  return kernelVersion(tree).split(".").slice(0, 2).join(".");
}

/** The committed fallback profile's path for a toolchain, arch and kernel series. */
export function committedProfilePath(toolchain: string, arch: string, series: string): string {
  return join(PROFILE_DIR, `${toolchain}-${arch}-${series}.json`);
}

/**
 * The profile to resolve `tree`'s Kconfig with in `env`: the cached one for this environment,
 * else one recorded now inside the runtime, else (toolchain missing there) the committed one.
 */
export function useProfile(
  tree: string,
  env: KconfigEnvironment,
  options: UseProfileOptions = {},
): ProfileUse {
  const say = options.onProgress ?? (() => {});
  const { arch, toolchain, runtime } = env;
  const series = kernelSeries(tree);
  const committedPath = committedProfilePath(toolchain.name, arch.name, series);
  const committed = existsSync(committedPath) ? readProfile(committedPath) : undefined;
  const identity = toolchainIdentity(env);
  if (!identity.present) {
    const where = `toolchain '${toolchain.name}' is not installed in runtime '${runtime.name}'`;
    if (!committed) {
      throw new InputError(
        `Cannot resolve Kconfig for '${arch.name}' with '${toolchain.name}': ${where} and there is no committed profile ${committedPath}; install it (./setup.sh installs every toolchain of cross/environments/${runtime.environment.name}.yaml)`,
      );
    }
    say(`profile: ${where}; predicting from the committed profile ${committedPath}`);
    return {
      profile: committed,
      host: profileHost(
        committed,
        tree,
        arch.kernel_arch,
        `${where}: install it to answer new probes`,
      ),
      origin: "committed",
      path: committedPath,
      identity,
      differences: [],
      save: () => {},
    };
  }

  const makeVars = toolchainMakeVars(arch, toolchain);
  const environment: ProfileEnvironment = {
    runtime: runtime.name,
    runtimeIdentity: runtime.identity(),
    toolchain: toolchain.name,
    cc: identity.cc,
    ld: identity.ld,
    kernel: series,
    makeVars,
  };
  const key = shortHash([JSON.stringify(environment)]);
  const dir = join(cacheDir(), "profiles");
  const path = join(dir, `${toolchain.name}-${arch.name}-${series}-${runtime.name}-${key}.json`);
  let profile: ToolchainProfile;
  let origin: ProfileUse["origin"];
  if (!options.record && existsSync(path)) {
    profile = readProfile(path);
    origin = "cached";
  } else {
    profile = emptyProfile(
      `${toolchain.name}-${arch.name}-${series}`,
      arch.kernel_arch,
      environment,
    );
    origin = "recorded";
    say(
      `profile: recording ${toolchain.name} (${identity.cc}) for ${arch.name} in runtime '${runtime.name}' (once per environment) into ${path}`,
    );
  }
  const live = liveSource(tree, runtime, makeVars);
  let dirty = origin === "recorded";
  const host = liveHost(profile, tree, arch.kernel_arch, live.source, () => dirty = true);
  const use: ProfileUse = {
    profile,
    host,
    origin,
    path,
    identity,
    get differences() {
      return committed ? profileDifferences(profile, committed) : [];
    },
    save() {
      live.close();
      if (!dirty) return;
      Deno.mkdirSync(dir, { recursive: true });
      writeProfile(path, profile);
      dirty = false;
    },
  };
  return use;
}

/** Names make sets for its own recursion; conf's probes do not read them. */
const MAKE_INTERNAL = new Set(["MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "MAKELEVEL"]);

/**
 * Answers taken in the runtime: the environment the tree's own Makefile exports to `conf`
 * (make itself is asked, with an extra `%config`-named goal that prints its environment), and
 * the probes run with that environment, in a scratch directory (some probes write there).
 */
function liveSource(
  tree: string,
  runtime: Runtime,
  makeVars: Record<string, string>,
): { source: LiveSource; close(): void } {
  let scratch: string | undefined;
  let exported: Record<string, string> | undefined;
  const dirOf = () => scratch ??= Deno.makeTempDirSync({ prefix: "kmatrix-probe-" });
  const mounts = () => [{ path: tree, writable: false }, { path: dirOf(), writable: true }];
  const makeEnv = (): Record<string, string> => {
    if (exported) return exported;
    const r = runSync(runtime, {
      argv: [
        "make",
        "-s",
        "-C",
        tree,
        ...Object.entries(makeVars).map(([k, v]) => `${k}=${v}`),
        "--eval=kmatrix-env-config: ; @env -0",
        "kmatrix-env-config",
      ],
      cwd: dirOf(),
      env: { LC_ALL: "C" },
      mounts: mounts(),
    });
    if (r.code !== 0) {
      throw new Error(
        `Cannot record toolchain profile in runtime '${runtime.name}': make failed: ${
          r.stderr.trim().split("\n").at(-1) ?? ""
        }`,
      );
    }
    exported = {};
    for (const entry of r.stdout.split("\0")) {
      const eq = entry.indexOf("=");
      if (eq > 0 && !MAKE_INTERNAL.has(entry.slice(0, eq))) {
        exported[entry.slice(0, eq)] = entry.slice(eq + 1);
      }
    }
    return exported;
  };
  return {
    source: {
      env: (name) => makeEnv()[name],
      shell: (command) =>
        runSync(runtime, {
          argv: ["sh", "-c", command],
          cwd: dirOf(),
          env: makeEnv(),
          mounts: mounts(),
        }).stdout,
    },
    close() {
      if (scratch) Deno.removeSync(scratch, { recursive: true });
      scratch = undefined;
    },
  };
}
