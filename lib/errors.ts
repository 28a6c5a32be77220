/**
 * Typed errors: the class, not the wording, decides the exit code.
 *
 * - {@linkcode InputError} (exit 2): the user's input is wrong — a matrix, a patch, a flag, a
 *   missing toolchain or tree — and the message says where and what to do. Nothing was built
 *   or written.
 * - any other error (exit 1): the tool or the machine failed.
 *
 * @module
 */

/** Bad input: the CLI prints the message, one line, and exits 2. */
export class InputError extends Error {
  /** Make an input error; the message is `Cannot <action> '<value>': <detail>`. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InputError";
  }
}

/** The exit code an error stands for: 2 for bad input, 1 for everything else. */
export function exitCodeOf(e: unknown): 1 | 2 {
  if (e instanceof InputError) return 2;
  // node:util parseArgs: unknown option, missing value.
  const code = (e as { code?: unknown })?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS") ? 2 : 1;
}
