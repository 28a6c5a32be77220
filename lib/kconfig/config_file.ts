/**
 * Reading a `.config`: the one parser of its lines, used by the build (dropped fragment lines),
 * the predictor's check and the dedup of the run stage ({@linkcode compilerConfig}).
 *
 * A `.config` line is `CONFIG_<NAME>=<value>` (`y`, `m`, a number, a quoted string) or
 * `# CONFIG_<NAME> is not set` (an `n` that conf writes because the symbol is visible);
 * a symbol whose line is absent is `n` too, but was not visible.
 *
 * @module
 */

const SET = /^CONFIG_(\w+)=(.*)$/;
const UNSET = /^# CONFIG_(\w+) is not set$/;

/** The values of a `.config` text: name (without `CONFIG_`) → value, `n` for "is not set". */
export function configValues(config: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of config.split("\n")) {
    const set = line.match(SET);
    const unset = line.match(UNSET);
    if (set) out.set(set[1]!, set[2]!);
    else if (unset) out.set(unset[1]!, "n");
  }
  return out;
}

/**
 * A `.config` without its header comment (`# Automatically generated file; DO NOT EDIT.`, the
 * kernel version and the date conf writes): two configs with equal bodies configure the same.
 */
export function configBody(config: string): string {
  const lines = config.split("\n");
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith("#") && !UNSET.test(lines[i]!)) i++;
  return lines.slice(i).join("\n");
}

/**
 * What the compiler reads of a `.config` (the text of one): the symbols that are not `n`, sorted
 * by name — the values `syncconfig` writes to `include/config/auto.conf` and
 * `include/generated/autoconf.h`, which every object includes. `# CONFIG_X is not set` lines
 * (conf writes them only because X is visible) and menu comments reach no object, so two
 * `.config`s that differ only there build the same kernel: the fix's v6+v7 with `XEN=y` asked
 * (XEN invisible, no line) and the control without Xen (`# CONFIG_XEN is not set`).
 *
 * Except with `IKCONFIG`: kernel/configs.o embeds the `.config` text itself
 * (`kernel/config_data.gz`), so there the whole body is the compiler's input.
 */
export function compilerConfig(config: string): string {
  const values = configValues(config);
  const ikconfig = values.get("IKCONFIG");
  if (ikconfig !== undefined && ikconfig !== "n") return configBody(config);
  return [...values].filter(([, v]) => v !== "n").map(([k, v]) => `CONFIG_${k}=${v}`).sort()
    .join("\n");
}

/**
 * The fragment lines that did not stick in `config` (the text of a `.config`): what
 * `merge_config.sh` warns about as "Value requested for X not in final .config".
 */
export function droppedLines(fragment: readonly string[], config: string): string[] {
  const values = configValues(config);
  return fragment.filter((line) => {
    const set = line.match(SET);
    const unset = line.match(UNSET);
    if (set) {
      const want = set[2]!;
      const got = values.get(set[1]!);
      return want === "n" ? got !== undefined && got !== "n" : got !== want;
    }
    return unset ? values.has(unset[1]!) && values.get(unset[1]!) !== "n" : false;
  });
}
