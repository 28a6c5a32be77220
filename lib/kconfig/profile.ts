/**
 * Toolchain profiles: the answers a real toolchain gives to the Kconfig tree's `$(shell,…)`
 * calls and the environment the kernel Makefile exports to `conf` (CC, LD, CC_VERSION_TEXT, …).
 * The engine replays a profile and stays pure; {@linkcode liveHost} asks the real toolchain for
 * what a profile lacks (lib/environment/ runs it in the build's runtime).
 *
 * @module
 */
import { join } from "node:path";
import { type MacroHost, shellOutput } from "./macro.ts";
import { InputError } from "../errors.ts";

/**
 * Recorded toolchain answers: cached per environment under `<cache>/profiles/`, committed under
 * `cross/profiles/` as the fallback for machines without the toolchain.
 */
export interface ToolchainProfile {
  /** Format version. */
  version: 2;
  /** Profile name, such as `gcc-12-arm-6.1`. */
  name: string;
  /** ARCH it was recorded for. */
  arch: string;
  /** The environment whose answers these are. */
  environment?: ProfileEnvironment;
  /** Environment variables Kconfig consulted (null: unset). */
  env: Record<string, string | null>;
  /** `$(shell,…)` command (tree path replaced by `$(srctree)`) to its post-processed output. */
  shell: Record<string, string>;
}

/** Directory of the committed profiles (`cross/profiles/`). */
export const PROFILE_DIR: string = new URL("../../cross/profiles/", import.meta.url).pathname;

/** Map ARCH to SRCARCH the way the kernel Makefile does. */
export function srcArch(arch: string): string {
  const map: Record<string, string> = {
    i386: "x86",
    x86_64: "x86",
    sparc32: "sparc",
    sparc64: "sparc",
    parisc64: "parisc",
    sh64: "sh",
  };
  return map[arch] ?? arch;
}

/** KERNELVERSION from the tree's top Makefile (VERSION.PATCHLEVEL.SUBLEVEL EXTRAVERSION). */
export function kernelVersion(tree: string): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(join(tree, "Makefile")).slice(0, 2000);
  } catch {
    return "";
  }
  const get = (k: string) =>
    text.match(new RegExp(`^${k}\\s*=[ \\t]*(.*)$`, "m"))?.[1]?.trim() ?? "";
  const v = get("VERSION"), p = get("PATCHLEVEL"), s = get("SUBLEVEL");
  return `${v}${p ? `.${p}${s ? `.${s}` : ""}` : ""}${get("EXTRAVERSION")}`;
}

/** Replace the tree path in a command by `$(srctree)` so profiles do not depend on it. */
function shellKey(command: string, tree: string): string {
  return command.replaceAll(tree, "$(srctree)");
}

/** The fixed part of the environment: what make derives from the tree and ARCH alone. */
function baseEnv(tree: string, arch: string): Record<string, string> {
  return {
    srctree: tree,
    ARCH: arch,
    SRCARCH: srcArch(arch),
    KERNELVERSION: kernelVersion(tree),
  };
}

/** A macro host answering from a recorded profile; misses are errors naming the call. */
export function profileHost(
  profile: ToolchainProfile,
  tree: string,
  arch: string,
  hint = "record it again with --record-profile",
): MacroHost {
  const base = baseEnv(tree, arch);
  return {
    env(name: string): string | undefined {
      if (name in base) return base[name];
      if (name in profile.env) return profile.env[name] ?? undefined;
      throw new InputError(
        `Cannot expand '$(${name})': environment variable ${name} is not recorded in toolchain profile '${profile.name}' (${hint})`,
      );
    },
    shell(command: string): string {
      const out = profile.shell[shellKey(command, tree)];
      if (out === undefined) {
        throw new InputError(
          `Cannot run '$(shell,${command})': the call is not recorded in toolchain profile '${profile.name}' (${hint})`,
        );
      }
      return out;
    },
  };
}

/**
 * Where a live profile gets what it has not recorded yet: the environment make exports to
 * `conf`, and the output of a shell command, both taken in the environment the build runs in.
 */
