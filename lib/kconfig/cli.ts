/**
 * The `config` command: compute a kernel `.config` like `make <target>` would, without make.
 *
 * ```
 * kmatrix config --tree DIR --arch arm --cross-compile arm-linux-gnueabi- \
 *   --allnoconfig --add CONFIG_ARCH_MULTI_V7=y --add xen.config --output .config \
 *   explain XEN CPU_V6
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type Kconfig, loadKconfig } from "./kconfig.ts";

const USAGE = `usage: config --tree DIR --arch ARCH [--toolchain NAME | --cross-compile PREFIX]
              [--runtime NAME] [--profile FILE | --record-profile] [--profile-out FILE]
              (--defconfig NAME | --allnoconfig | --allyesconfig | --allmodconfig |
               --alldefconfig | --olddefconfig FILE)
              [--add FRAGMENT_FILE|CONFIG_X=V]... [--output FILE] [--savedefconfig FILE]
              [explain SYMBOL...]`;

/**
 * Run the `config` command.
 *
 * @param args Command-line arguments after `config`.
 * @returns The exit code: 0 on success, 2 on bad input.
 */
export async function configCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        tree: { type: "string" },
        arch: { type: "string" },
        "cross-compile": { type: "string" },
        profile: { type: "string" },
        "record-profile": { type: "boolean", default: false },
        "profile-out": { type: "string" },
        toolchain: { type: "string" },
        runtime: { type: "string", default: "host" },
        defconfig: { type: "string" },
        allnoconfig: { type: "boolean", default: false },
        allyesconfig: { type: "boolean", default: false },
        allmodconfig: { type: "boolean", default: false },
        alldefconfig: { type: "boolean", default: false },
        olddefconfig: { type: "string" },
        add: { type: "string", multiple: true, default: [] },
        output: { type: "string", default: ".config" },
        savedefconfig: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    return fail(`Cannot parse arguments '${args.join(" ")}': ${(e as Error).message}`);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  const pos = parsed.positionals;
  let explain: string[] = [];
  if (pos.length) {
    if (pos[0] !== "explain") {
      return fail(`Cannot parse arguments '${pos.join(" ")}': expected 'explain SYMBOL…'`);
    }
    explain = pos.slice(1).map((s) => s.replace(/^CONFIG_/, ""));
  }
  if (!v.tree) return fail(`Cannot configure '${args.join(" ")}': --tree DIR is required`);
  if (!v.arch) return fail(`Cannot configure '${v.tree}': --arch ARCH is required`);
  const bases = [
    v.defconfig !== undefined,
    v.allnoconfig,
    v.allyesconfig,
    v.allmodconfig,
    v.alldefconfig,
    v.olddefconfig !== undefined,
  ].filter(Boolean).length;
  if (bases !== 1) {
    return fail(
      `Cannot configure '${v.tree}': give exactly one base (--defconfig NAME, --allnoconfig, --allyesconfig, --allmodconfig, --alldefconfig or --olddefconfig FILE)`,
    );
  }

  let fragment: string[] = [];
  for (const a of v.add) {
    if (/^CONFIG_[A-Za-z0-9_]+=/.test(a) || /^# CONFIG_\w+ is not set$/.test(a)) {
      fragment.push(a);
      continue;
    }
    try {
      fragment = fragment.concat(Deno.readTextFileSync(a).split("\n"));
    } catch (e) {
      return fail(`Cannot read fragment '${a}': ${(e as Error).message}`);
    }
  }

  let kc: Kconfig;
  try {
    // Like make: CROSS_COMPILE from the command line, else from the environment, else the
    // arch's default toolchain (cross/arches/<arch>.yaml).
    const crossCompile = v["cross-compile"] ?? Deno.env.get("CROSS_COMPILE");
    kc = await loadKconfig(v.tree, {
      arch: v.arch,
      ...(v.toolchain !== undefined ? { toolchain: v.toolchain } : {}),
      ...(crossCompile !== undefined ? { crossCompile } : {}),
      ...(v.profile !== undefined ? { profile: v.profile } : {}),
      runtime: v.runtime,
      record: v["record-profile"],
      ...(v["profile-out"] !== undefined ? { recordTo: v["profile-out"] } : {}),
      onProgress: (line) => console.error(line),
    });
    // Said when the profile is recorded; `matrix` says it at the start of every run.
    if (kc.profileUse?.origin === "recorded") {
      for (const d of kc.profileUse.differences) {
        console.error(`profile: differs from the committed profile: ${d}`);
      }
    }
  } catch (e) {
    return fail(prefix(`Cannot load Kconfig tree '${v.tree}'`, e));
  }
  for (const m of kc.messages) console.error(m);

  const opts = { fragment: fragment.length ? fragment : undefined };
  try {
    if (v.defconfig !== undefined) kc.defconfig(v.defconfig, opts);
    else if (v.allnoconfig) kc.allnoconfig(opts);
    else if (v.allyesconfig) kc.allyesconfig(opts);
    else if (v.allmodconfig) kc.allmodconfig(opts);
    else if (v.alldefconfig) kc.alldefconfig(opts);
    else {
      let text: string;
      try {
        text = Deno.readTextFileSync(v.olddefconfig!);
      } catch (e) {
        return fail(`Cannot read config '${v.olddefconfig}': ${(e as Error).message}`);
      }
      kc.olddefconfig(text, opts);
    }
  } catch (e) {
    return fail(prefix(`Cannot configure '${v.tree}'`, e));
  }

  for (const d of kc.dropped(fragment)) {
    console.error(`warning: '${d.line}' did not stick: ${d.why}`);
  }
  try {
    Deno.writeTextFileSync(v.output, kc.write());
  } catch (e) {
    return fail(`Cannot write config '${v.output}': ${(e as Error).message}`);
  }
  for (const name of explain) console.log(kc.explain(name));
  if (v.savedefconfig) {
    try {
      Deno.writeTextFileSync(v.savedefconfig, kc.savedefconfig());
    } catch (e) {
      return fail(`Cannot write defconfig '${v.savedefconfig}': ${(e as Error).message}`);
    }
  }
  return 0;
}

function prefix(what: string, e: unknown): string {
  const msg = (e as Error).message ?? String(e);
  return msg.startsWith("Cannot ") ? msg : `${what}: ${msg}`;
}

function fail(message: string): number {
  console.error(message);
  return 2;
}
