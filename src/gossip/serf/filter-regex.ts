// Regexps that other people write and this node evaluates: a query's tag filters (from any peer) and the RPC's
// member filters. They run on RE2 (re2js): linear in the input whatever the pattern, so a pattern such as
// `(a+)+$` cannot stall the event loop (JS's backtracking engine took 11 s on one). The syntax is Go's regexp,
// which is what serf evaluates them with: look-around and back-references do not compile, as in serf.
// The proxy's regexes (HTTP rules, health checks) are RE2 on re2js too.
import { RE2JS } from 're2js';
import { errorMessage, FilterRegex, LbaError } from '../../errors/index.js';

/**
 * Longest pattern compiled, in UTF-8 bytes. serf refuses to send a query over 1024 bytes encoded, so no filter
 * from a serf node is longer; the bound keeps a forged packet (up to 64 KiB) from making us compile a huge one.
 */
export const FILTER_REGEX_MAX_BYTES = 1024;

/**
 * Largest compiled program, in RE2 instructions (RE2 bounds its programs by memory; Go only by syntax). Matching
 * costs about program size × input length: at 1000 (about `.{1000}`) the worst pattern costs ~50 ms on a
 * 512-byte tag value (memberlist's meta limit) on one core; the filters people write take a few dozen.
 */
export const FILTER_REGEX_MAX_PROGRAM = 1000;

/** Distinct patterns kept compiled: queries and RPC calls repeat the same few; a flood of new ones just recycles. */
const CACHE_SIZE = 256;

export interface CompiledRegex {
  /** unanchored, as Go's regexp.MatchString: true when the pattern matches anywhere in `s` */
  test(s: string): boolean;
}

const cache = new Map<string, CompiledRegex | LbaError>();

/** Compile (or take from the cache) a pattern someone else supplied; throws FilterRegex (LBA_ERR_FILTER_REGEX, Go's words for why) when RE2 refuses it. */
export function compileFilterRegex(pattern: string): CompiledRegex {
  let hit = cache.get(pattern);
  if (hit === undefined) {
    hit = compile(pattern);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(pattern, hit);
  }
  if (hit instanceof LbaError) throw hit;
  return hit;
}

function compile(pattern: string): CompiledRegex | LbaError {
  const size = Buffer.byteLength(pattern);
  if (size > FILTER_REGEX_MAX_BYTES) return new FilterRegex(`error parsing regexp: expression too large: ${size} bytes (limit ${FILTER_REGEX_MAX_BYTES})`);
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    // re2js words its errors as Go does: "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"
    return new FilterRegex(errorMessage(err));
  }
  // re2js does not type its program; without a count the byte bound above still holds.
  const insts = (re.re2().prog as { numInst?: () => number } | undefined)?.numInst?.();
  if (insts !== undefined && insts > FILTER_REGEX_MAX_PROGRAM) {
    return new FilterRegex(`error parsing regexp: expression too large: ${insts} instructions (limit ${FILTER_REGEX_MAX_PROGRAM})`);
  }
  return { test: (s) => re.test(s) };
}