export interface LiveSource {
  /** Value of a variable in the environment make exports to `conf`, or undefined when unset. */
  env(name: string): string | undefined;
  /** Raw standard output of `sh -c command`. */
  shell(command: string): string;
}

/**
 * A macro host that answers from `profile` and asks `live` for what it lacks, recording each
 * answer into `profile` (a `$(shell,…)` call a newer kernel adds is recorded on the spot).
 * `onRecord` is called after each new answer.
 */
export function liveHost(
  profile: ToolchainProfile,
  tree: string,
  arch: string,
  live: LiveSource,
  onRecord: () => void = () => {},
): MacroHost {
  const base = baseEnv(tree, arch);
  return {
    env(name: string): string | undefined {
      if (name in base) return base[name];
      if (name in profile.env) return profile.env[name] ?? undefined;
      const v = live.env(name);
      profile.env[name] = v ?? null;
      onRecord();
      return v;
    },
    shell(command: string): string {
      const key = shellKey(command, tree);
      const known = profile.shell[key];
      if (known !== undefined) return known;
      const text = shellOutput(live.shell(command));
      profile.shell[key] = text;
      onRecord();
      return text;
    },
  };
}

/** Where a profile was taken: the environment that answered its probes. */
export interface ProfileEnvironment {
  /** Runtime name (`host`, `bwrap`, …). */
  runtime: string;
  /** What identifies the runtime's contents (see `Runtime.identity`). */
  runtimeIdentity: string;
  /** Toolchain name (`cross/toolchains/<name>.yaml`). */
  toolchain: string;
  /** First line of the compiler's `--version`. */
  cc: string;
  /** First line of the linker's `--version`. */
  ld: string;
  /** Kernel VERSION.PATCHLEVEL the probes were asked by. */
  kernel: string;
  /** make variables the toolchain sets (ARCH, CROSS_COMPILE, LLVM, …). */
  makeVars: Record<string, string>;
}

/** An empty profile to record into. */
export function emptyProfile(
  name: string,
  arch: string,
  environment?: ProfileEnvironment,
): ToolchainProfile {
  return { version: 2, name, arch, ...(environment ? { environment } : {}), env: {}, shell: {} };
}

/** Read a profile from a JSON file. */
export function readProfile(path: string): ToolchainProfile {
  let data: ToolchainProfile;
  try {
    data = JSON.parse(Deno.readTextFileSync(path));
  } catch (e) {
    throw new InputError(`Cannot read toolchain profile '${path}': ${(e as Error).message}`);
  }
  if (data?.version !== 2 || typeof data.shell !== "object" || typeof data.env !== "object") {
    throw new InputError(
      `Cannot read toolchain profile '${path}': not a version 2 profile (record it again with 'deno task kconfig … --record-profile')`,
    );
  }
  return data;
}

/** Write a profile as stable, sorted JSON, atomically (a reader never sees half a file). */
export function writeProfile(path: string, profile: ToolchainProfile): void {
  const sorted = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  const out = { ...profile, env: sorted(profile.env), shell: sorted(profile.shell) };
  const tmp = `${path}.${Deno.pid}.tmp`;
  Deno.writeTextFileSync(tmp, JSON.stringify(out, null, 2) + "\n");
  Deno.renameSync(tmp, path);
}

/**
 * The probes whose answers differ between two profiles, each said as
 * `<call>: <a's answer> here, <b's answer> there`; calls only one of them made are skipped.
 */
export function profileDifferences(a: ToolchainProfile, b: ToolchainProfile): string[] {
  const out: string[] = [];
  for (const [call, answer] of Object.entries(a.shell)) {
    const other = b.shell[call];
    if (other !== undefined && other !== answer) {
      out.push(`$(shell,${call}): '${answer}' live, '${other}' committed`);
    }
  }
  for (const [name, value] of Object.entries(a.env)) {
    if (name in b.env && b.env[name] !== value) {
      out.push(`$(${name}): '${value ?? ""}' live, '${b.env[name] ?? ""}' committed`);
    }
  }
  return out.sort();
}
