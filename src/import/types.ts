// What the importer passes between its steps: directives with their place in the file, and the verdict on each.

export interface Directive {
  file: string;
  line: number;
  words: string[];
}

/** A directive that was not carried over, with why. */
export interface Leftover {
  file: string;
  line: number;
  text: string;
  reason: string;
}

/** A directive carried over with a difference worth telling (it counts as carried). */
export type Note = Leftover;

/** The verdict of one translator: carried over (optionally with a note), or left over with the reason. */
export type Verdict = true | { note: string } | { left: string };

export const carried: Verdict = true;
export const left = (reason: string): Verdict => ({ left: reason });
export const noted = (note: string): Verdict => ({ note });

export type Yaml = Record<string, unknown>;

export function textOf(d: Directive): string {
  return d.words.map((w) => (/[\s#"'\\]/.test(w) || w === '' ? JSON.stringify(w) : w)).join(' ');
}
