// One CLI command per file in ./commands; main.ts dispatches by name.

export interface Command {
  name: string;
  /** Other names that run the same command (e.g. `pools` for `servers`). */
  aliases?: string[];
  /** Internal: runs, but `lbagent --help` does not list it. */
  hidden?: boolean;
  /** One line for `lbagent --help`. */
  summary: string;
  /** Full usage text for `lbagent help NAME` / `lbagent NAME --help`. */
  usage: string;
  /** Returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** serf users type single-dash long flags (-node=x, -tag role=web); accept them as --node=x. */
export function normalizeFlags(argv: string[]): string[] {
  return argv.map((a) => (/^-[a-zA-Z][\w-]+(=.*)?$/.test(a) ? `-${a}` : a));
}
