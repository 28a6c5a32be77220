/**
 * Toolchain profiles: the answers a real toolchain gives to the Kconfig tree's `$(shell,…)`
 * calls and the environment the kernel Makefile exports to `conf` (CC, LD, CC_VERSION_TEXT, …).
 * The engine replays a profile and stays pure; {@linkcode recordProfile} runs the calls once
 * with the real compiler.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { type MacroHost, shellOutput } from "./macro.ts";

/** Recorded toolchain answers, as saved in `cross/profiles/*.json`. */
export interface ToolchainProfile {
  /** Format version. */
  version: 1;
  /** Profile name, such as `arm-linux-gnueabi-gcc-12`. */
  name: string;
  /** The CROSS_COMPILE prefix it was recorded with. */
  crossCompile: string;
  /** ARCH it was recorded for. */
  arch: string;
  /** `$(CC) --version` first line at recording time. */
  ccVersionText: string;
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
): MacroHost {
  const base = baseEnv(tree, arch);
  return {
    env(name: string): string | undefined {
      if (name in base) return base[name];
      if (name in profile.env) return profile.env[name] ?? undefined;
      throw new Error(
        `Cannot expand '$(${name})': environment variable ${name} is not recorded in toolchain profile '${profile.name}' (record it again with --record-profile)`,
      );
    },
    shell(command: string): string {
      const out = profile.shell[shellKey(command, tree)];
      if (out === undefined) {
        throw new Error(
          `Cannot run '$(shell,${command})': the call is not recorded in toolchain profile '${profile.name}' (record it again with --record-profile)`,
        );
      }
      return out;
    },
  };
}

/** Options for {@linkcode recordingHost}. */
export interface RecordOptions {
  /** Kernel ARCH. */
  arch: string;
  /** CROSS_COMPILE prefix, such as `arm-linux-gnueabi-`. */
  crossCompile: string;
}

/** Environment values the kernel Makefile exports for a GCC toolchain. */
function makeEnv(cross: string): Record<string, string> {
  const cc = `${cross}gcc`;
  let ccv = "";
  try {
    const out = new Deno.Command("sh", {
      args: ["-c", `LC_ALL=C ${cc} --version 2>/dev/null | head -n 1`],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    ccv = new TextDecoder().decode(out.stdout).replace(/\n$/, "").replaceAll("#", "");
  } catch {
    ccv = "";
  }
  return {
    CC: cc,
    LD: `${cross}ld`,
    AR: `${cross}ar`,
    NM: `${cross}nm`,
    OBJCOPY: `${cross}objcopy`,
    OBJDUMP: `${cross}objdump`,
    READELF: `${cross}readelf`,
    STRIP: `${cross}strip`,
    CROSS_COMPILE: cross,
    HOSTCC: "gcc",
    HOSTCXX: "g++",
    RUSTC: "rustc",
    BINDGEN: "bindgen",
    PAHOLE: "pahole",
    CC_VERSION_TEXT: ccv,
  };
}

/** A macro host that runs the calls with the real toolchain and records them into `into`. */
export function recordingHost(
  tree: string,
  options: RecordOptions,
  into: ToolchainProfile,
): MacroHost {
  const base = baseEnv(tree, options.arch);
  const exported = makeEnv(options.crossCompile);
  const cwd = Deno.makeTempDirSync({ prefix: "kconfig-record-" });
  const env: Record<string, string> = { ...Deno.env.toObject(), ...exported, ...base };
  into.ccVersionText = exported.CC_VERSION_TEXT ?? "";
  return {
    env(name: string): string | undefined {
      if (name in base) return base[name];
      const v = name in exported ? exported[name] : Deno.env.get(name);
      into.env[name] = v ?? null;
      return v;
    },
    shell(command: string): string {
      const key = shellKey(command, tree);
      const known = into.shell[key];
      if (known !== undefined) return known;
      const out = new Deno.Command("sh", {
        args: ["-c", command],
        cwd,
        env,
        stdout: "piped",
        stderr: "null",
      }).outputSync();
      const text = shellOutput(new TextDecoder().decode(out.stdout));
      into.shell[key] = text;
      return text;
    },
  };
}

/** An empty profile to record into. */
export function emptyProfile(name: string, arch: string, crossCompile: string): ToolchainProfile {
  return { version: 1, name, crossCompile, arch, ccVersionText: "", env: {}, shell: {} };
}

/** Read a profile from a JSON file. */
export function readProfile(path: string): ToolchainProfile {
  let data: ToolchainProfile;
  try {
    data = JSON.parse(Deno.readTextFileSync(path));
  } catch (e) {
    throw new Error(`Cannot read toolchain profile '${path}': ${(e as Error).message}`);
  }
  if (data?.version !== 1 || typeof data.shell !== "object" || typeof data.env !== "object") {
    throw new Error(`Cannot read toolchain profile '${path}': not a version 1 profile`);
  }
  return data;
}

/** Write a profile as stable, sorted JSON. */
export function writeProfile(path: string, profile: ToolchainProfile): void {
  const sorted = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  const out = { ...profile, env: sorted(profile.env), shell: sorted(profile.shell) };
  Deno.writeTextFileSync(path, JSON.stringify(out, null, 2) + "\n");
}

/**
 * Find the committed profile for a CROSS_COMPILE prefix: `cross/profiles/<prefix>gcc*.json`,
 * the highest version when several match. Returns undefined when there is none.
 */
export function findProfile(crossCompile: string, dir: string = PROFILE_DIR): string | undefined {
  const prefix = `${crossCompile}gcc`;
  const hits: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isFile && e.name.startsWith(prefix) && e.name.endsWith(".json")) hits.push(e.name);
    }
  } catch {
    return undefined;
  }
  hits.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const last = hits[hits.length - 1];
  return last ? resolve(dir, last) : undefined;
}

/** Name a new profile after the compiler: `<prefix>gcc-<major>`. */
export function profileName(crossCompile: string): string {
  try {
    const out = new Deno.Command(`${crossCompile}gcc`, { args: ["-dumpversion"], stdout: "piped" })
      .outputSync();
    const major = new TextDecoder().decode(out.stdout).trim().split(".")[0];
    return `${crossCompile}gcc-${major}`;
  } catch (e) {
    throw new Error(`Cannot run '${crossCompile}gcc': ${(e as Error).message}`);
  }
}
