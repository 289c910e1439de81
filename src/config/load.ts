// Load a YAML file into a typed, validated value. Every problem comes back as a ConfigError
// with file:line:col taken from the YAML node it concerns. Nothing here throws on bad input.
import { ConfigRead, errorMessage } from '../errors/index.js';
import { readFileSync } from 'node:fs';
import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar, visit } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import type { ConfigError, ConfigResult } from './errors.js';
import { describeSchema, describeValue, schemaAt, valueAt } from './expected.js';

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
}

/** Parse YAML text (already read) against a zod schema. `file` is used in error positions only. */
export function parseConfigText<S extends z.ZodType>(
  file: string,
  text: string,
  schema: S,
  opts: LoadOptions = {},
): ConfigResult<z.output<S>> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined) => {
    const p = lines.linePos(offset ?? 0);
    return { line: p.line, col: p.col };
  };

  const errors: ConfigError[] = [];
  for (const e of doc.errors) {
    errors.push({ file, ...at(e.pos[0]), key: '', message: `YAML syntax error: ${firstLine(e.message)}` });
  }
  if (errors.length) return { ok: false, errors };

  errors.push(...expandEnv(doc, file, at, opts.env ?? process.env));
  if (errors.length) return { ok: false, errors };

  const value = doc.toJS({ maxAliasCount: 100 }) ?? {};
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };

  for (const issue of unionsOpened(parsed.error.issues)) {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    const expected = (issue as { params?: { expected?: string } }).params?.expected;
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        const keyNode = findKeyNode(doc, path, k);
        errors.push({
          file,
          ...at(keyNode?.range?.[0] ?? nodeAt(doc, path)?.range?.[0]),
          key: keyOf([...path, k]),
          message: `unknown key '${k}'`,
          expected: expected ?? knownKeysHint(issue),
        });
      }
      continue;
    }
    const node = nodeAt(doc, path);
    const said = explain(issue, path, schema, value);
    errors.push({ file, ...at(node?.range?.[0]), key: keyOf(path), message: said.message, expected: expected ?? said.expected });
  }
  return { ok: false, errors };
}

type Issue = z.core.$ZodIssue;

/** An option of a union that failed on the value's type itself (not on something inside it); unions in unions too. */
const typeLevel = (opt: readonly Issue[]): boolean =>
  opt.every((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value' || (i.code === 'invalid_union' && i.errors.length > 0 && i.errors.every(typeLevel))));

/**
 * zod's words for a type or range problem ("Invalid input", "expected number, received string") replaced by what
 * was given and what the key takes: `wrong type: a string ("two")` (expected an integer, 1 or more). A key that is
 * absent is "required but missing"; present with the wrong type, it is never called missing.
 */
function explain(issue: Issue, path: (string | number)[], schema: z.ZodType, root: unknown): { message: string; expected?: string } {
  const expected = () => describeSchema(schemaAt(schema, path));
  const given = valueAt(root, path);
  switch (issue.code) {
    case 'invalid_type':
      if (!given.found) return { message: 'is required but missing', expected: expected() };
      return { message: `wrong type: ${describeValue(given.value)}`, expected: expected() };
    case 'invalid_union': {
      const options = 'errors' in issue ? issue.errors : [];
      if (!options.length || !options.every(typeLevel)) break;
      // a literal option (`false`, `auto`) of the same type means the value, not its type, is wrong
      const sameType = options.some((opt) => opt.some((i) => i.code === 'invalid_value' && i.values.some((v) => typeof v === typeof given.value)));
      return { message: `${sameType ? 'invalid value' : 'wrong type'}: ${describeValue(given.value)}`, expected: expected() };
    }
    case 'invalid_value':
      return { message: `invalid value: ${describeValue(given.value)}`, expected: expected() };
    case 'too_small':
    case 'too_big':
      if (typeof given.value === 'number') return { message: `${given.value} is out of range`, expected: expected() };
      break;
  }
  return { message: issue.message };
}

/**
 * A union where no option matched says only "Invalid input". When exactly one option accepted the value's type
 * (e.g. `roles:` is a path or a map, and a map was given), its own issues are the useful ones: report those.
 */
function unionsOpened(issues: readonly Issue[]): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    if (issue.code !== 'invalid_union' || !('errors' in issue) || !issue.errors.length) {
      out.push(issue);
      continue;
    }
    const typed = issue.errors.filter((opt) => !typeLevel(opt));
    if (typed.length !== 1) {
      out.push(issue);
      continue;
    }
    out.push(...unionsOpened(typed[0]!.map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as Issue)));
  }
  return out;
}

/** Read and parse a YAML config file. A missing or unreadable file is reported as an error at 1:1. */
export function loadConfigFile<S extends z.ZodType>(file: string, schema: S, opts: LoadOptions = {}): ConfigResult<z.output<S>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const read = new ConfigRead(errorMessage(err));
    return { ok: false, errors: [{ file, line: 1, col: 1, key: '', message: read.message, code: read.code }] };
  }
  return parseConfigText(file, text, schema, opts);
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

function keyOf(path: (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

function knownKeysHint(_issue: unknown): string | undefined {
  return undefined;
}

/** The deepest YAML node that exists along `path` (so a missing key points at its parent map). */
function nodeAt(doc: Document, path: (string | number)[]): YamlNode | undefined {
  let node: unknown = doc.contents;
  let last: YamlNode | undefined = doc.contents ?? undefined;
  for (const p of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(p));
      if (!pair) return last;
      node = pair.value;
      // A key with no value (`key:`) has a null value node; point at the key then.
      last = (pair.value as YamlNode | null) ?? (pair.key as YamlNode) ?? last;
    } else if (isSeq(node) && typeof p === 'number') {
      node = node.items[p];
      if (!node) return last;
      last = node as YamlNode;
    } else {
      return last;
    }
  }
  return last;
}

function findKeyNode(doc: Document, path: (string | number)[], key: string): YamlNode | undefined {
  const parent = nodeAt(doc, path);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((it) => isScalar(it.key) && String(it.key.value) === key);
  return (pair?.key as YamlNode | undefined) ?? undefined;
}

/** Replace ${VAR} and ${VAR:-default} in scalar values; a plain scalar is re-typed after expansion. */
function expandEnv(
  doc: Document,
  file: string,
  at: (o: number | undefined) => { line: number; col: number },
  env: NodeJS.ProcessEnv,
): ConfigError[] {
  const errors: ConfigError[] = [];
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      const missing: string[] = [];
      const expanded = node.value.replace(ENV_REF, (_m, name: string, dflt: string | undefined) => {
        const v = env[name];
        if (v !== undefined && v !== '') return v;
        if (dflt !== undefined) return dflt;
        missing.push(name);
        return '';
      });
      if (missing.length) {
        errors.push({
          file,
          ...at(node.range?.[0]),
          key: '',
          message: `environment variable ${missing.map((m) => '${' + m + '}').join(', ')} is not set`,
          expected: 'a set variable, or a default as ${VAR:-default}',
        });
        return;
      }
      node.value = node.type === Scalar.PLAIN ? retype(expanded) : expanded;
    },
  });
  return errors;
}

function retype(s: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  if (s === 'true' || s === 'false') return s === 'true';
  return s;
}

