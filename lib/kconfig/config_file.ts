/**
 * Reading a resolved `.config` against the fragment that asked for it.
 *
 * @module
 */

/**
 * The fragment lines that did not stick in `config` (the text of a `.config`): what
 * `merge_config.sh` warns about as "Value requested for X not in final .config".
 */
export function droppedLines(fragment: readonly string[], config: string): string[] {
  const values = new Map<string, string>();
  for (const line of config.split("\n")) {
    const set = line.match(/^(CONFIG_\w+)=(.*)$/);
    if (set) values.set(set[1]!, set[2]!);
  }
  return fragment.filter((line) => {
    const set = line.match(/^(CONFIG_\w+)=(.*)$/);
    const unset = line.match(/^# (CONFIG_\w+) is not set$/);
    if (set) {
      const want = set[2]!;
      const got = values.get(set[1]!);
      return want === "n" ? got !== undefined : got !== want;
    }
    return unset ? values.has(unset[1]!) : false;
  });
}
