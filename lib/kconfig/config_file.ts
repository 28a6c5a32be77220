/**
 * Reading a `.config`: the one parser of its lines, used by the build (dropped fragment lines),
 * the predictor's check and the dedup of the run stage.
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
