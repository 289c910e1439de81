// What the controller's tests share: roles from text, and a plain GET through a balancer.
import { request } from 'node:http';
import { parseRoles, type RolesConfig } from '../../src/controller/roles.js';

/** roles.yml from text; a test's roles are valid, so errors throw. */
export function roles(text: string, file = 'roles.yml'): RolesConfig {
  const r = parseRoles(file, text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

/** The body of GET / on a new connection. */
export function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}
