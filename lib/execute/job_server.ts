/**
 * One GNU make jobserver for every make of a run, so the run's job budget is shared the way make
 * shares it between its own sub-makes: a FIFO holding one byte per free job slot.
 *
 * GNU make 4.3 (Debian 12) joins an outer jobserver when it inherits its file descriptors and
 * `MAKEFLAGS` says `-j<budget> --jobserver-auth=<read-fd>,<write-fd>`; it then runs its first
 * job on the slot it was started with and takes a byte from the pipe for each further job,
 * giving it back when that job ends. kmatrix takes a byte before it starts a make and gives it
 * back when the make ends, so at any moment the running makes' jobs never exceed the budget,
 * and a build started at the end of a run, when the other builds end, gets the whole budget
 * instead of the slot it started with (make's `-j<n>` is fixed when it starts).
 *
 * A make killed (timeout, interrupt, OOM) cannot give back the bytes its jobs held: the budget
 * shrinks until no make runs, when {@linkcode JobServer.renew} makes a fresh FIFO with the
 * whole budget.
 *
 * @module
 */
import { join } from "node:path";
import { $ } from "zx";

/** The shell line that opens the FIFO (`$0`) on fd 3 for make: read and write, never blocks. */
const JOIN = 'exec 3<>"$0" && exec "$@"';

/** How a make joins a {@linkcode JobServer}: passed to the build as `jobServer`. */
export interface JobServerJoin {
  /** The FIFO's path (to mount in a container runtime). */
  path: string;
  /** The whole budget: the `-j` make is told. */
  jobs: number;
}

/** The argv and environment of `makeArgv` (without `-j`) joining the jobserver `server`. */
export function joinJobServer(
  makeArgv: readonly string[],
  server: JobServerJoin,
): { argv: string[]; env: Record<string, string> } {
  return {
    argv: ["sh", "-c", JOIN, server.path, ...makeArgv],
    env: { MAKEFLAGS: `-j${server.jobs} --jobserver-auth=3,3` },
  };
}

/** A run's jobserver: a FIFO in `dir` holding `budget` slots. */
export class JobServer implements JobServerJoin {
  /** The budget. */
  readonly jobs: number;
  #dir: string;
  #generation = 0;
  #path = "";
  // Two handles: a read waiting for a slot must not hold up a write that gives one back.
  #reader?: Deno.FsFile;
  #writer?: Deno.FsFile;

  private constructor(dir: string, budget: number) {
    this.#dir = dir;
    this.jobs = budget;
  }

  /** A jobserver with `budget` slots, its FIFO in `dir`. */
  static async create(dir: string, budget: number): Promise<JobServer> {
    const server = new JobServer(dir, budget);
    await Deno.mkdir(dir, { recursive: true });
    await server.renew();
    return server;
  }

  /** The FIFO's path: it changes with {@linkcode JobServer.renew}. */
  get path(): string {
    return this.#path;
  }

  /** Take a slot: waits until a running make gives one back. */
  async acquire(): Promise<void> {
    const byte = new Uint8Array(1);
    while ((await this.#reader!.read(byte)) !== 1) { /* a FIFO opened read-write has no EOF */ }
  }

  /** Give a slot back. */
  async release(): Promise<void> {
    await this.#writer!.write(new Uint8Array([0x2b]));
  }

  /**
   * A fresh FIFO holding the whole budget; only while no make runs (slots a killed make held
   * are lost with the old one).
   */
  async renew(): Promise<void> {
    await this.close();
    this.#path = join(this.#dir, `${Deno.pid}-${this.#generation++}.fifo`);
    await $({ quiet: true })`mkfifo -m 600 ${this.#path}`;
    this.#reader = await Deno.open(this.#path, { read: true, write: true });
    this.#writer = await Deno.open(this.#path, { read: true, write: true });
    await this.#writer.write(new Uint8Array(this.jobs).fill(0x2b));
  }

  /** Close and remove the FIFO. */
  async close(): Promise<void> {
    this.#reader?.close();
    this.#writer?.close();
    this.#reader = this.#writer = undefined;
    if (this.#path) await Deno.remove(this.#path).catch(() => {});
  }
}
