// HAProxy's session termination state: the two letters of the access log (`--`, `CD`, `sC`, `SH`, `cR`, `PR`…).
// First, who or what ended the session; second, in which phase it was. A template type, so a session can build
// one from its phase (`K${phase}`) and a typo such as 'SX' does not compile.

/**
 * Who ended it: `-` nobody (a normal end), `C` the client, `S` the server, `P` the proxy (a protocol error or a
 * refusal), `L` the proxy answered locally (redirect), `K` killed (a removed server's grace ended, shutdown),
 * `c` / `s` the client's / the server's timeout, `R` a resource ran out, `I` an internal error, `D` the server
 * went down, `U` the server came up (HAProxy's full set; the proxy uses the first seven).
 */
export type TermCause = '-' | 'C' | 'S' | 'P' | 'L' | 'K' | 'c' | 's' | 'R' | 'I' | 'D' | 'U';

/**
 * In which phase: `-` after the exchange ended normally, `R` waiting for the request head, `Q` in the queue,
 * `C` connecting to the server, `H` waiting for or reading the response head, `D` moving data, `L` the last
 * data, `T` tarpitted.
 */
export type TermPhase = '-' | 'R' | 'Q' | 'C' | 'H' | 'D' | 'L' | 'T';

export type Termination = `${TermCause}${TermPhase}`;

/** The normal end. */
export const TERM_OK: Termination = '--';
