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

/** A command whose implementation has not landed yet: listed in help, says so plainly when run. */
export function planned(name: string, summary: string, usage: string): Command {
  return {
    name,
    summary,
    usage,
    async run() {
      process.stderr.write(`lbagent ${name}: not implemented yet in this build\n`);
      return 2;
    },
  };
}

/** serf users type single-dash long flags (-node=x, -tag role=web); accept them as --node=x. */
export function normalizeFlags(argv: string[]): string[] {
  return argv.map((a) => (/^-[a-zA-Z][\w-]+(=.*)?$/.test(a) ? `-${a}` : a));
}
