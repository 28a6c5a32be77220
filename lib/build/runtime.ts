/**
 * Runtimes share one interface: "run this argv, in this directory, with these mounts and this
 * environment". Each turns an {@linkcode Invocation} into the argv that really runs, built from
 * its description in `cross/runtimes/<name>.yaml`.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { loadRuntimeSpec, type RuntimeSpec } from "../matrix/cross_data.ts";
import { cacheDir } from "../tree/cache_dir.ts";

/** A directory made visible inside the runtime at the same path. */
export interface Mount {
  /** Absolute host path; it appears at the same path inside. */
  path: string;
  /** Whether the runtime may write to it. */
  writable: boolean;
}

/** What to run, independent of where. */
export interface Invocation {
  /** Program and arguments. */
  argv: string[];
  /** Working directory (absolute). */
  cwd: string;
  /** Variables set for the command, on top of a minimal base environment. */
  env: Record<string, string>;
  /** Directories the command reads or writes. */
  mounts: Mount[];
}

/** A runtime: knows how to wrap an invocation. */
export interface Runtime {
  /** Runtime name (`host`, `bwrap`, `docker`, `podman`). */
  readonly name: string;
  /** The argv that runs `inv` in this runtime; `env` is what the wrapper itself needs. */
  wrap(inv: Invocation): { argv: string[]; env: Record<string, string> };
}

/** The runtime described by `cross/runtimes/<name>.yaml`. */
export function loadRuntime(name: string): Runtime {
  const spec = loadRuntimeSpec(name);
  if (!spec) throw new Error(`Cannot load runtime '${name}': no cross/runtimes/${name}.yaml`);
  return runtimeFromSpec(spec);
}

/** Make a runtime from its description. */
export function runtimeFromSpec(spec: RuntimeSpec): Runtime {
  switch (spec.kind) {
    case "host":
      return { name: spec.name, wrap: (inv) => ({ argv: inv.argv, env: inv.env }) };
    case "bwrap":
      return { name: spec.name, wrap: (inv) => ({ argv: bwrapArgv(spec, inv), env: {} }) };
    case "oci":
      return { name: spec.name, wrap: (inv) => ({ argv: ociArgv(spec, inv), env: {} }) };
  }
}

function need(spec: RuntimeSpec, field: "program" | "image" | "rootfs"): string {
  const v = spec[field];
  if (!v) {
    throw new Error(
      `Cannot use runtime '${spec.name}': cross/runtimes/${spec.name}.yaml has no '${field}'`,
    );
  }
  return v;
}

/** The rootfs directory of a bwrap runtime; a relative `rootfs` is under the cache. */
export function bwrapRootfs(spec: RuntimeSpec): string {
  const rootfs = need(spec, "rootfs");
  return isAbsolute(rootfs) ? rootfs : resolve(cacheDir(), rootfs);
}

function bwrapArgv(spec: RuntimeSpec, inv: Invocation): string[] {
  const rootfs = bwrapRootfs(spec);
  const argv = [
    need(spec, "program"),
    "--ro-bind",
    rootfs,
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
  ];
  argv.push("--tmpfs", "/tmp", "--die-with-parent", "--unshare-pid", "--unshare-ipc");
  if (!spec.network) argv.push("--unshare-net");
  for (const m of inv.mounts) argv.push(m.writable ? "--bind" : "--ro-bind", m.path, m.path);
  argv.push("--chdir", inv.cwd, "--clearenv");
  for (const [k, v] of Object.entries({ PATH: "/usr/sbin:/usr/bin:/sbin:/bin", ...inv.env })) {
    argv.push("--setenv", k, v);
  }
  return [...argv, "--", ...inv.argv];
}

function ociArgv(spec: RuntimeSpec, inv: Invocation): string[] {
  const argv = [need(spec, "program"), "run", "--rm", "--init"];
  if (!spec.network) argv.push("--network", "none");
  for (const m of inv.mounts) {
    argv.push("--volume", `${m.path}:${m.path}:${m.writable ? "rw" : "ro"}`);
  }
  argv.push("--workdir", inv.cwd);
  for (const [k, v] of Object.entries(inv.env)) argv.push("--env", `${k}=${v}`);
  return [...argv, need(spec, "image"), ...inv.argv];
}
